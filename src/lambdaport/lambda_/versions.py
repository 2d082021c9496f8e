"""PublishVersion, ListVersionsByFunction and aliases (with weighted routing)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from lambdaport.errors import AwsError, invalid_parameter, resource_conflict, resource_not_found
from lambdaport.lambda_.functions import ref_of
from lambdaport.lambda_.models import Alias, FunctionVersion, now_timestamp
from lambdaport.lambda_.names import ALIAS_NAME, LATEST, function_arn
from lambdaport.lambda_.paging import paginate
from lambdaport.lambda_.registry import FunctionEntry, FunctionRegistry, Policy, revision_mismatch
from lambdaport.request import RequestContext


def publish(
    registry: FunctionRegistry, entry: FunctionEntry, latest: FunctionVersion, description: str
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
    registry.save_version(entry, version)
    registry.save_function(entry)
    return version


def _alias_not_found(entry: FunctionEntry, name: str) -> AwsError:
    arn = function_arn(entry.latest.region, entry.latest.account_id, entry.latest.name, name)
    return resource_not_found(f"Cannot find alias arn: {arn}")


def _weights(version: str, routing: Mapping[str, Any] | None) -> dict[str, float]:
    """An alias's additional version weights, refused as AWS refuses them before it looks
    the versions up (the model checked each weight's range and that keys are numbers)."""
    given = (routing or {}).get("AdditionalVersionWeights") or {}
    weights = {str(k): float(v) for k, v in given.items()}
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

    def publish_version(self, ctx: RequestContext, params: Mapping[str, Any]) -> dict[str, Any]:
        ref = ref_of(ctx, params)
        entry = self._registry.entry(ref)
        latest = entry.latest
        if latest.state == "Pending" or latest.last_update_status == "InProgress":
            raise resource_conflict(
                "The operation cannot be performed at this time. An update is in progress for "
                f"resource: {latest.arn}"
            )
        if params.get("CodeSha256") and params["CodeSha256"] != latest.code.sha256:
            raise invalid_parameter(
                "CodeSHA256 ("
                + str(params["CodeSha256"])
                + ") is different from current CodeSHA256 in $LATEST ("
                + latest.code.sha256
                + "). Please try again with the CodeSHA256 in $LATEST."
            )
        if params.get("RevisionId") and params["RevisionId"] != latest.revision_id:
            raise revision_mismatch()
        version = publish(self._registry, entry, latest, str(params.get("Description", "")))
        return version.configuration()

    def list_versions_by_function(
        self, ctx: RequestContext, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        entry = self._registry.entry(ref_of(ctx, params))
        latest = entry.latest.configuration()
        latest["FunctionArn"] = entry.latest.qualified_arn  # listed as ...:$LATEST
        configs = [latest] + [
            entry.versions[v].configuration() for v in sorted(entry.versions, key=int)
        ]
        page, marker = paginate(configs, params.get("Marker"), params.get("MaxItems"), 50)
        result: dict[str, Any] = {"Versions": page}
        if marker:
            result["NextMarker"] = marker
        return result

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

    def create_alias(self, ctx: RequestContext, params: Mapping[str, Any]) -> dict[str, Any]:
        ref = ref_of(ctx, params)
        name = str(params["Name"])
        if not ALIAS_NAME.match(name):
            raise invalid_parameter(f"Invalid alias name: {name}")
        version = str(params["FunctionVersion"])
        weights = _weights(version, params.get("RoutingConfig"))
        entry = self._registry.entry(ref)
        self._check_target(entry, version)
        self._check_routed(entry, version, weights)
        if name in entry.aliases:
            arn = function_arn(ctx.region, ctx.account_id, entry.latest.name, name)
            raise resource_conflict(f"Alias already exists: {arn}")
        alias = Alias(
            account_id=entry.latest.account_id,
            region=entry.latest.region,
            function_name=entry.latest.name,
            name=name,
            function_version=version,
            description=str(params.get("Description", "")),
            routing_weights=weights,
            revision_id=str(uuid.uuid4()),
        )
        self._registry.save_alias(entry, alias)
        return alias.configuration()

    def get_alias(self, ctx: RequestContext, params: Mapping[str, Any]) -> dict[str, Any]:
        entry = self._registry.entry(ref_of(ctx, params))
        alias = entry.aliases.get(str(params["Name"]))
        if alias is None:
            raise _alias_not_found(entry, str(params["Name"]))
        return alias.configuration()

    def update_alias(self, ctx: RequestContext, params: Mapping[str, Any]) -> dict[str, Any]:
        entry = self._registry.entry(ref_of(ctx, params))
        name = str(params["Name"])
        alias = entry.aliases.get(name)
        if alias is None:
            raise resource_not_found(f"Alias not found: {entry.latest.arn}:{name}")
        if params.get("RevisionId") and params["RevisionId"] != alias.revision_id:
            raise revision_mismatch()
        version = str(params.get("FunctionVersion", alias.function_version))
        routing = params.get("RoutingConfig", {"AdditionalVersionWeights": alias.routing_weights})
        weights = _weights(version, routing)
        self._check_target(entry, version)
        self._check_routed(entry, version, weights)
        updated = replace(
            alias,
            function_version=version,
            description=str(params.get("Description", alias.description)),
            routing_weights=dict(weights),
            revision_id=str(uuid.uuid4()),
        )
        self._registry.save_alias(entry, updated)
        return updated.configuration()

    def delete_alias(self, ctx: RequestContext, params: Mapping[str, Any]) -> dict[str, Any]:
        entry = self._registry.entry(ref_of(ctx, params))
        self._registry.delete_alias(entry, str(params["Name"]))
        self._registry.save_policy(entry, str(params["Name"]), Policy())
        return {}

    def list_aliases(self, ctx: RequestContext, params: Mapping[str, Any]) -> dict[str, Any]:
        entry = self._registry.entry(ref_of(ctx, params))
        wanted = params.get("FunctionVersion")
        aliases = [
            a.configuration()
            for _, a in sorted(entry.aliases.items())
            if wanted is None or a.function_version == wanted
        ]
        page, marker = paginate(aliases, params.get("Marker"), params.get("MaxItems"), 50)
        result: dict[str, Any] = {"Aliases": page}
        if marker:
            result["NextMarker"] = marker
        return result
