"""Every layer version of every account and region: a node-local cache of the store's
``layer`` and ``layer_version`` documents, and the check of a function's ``Layers``.

As the function registry (``registry.py``): loaded at start, written through (the cache
changes at once, the write returns once the store committed it), reads never touch the
store. A ``layer`` document keeps the layer's last version number, so a number is never
given twice even after its version was deleted (as AWS numbers them); a ``layer_version``
document is one version, its package and its policy.

:meth:`LayerRegistry.function_layers` is the one check of the ``Layers`` a CreateFunction or
UpdateFunctionConfiguration names (AWS's rules and words): at most 5, each an existing
version in the function's region, one version per layer, another account's only where its
policy grants ``lambda:GetLayerVersion`` to the function's account. The compatible runtimes
and architectures a layer declares are advisory on AWS (the console filters by them, the
API does not refuse): they are kept, listed and filtered by, not enforced.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lambdaport.errors import AwsError, invalid_parameter
from lambdaport.invoke.permissions import access_denied
from lambdaport.lambda_.models import FunctionLayer, LayerVersion
from lambdaport.store.documents import Delete, Documents, Put

LAYER, LAYER_VERSION = "layer", "layer_version"
MAX_LAYERS = 5
GET_LAYER_VERSION = "lambda:GetLayerVersion"
LayerKey = tuple[str, str, str]  # account, region, name
_LAYER_VERSION_ARN = re.compile(
    r"^arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):layer:"
    r"(?P<name>[a-zA-Z0-9-_]+):(?P<version>[0-9]+)$"
)


@dataclass(frozen=True, slots=True)
class LayerVersionRef:
    """A layer version ARN, parsed."""

    account_id: str
    region: str
    name: str
    version: int

    @property
    def key(self) -> LayerKey:
        return (self.account_id, self.region, self.name)


def parse_layer_version_arn(arn: str) -> LayerVersionRef | None:
    match = _LAYER_VERSION_ARN.match(arn)
    if match is None:
        return None
    return LayerVersionRef(match["account"], match["region"], match["name"], int(match["version"]))


def grants(statements: Sequence[Mapping[str, Any]], account_id: str) -> bool:
    """Whether a layer version's policy lets ``account_id`` use it (``lambda:GetLayerVersion``
    for everyone or that account). A statement limited to an organization grants nothing
    here: lambdaport knows no organizations."""
    for statement in statements:
        if statement.get("Condition"):
            continue
        principal = statement.get("Principal")
        if principal == "*":
            return True
        if isinstance(principal, Mapping) and principal.get("AWS") in (
            account_id,
            f"arn:aws:iam::{account_id}:root",
        ):
            return True
    return False


class LayerRegistry:
    def __init__(self, documents: Documents) -> None:
        self._documents = documents
        self._last_version: dict[LayerKey, int] = {}
        self._versions: dict[LayerKey, dict[int, LayerVersion]] = {}

    async def load(self) -> None:
        last: dict[LayerKey, int] = {}
        versions: dict[LayerKey, dict[int, LayerVersion]] = {}
        for key, body in await self._documents.scan(LAYER):
            last[(key[0], key[1], key[2])] = int(body["last_version"])
        for key, body in await self._documents.scan(LAYER_VERSION):
            record = LayerVersion.from_record(body)
            versions.setdefault((key[0], key[1], key[2]), {})[record.version] = record
        self._last_version, self._versions = last, versions

    # -- writes -----------------------------------------------------------------------

    def next_version(self, key: LayerKey) -> int:
        """The number the layer's next version gets (taken at once: the caller saves it)."""
        number = self._last_version.get(key, 0) + 1
        self._last_version[key] = number
        return number

    async def save(self, version: LayerVersion) -> None:
        key = (version.account_id, version.region, version.name)
        self._versions.setdefault(key, {})[version.version] = version
        await self._documents.write(
            [
                Put(LAYER, key, {"last_version": self._last_version.get(key, version.version)}),
                Put(LAYER_VERSION, (*key, str(version.version)), version.to_record()),
            ]
        )

    async def delete(self, key: LayerKey, number: int) -> None:
        versions = self._versions.get(key, {})
        if versions.pop(number, None) is None:
            return
        if not versions:
            self._versions.pop(key, None)
        await self._documents.write([Delete(LAYER_VERSION, (*key, str(number)))])

    # -- reads ------------------------------------------------------------------------

    def find(self, key: LayerKey, number: int) -> LayerVersion | None:
        return self._versions.get(key, {}).get(number)

    def versions(self, key: LayerKey) -> list[LayerVersion]:
        """The layer's versions, newest first."""
        found = self._versions.get(key, {})
        return [found[number] for number in sorted(found, reverse=True)]

    def layers(self, account_id: str, region: str) -> Iterator[tuple[LayerKey, list[LayerVersion]]]:
        """Every layer of an account and region with versions, by name."""
        for key in sorted(self._versions):
            if key[0] == account_id and key[1] == region and self._versions[key]:
                yield key, self.versions(key)

    # -- a function's layers ----------------------------------------------------------

    def function_layers(
        self, arns: Sequence[str], account_id: str, region: str
    ) -> tuple[FunctionLayer, ...]:
        """The layer versions a function of ``account_id`` in ``region`` names, in order, or
        AWS's refusal."""
        if len(arns) > MAX_LAYERS:
            raise invalid_parameter(f"Cannot reference more than {MAX_LAYERS} layers.")
        resolved: list[FunctionLayer] = []
        seen: dict[LayerKey, str] = {}
        for arn in arns:
            ref = parse_layer_version_arn(arn)
            if ref is None:  # an AWS-managed ``awslayer`` ARN: none exists here
                raise invalid_parameter(f"Layer version {arn} does not exist.")
            if ref.region != region:
                raise invalid_parameter(
                    "Layers are not in the same region as the function. Layers are expected "
                    f"to be in region {region}."
                )
            found = self.find(ref.key, ref.version)
            if ref.account_id != account_id and (
                found is None or not grants(found.statements, account_id)
            ):
                raise access_denied(account_id, GET_LAYER_VERSION, arn)
            if found is None:
                raise invalid_parameter(f"Layer version {arn} does not exist.")
            if ref.key in seen:
                raise invalid_parameter(
                    "Two different versions of the same layer are not allowed to be "
                    f"referenced in the same function. {seen[ref.key]} and {arn} are "
                    "versions of the same layer."
                )
            seen[ref.key] = arn
            resolved.append(FunctionLayer(found.arn, found.code))
        return tuple(resolved)


def combined_size_error(size: int, limit: int) -> AwsError:
    return invalid_parameter(
        f"Function code combined with layers exceeds the maximum allowed size of {limit} "
        f"bytes. The actual size is {size} bytes."
    )
