"""Put/Update/Get/Delete/ListFunctionEventInvokeConfig(s): how asynchronous invocations of a
function, version or alias are retried and where their outcomes go
(https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configuring.html).

Configs are kept in memory (the invoke path reads them through :meth:`lookup`) and written
through to the store as ``event_invoke_config`` documents keyed by account, region, function
name and qualifier (``$LATEST``, a version or an alias). The protocol layer has already
checked the ranges (MaximumRetryAttempts 0-2, MaximumEventAgeInSeconds 60-21600) against the
botocore model; this module checks what the model cannot (destination ARNs, that something
is configured, that the qualifier exists).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from lambdaport.errors import AwsError, invalid_parameter, resource_not_found
from lambdaport.invoke.model import EventInvokeConfig
from lambdaport.lambda_.commands import (
    DeleteFunctionEventInvokeConfig,
    Destination,
    DestinationConfig,
    GetFunctionEventInvokeConfig,
    ListFunctionEventInvokeConfigs,
    PutFunctionEventInvokeConfig,
    UpdateFunctionEventInvokeConfig,
)
from lambdaport.lambda_.models import FunctionEventInvokeConfig
from lambdaport.lambda_.names import LATEST, FunctionRef, function_arn, parse_function_ref
from lambdaport.lambda_.paging import Page, paginate
from lambdaport.lambda_.registry import EVENT_INVOKE_CONFIG, FunctionEntry, FunctionRegistry
from lambdaport.store.documents import Delete, Documents, Put

KIND = EVENT_INVOKE_CONFIG
Key = tuple[str, str, str, str]  # account, region, function name, qualifier
_SERVICES = {"OnSuccess": {"sqs", "sns", "lambda", "events"}}
_SERVICES["OnFailure"] = _SERVICES["OnSuccess"] | {"s3"}
ConfigCommand = PutFunctionEventInvokeConfig | UpdateFunctionEventInvokeConfig


def _function_missing() -> AwsError:
    return resource_not_found("The function doesn't exist.")


def _no_config(key: Key) -> AwsError:
    arn = function_arn(key[1], key[0], key[2], key[3])
    return resource_not_found(f"The function {arn} doesn't have an EventInvokeConfig")


def _described(arns: Mapping[str, str | None]) -> str:
    """``DestinationConfig(onSuccess=OnSuccess(destination=arn), onFailure=null)``."""
    parts = [
        f"{member[0].lower()}{member[1:]}=" + (f"{member}(destination={arn})" if arn else "null")
        for member, arn in arns.items()
    ]
    return f"DestinationConfig({', '.join(parts)})"


def _check_settings(command: ConfigCommand) -> None:
    if (
        command.maximum_retry_attempts is None
        and command.maximum_event_age_in_seconds is None
        and command.destination_config is None
    ):
        raise invalid_parameter(
            "You must specify at least one of error handling or destination setting."
        )


def _arn(given: Destination | None) -> str | None:
    return None if given is None else given.destination


def _key(ref: FunctionRef) -> Key:
    return (ref.account_id, ref.region, ref.name, ref.qualifier or LATEST)


# -- the store's documents: the API's shape, kept as it always was --------------------------


def _from_document(key: Key, body: Mapping[str, Any]) -> FunctionEventInvokeConfig:
    destinations = body.get("DestinationConfig") or {}

    def destination(member: str) -> str | None:
        value = (destinations.get(member) or {}).get("Destination")
        return str(value) if value else None

    retries, age = body.get("MaximumRetryAttempts"), body.get("MaximumEventAgeInSeconds")
    return FunctionEventInvokeConfig(
        function_arn=function_arn(key[1], key[0], key[2], key[3]),
        last_modified=float(body["LastModified"]),
        maximum_retry_attempts=None if retries is None else int(retries),
        maximum_event_age_in_seconds=None if age is None else int(age),
        on_success=destination("OnSuccess"),
        on_failure=destination("OnFailure"),
    )


def _to_document(config: FunctionEventInvokeConfig) -> dict[str, Any]:
    body: dict[str, Any] = {"LastModified": config.last_modified}
    if config.maximum_retry_attempts is not None:
        body["MaximumRetryAttempts"] = config.maximum_retry_attempts
    if config.maximum_event_age_in_seconds is not None:
        body["MaximumEventAgeInSeconds"] = config.maximum_event_age_in_seconds
    body["DestinationConfig"] = {
        member: {"Destination": arn} if arn else {}
        for member, arn in (("OnSuccess", config.on_success), ("OnFailure", config.on_failure))
    }
    return body


class EventInvokeConfigService:
    """The configs are documents; ``_configs`` is this node's cache of them (loaded at start,
    written through), for the invoke path."""

    def __init__(self, registry: FunctionRegistry, documents: Documents) -> None:
        self._registry = registry
        self._documents = documents
        self._configs: dict[Key, FunctionEventInvokeConfig] = {}

    async def load(self) -> None:
        configs: dict[Key, FunctionEventInvokeConfig] = {}
        for (account, region, name, qualifier), body in await self._documents.scan(KIND):
            key = (account, region, name, qualifier)
            configs[key] = _from_document(key, body)
        self._configs = configs

    # -- the invoke path ----------------------------------------------------------------

    def lookup(
        self, account_id: str, region: str, name: str, qualifier: str
    ) -> EventInvokeConfig | None:
        config = self._configs.get((account_id, region, name, qualifier))
        if config is None:
            return None
        retries, age = config.maximum_retry_attempts, config.maximum_event_age_in_seconds
        return EventInvokeConfig(
            maximum_retry_attempts=2 if retries is None else retries,
            maximum_event_age_in_seconds=21600 if age is None else age,
            on_success=config.on_success,
            on_failure=config.on_failure,
        )

    def function_deleted(self, arn: str) -> None:
        """Deleting a function (its unqualified ARN) deletes its configs: a new function of
        that name has none (the registry deletes their documents with the function's)."""
        _, _, _, region, account_id, _, name = arn.split(":", 6)
        for key in [k for k in self._configs if k[:3] == (account_id, region, name)]:
            del self._configs[key]

    # -- helpers --------------------------------------------------------------------------

    def _existing_function(self, ref: FunctionRef) -> Key:
        """Put and Update: the function and qualifier must exist."""
        key = _key(ref)
        entry = self._registry.find(FunctionRef(key[0], key[1], key[2], None))
        if entry is None or not _has_qualifier(entry, key[3]):
            raise _function_missing()
        return key

    def _check_destinations(self, key: Key, destinations: DestinationConfig) -> None:
        """Each destination names a service that takes it (the model checked the ARN's
        form); a Lambda destination is an existing function other than this one."""
        arns = {
            "OnSuccess": _arn(destinations.on_success),
            "OnFailure": _arn(destinations.on_failure),
        }
        for member, arn in arns.items():
            if arn is None:
                continue
            service = arn.split(":")[2] if arn.startswith("arn:") else ""
            if service not in _SERVICES[member]:
                raise invalid_parameter(
                    f"The provided destination config {_described(arns)} is invalid."
                )
            if service == "lambda":
                self._check_function_destination(key, arn)

    def _check_function_destination(self, key: Key, arn: str) -> None:
        try:
            ref = parse_function_ref(arn, key[0], key[1])
        except AwsError:
            ref = None
        if ref is None or self._registry.find(ref) is None:
            raise invalid_parameter(f"The destination ARN {arn} is invalid.")
        if (ref.account_id, ref.region, ref.name) == key[:3]:
            raise invalid_parameter("You can't specify the function as a destination for itself.")

    def _existing(self, key: Key) -> FunctionEventInvokeConfig:
        config = self._configs.get(key)
        if config is None:
            raise _no_config(key)
        return config

    async def _save(self, key: Key, config: FunctionEventInvokeConfig) -> FunctionEventInvokeConfig:
        self._configs[key] = config
        await self._documents.write([Put(KIND, key, _to_document(config))])
        return config

    # -- operations -----------------------------------------------------------------------

    async def put_function_event_invoke_config(
        self, command: PutFunctionEventInvokeConfig
    ) -> FunctionEventInvokeConfig:
        _check_settings(command)
        key = self._existing_function(command.function)
        destinations = command.destination_config or DestinationConfig()
        self._check_destinations(key, destinations)
        config = FunctionEventInvokeConfig(
            function_arn=function_arn(key[1], key[0], key[2], key[3]),
            last_modified=time.time(),
            maximum_retry_attempts=command.maximum_retry_attempts,
            maximum_event_age_in_seconds=command.maximum_event_age_in_seconds,
            on_success=_arn(destinations.on_success),
            on_failure=_arn(destinations.on_failure),
        )
        return await self._save(key, config)

    async def update_function_event_invoke_config(
        self, command: UpdateFunctionEventInvokeConfig
    ) -> FunctionEventInvokeConfig:
        _check_settings(command)
        key = self._existing_function(command.function)
        config = self._existing(key)
        if command.maximum_retry_attempts is not None:
            config = replace(config, maximum_retry_attempts=command.maximum_retry_attempts)
        if command.maximum_event_age_in_seconds is not None:
            age = command.maximum_event_age_in_seconds
            config = replace(config, maximum_event_age_in_seconds=age)
        given = command.destination_config
        if given is not None:
            self._check_destinations(key, given)
            if given.on_success is not None:
                config = replace(config, on_success=given.on_success.destination)
            if given.on_failure is not None:
                config = replace(config, on_failure=given.on_failure.destination)
        return await self._save(key, replace(config, last_modified=time.time()))

    def get_function_event_invoke_config(
        self, command: GetFunctionEventInvokeConfig
    ) -> FunctionEventInvokeConfig:
        return self._existing(_key(command.function))

    async def delete_function_event_invoke_config(
        self, command: DeleteFunctionEventInvokeConfig
    ) -> None:
        key = _key(command.function)
        self._existing(key)
        del self._configs[key]
        await self._documents.write([Delete(KIND, key)])

    def list_function_event_invoke_configs(
        self, command: ListFunctionEventInvokeConfigs
    ) -> Page[FunctionEventInvokeConfig]:
        ref = command.function
        entry = self._registry.find(ref)
        if entry is None:
            raise _function_missing()
        prefix = (ref.account_id, ref.region, ref.name)
        configs = [
            config
            for key, config in sorted(self._configs.items())
            if key[:3] == prefix and _has_qualifier(entry, key[3])
        ]
        return paginate(configs, command.paging)


def _has_qualifier(entry: FunctionEntry, qualifier: str) -> bool:
    return qualifier == LATEST or qualifier in entry.versions or qualifier in entry.aliases
