"""Put/GetRuntimeManagementConfig: how a version's runtime is updated
(https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html).

lambdaport runs the runtime that is installed here, whatever the mode: ``Auto`` and
``FunctionUpdate`` are kept and reported; ``Manual`` pins the runtime version ARN given,
which is checked (a runtime version of the function's own region, ``arn:aws:lambda:REGION::
runtime:<64 hex digits>``) and reported as the function's ``RuntimeVersionConfig``, but does
not choose another interpreter.
"""

from __future__ import annotations

import re
from dataclasses import replace

from lambdaport.errors import invalid_parameter
from lambdaport.lambda_.commands import GetRuntimeManagementConfig, PutRuntimeManagementConfig
from lambdaport.lambda_.models import FunctionVersion, RuntimeManagement, RuntimeManagementConfig
from lambdaport.lambda_.names import LATEST, FunctionRef
from lambdaport.lambda_.registry import FunctionEntry, FunctionRegistry, not_found

# AWS's runtime version ARNs: the region's, no account, a SHA-256 in hex.
_RUNTIME_VERSION = re.compile(
    r"^arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z0-9-]+)::runtime:[0-9a-f]{64}$"
)


def _version(registry: FunctionRegistry, ref: FunctionRef) -> tuple[FunctionEntry, FunctionVersion]:
    """$LATEST (no qualifier) or a published version; aliases are not versions here."""
    entry = registry.entry(ref)
    qualifier = ref.qualifier or LATEST
    if qualifier == LATEST:
        return entry, entry.latest
    found = entry.versions.get(qualifier) if qualifier.isdigit() else None
    if found is None:
        raise not_found(ref, qualifier)
    return entry, found


def _answer(version: FunctionVersion) -> RuntimeManagement:
    arn = version.arn if version.version == LATEST else version.qualified_arn
    return RuntimeManagement(arn, version.runtime_management)


def check_runtime_version(
    update_runtime_on: str, runtime_version_arn: str | None, region: str
) -> RuntimeManagementConfig:
    if update_runtime_on != "Manual":
        if runtime_version_arn is not None:
            raise invalid_parameter(
                "RuntimeVersionArn can only be specified when UpdateRuntimeOn is Manual."
            )
        return RuntimeManagementConfig(update_runtime_on)
    if runtime_version_arn is None:
        raise invalid_parameter("RuntimeVersionArn is required when UpdateRuntimeOn is Manual.")
    match = _RUNTIME_VERSION.match(runtime_version_arn)
    if match is None or match["region"] != region:
        raise invalid_parameter(
            f"Runtime Version ARN {runtime_version_arn} is not valid: a runtime version of "
            f"{region} is arn:aws:lambda:{region}::runtime:<64 hexadecimal digits>."
        )
    return RuntimeManagementConfig(update_runtime_on, runtime_version_arn)


class RuntimeManagementService:
    def __init__(self, registry: FunctionRegistry) -> None:
        self._registry = registry

    async def put_runtime_management_config(
        self, command: PutRuntimeManagementConfig
    ) -> RuntimeManagement:
        ref = command.function
        config = check_runtime_version(
            command.update_runtime_on, command.runtime_version_arn, ref.region
        )
        entry, version = _version(self._registry, ref)
        updated = replace(version, runtime_management=config)
        if version.version == LATEST:
            await self._registry.set_latest(entry, updated)
        else:
            await self._registry.replace_version(entry, updated)
        return _answer(updated)

    def get_runtime_management_config(
        self, command: GetRuntimeManagementConfig
    ) -> RuntimeManagement:
        return _answer(_version(self._registry, command.function)[1])
