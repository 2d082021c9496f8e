"""CreateFunction, GetFunction(Configuration), UpdateFunctionCode/Configuration,
DeleteFunction and ListFunctions, with Pending -> Active and InProgress -> Successful."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

from lambdaport.errors import invalid_parameter, resource_conflict
from lambdaport.lambda_.code import (
    HOT_RELOAD_BUCKET,
    UNZIPPED_LIMIT,
    CodeStore,
    package_from_s3,
)
from lambdaport.lambda_.commands import (
    CreateFunction,
    DeleteFunction,
    FunctionCode,
    GetFunction,
    GetFunctionConfiguration,
    ListFunctions,
    UpdateFunctionCode,
    UpdateFunctionConfiguration,
)
from lambdaport.lambda_.layer_registry import LayerRegistry, combined_size_error
from lambdaport.lambda_.models import (
    Code,
    FunctionConfiguration,
    FunctionDetails,
    FunctionLayer,
    FunctionSettings,
    FunctionVersion,
    LoggingConfig,
    now_timestamp,
)
from lambdaport.lambda_.names import ALIAS_NAME, LATEST, FunctionRef
from lambdaport.lambda_.paging import Page, paginate
from lambdaport.lambda_.registry import (
    FunctionEntry,
    FunctionRegistry,
    activated,
    not_found,
    revision_mismatch,
)
from lambdaport.lambda_.validation import (
    check_environment,
    check_ephemeral_storage,
    check_handler,
    check_memory,
    check_role,
    check_runtime,
    check_tag_count,
    check_timeout,
)
from lambdaport.services.interfaces import ObjectStore

RetireHook = Callable[[str, str | None], None]


class CodeSigningCheck(Protocol):
    """What deployments ask of the code signing configs (``lambda_.code_signing``)."""

    def check_config(self, arn: str, account_id: str, region: str) -> str: ...

    def check_deployment(self, arn: str | None, function_arn: str) -> None: ...


class _NoCodeSigning:
    def check_config(self, arn: str, account_id: str, region: str) -> str:
        return arn

    def check_deployment(self, arn: str | None, function_arn: str) -> None:
        return None


class FunctionService:
    def __init__(
        self,
        registry: FunctionRegistry,
        code: CodeStore,
        retire: RetireHook,
        watch: Callable[[str], None],
        objects: ObjectStore,
        layers: LayerRegistry,
        code_signing: CodeSigningCheck | None = None,
    ) -> None:
        self._registry = registry
        self._layers = layers
        self._code = code
        self._retire = retire
        self._watch = watch
        self._objects = objects  # S3, for Code.S3Bucket/S3Key
        self._code_signing = code_signing or _NoCodeSigning()
        self._settling: set[asyncio.Task[None]] = set()

    # -- code -------------------------------------------------------------------------

    async def _code_from(self, source: FunctionCode) -> Code:
        """The version's code; a package is extracted in a worker thread, off the loop."""
        bucket, key = source.s3_bucket, source.s3_key
        if source.zip_file is not None:
            return await asyncio.to_thread(self._code.save_zip, source.zip_file)
        if bucket == HOT_RELOAD_BUCKET and key:
            code = self._code.hot_reload(key)
            self._watch(code.hot_reload_dir)
            return code
        if bucket is not None:
            data = await package_from_s3(self._objects, bucket, key, source.s3_object_version)
            return await asyncio.to_thread(self._code.save_zip, data)
        if source.image_uri is not None:
            raise invalid_parameter("Container image functions are not supported by lambdaport.")
        raise invalid_parameter("Please provide a source for function code.")

    def _function_layers(
        self, ref: FunctionRef, arns: tuple[str, ...] | None
    ) -> tuple[FunctionLayer, ...] | None:
        """The layer versions named, checked (``LayerRegistry.function_layers``)."""
        if arns is None:
            return None
        return self._layers.function_layers(arns, ref.account_id, ref.region)

    async def _merge(self, code: Code, layers: tuple[FunctionLayer, ...] | None) -> None:
        """The package and its layers within 250 MB unzipped, and the layers merged (the
        directory the runtime gets as ``/opt``), off the loop."""
        if not layers:
            return
        size = code.unzipped_size + sum(layer.code.unzipped_size for layer in layers)
        if size > UNZIPPED_LIMIT:
            raise combined_size_error(size, UNZIPPED_LIMIT)
        await asyncio.to_thread(self._code.merged_layers, [layer.code for layer in layers])

    # -- state transitions --------------------------------------------------------------

    def _settle(self, entry: FunctionEntry) -> None:
        """Pending -> Active and InProgress -> Successful once the call has answered."""

        async def settle() -> None:
            current = self._registry.find(
                FunctionRef(entry.latest.account_id, entry.latest.region, entry.latest.name, None)
            )
            if current is entry:
                await self._registry.set_latest(entry, activated(entry.latest))

        task = asyncio.get_running_loop().create_task(settle())
        self._settling.add(task)
        task.add_done_callback(self._settling.discard)

    @staticmethod
    def _check_updatable(entry: FunctionEntry) -> None:
        latest = entry.latest
        if latest.state == "Pending" or latest.last_update_status == "InProgress":
            raise resource_conflict(
                "The operation cannot be performed at this time. An update is in progress for "
                f"resource: {latest.arn}"
            )

    @staticmethod
    def _check_revision(entry: FunctionEntry, expected: str | None) -> None:
        if expected is not None and expected != entry.latest.revision_id:
            raise revision_mismatch()

    # -- operations ---------------------------------------------------------------------

    async def create_function(self, command: CreateFunction) -> FunctionConfiguration:
        ref = command.function
        if command.package_type != "Zip":
            raise invalid_parameter("Container image functions are not supported by lambdaport.")
        runtime = check_runtime(command.runtime)
        handler = check_handler(command.handler, runtime)
        role = check_role(command.role, ref.account_id)
        timeout = check_timeout(command.timeout)
        memory_size = check_memory(command.memory_size)
        environment = check_environment(command.environment)
        layers = self._function_layers(ref, command.layers)
        ephemeral_storage = check_ephemeral_storage(command.ephemeral_storage) or 512
        check_tag_count(len(command.tags))
        signing = command.code_signing_config_arn
        if signing is not None:
            self._code_signing.check_config(signing, ref.account_id, ref.region)
        if self._registry.find(ref) is not None:
            raise resource_conflict(f"Function already exist: {ref.name}")
        self._code_signing.check_deployment(signing, ref.arn)
        code = await self._code_from(command.code)  # extracted off the loop
        await self._merge(code, layers)
        if self._registry.find(ref) is not None:  # created while the code was extracted
            raise resource_conflict(f"Function already exist: {ref.name}")
        version = FunctionVersion(
            account_id=ref.account_id,
            region=ref.region,
            name=ref.name,
            version=LATEST,
            runtime=runtime,
            role=role,
            handler=handler,
            code=code,
            description=command.description,
            timeout=timeout,
            memory_size=memory_size,
            environment=environment,
            revision_id=str(uuid.uuid4()),
            architectures=command.architectures or ("x86_64",),
            logging_config=_logging_config(LoggingConfig(), command.logging_config),
            layers=layers,
            ephemeral_storage=ephemeral_storage,
            extra=dict(command.extra),
        )
        settings = FunctionSettings(tags=dict(command.tags), code_signing_config_arn=signing)
        entry = FunctionEntry(latest=version, settings=settings)
        await self._registry.save_function(entry)
        # Not yet LastUpdateStatus: the function is being created.
        config = replace(FunctionConfiguration.of(version), creating=True)
        if command.publish:
            # AWS answers $LATEST's configuration with the number of the version published.
            published = await self._registry.publish(entry, activated(version), "")
            config = replace(config, version=published.version)
        self._settle(entry)
        return config

    def _found(self, ref: FunctionRef) -> FunctionEntry:
        """The function, or 404 naming the reference as asked (with its qualifier)."""
        entry = self._registry.find(ref)
        if entry is None:
            raise not_found(ref, ref.qualifier)
        return entry

    def _configuration(self, ref: FunctionRef) -> tuple[FunctionEntry, FunctionConfiguration]:
        """The version a reference names and its configuration, whose ``FunctionArn`` is the
        ARN as referenced: unqualified, ``:$LATEST``, ``:version`` or the alias's."""
        entry = self._found(ref)
        version = self._registry.version(entry, ref, ref.qualifier or LATEST)
        return entry, FunctionConfiguration.of(version, ref.qualified_arn)

    def get_function(self, command: GetFunction) -> FunctionDetails:
        entry, config = self._configuration(command.function)
        return FunctionDetails(
            configuration=config,
            code=config.record.code,
            tags=dict(entry.settings.tags),
            reserved_concurrency=entry.settings.reserved_concurrency,
        )

    def get_function_configuration(
        self, command: GetFunctionConfiguration
    ) -> FunctionConfiguration:
        return self._configuration(command.function)[1]

    async def update_function_code(self, command: UpdateFunctionCode) -> FunctionConfiguration:
        if command.code.image_uri is not None:
            raise invalid_parameter(
                "Please don't provide ImageUri when updating a function with packageType Zip."
            )
        entry = self._registry.entry(command.function)
        self._check_updatable(entry)
        self._check_revision(entry, command.revision_id)
        self._code_signing.check_deployment(
            entry.settings.code_signing_config_arn, entry.latest.arn
        )
        code = await self._code_from(command.code)  # extracted off the loop
        await self._merge(code, self._registry.entry(command.function).latest.layers)
        entry = self._registry.entry(command.function)  # as it is now: it may have changed
        self._check_updatable(entry)
        self._check_revision(entry, command.revision_id)
        latest = replace(
            entry.latest,
            code=code,
            architectures=command.architectures or entry.latest.architectures,
            last_modified=now_timestamp(),
            revision_id=str(uuid.uuid4()),
            last_update_status="InProgress",
        )
        if command.dry_run:
            return FunctionConfiguration.of(replace(latest, last_update_status="Successful"))
        await self._registry.set_latest(entry, latest)
        self._retire(latest.arn, LATEST)
        if command.publish:
            await self._registry.publish(entry, activated(latest), "")
        self._settle(entry)
        return FunctionConfiguration.of(latest)

    async def update_function_configuration(
        self, command: UpdateFunctionConfiguration
    ) -> FunctionConfiguration:
        ref = command.function
        if command.runtime is not None:  # parameters first, then the function (as AWS does)
            check_runtime(command.runtime)
        if command.role is not None:
            check_role(command.role, ref.account_id)
        layers = self._function_layers(ref, command.layers)
        ephemeral_storage = check_ephemeral_storage(command.ephemeral_storage)
        entry = self._registry.entry(ref)
        self._check_updatable(entry)
        self._check_revision(entry, command.revision_id)
        if layers is not None:
            await self._merge(entry.latest.code, layers)
            entry = self._registry.entry(ref)  # as it is now: it may have changed
            self._check_updatable(entry)
            self._check_revision(entry, command.revision_id)
        current = entry.latest
        timeout = command.timeout if command.timeout is not None else current.timeout
        memory_size = (
            command.memory_size if command.memory_size is not None else current.memory_size
        )
        changes: dict[str, Any] = {
            "runtime": _given(command.runtime, current.runtime),
            "handler": _given(command.handler, current.handler),
            "role": _given(command.role, current.role),
            "description": _given(command.description, current.description),
            "timeout": check_timeout(timeout),
            "memory_size": check_memory(memory_size),
            "layers": layers if layers is not None else current.layers,
            "logging_config": _logging_config(current.logging_config, command.logging_config),
            "ephemeral_storage": ephemeral_storage or current.ephemeral_storage,
            "extra": {**current.extra, **command.extra},
        }
        if command.environment is not None:
            changes["environment"] = check_environment(command.environment)
        latest = replace(
            current,
            **changes,
            last_modified=now_timestamp(),
            revision_id=str(uuid.uuid4()),
            last_update_status="InProgress",
        )
        await self._registry.set_latest(entry, latest)
        self._retire(latest.arn, LATEST)
        self._settle(entry)
        return FunctionConfiguration.of(latest)

    async def delete_function(self, command: DeleteFunction) -> None:
        ref = command.function
        qualifier = ref.qualifier
        if qualifier == LATEST:
            raise invalid_parameter(
                "$LATEST version cannot be deleted without deleting the function."
            )
        if qualifier is not None and ALIAS_NAME.match(qualifier):
            raise invalid_parameter("Deletion of aliases is not currently supported.")
        entry = self._registry.entry(ref)
        if qualifier is None:
            await self._registry.delete_function(entry)
            self._retire(entry.latest.arn, None)
            return
        if qualifier not in entry.versions:
            return  # AWS: deleting a version that is not there succeeds
        using = [a.name for a in entry.aliases.values() if a.function_version == qualifier]
        if using:
            raise resource_conflict(
                f"Unable to delete version because the following aliases reference it: {using}"
            )
        await self._registry.delete_version(entry, qualifier)
        self._retire(entry.latest.arn, qualifier)

    def list_functions(self, command: ListFunctions) -> Page[FunctionConfiguration]:
        configs: list[FunctionConfiguration] = []
        all_versions = command.function_version == "ALL"
        for entry in self._registry.functions(command.account_id, command.region):
            configs.append(FunctionConfiguration.of(entry.latest))
            if all_versions:
                for number in sorted(entry.versions, key=int):
                    configs.append(FunctionConfiguration.of(entry.versions[number]))
        return paginate(configs, command.paging)


def _given(value: str | None, current: str) -> str:
    return current if value is None else value


def _logging_config(current: LoggingConfig, given: LoggingConfig | None) -> LoggingConfig:
    return current if given is None else current.updated(given)
