"""Deliveries: every (subscription, message) pair Publish accepted, sent in a background task
with SNS's retry policy, off the Publish call.

Each delivery is a row of ``sns_deliveries`` written before Publish answers and deleted once
the delivery succeeded or was given up (then redriven to the subscription's dead-letter
queue when it has one), so deliveries pending at a crash resume at the next start. Lambda
endpoints get the D.24 event through ``invoke.triggers`` (an ``Event`` invocation) as
``sns.amazonaws.com``; SQS endpoints get the JSON envelope (or the raw message with its
attributes) through the ``QueueSink``; HTTP(S) endpoints get SNS's POST.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from lambdaport.errors import AwsError, is_transient
from lambdaport.invoke.triggers import PushTriggers, TriggerSource
from lambdaport.services.interfaces import MessageAttribute, QueueSink
from lambdaport.services.sns import http_client
from lambdaport.services.sns.messages import (
    Confirmation,
    Envelopes,
    Published,
    render,
    sns_timestamp,
)
from lambdaport.services.sns.models import is_true
from lambdaport.services.sns.retry import MANAGED_POLICY, RetryPolicy, http_policy
from lambdaport.services.sns.subscriptions import http_delivery_policy, redrive_target
from lambdaport.store.sns import DeliveryRow, SnsTables, SubscriptionRow, TopicRow

logger = logging.getLogger("lambdaport.sns")

SNS_PRINCIPAL = "sns.amazonaws.com"
USER_AGENT = "Amazon Simple Notification Service Agent"


class Outcome(enum.Enum):
    DELIVERED = "delivered"
    RETRY = "retry"  # server-side failure: try again by the retry policy
    FAILED = "failed"  # client-side failure: no retry, to the dead-letter queue if any


class Deliveries:
    def __init__(
        self,
        store: SnsTables,
        envelopes: Envelopes,
        triggers: PushTriggers,
        queues: QueueSink | None,
        delay_scale: float = 1.0,
    ) -> None:
        self._store = store
        self._envelopes = envelopes
        self._triggers = triggers
        self._queues = queues
        self._scale = delay_scale
        self._tasks: set[asyncio.Task[None]] = set()
        self._running = False
        # FIFO topics: one lock per (subscription, message group), taken in the order the
        # deliveries were accepted, so they arrive in order however their awaits interleave.
        self._ordered: dict[tuple[str, str], tuple[asyncio.Lock, list[int]]] = {}

    # -- accepting ------------------------------------------------------------------------

    async def accept(self, pairs: Sequence[tuple[SubscriptionRow, Published]]) -> None:
        """Persist one delivery per pair (one transaction), then start them."""
        if not pairs:
            return
        ids = await self._store.add_deliveries(
            [(sub.arn, published.to_json()) for sub, published in pairs], time.time()
        )
        for delivery_id, (sub, published) in zip(ids, pairs, strict=True):
            group = published.group_id
            self._spawn(delivery_id, None if group is None else (sub.arn, group))

    async def request_confirmation(self, sub: SubscriptionRow) -> None:
        confirmation = Confirmation(
            message_id=str(uuid.uuid4()),
            topic_arn=sub.topic_arn,
            token=sub.token or "",
            timestamp=sns_timestamp(),
        )
        (delivery_id,) = await self._store.add_deliveries(
            [(sub.arn, confirmation.to_json())], time.time()
        )
        self._spawn(delivery_id)

    def pending(self) -> int:
        return len(self._tasks)

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Resume the deliveries a previous server process had not finished."""
        self._running = True
        for delivery_id in await self._store.delivery_ids():
            self._spawn(delivery_id)

    async def stop(self) -> None:
        self._running = False
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()

    def _spawn(self, delivery_id: int, order: tuple[str, str] | None = None) -> None:
        if not self._running:
            return  # started by start() once the server runs
        lock = None
        if order is not None:
            lock, users = self._ordered.setdefault(order, (asyncio.Lock(), [0]))
            users[0] += 1
        task = asyncio.get_running_loop().create_task(self._run(delivery_id, lock, order))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- running ---------------------------------------------------------------------------

    async def _run(
        self, delivery_id: int, lock: asyncio.Lock | None, order: tuple[str, str] | None
    ) -> None:
        if lock is None:
            await self._run_one(delivery_id)
            return
        try:
            async with lock:  # FIFO: waiters are served in the order they came
                await self._run_one(delivery_id)
        finally:
            if order is not None:
                users = self._ordered[order][1]
                users[0] -= 1
                if not users[0]:
                    del self._ordered[order]

    async def _run_one(self, delivery_id: int) -> None:
        try:
            await self._deliver(delivery_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("sns: delivery %d failed unexpectedly; dropping it", delivery_id)
            await self._store.finish_delivery(delivery_id)

    async def _deliver(self, delivery_id: int) -> None:
        row = await self._store.delivery(delivery_id)
        while row is not None:
            sub = await self._store.subscription(row.subscription_arn)
            topic = None if sub is None else await self._store.topic(sub.topic_arn)
            if sub is None or topic is None:
                break  # unsubscribed or topic deleted meanwhile
            wait = row.not_before - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
            outcome, reason = await self._attempt(sub, topic, row.message)
            if outcome is Outcome.DELIVERED:
                break
            delay = (
                self._policy(sub, topic).delay(row.attempts) if outcome is Outcome.RETRY else None
            )
            if delay is None:
                logger.warning("sns: giving up delivery to %s: %s", sub.endpoint, reason)
                await self._redrive(sub, topic, row, reason)
                break
            logger.info(
                "sns: delivery to %s failed (%s); retrying in %.1fs",
                sub.endpoint,
                reason,
                delay * self._scale,
            )
            not_before = time.time() + delay * self._scale
            await self._store.retry_delivery(delivery_id, row.attempts + 1, not_before)
            row = await self._store.delivery(delivery_id)
        await self._store.finish_delivery(delivery_id)

    def _policy(self, sub: SubscriptionRow, topic: TopicRow) -> RetryPolicy:
        if sub.protocol not in ("http", "https"):
            return MANAGED_POLICY
        return http_policy(http_delivery_policy(topic, sub))

    async def _attempt(
        self, sub: SubscriptionRow, topic: TopicRow, message: Mapping[str, Any]
    ) -> tuple[Outcome, str]:
        version = topic.attributes.get("SignatureVersion", "1")
        if message.get("Type") == "SubscriptionConfirmation":
            envelope = self._envelopes.confirmation(Confirmation.from_json(message), version)
            return await self._post(sub, envelope, render(envelope).encode(), raw=False)
        published = Published.from_json(message)
        if sub.protocol == "lambda":
            return await self._invoke(sub, topic, published, version)
        if sub.protocol == "sqs":
            return await self._send(sub, published, version)
        if sub.protocol in ("http", "https"):
            if is_true(sub.attributes.get("RawMessageDelivery")):
                # The raw body carries no signature: only the headers' identity is needed.
                identity = {
                    "Type": "Notification",
                    "MessageId": published.message_id,
                    "TopicArn": published.topic_arn,
                }
                body = published.text_for(sub.protocol).encode()
                return await self._post(sub, identity, body, raw=True)
            envelope = self._envelopes.notification(published, sub.protocol, sub.arn, version)
            return await self._post(sub, envelope, render(envelope).encode(), raw=False)
        return Outcome.FAILED, f"lambdaport does not deliver to {sub.protocol} endpoints"

    async def _invoke(
        self, sub: SubscriptionRow, topic: TopicRow, published: Published, version: str
    ) -> tuple[Outcome, str]:
        event = orjson.dumps(self._envelopes.lambda_event(published, sub.arn, version))
        source = TriggerSource.of(SNS_PRINCIPAL, topic.arn, topic.account_id, topic.region)
        try:
            await self._triggers.send(
                source, sub.endpoint, event, trace_header=published.trace_header
            )
        except AwsError as error:
            outcome = Outcome.RETRY if is_transient(error) else Outcome.FAILED
            return outcome, f"{error.code}: {error.message}"
        return Outcome.DELIVERED, ""

    async def _send(
        self, sub: SubscriptionRow, published: Published, version: str
    ) -> tuple[Outcome, str]:
        if self._queues is None:
            return Outcome.FAILED, "lambdaport has no SQS service wired to deliver to"
        body, attributes = self._queue_message(sub, published, version)
        fifo_queue = sub.endpoint.endswith(".fifo")
        try:
            await self._queues.send_message(
                sub.endpoint,
                body,
                attributes,
                message_group_id=published.group_id if fifo_queue else None,
                message_deduplication_id=published.deduplication_id if fifo_queue else None,
                trace_header=published.trace_header,
            )
        except AwsError as error:
            outcome = Outcome.RETRY if is_transient(error) else Outcome.FAILED
            return outcome, f"{error.code}: {error.message}"
        return Outcome.DELIVERED, ""

    async def _post(
        self, sub: SubscriptionRow, envelope: Mapping[str, Any], body: bytes, *, raw: bool
    ) -> tuple[Outcome, str]:
        headers = {
            "Content-Type": "text/plain; charset=UTF-8",
            "User-Agent": USER_AGENT,
            "x-amz-sns-message-type": str(envelope["Type"]),
            "x-amz-sns-message-id": str(envelope["MessageId"]),
            "x-amz-sns-topic-arn": str(envelope["TopicArn"]),
        }
        if envelope["Type"] == "Notification":
            headers["x-amz-sns-subscription-arn"] = sub.arn
        if raw:
            headers["x-amz-sns-rawdelivery"] = "true"
        try:
            status = await http_client.post(sub.endpoint, body, headers)
        except http_client.HttpDeliveryError as error:
            return Outcome.RETRY, str(error)
        if 200 <= status < 300:
            return Outcome.DELIVERED, ""
        if status == 429 or status >= 500:
            return Outcome.RETRY, f"HTTP {status}"
        return Outcome.FAILED, f"HTTP {status}"

    async def _redrive(
        self, sub: SubscriptionRow, topic: TopicRow, row: DeliveryRow, reason: str
    ) -> None:
        target = redrive_target(sub)
        if target is None or row.message.get("Type") != "Notification":
            return
        if self._queues is None:
            logger.warning("sns: no SQS service to redrive to %s", target)
            return
        published = Published.from_json(row.message)
        version = topic.attributes.get("SignatureVersion", "1")
        body, attributes = self._queue_message(sub, published, version)
        try:
            await self._queues.send_message(target, body, attributes)
        except AwsError as error:
            logger.warning("sns: cannot redrive to %s: %s", target, error.message)
            return
        logger.info("sns: message %s redriven to %s (%s)", published.message_id, target, reason)

    def _queue_message(
        self, sub: SubscriptionRow, published: Published, version: str
    ) -> tuple[str, dict[str, MessageAttribute] | None]:
        """What an SQS queue gets for ``sub`` (its endpoint or its dead-letter queue): the raw
        message with its attributes, or the JSON envelope."""
        if is_true(sub.attributes.get("RawMessageDelivery")):
            return published.text_for(sub.protocol), sqs_attributes(published)
        envelope = self._envelopes.notification(published, sub.protocol, sub.arn, version)
        return render(envelope), None


def sqs_attributes(published: Published) -> dict[str, MessageAttribute]:
    return {
        name: MessageAttribute(a.data_type, a.string_value, a.binary_value)
        for name, a in published.attributes.items()
    }
