"""CreateFunction, GetFunction(Configuration), UpdateFunctionCode/Configuration,
DeleteFunction and ListFunctions, with Pending -> Active and InProgress -> Successful."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from lambdaport.errors import AwsError, invalid_parameter, resource_conflict
from lambdaport.lambda_.code import HOT_RELOAD_BUCKET, CodeStore
from lambdaport.lambda_.models import Code, FunctionSettings, FunctionVersion, now_timestamp
from lambdaport.lambda_.names import ALIAS_NAME, LATEST, FunctionRef, parse_function_ref
from lambdaport.lambda_.paging import paginate
from lambdaport.lambda_.registry import (
    FunctionEntry,
    FunctionRegistry,
    activated,
    not_found,
    revision_mismatch,
)
from lambdaport.lambda_.validation import (
    check_environment,
    check_function_name,
    check_handler,
    check_layers,
    check_memory,
    check_role,
    check_runtime,
    check_tag_count,
    check_timeout,
)
from lambdaport.request import RequestContext
from lambdaport.services.interfaces import ObjectStore

# Configuration members kept verbatim (the runtime does not act on them yet).
PASS_THROUGH = (
    "VpcConfig",
    "DeadLetterConfig",
    "KMSKeyArn",
    "TracingConfig",
    "Layers",
    "FileSystemConfigs",
    "ImageConfig",
    "EphemeralStorage",
    "LoggingConfig",
    "Architectures",
)

RetireHook = Callable[[str, str | None], None]


def ref_of(
    ctx: RequestContext, params: Mapping[str, Any], key: str = "FunctionName"
) -> FunctionRef:
    return parse_function_ref(str(params[key]), ctx.account_id, ctx.region, params.get("Qualifier"))


def _extra(params: Mapping[str, Any], base: Mapping[str, Any]) -> dict[str, Any]:
    extra = dict(base)
    for member in PASS_THROUGH:
        if member in params:
            value = params[member]
            if member == "Layers":
                value = [{"Arn": arn, "CodeSize": 0} for arn in value]
            if member == "VpcConfig":
                value = {"VpcId": "", **value}
            if member == "LoggingConfig":
                value = _logging_config(base.get(member) or {}, value)
            extra[member] = value
    return extra


def _logging_config(current: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """A LoggingConfig update changes what it names; back to Text, the log levels go."""
    merged = {**current, **given}
    if merged.get("LogFormat", "Text") == "Text":
        merged.pop("ApplicationLogLevel", None)
        merged.pop("SystemLogLevel", None)
    return merged


class FunctionService:
    def __init__(
        self,
        registry: FunctionRegistry,
        code: CodeStore,
        retire: RetireHook,
        watch: Callable[[str], None],
        objects: ObjectStore,
        code_location: Callable[[str, str], str],
    ) -> None:
        self._code_location = code_location  # (endpoint, package name) -> presigned URL
        self._registry = registry
        self._code = code
        self._retire = retire
        self._watch = watch
        self._objects = objects  # S3, for Code.S3Bucket/S3Key

    # -- code -------------------------------------------------------------------------

    def _code_from(self, params: Mapping[str, Any]) -> Code:
        zip_file = params.get("ZipFile")
        bucket, key = params.get("S3Bucket"), params.get("S3Key")
        if zip_file is not None:
            return self._code.save_zip(bytes(zip_file))
        if bucket == HOT_RELOAD_BUCKET and key:
            code = self._code.hot_reload(str(key))
            self._watch(code.hot_reload_dir)
            return code
        if bucket is not None:
            return self._code.save_zip(self._zip_from_s3(str(bucket), key, params))
        if params.get("ImageUri") is not None:
            raise invalid_parameter("Container image functions are not supported by lambdaport.")
        raise invalid_parameter("Please provide a source for function code.")

    def _zip_from_s3(self, bucket: str, key: Any, params: Mapping[str, Any]) -> bytes:
        """The package at S3Bucket/S3Key[/S3ObjectVersion], refused as Lambda refuses it."""
        if not key:
            raise invalid_parameter("S3Key is required when S3Bucket is given.")
        version = params.get("S3ObjectVersion")
        try:
            return self._objects.get_object_bytes(
                bucket, str(key), None if version is None else str(version)
            )
        except AwsError as error:
            raise invalid_parameter(
                f"Error occurred while GetObject. S3 Error Code: {error.code}. S3 Error Message: "
                f"{error.message}"
            ) from None

    def code_dir(self, version: FunctionVersion) -> str:
        return str(self._code.code_dir(version.code))

    # -- state transitions --------------------------------------------------------------

    def _settle(self, entry: FunctionEntry) -> None:
        """Pending -> Active and InProgress -> Successful once the call has answered."""

        def settle() -> None:
            current = self._registry.find(
                FunctionRef(entry.latest.account_id, entry.latest.region, entry.latest.name, None)
            )
            if current is entry:
                self._registry.set_latest(entry, activated(entry.latest))

        asyncio.get_running_loop().call_soon(settle)

    @staticmethod
    def _check_updatable(entry: FunctionEntry) -> None:
        latest = entry.latest
        if latest.state == "Pending" or latest.last_update_status == "InProgress":
            raise resource_conflict(
                "The operation cannot be performed at this time. An update is in progress for "
                f"resource: {latest.arn}"
            )

    @staticmethod
    def _check_revision(entry: FunctionEntry, params: Mapping[str, Any]) -> None:
        expected = params.get("RevisionId")
        if expected is not None and expected != entry.latest.revision_id:
            raise revision_mismatch()

    # -- operations ---------------------------------------------------------------------

    def create_function(self, ctx: RequestContext, params: Mapping[str, Any]) -> dict[str, Any]:
        ref = ref_of(ctx, params)
        if ref.qualifier is not None:
            raise invalid_parameter("Function name cannot contain a qualifier on create.")
        check_function_name(str(params["FunctionName"]), ref.name)
        if params.get("PackageType", "Zip") != "Zip":
            raise invalid_parameter("Container image functions are not supported by lambdaport.")
        runtime = check_runtime(params.get("Runtime"))
        handler = check_handler(params.get("Handler"), runtime)
        role = check_role(str(params["Role"]), ref.account_id)
        timeout = check_timeout(int(params.get("Timeout", 3)))
        memory_size = check_memory(int(params.get("MemorySize", 128)))
        environment = check_environment(params.get("Environment"))
        check_layers(params.get("Layers") or ())
        tags = dict(params.get("Tags") or {})
        check_tag_count(len(tags))
        if self._registry.find(ref) is not None:
            raise resource_conflict(f"Function already exist: {ref.name}")
        version = FunctionVersion(
            account_id=ref.account_id,
            region=ref.region,
            name=ref.name,
            version=LATEST,
            runtime=runtime,
            role=role,
            handler=handler,
            code=self._code_from(params.get("Code") or {}),
            description=str(params.get("Description", "")),
            timeout=timeout,
            memory_size=memory_size,
            environment=environment,
            revision_id=str(uuid.uuid4()),
            extra=_extra(params, {}),
        )
        entry = FunctionEntry(latest=version, settings=FunctionSettings(tags=tags))
        self._registry.save_function(entry)
        config = version.configuration()
        del config["LastUpdateStatus"]  # not yet: the function is being created
        if params.get("Publish"):
            from lambdaport.lambda_.versions import publish

            # AWS answers $LATEST's configuration with the number of the version published.
            config["Version"] = publish(self._registry, entry, activated(version), "").version
        self._settle(entry)
        return config

    def _found(self, ref: FunctionRef) -> FunctionEntry:
        """The function, or 404 naming the reference as asked (with its qualifier)."""
        entry = self._registry.find(ref)
        if entry is None:
            raise not_found(ref, ref.qualifier)
        return entry

    def _configuration(
        self, ref: FunctionRef
    ) -> tuple[FunctionEntry, FunctionVersion, dict[str, Any]]:
        """The version a reference names and its configuration, whose ``FunctionArn`` is the
        ARN as referenced: unqualified, ``:$LATEST``, ``:version`` or the alias's."""
        entry = self._found(ref)
        version = self._registry.version(entry, ref, ref.qualifier or LATEST)
        config = version.configuration()
        config["FunctionArn"] = ref.qualified_arn
        return entry, version, config

    def get_function(self, ctx: RequestContext, params: Mapping[str, Any]) -> dict[str, Any]:
        entry, version, config = self._configuration(ref_of(ctx, params))
        code: dict[str, Any] = {"RepositoryType": "S3"}
        if version.code.zip_hex:  # a hot-reload directory has no package to download
            code["Location"] = self._code_location(ctx.endpoint, f"{version.code.zip_hex}.zip")
        result: dict[str, Any] = {"Configuration": config, "Code": code}
        if entry.settings.tags:
            result["Tags"] = dict(entry.settings.tags)
        if entry.settings.reserved_concurrency is not None:
            result["Concurrency"] = {
                "ReservedConcurrentExecutions": entry.settings.reserved_concurrency
            }
        return result

    def get_function_configuration(
        self, ctx: RequestContext, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        return self._configuration(ref_of(ctx, params))[2]

    def update_function_code(
        self, ctx: RequestContext, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        ref = ref_of(ctx, params)
        if params.get("ImageUri") is not None:
            raise invalid_parameter(
                "Please don't provide ImageUri when updating a function with packageType Zip."
            )
        entry = self._registry.entry(ref)
        self._check_updatable(entry)
        self._check_revision(entry, params)
        code = self._code_from(params)
        extra = dict(entry.latest.extra)
        if "Architectures" in params:
            extra["Architectures"] = params["Architectures"]
        latest = replace(
            entry.latest,
            code=code,
            extra=extra,
            last_modified=now_timestamp(),
            revision_id=str(uuid.uuid4()),
            last_update_status="InProgress",
        )
        if params.get("DryRun"):
            return replace(latest, last_update_status="Successful").configuration()
        self._registry.set_latest(entry, latest)
        self._retire(latest.arn, LATEST)
        if params.get("Publish"):
            from lambdaport.lambda_.versions import publish

            publish(self._registry, entry, activated(latest), "")
        self._settle(entry)
        return latest.configuration()

    def update_function_configuration(
        self, ctx: RequestContext, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        ref = ref_of(ctx, params)
        if "Runtime" in params:  # parameters first, then the function (as AWS validates)
            check_runtime(params["Runtime"])
        if "Role" in params:
            check_role(str(params["Role"]), ref.account_id)
        check_layers(params.get("Layers") or ())
        entry = self._registry.entry(ref)
        self._check_updatable(entry)
        self._check_revision(entry, params)
        current = entry.latest
        changes: dict[str, Any] = {
            "runtime": params.get("Runtime", current.runtime),
            "handler": params.get("Handler", current.handler),
            "role": params.get("Role", current.role),
            "description": params.get("Description", current.description),
            "timeout": check_timeout(int(params.get("Timeout", current.timeout))),
            "memory_size": check_memory(int(params.get("MemorySize", current.memory_size))),
            "extra": _extra(params, current.extra),
        }
        if "Environment" in params:
            changes["environment"] = check_environment(params["Environment"])
        latest = replace(
            current,
            **changes,
            last_modified=now_timestamp(),
            revision_id=str(uuid.uuid4()),
            last_update_status="InProgress",
        )
        self._registry.set_latest(entry, latest)
        self._retire(latest.arn, LATEST)
        self._settle(entry)
        return latest.configuration()

    def delete_function(self, ctx: RequestContext, params: Mapping[str, Any]) -> dict[str, Any]:
        ref = ref_of(ctx, params)
        qualifier = ref.qualifier
        if qualifier == LATEST:
            raise invalid_parameter(
                "$LATEST version cannot be deleted without deleting the function."
            )
        if qualifier is not None and ALIAS_NAME.match(qualifier):
            raise invalid_parameter("Deletion of aliases is not currently supported.")
        entry = self._registry.entry(ref)
        if qualifier is None:
            self._registry.delete_function(entry)
            self._retire(entry.latest.arn, None)
            return {"StatusCode": 204}
        if qualifier not in entry.versions:
            return {"StatusCode": 204}  # AWS: deleting a version that is not there succeeds
        using = [a.name for a in entry.aliases.values() if a.function_version == qualifier]
        if using:
            raise resource_conflict(
                f"Unable to delete version because the following aliases reference it: {using}"
            )
        self._registry.delete_version(entry, qualifier)
        self._retire(entry.latest.arn, qualifier)
        return {"StatusCode": 204}

    def list_functions(self, ctx: RequestContext, params: Mapping[str, Any]) -> dict[str, Any]:
        configs: list[dict[str, Any]] = []
        all_versions = params.get("FunctionVersion") == "ALL"
        for entry in self._registry.functions(ctx.account_id, ctx.region):
            configs.append(entry.latest.configuration())
            if all_versions:
                for number in sorted(entry.versions, key=int):
                    configs.append(entry.versions[number].configuration())
        page, next_marker = paginate(configs, params.get("Marker"), params.get("MaxItems"), 50)
        result: dict[str, Any] = {"Functions": page}
        if next_marker:
            result["NextMarker"] = next_marker
        return result
