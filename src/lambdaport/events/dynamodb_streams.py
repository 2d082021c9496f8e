"""The records of the DynamoDB Streams event a function gets from an event source mapping
(``../shared/docs/AWS-SEMANTICS.md`` D.15;
https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html): a stream record as GetRecords
answers it (the ``data`` of a DynamoDB stream's ``StreamReader`` record), with the stream's
ARN as ``eventSourceARN`` and a TTL delete's ``userIdentity`` in the event's spelling."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson

EVENT_SOURCE = "aws:dynamodb"
EVENT_VERSION = "1.1"


def esm_record(record: bytes | Mapping[str, Any], stream_arn: str) -> dict[str, Any]:
    """One record of the event: eventID, eventName, eventVersion, eventSource, awsRegion,
    dynamodb{ApproximateCreationDateTime, Keys, NewImage?, OldImage?, SequenceNumber,
    SizeBytes, StreamViewType}, eventSourceARN and, for TTL deletes, userIdentity."""
    source = orjson.loads(record) if isinstance(record, bytes | bytearray) else record
    out: dict[str, Any] = {
        "eventID": source["eventID"],
        "eventName": source["eventName"],
        "eventVersion": source.get("eventVersion", EVENT_VERSION),
        "eventSource": source.get("eventSource", EVENT_SOURCE),
        "awsRegion": source["awsRegion"],
        "dynamodb": dict(source["dynamodb"]),
        "eventSourceARN": stream_arn,
    }
    identity = source.get("userIdentity")
    if identity:
        out["userIdentity"] = {
            "type": identity.get("Type", identity.get("type")),
            "principalId": identity.get("PrincipalId", identity.get("principalId")),
        }
    return out


def esm_event(records: Iterable[bytes | Mapping[str, Any]], stream_arn: str) -> dict[str, Any]:
    """``{"Records": [...]}`` for a batch of stream records, in order."""
    return {"Records": [esm_record(record, stream_arn) for record in records]}
