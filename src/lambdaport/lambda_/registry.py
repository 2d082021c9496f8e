"""Every function of every account and region, in memory and durably in the store.

Reads (the invoke path above all) never touch SQLite; every change is written through to
the store before the API call returns, and the registry is rebuilt from the store at start.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from lambdaport.errors import AwsError, resource_not_found
from lambdaport.lambda_.models import Alias, FunctionSettings, FunctionVersion, now_timestamp
from lambdaport.lambda_.names import LATEST, FunctionRef, function_arn
from lambdaport.store import Store

AccountKey = tuple[str, str]  # (account, region)


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
    last_version: int = 0

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
    def __init__(self, store: Store) -> None:
        self._store = store
        self._functions: dict[tuple[str, str, str], FunctionEntry] = {}
        # Reserved concurrency per function and its sum per (account, region), kept current
        # so the invoke path never scans the functions.
        self._reserved: dict[tuple[str, str, str], int] = {}
        self._reserved_totals: dict[AccountKey, int] = {}
        self._load()

    # -- loading and saving -----------------------------------------------------------

    def _load(self) -> None:
        store = self._store
        for key, body in store.scan("function"):
            entry = FunctionEntry(
                latest=FunctionVersion.from_record(body["latest"]),
                settings=FunctionSettings.from_record(body["settings"]),
                last_version=int(body["last_version"]),
            )
            account, region, name, _ = key
            prefix = (account, region, name)
            for (_, _, _, version), record in store.scan("version", prefix):
                entry.versions[version] = FunctionVersion.from_record(record)
            for (_, _, _, alias), record in store.scan("alias", prefix):
                entry.aliases[alias] = Alias.from_record(record)
            for (_, _, _, qualifier), record in store.scan("policy", prefix):
                entry.policies[qualifier] = Policy(record["statements"])
            self._functions[prefix] = entry
            self._count_reserved(entry.key, entry.settings.reserved_concurrency or 0)

    def _count_reserved(self, key: tuple[str, str, str], reserved: int) -> None:
        account = (key[0], key[1])
        previous = self._reserved.pop(key, 0)
        if reserved:
            self._reserved[key] = reserved
        self._reserved_totals[account] = self._reserved_totals.get(account, 0) - previous + reserved

    def save_function(self, entry: FunctionEntry) -> None:
        self._functions[entry.key] = entry
        self._count_reserved(entry.key, entry.settings.reserved_concurrency or 0)
        self._store.put(
            "function",
            entry.key,
            {
                "latest": entry.latest.to_record(),
                "settings": entry.settings.to_record(),
                "last_version": entry.last_version,
            },
        )

    def save_version(self, entry: FunctionEntry, version: FunctionVersion) -> None:
        entry.versions[version.version] = version
        self._store.put("version", (*entry.key, version.version), version.to_record())

    def delete_version(self, entry: FunctionEntry, version: str) -> None:
        entry.versions.pop(version, None)
        self._store.delete("version", (*entry.key, version))

    def save_alias(self, entry: FunctionEntry, alias: Alias) -> None:
        entry.aliases[alias.name] = alias
        self._store.put("alias", (*entry.key, alias.name), alias.to_record())

    def delete_alias(self, entry: FunctionEntry, name: str) -> None:
        entry.aliases.pop(name, None)
        self._store.delete("alias", (*entry.key, name))

    def save_policy(self, entry: FunctionEntry, qualifier: str, policy: Policy) -> None:
        key = (*entry.key, qualifier)
        if policy.statements:
            entry.policies[qualifier] = policy
            self._store.put("policy", key, {"statements": policy.statements})
        else:
            entry.policies.pop(qualifier, None)
            self._store.delete("policy", key)

    def delete_function(self, entry: FunctionEntry) -> None:
        self._functions.pop(entry.key, None)
        self._count_reserved(entry.key, 0)
        with self._store.transaction():
            self._store.delete("function", entry.key)
            for kind in ("version", "alias", "policy"):
                self._store.delete_prefix(kind, entry.key)

    def set_latest(self, entry: FunctionEntry, latest: FunctionVersion) -> None:
        entry.latest = latest
        self.save_function(entry)

    def set_settings(self, entry: FunctionEntry, settings: FunctionSettings) -> None:
        entry.settings = settings
        self.save_function(entry)

    def publish(
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
        self.save_version(entry, version)
        self.save_function(entry)
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

    def activate_all(self) -> None:
        """After a restart nothing is still being created: every function is Active."""
        for entry in list(self._functions.values()):
            if entry.latest.state != "Active" or entry.latest.last_update_status != "Successful":
                self.set_latest(entry, activated(entry.latest))


def activated(version: FunctionVersion) -> FunctionVersion:
    return replace(
        version,
        state="Active",
        state_reason="",
        state_reason_code="",
        last_update_status="Successful",
    )
