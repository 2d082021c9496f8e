"""The records of a stream's event as AWS builds them, and what FilterCriteria see of them.

Kinesis (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html): ``kinesis``
(``kinesisSchemaVersion``, ``partitionKey``, ``sequenceNumber``, ``data`` in base64,
``approximateArrivalTimestamp``), ``eventSource``, ``eventVersion``, ``eventID``
(``<shard id>:<sequence number>``), ``eventName``, ``invokeIdentityArn`` (the execution
role), ``awsRegion``, ``eventSourceARN``; filters see the record with ``data`` decoded and
parsed when it is JSON (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis-filtering.html).

DynamoDB (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html): the stream record as
GetRecords answers it, made the event's record by ``events.dynamodb_streams.esm_record``;
filters see that record (``dynamodb`` with its images in DynamoDB JSON).

A record's ``identifier`` is its sequence number (what a partial batch response names);
its ``handle`` a :class:`StreamItem`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from lambdaport.esm.source import SourceRecord
from lambdaport.events.dynamodb_streams import esm_record
from lambdaport.services.interfaces import StreamRecord

StreamKindName = Literal["kinesis", "dynamodb"]


@dataclass(frozen=True, slots=True)
class StreamItem:
    """What the engine keeps of a record besides its JSON: its sequence number (as a number,
    for the lowest failed), partition key (the order ParallelizationFactor keeps) and
    arrival (epoch seconds: MaximumRecordAgeInSeconds, tumbling windows, batch info)."""

    sequence_number: str
    seq: int
    partition_key: str
    arrival: float


def _item(record: StreamRecord) -> StreamItem:
    return StreamItem(
        record.sequence_number,
        int(record.sequence_number),
        record.partition_key,
        record.approximate_arrival_timestamp,
    )


def _data_view(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return None


@dataclass(frozen=True, slots=True)
class StreamKind:
    """What differs between a Kinesis stream's records and a DynamoDB stream's."""

    name: StreamKindName
    batch_info: str  # the on-failure record's member: KinesisBatchInfo, DDBStreamBatchInfo

    def record(
        self, record: StreamRecord, shard_id: str, stream_arn: str, region: str, role: str
    ) -> SourceRecord:
        if self.name == "kinesis":
            body: dict[str, Any] = {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": record.partition_key,
                    "sequenceNumber": record.sequence_number,
                    "data": base64.b64encode(record.data).decode(),
                    "approximateArrivalTimestamp": record.approximate_arrival_timestamp,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"{shard_id}:{record.sequence_number}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": role,
                "awsRegion": region,
                "eventSourceARN": stream_arn,
            }
            view: Any = {**body, **body["kinesis"], "data": _data_view(record.data)}
        else:
            body = esm_record(record.data, stream_arn)
            view = body
        encoded = orjson.dumps(body)
        return SourceRecord(record.sequence_number, encoded, view, len(encoded), _item(record))


KINESIS = StreamKind("kinesis", "KinesisBatchInfo")
DYNAMODB = StreamKind("dynamodb", "DDBStreamBatchInfo")


def item(record: SourceRecord) -> StreamItem:
    handle = record.handle
    assert isinstance(handle, StreamItem)
    return handle
