"""The SQS source (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html): lanes that
receive from lambdaport's own queue through ``QueueReader`` (the store, no HTTP; long polls
woken by the queue's doorbell), with the queue's visibility timeout; a batch's successes are
deleted, its failures come back after the visibility timeout and the queue's redrive policy
moves them to its dead-letter queue after ``maxReceiveCount`` receives; messages the
FilterCriteria leave out are deleted. Concurrency starts at 5 lanes and grows while the queue
stays busy, up to ``ScalingConfig.MaximumConcurrency`` or else 1,000, the function's reserved
concurrency and the account's limit. One lane reads the queue and forms the batches (so a
batch fills up to its size or window whatever the concurrency); its batches are invoked
concurrently.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import orjson

from lambdaport.errors import ResourceNotFound
from lambdaport.esm.model import EventSourceMapping
from lambdaport.esm.source import (
    Concurrency,
    Lane,
    Outcome,
    Settled,
    SourceGone,
    SourceRecord,
)
from lambdaport.services.interfaces import MessageAttribute, QueueMessage, QueueReader

# One read of the queue takes up to ten ReceiveMessage's worth (10 each) in one store
# operation: the batches of every invocation free at once, or one batch of up to 100.
READ_LIMIT = 100
START_CONCURRENCY = 5
MAX_CONCURRENCY = 1000  # "The maximum number of batches ... simultaneously is 1,000"
THROTTLE_BACKOFF_S = 0.5
QUEUE_DELETED = "PROBLEM: The event source queue does not exist."


def _attribute(value: MessageAttribute) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if value.string_value is not None:
        out["stringValue"] = value.string_value
    if value.binary_value is not None:
        out["binaryValue"] = base64.b64encode(value.binary_value).decode()
    out["stringListValues"] = list(value.string_list_values)
    out["binaryListValues"] = [base64.b64encode(v).decode() for v in value.binary_list_values]
    out["dataType"] = value.data_type
    return out


def sqs_record(message: QueueMessage, queue_arn: str, region: str) -> dict[str, Any]:
    """The record as AWS builds it (the SQS event of the developer guide)."""
    return {
        "messageId": message.message_id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": dict(message.attributes),
        "messageAttributes": {
            name: _attribute(value) for name, value in message.message_attributes.items()
        },
        "md5OfMessageAttributes": message.md5_of_message_attributes,
        "md5OfBody": message.md5_of_body,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def filter_view(record: dict[str, Any]) -> dict[str, Any]:
    """What FilterCriteria see: the record, its body parsed when it is a JSON object."""
    body = record["body"]
    if body[:1] == "{":
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError:
            return record
        if isinstance(parsed, dict):
            return {**record, "body": parsed}
    return record


class SqsLane:
    def __init__(self, reader: QueueReader, queue_arn: str, region: str) -> None:
        self._reader = reader
        self._queue_arn = queue_arn
        self._region = region

    async def poll(self, limit: int, wait: float) -> list[SourceRecord]:
        try:
            messages = await self._reader.receive(
                self._queue_arn, min(limit, READ_LIMIT), wait_seconds=wait
            )
        except ResourceNotFound:
            raise SourceGone(QUEUE_DELETED) from None
        out = []
        for message in messages:
            record = sqs_record(message, self._queue_arn, self._region)
            encoded = orjson.dumps(record)
            out.append(
                SourceRecord(
                    message.message_id,
                    encoded,
                    filter_view(record),
                    len(encoded),
                    message.receipt_handle,
                    message.attributes.get("AWSTraceHeader"),
                )
            )
        return out

    async def discard(self, records: Sequence[SourceRecord]) -> None:
        await self._reader.delete(self._queue_arn, [r.handle for r in records])

    async def settle(self, records: Sequence[SourceRecord], outcome: Outcome) -> Settled:
        done = [r.handle for r in records if r.identifier not in outcome.failed]
        if done:
            await self._reader.delete(self._queue_arn, done)
        # The failures stay in flight and come back after the visibility timeout.
        return Settled(backoff=THROTTLE_BACKOFF_S if outcome.throttled else 0.0)

    async def close(self) -> None:
        """Messages received but not invoked come back after their visibility timeout."""


class SqsSource:
    def __init__(
        self,
        reader: QueueReader,
        mapping: EventSourceMapping,
        *,
        reserved_concurrency: int | None,
        account_limit: int,
    ) -> None:
        queue = reader.describe(mapping.event_source_arn)
        if queue is None:
            raise SourceGone(QUEUE_DELETED)
        self._reader = reader
        self._queue_arn = queue.queue_arn
        self._region = queue.region
        limit = mapping.maximum_concurrency or MAX_CONCURRENCY
        limit = min(limit, account_limit)
        if reserved_concurrency is not None:
            limit = min(limit, max(reserved_concurrency, 1))
        self._concurrency = Concurrency(
            start=min(START_CONCURRENCY, limit),
            limit=limit,
            grows=True,
            shared_reads=not queue.fifo,
        )

    @property
    def concurrency(self) -> Concurrency:
        return self._concurrency

    @property
    def poll_limit(self) -> int:
        return READ_LIMIT

    def lanes(self) -> list[Lane]:
        return [SqsLane(self._reader, self._queue_arn, self._region)]

    def backlog(self) -> int:
        queue = self._reader.describe(self._queue_arn)
        return 0 if queue is None else queue.visible_messages

    def event(self, records: Sequence[SourceRecord]) -> bytes:
        return b'{"Records":[' + b",".join(r.record for r in records) + b"]}"
