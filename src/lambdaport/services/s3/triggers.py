"""S3's push triggers: the event records
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html)
and their delivery to Lambda (through ``invoke.triggers``, asynchronously, as
``s3.amazonaws.com``), SQS and SNS.

A record is built once per event and destination (``configurationId`` differs); delivery
failures are logged and never fail the operation that caused the event, as in S3. Lambda
permission is checked by the invoker on every delivery: without it there is no invocation.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus

import orjson

from lambdaport.errors import AwsError
from lambdaport.invoke.triggers import PushTriggers, TriggerSource
from lambdaport.services.interfaces import QueueSink, TopicSink
from lambdaport.services.s3.call import S3Call
from lambdaport.services.s3.models import Bucket, ObjectVersion, principal_id
from lambdaport.services.s3.notifications import Destination, destinations

logger = logging.getLogger("lambdaport.s3.triggers")

SUBJECT = "Amazon S3 Notification"
EMPTY_MD5 = hashlib.md5(b"").hexdigest()
S3_PRINCIPAL = "s3.amazonaws.com"
_VERSION_2_3 = (
    "ObjectTagging:",
    "ObjectAcl:",
    "LifecycleExpiration:",
    "LifecycleTransition",
    "IntelligentTiering",
    "ObjectRestore:Delete",
)


def event_version(event_name: str) -> str:
    if event_name.startswith("Replication:"):
        return "2.2"
    return "2.3" if event_name.startswith(_VERSION_2_3) else "2.1"


def event_time(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def encode_key(key: str) -> str:
    """Form-style URL encoding, as S3 writes keys in records (``a b.jpg`` -> ``a+b.jpg``)."""
    return quote_plus(key, safe="/")


def user_principal(call: S3Call) -> str:
    """``AWS:<unique id>`` of the caller (a stable IAM-style id derived from the key)."""
    if not call.ctx.access_key:
        return "ANONYMOUS_PRINCIPAL"
    digest = hashlib.sha1(call.ctx.access_key.encode()).hexdigest().upper()
    return f"AWS:AIDA{digest[:17]}"


class Sequencer:
    """Hex sequencers that increase with every event (so per key too), across restarts."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> str:
        self._last = max(self._last + 1, time.time_ns())
        return f"{self._last:016X}"


@dataclass(frozen=True, slots=True)
class ObjectEvent:
    """What happened, once; a record per destination is made from it."""

    name: str  # ObjectCreated:Put, without "s3:"
    time: float
    bucket: Bucket
    obj: ObjectVersion
    sequencer: str
    principal: str
    source_ip: str
    request_id: str
    host_id: str
    trace_header: str | None = None  # the request's X-Amzn-Trace-Id
    # ObjectRestore:Completed: lifecycleRestorationExpiryTime, lifecycleRestoreStorageClass
    restore: Mapping[str, str] | None = None


def describe_object(event: ObjectEvent) -> dict[str, Any]:
    """The record's ``s3.object``: what S3 tells of the object for this kind of event. New
    and restored objects have their size and ETag; removals have neither (a new delete
    marker has the ETag of nothing); tagging and ACL changes have the ETag but no size and
    no sequencer."""
    bucket, obj = event.bucket, event.obj
    described: dict[str, Any] = {"key": encode_key(obj.key)}
    if event.name.startswith(("ObjectCreated:", "ObjectRestore:")):
        described["size"] = obj.size
        described["eTag"] = obj.etag
    elif event.name.startswith(("ObjectTagging:", "ObjectAcl:")):
        described["eTag"] = obj.etag
    elif event.name == "ObjectRemoved:DeleteMarkerCreated":
        described["eTag"] = EMPTY_MD5
    if bucket.versioned:
        described["versionId"] = obj.version_id
    if not event.name.startswith(("ObjectTagging:", "ObjectAcl:")):
        described["sequencer"] = event.sequencer
    return described


def build_record(event: ObjectEvent, configuration_id: str) -> dict[str, Any]:
    bucket = event.bucket
    record = {
        "eventVersion": event_version(event.name),
        "eventSource": "aws:s3",
        "awsRegion": bucket.region,
        "eventTime": event_time(event.time),
        "eventName": event.name,
        "userIdentity": {"principalId": event.principal},
        "requestParameters": {"sourceIPAddress": event.source_ip},
        "responseElements": {"x-amz-request-id": event.request_id, "x-amz-id-2": event.host_id},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {
                "name": bucket.name,
                "ownerIdentity": {"principalId": principal_id(bucket.account_id)},
                "arn": bucket.arn,
            },
            "object": describe_object(event),
        },
    }
    if event.restore is not None:
        record["glacierEventData"] = {"restoreEventData": dict(event.restore)}
    return record


def test_event(bucket: Bucket, request_id: str, host_id: str) -> str:
    return orjson.dumps(
        {
            "Service": "Amazon S3",
            "Event": "s3:TestEvent",
            "Time": event_time(time.time()),
            "Bucket": bucket.name,
            "RequestId": request_id,
            "HostId": host_id,
        }
    ).decode()


def s3_source(bucket: Bucket) -> TriggerSource:
    return TriggerSource.of(S3_PRINCIPAL, bucket.arn, bucket.account_id, bucket.region)


class Notifier:
    """Matches events against the bucket's configuration and delivers the records."""

    def __init__(
        self,
        triggers: PushTriggers | None,
        queues: QueueSink | None = None,
        topics: TopicSink | None = None,
    ) -> None:
        self._triggers = triggers
        self._queues = queues
        self._topics = topics
        self._sequencer = Sequencer()

    async def emit(
        self,
        call: S3Call,
        bucket: Bucket,
        event_name: str,
        obj: ObjectVersion,
        *,
        restore: Mapping[str, str] | None = None,
    ) -> None:
        """Deliver the event to every destination configured for it. ``restore`` (for
        ``ObjectRestore:Completed``) is the record's ``restoreEventData``: the restore is
        S3's own doing, so the record names the bucket owner, not the caller."""
        matched = [
            d
            for d in destinations(bucket.config.get("Notification"))
            if d.matches(event_name, obj.key)
        ]
        if not matched:
            return
        principal = user_principal(call)
        if restore is not None:
            principal = f"AmazonCustomer:{principal_id(bucket.account_id)}"
        event = ObjectEvent(
            name=event_name,
            time=time.time(),
            bucket=bucket,
            obj=obj,
            sequencer=self._sequencer.next(),
            principal=principal,
            source_ip=call.source_ip,
            request_id=call.request_id,
            host_id=call.host_id,
            trace_header=call.headers.get("x-amzn-trace-id") or None,
            restore=restore,
        )
        for destination in matched:
            body = orjson.dumps({"Records": [build_record(event, destination.configuration_id)]})
            try:
                await self._deliver(destination, bucket, body, event.trace_header)
            except Exception:
                logger.warning(
                    "S3 event %s on %s/%s not delivered to %s",
                    event_name,
                    bucket.name,
                    obj.key,
                    destination.arn,
                    exc_info=True,
                )

    async def _deliver(
        self, destination: Destination, bucket: Bucket, body: bytes, trace_header: str | None
    ) -> None:
        """``trace_header`` travels on as X-Ray does: the invocation's trace, and an SQS
        message's ``AWSTraceHeader`` system attribute."""
        if destination.kind == "lambda":
            if self._triggers is None:
                raise RuntimeError("no invoker wired")
            await self._triggers.send(
                s3_source(bucket), destination.arn, body, trace_header=trace_header
            )
        elif destination.kind == "queue":
            if self._queues is None:
                raise RuntimeError("no SQS wired")
            await self._queues.send_message(
                destination.arn, body.decode(), trace_header=trace_header
            )
        else:
            if self._topics is None:
                raise RuntimeError("no SNS wired")
            await self._topics.publish(
                destination.arn, body.decode(), subject=SUBJECT, trace_header=trace_header
            )

    async def validate(self, bucket: Bucket, found: list[Destination]) -> list[tuple[str, str]]:
        """The destinations S3 could not validate, with S3's reason for each."""
        failures: list[tuple[str, str]] = []
        for destination in found:
            reason = await self._refusal(destination, bucket)
            if reason is not None:
                failures.append((destination.arn, reason))
        return failures

    async def _refusal(self, destination: Destination, bucket: Bucket) -> str | None:
        if destination.kind == "lambda":
            refused = f"Not authorized to invoke function [{destination.arn}]"
            if self._triggers is None:
                return refused
            try:
                await self._triggers.validate(s3_source(bucket), destination.arn)
            except AwsError:
                return refused
            return None
        if destination.kind == "queue":
            if self._queues is None or not self._queues.queue_exists(destination.arn):
                return (
                    "Permissions on the destination queue do not allow S3 to publish "
                    "notifications from this bucket"
                )
            return None
        if self._topics is None or not await self._topics.topic_exists(destination.arn):
            return (
                "Permissions on the destination topic do not allow S3 to publish notifications "
                "from this bucket"
            )
        return None

    async def send_test_events(
        self, bucket: Bucket, found: list[Destination], request_id: str, host_id: str
    ) -> None:
        """``s3:TestEvent`` to every SQS and SNS destination of a saved configuration."""
        message = test_event(bucket, request_id, host_id)
        for destination in found:
            try:
                if destination.kind == "queue" and self._queues is not None:
                    await self._queues.send_message(destination.arn, message)
                elif destination.kind == "topic" and self._topics is not None:
                    await self._topics.publish(destination.arn, message, subject=SUBJECT)
            except Exception:
                logger.warning("s3:TestEvent not delivered to %s", destination.arn, exc_info=True)


def configuration_of(bucket: Bucket) -> Mapping[str, Any]:
    return bucket.config.get("Notification") or {}
