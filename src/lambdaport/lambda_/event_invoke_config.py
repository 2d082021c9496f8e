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

import re
import time
from collections.abc import Mapping
from typing import Any

from lambdaport.errors import invalid_parameter, resource_not_found
from lambdaport.invoke.model import EventInvokeConfig
from lambdaport.lambda_.functions import ref_of
from lambdaport.lambda_.names import LATEST, FunctionRef, function_arn
from lambdaport.lambda_.paging import paginate
from lambdaport.lambda_.registry import FunctionEntry, FunctionRegistry
from lambdaport.request import RequestContext
from lambdaport.store import Store

KIND = "event_invoke_config"
Key = tuple[str, str, str, str]  # account, region, function name, qualifier
_DESTINATION = re.compile(r"^arn:aws[a-zA-Z-]*:(sqs|sns|lambda|events|s3):[a-z0-9-]*:(\d{12})?:.+$")
_ON_SUCCESS_SERVICES = frozenset({"sqs", "sns", "lambda", "events"})
_ON_FAILURE_SERVICES = _ON_SUCCESS_SERVICES | {"s3"}


def _destination(config: Mapping[str, Any], member: str) -> str | None:
    value = (config.get(member) or {}).get("Destination")
    return str(value) if value else None


def _check_destinations(destinations: Mapping[str, Any]) -> None:
    for member, services in (
        ("OnSuccess", _ON_SUCCESS_SERVICES),
        ("OnFailure", _ON_FAILURE_SERVICES),
    ):
        arn = _destination(destinations, member)
        if arn is None:
            continue
        match = _DESTINATION.match(arn)
        if match is None or match[1] not in services or len(arn) > 350:
            raise invalid_parameter(
                f"The provided destination config DestinationConfig({member}={arn}) is invalid: "
                f"{member} destinations must be the ARN of "
                + (
                    "an SQS queue, SNS topic, Lambda function, EventBridge bus or S3 bucket."
                    if member == "OnFailure"
                    else "an SQS queue, SNS topic, Lambda function or EventBridge bus."
                )
            )


def _normalized(destinations: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for member in ("OnSuccess", "OnFailure"):
        arn = _destination(destinations, member)
        result[member] = {"Destination": arn} if arn else {}
    return result


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

    def _target(self, ctx: RequestContext, params: Mapping[str, Any]) -> tuple[FunctionRef, Key]:
        ref = ref_of(ctx, params)
        entry = self._registry.entry(ref)
        qualifier = ref.qualifier or LATEST
        self._check_qualifier(entry, ref, qualifier)
        return ref, (ref.account_id, ref.region, ref.name, qualifier)

    @staticmethod
    def _check_qualifier(entry: FunctionEntry, ref: FunctionRef, qualifier: str) -> None:
        if qualifier == LATEST or qualifier in entry.versions or qualifier in entry.aliases:
            return
        raise resource_not_found(f"Function not found: {ref.arn}:{qualifier}")

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

    def _existing(self, ref: FunctionRef, key: Key) -> dict[str, Any]:
        body = self._configs.get(key)
        if body is None:
            arn = function_arn(key[1], key[0], key[2], key[3])
            raise resource_not_found(f"The function {arn} doesn't have an EventInvokeConfig")
        return body

    def _save(self, key: Key, body: dict[str, Any]) -> dict[str, Any]:
        self._store.put(KIND, key, body)
        self._configs[key] = body
        return self._response(key, body)

    # -- operations -----------------------------------------------------------------------

    def put_function_event_invoke_config(
        self, ctx: RequestContext, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        _, key = self._target(ctx, params)
        members = ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")
        if not any(params.get(m) is not None for m in members):
            raise invalid_parameter(
                "You must specify at least one of error handling or destination setting."
            )
        body: dict[str, Any] = {"LastModified": time.time()}
        for member in members[:2]:
            if params.get(member) is not None:
                body[member] = int(params[member])
        destinations = params.get("DestinationConfig") or {}
        _check_destinations(destinations)
        body["DestinationConfig"] = _normalized(destinations)
        return self._save(key, body)

    def update_function_event_invoke_config(
        self, ctx: RequestContext, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        ref, key = self._target(ctx, params)
        body = dict(self._existing(ref, key))
        for member in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds"):
            if params.get(member) is not None:
                body[member] = int(params[member])
        given = params.get("DestinationConfig")
        if given is not None:
            _check_destinations(given)
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
        ref, key = self._target(ctx, params)
        return self._response(key, self._existing(ref, key))

    def delete_function_event_invoke_config(
        self, ctx: RequestContext, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        ref, key = self._target(ctx, params)
        self._existing(ref, key)
        del self._configs[key]
        self._store.delete(KIND, key)
        return {}

    def list_function_event_invoke_configs(
        self, ctx: RequestContext, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        ref = ref_of(ctx, params)
        entry = self._registry.entry(ref)
        prefix = (ref.account_id, ref.region, ref.name)
        configs = [
            self._response(key, body)
            for key, body in sorted(self._configs.items())
            if key[:3] == prefix
            and (key[3] == LATEST or key[3] in entry.versions or key[3] in entry.aliases)
        ]
        page, marker = paginate(configs, params.get("Marker"), params.get("MaxItems"), 50)
        result: dict[str, Any] = {"FunctionEventInvokeConfigs": page}
        if marker:
            result["NextMarker"] = marker
        return result
