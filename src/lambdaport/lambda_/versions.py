"""PublishVersion, ListVersionsByFunction and aliases (with weighted routing)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace

from lambdaport.errors import AwsError, invalid_parameter, resource_conflict, resource_not_found
from lambdaport.lambda_.commands import (
    AliasRoutingConfiguration,
    CreateAlias,
    DeleteAlias,
    GetAlias,
    ListAliases,
    ListVersionsByFunction,
    PublishVersion,
    UpdateAlias,
)
from lambdaport.lambda_.models import Alias, FunctionConfiguration
from lambdaport.lambda_.names import ALIAS_NAME, LATEST, function_arn
from lambdaport.lambda_.paging import Page, paginate
from lambdaport.lambda_.registry import FunctionEntry, FunctionRegistry, revision_mismatch


def _alias_arn(entry: FunctionEntry, name: str) -> str:
    return function_arn(entry.latest.region, entry.latest.account_id, entry.latest.name, name)


def _alias_not_found(entry: FunctionEntry, name: str) -> AwsError:
    return resource_not_found(f"Cannot find alias arn: {_alias_arn(entry, name)}")


def _weights(version: str, routing: AliasRoutingConfiguration | None) -> dict[str, float]:
    """An alias's additional version weights, refused as AWS refuses them before it looks
    the versions up (the model checked each weight's range and that keys are numbers)."""
    weights = dict(routing.additional_version_weights) if routing is not None else {}
    if len(weights) > 1:
        raise invalid_parameter(
            "Number of items in AdditionalVersionWeights cannot be greater than 1"
        )
    if weights and version == LATEST:
        raise invalid_parameter(
            "$LATEST is not supported for an alias pointing to more than 1 version"
        )
    return weights


class VersionService:
    def __init__(self, registry: FunctionRegistry) -> None:
        self._registry = registry

    async def publish_version(self, command: PublishVersion) -> FunctionConfiguration:
        entry = self._registry.entry(command.function)
        latest = entry.latest
        if latest.state == "Pending" or latest.last_update_status == "InProgress":
            raise resource_conflict(
                "The operation cannot be performed at this time. An update is in progress for "
                f"resource: {latest.arn}"
            )
        if command.code_sha256 and command.code_sha256 != latest.code.sha256:
            raise invalid_parameter(
                f"CodeSHA256 ({command.code_sha256}) is different from current CodeSHA256 in "
                f"$LATEST ({latest.code.sha256}). Please try again with the CodeSHA256 in "
                "$LATEST."
            )
        if command.revision_id and command.revision_id != latest.revision_id:
            raise revision_mismatch()
        version = await self._registry.publish(entry, latest, command.description)
        return FunctionConfiguration.of(version)

    def list_versions_by_function(
        self, command: ListVersionsByFunction
    ) -> Page[FunctionConfiguration]:
        entry = self._registry.entry(command.function)
        # $LATEST is listed as ...:$LATEST
        configs = [FunctionConfiguration.of(entry.latest, entry.latest.qualified_arn)] + [
            FunctionConfiguration.of(entry.versions[v]) for v in sorted(entry.versions, key=int)
        ]
        return paginate(configs, command.paging)

    # -- aliases ------------------------------------------------------------------------

    def _check_target(self, entry: FunctionEntry, version: str) -> None:
        if version != LATEST and version not in entry.versions:
            raise resource_not_found(f"Function not found: {entry.latest.arn}:{version}")

    def _check_routed(
        self, entry: FunctionEntry, version: str, weights: Mapping[str, float]
    ) -> None:
        for additional in weights:
            self._check_target(entry, additional)
            if additional == version:
                raise invalid_parameter(
                    f"Invalid function version {version}. Function version {version} is "
                    "already included in routing configuration."
                )

    async def create_alias(self, command: CreateAlias) -> Alias:
        name = command.name
        if not ALIAS_NAME.match(name):
            raise invalid_parameter(f"Invalid alias name: {name}")
        version = command.function_version
        weights = _weights(version, command.routing_config)
        entry = self._registry.entry(command.function)
        self._check_target(entry, version)
        self._check_routed(entry, version, weights)
        if name in entry.aliases:
            raise resource_conflict(f"Alias already exists: {_alias_arn(entry, name)}")
        alias = Alias(
            account_id=entry.latest.account_id,
            region=entry.latest.region,
            function_name=entry.latest.name,
            name=name,
            function_version=version,
            description=command.description,
            routing_weights=weights,
            revision_id=str(uuid.uuid4()),
        )
        await self._registry.save_alias(entry, alias)
        return alias

    def get_alias(self, command: GetAlias) -> Alias:
        entry = self._registry.entry(command.function)
        alias = entry.aliases.get(command.name)
        if alias is None:
            raise _alias_not_found(entry, command.name)
        return alias

    async def update_alias(self, command: UpdateAlias) -> Alias:
        entry = self._registry.entry(command.function)
        name = command.name
        alias = entry.aliases.get(name)
        if alias is None:
            raise resource_not_found(f"Alias not found: {entry.latest.arn}:{name}")
        if command.revision_id and command.revision_id != alias.revision_id:
            raise revision_mismatch()
        version = command.function_version
        if version is None:
            version = alias.function_version
        routing = command.routing_config
        if routing is None:
            routing = AliasRoutingConfiguration(alias.routing_weights)
        weights = _weights(version, routing)
        self._check_target(entry, version)
        self._check_routed(entry, version, weights)
        updated = replace(
            alias,
            function_version=version,
            description=alias.description if command.description is None else command.description,
            routing_weights=weights,
            revision_id=str(uuid.uuid4()),
        )
        await self._registry.save_alias(entry, updated)
        return updated

    async def delete_alias(self, command: DeleteAlias) -> None:
        entry = self._registry.entry(command.function)
        await self._registry.delete_alias(entry, command.name)  # and its policy

    def list_aliases(self, command: ListAliases) -> Page[Alias]:
        entry = self._registry.entry(command.function)
        wanted = command.function_version
        aliases = [
            a
            for _, a in sorted(entry.aliases.items())
            if wanted is None or a.function_version == wanted
        ]
        return paginate(aliases, command.paging)
