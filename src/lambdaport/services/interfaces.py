"""How one service reaches another: small interfaces that ``app.py`` hands in.

A service never imports another service's package; S3 notifications to SQS, SNS deliveries
to SQS, async-invoke destinations and the like go through these protocols, implemented by
the owning service and wired in ``app.create_app``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class MessageAttribute:
    """An SQS/SNS message attribute (``DataType`` String, Number, Binary or custom ``.x``)."""

    data_type: str
    string_value: str | None = None
    binary_value: bytes | None = None


class QueueSink(Protocol):
    """Implemented by SQS: put a message on a queue named by its ARN.

    Raises ``AwsError`` (for example ``AWS.SimpleQueueService.NonExistentQueue``) when the
    queue does not exist or the message is refused. Returns the message id. ``trace_header``
    (an X-Ray trace header) becomes the message's ``AWSTraceHeader`` system attribute.
    """

    async def send_message(
        self,
        queue_arn: str,
        body: str,
        attributes: Mapping[str, MessageAttribute] | None = None,
        *,
        message_group_id: str | None = None,
        message_deduplication_id: str | None = None,
        trace_header: str | None = None,
    ) -> str: ...

    def queue_exists(self, queue_arn: str) -> bool: ...


class TopicSink(Protocol):
    """Implemented by SNS: publish to a topic named by its ARN; returns the message id."""

    async def publish(
        self,
        topic_arn: str,
        message: str,
        attributes: Mapping[str, MessageAttribute] | None = None,
        *,
        subject: str | None = None,
    ) -> str: ...

    async def topic_exists(self, topic_arn: str) -> bool: ...


class ObjectStore(Protocol):
    """Implemented by S3: small whole-object reads and writes for other services (function
    code from S3Bucket/S3Key, async failure destinations to a bucket)."""

    async def get_object_bytes(
        self, bucket: str, key: str, version_id: str | None = None
    ) -> bytes: ...

    async def put_object_bytes(
        self, bucket: str, key: str, body: bytes, content_type: str = "application/json"
    ) -> None: ...

    async def bucket_exists(self, bucket: str) -> bool: ...
