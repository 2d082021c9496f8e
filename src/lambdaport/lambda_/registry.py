"""Every function of every account and region: a node-local cache of the store's documents.

The store's ``function``, ``version``, ``alias`` and ``policy`` documents are the record; the
registry is this node's cache of them, loaded at start (:meth:`FunctionRegistry.load`) and
kept current by every write going through it: the cache changes at once (so a
read-modify-write by the control plane stays atomic on the event loop) and the write method
returns once the store has committed it, before the API call answers. Reads (the invoke path
above all) never touch the store.

Invalidation: every write records the kinds' revisions the store answers
(:attr:`FunctionRegistry.revision`). A second node writing the same documents bumps them; a
registry shared by several nodes calls :meth:`FunctionRegistry.refresh`, which reloads when
the store's revisions differ from the ones it has seen. A single node never needs to.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from lambdaport.errors import AwsError, resource_not_found
from lambdaport.lambda_.models import (
    Alias,
    FunctionSettings,
    FunctionVersion,
    ProvisionedSetting,
    now_timestamp,
)
from lambdaport.lambda_.names import LATEST, FunctionRef, function_arn
from lambdaport.store.documents import Change, Delete, Documents, Put

AccountKey = tuple[str, str]  # (account, region)
KINDS = ("function", "version", "alias", "policy", "provisioned_concurrency")
EVENT_INVOKE_CONFIG = "event_invoke_config"  # lambda_.event_invoke_config's documents
FUNCTION_URL = "function_url"  # lambda_.function_urls' documents


@dataclass(slots=True)
class Policy:
    statements: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class FunctionEntry:
    latest: FunctionVersion
    settings: FunctionSettings = field(default_factory=FunctionSettings)
    versions: dict[str, FunctionVersion] = field(default_factory=dict)
    aliases: dict[str, Alias] = field(default_factory=dict)
    policies: dict[str, Policy] = field(default_factory=dict)  # qualifier ('' = none)
    # PutProvisionedConcurrencyConfig's, per version or alias.
    provisioned: dict[str, ProvisionedSetting] = field(default_factory=dict)
    last_version: int = 0

    @property
    def provisioned_total(self) -> int:
        return sum(setting.requested for setting in self.provisioned.values())

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.latest.account_id, self.latest.region, self.latest.name)

    def policy_for(self, qualifier: str | None) -> Policy | None:
        """The resource-based policy governing a reference: that of the version or alias it
        names, else (unqualified or ``$LATEST``) the function's."""
        return self.policies.get("" if qualifier in (None, LATEST) else str(qualifier))


def revision_mismatch() -> AwsError:
    return AwsError(
        "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. Call the "
        "GetFunction/GetAlias API to retrieve the latest Revision Id",
        412,
        fields={"Type": "User"},
    )


def not_found(ref: FunctionRef, qualifier: str | None = None) -> Exception:
    arn = function_arn(ref.region, ref.account_id, ref.name, qualifier)
    return resource_not_found(f"Function not found: {arn}")


class FunctionRegistry:
    def __init__(self, documents: Documents) -> None:
        self._documents = documents
        self._functions: dict[tuple[str, str, str], FunctionEntry] = {}
        # Reserved concurrency per function and its sum per (account, region), kept current
        # so the invoke path never scans the functions.
        self._reserved: dict[tuple[str, str, str], int] = {}
        self._reserved_totals: dict[AccountKey, int] = {}
        # Provisioned concurrency of the functions without a reservation, per account: what
        # it allocates comes out of the account's unreserved concurrency.
        self._provisioned: dict[tuple[str, str, str], int] = {}
        self._provisioned_totals: dict[AccountKey, int] = {}
        self.revision: dict[str, int] = dict.fromkeys(KINDS, 0)

    # -- loading and saving -----------------------------------------------------------

    async def load(self) -> None:
        """(Re)build the cache from the store's documents."""
        documents = self._documents
        revision = {kind: await documents.revision(kind) for kind in KINDS}
        scans = {kind: await documents.scan(kind) for kind in KINDS}
        functions: dict[tuple[str, str, str], FunctionEntry] = {}
        for key, body in scans["function"]:
            entry = FunctionEntry(
                latest=FunctionVersion.from_record(body["latest"]),
                settings=FunctionSettings.from_record(body["settings"]),
                last_version=int(body["last_version"]),
            )
            functions[(key[0], key[1], key[2])] = entry
        for (account, region, name, version), record in scans["version"]:
            if (found := functions.get((account, region, name))) is not None:
                found.versions[version] = FunctionVersion.from_record(record)
        for (account, region, name, alias), record in scans["alias"]:
            if (found := functions.get((account, region, name))) is not None:
                found.aliases[alias] = Alias.from_record(record)
        for (account, region, name, qualifier), record in scans["policy"]:
            if (found := functions.get((account, region, name))) is not None:
                found.policies[qualifier] = Policy(record["statements"])
        for (account, region, name, qualifier), record in scans["provisioned_concurrency"]:
            if (found := functions.get((account, region, name))) is not None:
                found.provisioned[qualifier] = ProvisionedSetting(**record)
        self._functions = functions
        self._reserved, self._reserved_totals = {}, {}
        self._provisioned, self._provisioned_totals = {}, {}
        for entry in functions.values():
            self._count_reserved(entry.key, entry.settings.reserved_concurrency or 0)
            self._count_provisioned(entry.key, entry)
        self.revision = revision

    async def refresh(self) -> bool:
        """Reload when another writer changed the documents since this cache saw them."""
        for kind in KINDS:
            if await self._documents.revision(kind) != self.revision[kind]:
                await self.load()
                return True
        return False

    async def _write(self, *changes: Change) -> None:
        self.revision.update(await self._documents.write(changes))

    def _count_reserved(self, key: tuple[str, str, str], reserved: int) -> None:
        account = (key[0], key[1])
        previous = self._reserved.pop(key, 0)
        if reserved:
            self._reserved[key] = reserved
        self._reserved_totals[account] = self._reserved_totals.get(account, 0) - previous + reserved

    def _count_provisioned(self, key: tuple[str, str, str], entry: FunctionEntry | None) -> None:
        """What the function's provisioned concurrency takes from the unreserved pool."""
        account = (key[0], key[1])
        previous = self._provisioned.pop(key, 0)
        taken = 0
        if entry is not None and entry.settings.reserved_concurrency is None:
            taken = entry.provisioned_total
        if taken:
            self._provisioned[key] = taken
        total = self._provisioned_totals.get(account, 0) - previous + taken
        self._provisioned_totals[account] = total

    @staticmethod
    def _function_document(entry: FunctionEntry) -> Put:
        body = {
            "latest": entry.latest.to_record(),
            "settings": entry.settings.to_record(),
            "last_version": entry.last_version,
        }
        return Put("function", entry.key, body)

    async def save_function(self, entry: FunctionEntry) -> None:
        self._functions[entry.key] = entry
        self._count_reserved(entry.key, entry.settings.reserved_concurrency or 0)
        self._count_provisioned(entry.key, entry)
        await self._write(self._function_document(entry))

    async def save_version(self, entry: FunctionEntry, version: FunctionVersion) -> None:
        """The new version and the function (its ``last_version``), in one commit."""
        entry.versions[version.version] = version
        self._functions[entry.key] = entry
        await self._write(
            Put("version", (*entry.key, version.version), version.to_record()),
            self._function_document(entry),
        )

    async def replace_version(self, entry: FunctionEntry, version: FunctionVersion) -> None:
        """A published version's settings that may change (its runtime management)."""
        entry.versions[version.version] = version
        await self._write(Put("version", (*entry.key, version.version), version.to_record()))

    async def delete_version(self, entry: FunctionEntry, version: str) -> None:
        """The version and its provisioned concurrency, in one commit."""
        entry.versions.pop(version, None)
        entry.provisioned.pop(version, None)
        self._count_provisioned(entry.key, entry)
        await self._write(
            Delete("version", (*entry.key, version)),
            Delete("provisioned_concurrency", (*entry.key, version)),
        )

    async def save_alias(self, entry: FunctionEntry, alias: Alias) -> None:
        entry.aliases[alias.name] = alias
        await self._write(Put("alias", (*entry.key, alias.name), alias.to_record()))

    async def delete_alias(self, entry: FunctionEntry, name: str) -> None:
        """The alias, its resource policy, its function URL and its provisioned concurrency,
        in one commit."""
        entry.aliases.pop(name, None)
        entry.policies.pop(name, None)
        entry.provisioned.pop(name, None)
        self._count_provisioned(entry.key, entry)
        await self._write(
            Delete("alias", (*entry.key, name)),
            Delete("policy", (*entry.key, name)),
            Delete(FUNCTION_URL, (*entry.key, name)),
            Delete("provisioned_concurrency", (*entry.key, name)),
        )

    async def save_provisioned(
        self, entry: FunctionEntry, qualifier: str, setting: ProvisionedSetting | None
    ) -> None:
        """A version's or alias's provisioned concurrency (None: deleted)."""
        key = (*entry.key, qualifier)
        if setting is None:
            entry.provisioned.pop(qualifier, None)
            change: Change = Delete("provisioned_concurrency", key)
        else:
            entry.provisioned[qualifier] = setting
            change = Put("provisioned_concurrency", key, setting.to_record())
        self._count_provisioned(entry.key, entry)
        await self._write(change)

    async def save_policy(self, entry: FunctionEntry, qualifier: str, policy: Policy) -> None:
        key = (*entry.key, qualifier)
        if policy.statements:
            entry.policies[qualifier] = policy
            body = {"statements": policy.statements}
            await self._write(Put("policy", key, body))
        else:
            entry.policies.pop(qualifier, None)
            await self._write(Delete("policy", key))

    async def delete_function(self, entry: FunctionEntry) -> None:
        self._functions.pop(entry.key, None)
        self._count_reserved(entry.key, 0)
        self._count_provisioned(entry.key, None)
        await self._write(
            Delete("function", entry.key),
            *(Delete(kind, entry.key, prefix=True) for kind in KINDS[1:]),
            Delete(EVENT_INVOKE_CONFIG, entry.key, prefix=True),
            Delete(FUNCTION_URL, entry.key, prefix=True),
        )

    async def set_latest(self, entry: FunctionEntry, latest: FunctionVersion) -> None:
        entry.latest = latest
        await self.save_function(entry)

    async def set_settings(self, entry: FunctionEntry, settings: FunctionSettings) -> None:
        entry.settings = settings
        await self.save_function(entry)

    async def publish(
        self, entry: FunctionEntry, latest: FunctionVersion, description: str
    ) -> FunctionVersion:
        """Publish ``latest`` unless the newest version already has the same code and config."""
        if entry.versions:
            newest = entry.versions[str(max(int(v) for v in entry.versions))]
            if newest.code == latest.code and newest.revision_id == latest.revision_id:
                return newest
        entry.last_version += 1
        version = replace(
            latest,
            version=str(entry.last_version),
            description=description or latest.description,
            last_modified=now_timestamp(),
        )
        await self.save_version(entry, version)  # and the function's last_version
        return version

    # -- lookups ----------------------------------------------------------------------

    def find(self, ref: FunctionRef) -> FunctionEntry | None:
        return self._functions.get((ref.account_id, ref.region, ref.name))

    def entry(self, ref: FunctionRef) -> FunctionEntry:
        entry = self.find(ref)
        if entry is None:
            raise not_found(ref)
        return entry

    def version(self, entry: FunctionEntry, ref: FunctionRef, qualifier: str) -> FunctionVersion:
        """The version a qualifier names: ``$LATEST``, a number, or an alias's version."""
        if qualifier == LATEST:
            return entry.latest
        if qualifier.isdigit():
            found = entry.versions.get(qualifier)
            if found is None:
                raise not_found(ref, qualifier)
            return found
        alias = entry.aliases.get(qualifier)
        if alias is None:
            raise not_found(ref, qualifier)
        return self.version(entry, ref, alias.function_version)

    def functions(self, account_id: str, region: str) -> Iterator[FunctionEntry]:
        for (account, reg, _), entry in sorted(self._functions.items()):
            if account == account_id and reg == region:
                yield entry

    def all_functions(self) -> Iterator[FunctionEntry]:
        yield from self._functions.values()

    def reserved_total(self, account_id: str, region: str) -> int:
        return self._reserved_totals.get((account_id, region), 0)

    def provisioned_unreserved_total(self, account_id: str, region: str) -> int:
        """The provisioned concurrency of functions without reserved concurrency."""
        return self._provisioned_totals.get((account_id, region), 0)

    async def activate_all(self) -> None:
        """After a restart nothing is still being created: every function is Active."""
        for entry in list(self._functions.values()):
            if entry.latest.state != "Active" or entry.latest.last_update_status != "Successful":
                await self.set_latest(entry, activated(entry.latest))


def activated(version: FunctionVersion) -> FunctionVersion:
    return replace(
        version,
        state="Active",
        state_reason="",
        state_reason_code="",
        last_update_status="Successful",
    )
