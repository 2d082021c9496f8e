"""Discarded batches of a stream (``DestinationConfig.OnFailure``,
https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html): when a
batch's retries are exhausted (``RetryAttemptsExhausted``) or its records grew older than
``MaximumRecordAgeInSeconds`` (``RecordAgeExceeded``), an invocation record goes to the
mapping's SQS queue or SNS topic (metadata only) or S3 bucket (with ``payload``, the event
the batch was, under ``aws/lambda/<mapping UUID>/<shard id>/YYYY/MM/DD/...``):
``requestContext``, ``responseContext`` (the last invocation's), ``version``, ``timestamp``
and ``KinesisBatchInfo`` or ``DDBStreamBatchInfo``. Without a destination the records are
dropped. A delivery that fails is logged and the shard moves on, as after a discard.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

from lambdaport.esm.model import EventSourceMapping
from lambdaport.esm.source import SourceRecord
from lambdaport.esm.stream_records import StreamKind, item
from lambdaport.invoke.asynchronous.destinations import Delivery, Destinations, arn_service
from lambdaport.invoke.triggers import TriggerResult
from lambdaport.services.interfaces import ObjectStore

logger = logging.getLogger("lambdaport.esm")

Condition = Literal["RetryAttemptsExhausted", "RecordAgeExceeded"]


def _iso(at: float, *, millis: bool) -> str:
    moment = datetime.fromtimestamp(at, tz=UTC)
    if millis:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Discard:
    """A batch given up: its records (in order), why, how many times it was invoked and
    what the last invocation answered (None: never invoked)."""

    shard_id: str
    records: Sequence[SourceRecord]
    condition: Condition
    invocations: int
    last: TriggerResult | None
    event: bytes  # the batch's event, for an S3 destination's payload


def failure_record(
    mapping: EventSourceMapping, kind: StreamKind, discard: Discard, now: float
) -> dict[str, Any]:
    first, last = item(discard.records[0]), item(discard.records[-1])
    millis = kind.name == "kinesis"
    response: dict[str, Any] = {
        "statusCode": 200,
        "executedVersion": discard.last.executed_version if discard.last else "$LATEST",
    }
    if discard.last is not None and discard.last.function_error:
        response["functionError"] = discard.last.function_error
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": mapping.function_arn,
            "condition": discard.condition,
            "approximateInvokeCount": discard.invocations,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": _iso(now, millis=True),
        kind.batch_info: {
            "shardId": discard.shard_id,
            "startSequenceNumber": first.sequence_number,
            "endSequenceNumber": last.sequence_number,
            "approximateArrivalOfFirstRecord": _iso(first.arrival, millis=millis),
            "approximateArrivalOfLastRecord": _iso(last.arrival, millis=millis),
            "batchSize": len(discard.records),
            "streamArn": mapping.event_source_arn,
        },
    }


def object_key(mapping_uuid: str, shard_id: str, at: float) -> str:
    moment = datetime.fromtimestamp(at, tz=UTC)
    stamp = moment.strftime("%Y-%m-%dT%H.%M.%S")
    return f"aws/lambda/{mapping_uuid}/{shard_id}/{moment:%Y/%m/%d}/{stamp}-{uuid.uuid4()}"


class StreamFailures:
    """Sends discarded batches' records to the mapping's on-failure destination."""

    def __init__(self, destinations: Destinations, objects: ObjectStore) -> None:
        self._destinations = destinations
        self._objects = objects

    async def discarded(
        self, mapping: EventSourceMapping, kind: StreamKind, discard: Discard, now: float
    ) -> None:
        destination = mapping.on_failure
        if not destination or not discard.records:
            return
        record = failure_record(mapping, kind, discard, now)
        if arn_service(destination) == "s3":
            record["payload"] = discard.event.decode()
            bucket = destination.split(":::", 1)[-1]
            try:
                if not await self._objects.bucket_exists(bucket):
                    raise LookupError(f"the bucket {bucket} does not exist")
                key = object_key(mapping.uuid, discard.shard_id, now)
                await self._objects.put_object_bytes(bucket, key, orjson.dumps(record))
            except Exception as error:
                logger.warning("mapping %s: no on-failure record: %s", mapping.uuid, error)
            return
        await self._destinations.deliver(
            Delivery(
                destination,
                "OnFailure",
                mapping.function_arn,
                record["requestContext"]["requestId"],
                mapping.account_id,
                mapping.region,
                orjson.dumps(record),
            )
        )
