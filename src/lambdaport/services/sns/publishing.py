"""Publish and PublishBatch: validate as SNS does, accept durably, fan out to the matching
subscriptions (deliveries run in the background, off the Publish call)."""

from __future__ import annotations

import functools
import hashlib
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from lambdaport.errors import AwsError
from lambdaport.services.sns.filtering import accepts, compile_filter_policy
from lambdaport.services.sns.messages import Published, sns_timestamp
from lambdaport.services.sns.models import (
    BATCH_ENTRY_ID,
    DEDUPLICATION_WINDOW,
    MAX_MESSAGE_BYTES,
    Attribute,
    invalid_parameter,
    is_true,
    parse_attributes,
)
from lambdaport.services.sns.topics import Topics
from lambdaport.store.sns import SnsTables, SubscriptionRow, TopicRow

MAX_BATCH = 10
MAX_BATCH_ENTRY_ID = 80


@dataclass(frozen=True, slots=True)
class PublishInput:
    """One message as Publish or a PublishBatch entry gives it."""

    message: str | None
    subject: str | None = None
    message_structure: str | None = None
    attributes: Mapping[str, Mapping[str, Any]] | None = None
    group_id: str | None = None
    deduplication_id: str | None = None
    trace_header: str | None = None  # the request's X-Amzn-Trace-Id, carried to deliveries

    @staticmethod
    def from_params(params: Mapping[str, Any], trace_header: str | None = None) -> PublishInput:
        return PublishInput(
            message=params.get("Message"),
            subject=params.get("Subject"),
            message_structure=params.get("MessageStructure"),
            attributes=params.get("MessageAttributes"),
            group_id=params.get("MessageGroupId"),
            deduplication_id=params.get("MessageDeduplicationId"),
            trace_header=trace_header or None,
        )


def _check_subject(subject: str | None) -> None:
    if subject is None:
        return
    if (
        not subject
        or len(subject) > 100
        or not subject.isascii()
        or any(c in subject for c in "\r\n")
        or not subject[0].isprintable()
    ):
        raise invalid_parameter("Subject")


def _per_protocol(item: PublishInput) -> dict[str, str] | None:
    if item.message_structure is None:
        return None
    if item.message_structure != "json":
        raise invalid_parameter("MessageStructure")
    try:
        parsed = orjson.loads(item.message or "")
    except orjson.JSONDecodeError:
        raise invalid_parameter("Message Structure - JSON message body failed to parse") from None
    if not isinstance(parsed, dict):
        raise invalid_parameter("Message Structure - JSON message body failed to parse")
    if not isinstance(parsed.get("default"), str):  # {"default": {...}} has none either
        raise invalid_parameter("Message Structure - No default entry in JSON message body")
    if not all(isinstance(v, str) for v in parsed.values()):
        raise invalid_parameter("Message Structure - all values must be strings")
    return {str(k): v for k, v in parsed.items()}


def _message_size(item: PublishInput) -> int:
    size = len((item.message or "").encode())
    for name, value in (item.attributes or {}).items():
        size += len(name.encode()) + len(str(value.get("DataType", "")).encode())
        size += len(str(value.get("StringValue") or "").encode())
        size += len(bytes(value.get("BinaryValue") or b""))
    return size


def _check_fifo(topic: TopicRow, item: PublishInput) -> str | None:
    """FIFO rules; returns the deduplication id to use (None on standard topics)."""
    fifo = is_true(topic.attributes.get("FifoTopic"))
    if not fifo:
        if item.deduplication_id is not None:
            raise invalid_parameter(
                "MessageDeduplicationId Reason: The request includes MessageDeduplicationId "
                "parameter that is not valid for this topic type"
            )
        return None
    if not item.group_id:
        raise invalid_parameter("The MessageGroupId parameter is required for FIFO topics")
    if item.deduplication_id:
        return item.deduplication_id
    if is_true(topic.attributes.get("ContentBasedDeduplication")):
        return hashlib.sha256((item.message or "").encode()).hexdigest()
    raise invalid_parameter(
        "The topic should either have ContentBasedDeduplication enabled or "
        "MessageDeduplicationId provided explicitly"
    )


def _check(
    topic: TopicRow, item: PublishInput
) -> tuple[dict[str, str] | None, dict[str, Attribute], str | None]:
    """Publish's validation: the message by protocol, its attributes, the FIFO
    deduplication id (None on standard topics)."""
    if item.message is None or item.message == "":
        raise invalid_parameter("Empty message")
    if _message_size(item) > MAX_MESSAGE_BYTES:
        raise invalid_parameter("Message too long")
    _check_subject(item.subject)
    per_protocol = _per_protocol(item)
    attributes = parse_attributes(item.attributes)
    return per_protocol, attributes, _check_fifo(topic, item)


class Publisher:
    """Validates messages and hands accepted ones to ``fan_out``."""

    def __init__(
        self,
        store: SnsTables,
        topics: Topics,
        fan_out: Callable[[Sequence[tuple[SubscriptionRow, Published]]], Awaitable[None]],
    ) -> None:
        self._store = store
        self._topics = topics
        self._fan_out = fan_out
        # Subscriptions' policies, compiled once rather than at every Publish.
        self._filter_policy = functools.lru_cache(maxsize=1024)(compile_filter_policy)

    async def publish(self, topic_arn: str, item: PublishInput) -> dict[str, str]:
        topic = await self._topics.get(topic_arn)
        published, duplicate = await self._accept(topic, item)
        if not duplicate:
            await self._fan_out(await self._matches(topic, [published]))
        return _result(published)

    async def publish_batch(
        self,
        topic_arn: str,
        entries: Sequence[Mapping[str, Any]],
        trace_header: str | None = None,
    ) -> dict[str, list[dict[str, Any]]]:
        """Every entry is checked before any is accepted: as on AWS, an entry that Publish
        would refuse (no group or deduplication id on a FIFO topic, no ``default`` entry,
        a bad attribute...) fails the whole request, not just its entry."""
        topic = await self._topics.get(topic_arn)
        _check_batch(entries)
        items = [PublishInput.from_params(entry, trace_header) for entry in entries]
        for item in items:
            _check(topic, item)
        successful: list[dict[str, Any]] = []
        accepted: list[Published] = []
        for entry, item in zip(entries, items, strict=True):
            published, duplicate = await self._accept(topic, item)
            if not duplicate:
                accepted.append(published)
            successful.append({"Id": entry["Id"], **_result(published)})
        await self._fan_out(await self._matches(topic, accepted))
        return {"Successful": successful, "Failed": []}

    async def _accept(self, topic: TopicRow, item: PublishInput) -> tuple[Published, bool]:
        per_protocol, attributes, deduplication_id = _check(topic, item)
        message = str(item.message)
        message_id = str(uuid.uuid4())
        sequence: str | None = None
        if deduplication_id is not None:
            number = await self._store.next_sequence(topic.arn, 1)
            sequence = f"{10**19 + number:020d}"
            seen = await self._store.remember_deduplication(
                topic.arn,
                deduplication_id,
                message_id,
                sequence,
                now=time.time(),
                window=DEDUPLICATION_WINDOW,
            )
            if seen is not None:
                original_id, original_sequence = seen
                duplicate = Published(
                    original_id, topic.arn, message, "", sequence_number=original_sequence
                )
                return duplicate, True
        published = Published(
            message_id=message_id,
            topic_arn=topic.arn,
            message=message,
            timestamp=sns_timestamp(),
            subject=item.subject,
            attributes=attributes,
            per_protocol=per_protocol,
            group_id=item.group_id,
            deduplication_id=deduplication_id,
            sequence_number=sequence,
            trace_header=item.trace_header,
        )
        return published, False

    async def _matches(
        self, topic: TopicRow, messages: Sequence[Published]
    ) -> list[tuple[SubscriptionRow, Published]]:
        if not messages:
            return []
        out: list[tuple[SubscriptionRow, Published]] = []
        for sub in await self._store.subscriptions_of_topic(topic.arn):
            if sub.pending:
                continue
            policy_text = sub.attributes.get("FilterPolicy")
            scope = sub.attributes.get("FilterPolicyScope", "MessageAttributes")
            policy = self._filter_policy(policy_text, scope) if policy_text else None
            for published in messages:
                if policy is None or accepts(policy, scope, published, sub.protocol):
                    out.append((sub, published))
        return out


def _result(published: Published) -> dict[str, str]:
    out = {"MessageId": published.message_id}
    if published.sequence_number is not None:
        out["SequenceNumber"] = published.sequence_number
    return out


def _check_batch(entries: Sequence[Mapping[str, Any]]) -> None:
    if not entries:
        raise AwsError("EmptyBatchRequest", "The batch request doesn't contain any entries.", 400)
    if len(entries) > MAX_BATCH:
        raise AwsError(
            "TooManyEntriesInBatchRequest",
            "The batch request contains more entries than permissible.",
            400,
        )
    ids = [str(entry.get("Id", "")) for entry in entries]
    if len(set(ids)) != len(ids):
        raise AwsError(
            "BatchEntryIdsNotDistinct",
            "Two or more batch entries in the request have the same Id.",
            400,
        )
    for entry_id in ids:
        if len(entry_id) > MAX_BATCH_ENTRY_ID:
            raise AwsError(
                "InvalidBatchEntryId",
                f"The Id of a batch entry in the batch request is too long: {entry_id}",
                400,
            )
        if not BATCH_ENTRY_ID.fullmatch(entry_id):
            raise AwsError(
                "InvalidBatchEntryId",
                "The Id of a batch entry in the batch request contains an impermissible "
                f"character: {entry_id}",
                400,
            )
    total = sum(_message_size(PublishInput.from_params(entry)) for entry in entries)
    if total > MAX_MESSAGE_BYTES:
        raise AwsError(
            "BatchRequestTooLong",
            "The length of all the messages put together is more than the limit.",
            400,
        )
