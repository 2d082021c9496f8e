"""Subscription filters and their delivery to Lambda
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html).

Every stored batch is matched against its group's filters (at most two); the matching events
go to the destination function as ``{"awslogs": {"data": base64(gzip(json))}}`` through
``invoke.triggers`` as an ``Event`` invocation by ``logs.amazonaws.com`` (or
``logs.REGION.amazonaws.com`` when the function's policy names only that) with the group's
ARN (``…:log-group:NAME:*``) as source. Matching runs on the caller's path (cheap); invoking
runs in the background task ``run()``, which ``stop()`` drains so a clean shutdown delivers
everything accepted. A function's own log lines are never delivered to that function.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from lambdaport.errors import AccessDenied, AwsError
from lambdaport.events.arns import parse_function_arn
from lambdaport.invoke.model import Invoke
from lambdaport.invoke.triggers import PushTriggers, TriggerSource
from lambdaport.services.logs.events import AppendedEvents, pattern_or_error
from lambdaport.services.logs.groups import LogGroups
from lambdaport.services.logs.models import (
    MAX_SUBSCRIPTION_FILTERS,
    SubscriptionFilter,
    event_id,
    group_arn,
    invalid_parameter,
    limit_exceeded,
    not_found,
    now_ms,
    page_token,
    parse_page_token,
)
from lambdaport.services.logs.patterns import FilterPattern
from lambdaport.store.documents import Delete, Documents, Put
from lambdaport.store.logs import GroupKey, LogEventRow

logger = logging.getLogger("lambdaport.logs")

KIND = "log_subscription_filter"
NO_PERMISSION = (
    "Could not execute the lambda function. Make sure you have given CloudWatch Logs "
    "permission to execute your function."
)
PAYLOAD_LIMIT = 1024 * 1024  # an Event invocation's payload


@dataclass(frozen=True, slots=True)
class Delivery:
    key: GroupKey  # the source log group
    destination_arn: str
    payload: bytes


def encode_message(
    key: GroupKey, stream: str, filter_name: str, events: tuple[LogEventRow, ...]
) -> bytes:
    """The event a subscribed function receives (D.9), as bytes."""
    message = {
        "messageType": "DATA_MESSAGE",
        "owner": key[0],
        "logGroup": key[2],
        "logStream": stream,
        "subscriptionFilters": [filter_name],
        "logEvents": [
            {"id": event_id(row.position), "timestamp": row.timestamp, "message": row.message}
            for row in events
        ],
    }
    data = base64.b64encode(gzip.compress(orjson.dumps(message), compresslevel=6)).decode()
    return orjson.dumps({"awslogs": {"data": data}})


def _source(key: GroupKey) -> TriggerSource:
    """The log group, by CloudWatch Logs as policies name it: the global principal, then
    the regional one."""
    principals = ("logs.amazonaws.com", f"logs.{key[1]}.amazonaws.com")
    return TriggerSource(principals, f"{group_arn(key)}:*", key[0], key[1])


class SubscriptionFilters:
    """The filters are documents; ``_filters`` is this node's cache of them (loaded at start,
    written through), matched against every stored batch."""

    def __init__(self, documents: Documents, groups: LogGroups, invoke: Invoke) -> None:
        self._documents = documents
        self._groups = groups
        self._triggers = PushTriggers(invoke)
        self._filters: dict[GroupKey, dict[str, tuple[SubscriptionFilter, FilterPattern]]] = {}
        self._queue: asyncio.Queue[Delivery] = asyncio.Queue()
        self._delivering = 0  # taken off the queue, not yet handed to the invoker

    async def load(self) -> None:
        self._filters = {}
        for (account_id, region, group, _), body in await self._documents.scan(KIND):
            try:
                self._remember((account_id, region, group), SubscriptionFilter(**body))
            except AwsError:
                logger.warning("subscription filter %s of %s no longer parses", body, group)

    def _remember(self, key: GroupKey, subscription: SubscriptionFilter) -> None:
        pattern = pattern_or_error(subscription.filter_pattern)
        self._filters.setdefault(key, {})[subscription.name] = (subscription, pattern)

    # -- the API --------------------------------------------------------------------------

    async def put_subscription_filter(self, key: GroupKey, params: Mapping[str, Any]) -> None:
        await self._groups.require(key)
        name = str(params["filterName"])
        pattern = str(params.get("filterPattern") or "")
        pattern_or_error(pattern)
        existing = self._filters.get(key, {})
        if name not in existing and len(existing) >= MAX_SUBSCRIPTION_FILTERS:
            raise limit_exceeded()
        destination = str(params["destinationArn"])
        await self._validate_destination(key, destination)
        subscription = SubscriptionFilter(
            log_group=key[2],
            name=name,
            filter_pattern=pattern,
            destination_arn=destination,
            creation_time=now_ms(),
            role_arn=params.get("roleArn"),
            distribution=str(params.get("distribution") or "ByLogStream"),
        )
        await self._documents.write([Put(KIND, (*key, name), _body(subscription))])
        self._remember(key, subscription)

    async def _validate_destination(self, key: GroupKey, destination: str) -> None:
        arn = parse_function_arn(destination)
        if arn is None:
            raise invalid_parameter(
                f"lambdaport delivers subscription filters to Lambda functions only, not to "
                f"{destination}."
            )
        if arn.region != key[1] or arn.account_id != key[0]:
            raise invalid_parameter(NO_PERMISSION)
        try:
            await self._triggers.validate(_source(key), destination)
        except AwsError:
            raise invalid_parameter(NO_PERMISSION) from None

    async def describe_subscription_filters(
        self, key: GroupKey, prefix: str = "", token: str | None = None, limit: int | None = None
    ) -> dict[str, Any]:
        await self._groups.require(key)
        found = sorted(
            (f for f, _ in self._filters.get(key, {}).values() if f.name.startswith(prefix)),
            key=lambda f: f.name,
        )
        start = 0
        if token:
            value = parse_page_token(token)
            start = value if isinstance(value, int) else 0
        end = start + (limit or 50)
        result: dict[str, Any] = {"subscriptionFilters": [f.describe() for f in found[start:end]]}
        if end < len(found):
            result["nextToken"] = page_token(end)
        return result

    async def delete_subscription_filter(self, key: GroupKey, name: str) -> None:
        await self._groups.require(key)
        if name not in self._filters.get(key, {}):
            raise not_found("The specified subscription filter does not exist.")
        del self._filters[key][name]
        await self._documents.write([Delete(KIND, (*key, name))])

    async def group_deleted(self, key: GroupKey) -> None:
        self._filters.pop(key, None)
        await self._documents.write([Delete(KIND, key, prefix=True)])

    # -- delivery -------------------------------------------------------------------------

    def appended(self, batch: AppendedEvents) -> None:
        """Match a stored batch against its group's filters; queue what matched."""
        filters = self._filters.get(batch.key)
        if not filters:
            return
        for subscription, pattern in filters.values():
            destination = parse_function_arn(subscription.destination_arn)
            if destination is not None and destination.unqualified == batch.function_arn:
                continue  # a function's own logs never trigger it: no feedback loop
            matched = tuple(row for row in batch.events if pattern.matches(row.message))
            if matched:
                self._queue_events(batch.key, batch.stream, subscription, matched)

    def _queue_events(
        self,
        key: GroupKey,
        stream: str,
        subscription: SubscriptionFilter,
        events: tuple[LogEventRow, ...],
    ) -> None:
        payload = encode_message(key, stream, subscription.name, events)
        if len(payload) > PAYLOAD_LIMIT and len(events) > 1:
            half = len(events) // 2
            self._queue_events(key, stream, subscription, events[:half])
            self._queue_events(key, stream, subscription, events[half:])
            return
        self._queue.put_nowait(Delivery(key, subscription.destination_arn, payload))

    async def _deliver(self, delivery: Delivery) -> None:
        target = delivery.destination_arn
        try:
            await self._triggers.send(_source(delivery.key), target, delivery.payload)
        except AccessDenied:
            logger.warning("CloudWatch Logs may not invoke %s", target)
        except AwsError as error:
            logger.warning("subscription delivery to %s failed: %s", target, error)

    async def run(self) -> None:
        while True:
            delivery = await self._queue.get()
            self._delivering += 1
            try:
                await self._deliver(delivery)
            except Exception:
                logger.exception("subscription delivery to %s failed", delivery.destination_arn)
            finally:
                self._delivering -= 1

    async def drain(self) -> None:
        """Deliver everything still queued (a clean shutdown)."""
        while not self._queue.empty():
            await self._deliver(self._queue.get_nowait())

    @property
    def pending(self) -> int:
        """Deliveries queued or on their way to the invoker (the health document)."""
        return self._queue.qsize() + self._delivering


def _body(subscription: SubscriptionFilter) -> dict[str, Any]:
    return {
        "log_group": subscription.log_group,
        "name": subscription.name,
        "filter_pattern": subscription.filter_pattern,
        "destination_arn": subscription.destination_arn,
        "creation_time": subscription.creation_time,
        "role_arn": subscription.role_arn,
        "distribution": subscription.distribution,
    }
