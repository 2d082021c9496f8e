"""Put/Update/Get/Delete/ListFunctionEventInvokeConfig(s): how asynchronous invocations of a
function, version or alias are retried and where their outcomes go (AWS-SEMANTICS.md A.4).

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
from typing import Any

from lambdaport.errors import AwsError, invalid_parameter, resource_not_found
from lambdaport.invoke.model import EventInvokeConfig
from lambdaport.lambda_.functions import ref_of
from lambdaport.lambda_.names import LATEST, FunctionRef, function_arn, parse_function_ref
from lambdaport.lambda_.paging import paginate
from lambdaport.lambda_.registry import FunctionEntry, FunctionRegistry
from lambdaport.request import RequestContext
from lambdaport.store import Store

KIND = "event_invoke_config"
Key = tuple[str, str, str, str]  # account, region, function name, qualifier
_SETTINGS = ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")
_SERVICES = {"OnSuccess": {"sqs", "sns", "lambda", "events"}}
_SERVICES["OnFailure"] = _SERVICES["OnSuccess"] | {"s3"}


def _destination(config: Mapping[str, Any], member: str) -> str | None:
    value = (config.get(member) or {}).get("Destination")
    return str(value) if value else None


def _normalized(destinations: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for member in ("OnSuccess", "OnFailure"):
        arn = _destination(destinations, member)
        result[member] = {"Destination": arn} if arn else {}
    return result


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


def _check_settings(params: Mapping[str, Any]) -> None:
    if not any(params.get(member) is not None for member in _SETTINGS):
        raise invalid_parameter(
            "You must specify at least one of error handling or destination setting."
        )


class EventInvokeConfigService:
    def __init__(self, registry: FunctionRegistry, store: Store) -> None:
        self._registry = registry
        self._store = store
        self._configs: dict[Key, dict[str, Any]] = {}
        for (account, region, name, qualifier), body in store.scan(KIND):
            self._configs[(account, region, name, qualifier)] = body

    # -- the invoke path ----------------------------------------------------------------

    def lookup(
        self, account_id: str, region: str, name: str, qualifier: str
    ) -> EventInvokeConfig | None:
        body = self._configs.get((account_id, region, name, qualifier))
        if body is None:
            return None
        destinations = body.get("DestinationConfig") or {}
        return EventInvokeConfig(
            maximum_retry_attempts=int(body.get("MaximumRetryAttempts", 2)),
            maximum_event_age_in_seconds=int(body.get("MaximumEventAgeInSeconds", 21600)),
            on_success=_destination(destinations, "OnSuccess"),
            on_failure=_destination(destinations, "OnFailure"),
        )

    def function_deleted(self, arn: str) -> None:
        """Deleting a function (its unqualified ARN) deletes its configs: a new function of
        that name has none."""
        _, _, _, region, account_id, _, name = arn.split(":", 6)
        for key in [k for k in self._configs if k[:3] == (account_id, region, name)]:
            del self._configs[key]
        self._store.delete_prefix(KIND, (account_id, region, name))

    # -- helpers --------------------------------------------------------------------------

    def _reference(self, ctx: RequestContext, params: Mapping[str, Any]) -> Key:
        ref = ref_of(ctx, params)
        return (ref.account_id, ref.region, ref.name, ref.qualifier or LATEST)

    def _existing_function(self, ctx: RequestContext, params: Mapping[str, Any]) -> Key:
        """Put and Update: the function and qualifier must exist."""
        key = self._reference(ctx, params)
        entry = self._registry.find(FunctionRef(key[0], key[1], key[2], None))
        if entry is None or not _has_qualifier(entry, key[3]):
            raise _function_missing()
        return key

    def _check_destinations(self, key: Key, destinations: Mapping[str, Any]) -> None:
        """Each destination names a service that takes it (the model checked the ARN's
        form); a Lambda destination is an existing function other than this one."""
        arns = {member: _destination(destinations, member) for member in _SERVICES}
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

    @staticmethod
    def _response(key: Key, body: Mapping[str, Any]) -> dict[str, Any]:
        account, region, name, qualifier = key
        result: dict[str, Any] = {
            "LastModified": body["LastModified"],
            "FunctionArn": function_arn(region, account, name, qualifier),
        }
        for member in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds"):
            if member in body:
                result[member] = body[member]
        result["DestinationConfig"] = _normalized(body.get("DestinationConfig") or {})
        return result

    def _existing(self, key: Key) -> dict[str, Any]:
        body = self._configs.get(key)
        if body is None:
            raise _no_config(key)
        return body

    def _save(self, key: Key, body: dict[str, Any]) -> dict[str, Any]:
        self._store.put(KIND, key, body)
        self._configs[key] = body
        return self._response(key, body)

    # -- operations -----------------------------------------------------------------------

    def put_function_event_invoke_config(
        self, ctx: RequestContext, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        _check_settings(params)
        key = self._existing_function(ctx, params)
        destinations = params.get("DestinationConfig") or {}
        self._check_destinations(key, destinations)
        body: dict[str, Any] = {"LastModified": time.time()}
        for member in _SETTINGS[:2]:
            if params.get(member) is not None:
                body[member] = int(params[member])
        body["DestinationConfig"] = _normalized(destinations)
        return self._save(key, body)

    def update_function_event_invoke_config(
        self, ctx: RequestContext, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        _check_settings(params)
        key = self._existing_function(ctx, params)
        body = dict(self._existing(key))
        for member in _SETTINGS[:2]:
            if params.get(member) is not None:
                body[member] = int(params[member])
        given = params.get("DestinationConfig")
        if given is not None:
            self._check_destinations(key, given)
            merged = dict(body.get("DestinationConfig") or {})
            for member in ("OnSuccess", "OnFailure"):
                if member in given:
                    merged[member] = given[member] or {}
            body["DestinationConfig"] = _normalized(merged)
        body["LastModified"] = time.time()
        return self._save(key, body)

    def get_function_event_invoke_config(
        self, ctx: RequestContext, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        key = self._reference(ctx, params)
        return self._response(key, self._existing(key))

    def delete_function_event_invoke_config(
        self, ctx: RequestContext, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        key = self._reference(ctx, params)
        self._existing(key)
        del self._configs[key]
        self._store.delete(KIND, key)
        return {}

    def list_function_event_invoke_configs(
        self, ctx: RequestContext, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        ref = ref_of(ctx, params)
        entry = self._registry.find(ref)
        if entry is None:
            raise _function_missing()
        prefix = (ref.account_id, ref.region, ref.name)
        configs = [
            self._response(key, body)
            for key, body in sorted(self._configs.items())
            if key[:3] == prefix and _has_qualifier(entry, key[3])
        ]
        page, marker = paginate(configs, params.get("Marker"), params.get("MaxItems"), 50)
        result: dict[str, Any] = {"FunctionEventInvokeConfigs": page}
        if marker:
            result["NextMarker"] = marker
        return result


def _has_qualifier(entry: FunctionEntry, qualifier: str) -> bool:
    return qualifier == LATEST or qualifier in entry.versions or qualifier in entry.aliases
