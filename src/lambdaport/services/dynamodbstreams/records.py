"""Stream records: made from a write's item changes (the view type decides which images a
record keeps), sized as DynamoDB sizes items, and rendered as GetRecords answers them
(https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_StreamRecord.html)."""

from __future__ import annotations

import base64
import math
import uuid
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from lambdaport.services.dynamodbstreams.models import sequence_number
from lambdaport.services.interfaces import ItemChange
from lambdaport.store.dynamodb_streams import NewRecord, StoredRecord

NEW_IMAGE_VIEWS = frozenset({"NEW_IMAGE", "NEW_AND_OLD_IMAGES"})
OLD_IMAGE_VIEWS = frozenset({"OLD_IMAGE", "NEW_AND_OLD_IMAGES"})
TTL_IDENTITY = {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}

Image = Mapping[str, Any]


def event_name(change: ItemChange) -> str:
    if change.old_image is None:
        return "INSERT"
    return "REMOVE" if change.new_image is None else "MODIFY"


def new_record(change: ItemChange, view_type: str, at: float) -> NewRecord:
    new = change.new_image if view_type in NEW_IMAGE_VIEWS else None
    old = change.old_image if view_type in OLD_IMAGE_VIEWS else None
    size = image_size(change.keys) + image_size(new or {}) + image_size(old or {})
    return NewRecord(
        event_id=uuid.uuid4().hex,
        event_name=event_name(change),
        keys=orjson.dumps(change.keys),
        new_image=None if new is None else orjson.dumps(new),
        old_image=None if old is None else orjson.dumps(old),
        size_bytes=size,
        created_at=at,
        by_ttl=change.by_ttl,
    )


def partition_key(record: NewRecord) -> str:
    """The item's key as compact JSON with sorted names: the same for every record of the
    item (the order the event source mapping keeps)."""
    return orjson.dumps(orjson.loads(record.keys), option=orjson.OPT_SORT_KEYS).decode()


# -- sizes (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html)


def image_size(image: Image) -> int:
    return sum(len(name.encode()) + _value_size(value) for name, value in image.items())


def _number_size(text: str) -> int:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return len(text)
    digits = len(number.as_tuple().digits)
    return 1 + math.ceil(digits / 2)


def _binary_size(value: Any) -> int:
    return len(base64.b64decode(value)) if isinstance(value, str) else len(value)


def _value_size(value: Mapping[str, Any]) -> int:
    kind, raw = next(iter(value.items()))
    if kind == "S":
        return len(str(raw).encode())
    if kind == "N":
        return _number_size(str(raw))
    if kind == "B":
        return _binary_size(raw)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(item).encode()) for item in raw)
    if kind == "NS":
        return sum(_number_size(str(item)) for item in raw)
    if kind == "BS":
        return sum(_binary_size(item) for item in raw)
    if kind == "L":
        return 3 + sum(1 + _value_size(item) for item in raw)
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + _value_size(v) for k, v in raw.items())
    return 0


# -- rendering -------------------------------------------------------------------------


def _blobs(value: Any) -> Any:
    """An image with its B and BS values as bytes (what the output serialiser takes)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key == "B" and isinstance(item, str):
                out[key] = base64.b64decode(item)
            elif key == "BS" and isinstance(item, list):
                out[key] = [base64.b64decode(b) for b in item]
            else:
                out[key] = _blobs(item)
        return out
    if isinstance(value, list):
        return [_blobs(item) for item in value]
    return value


def _image(raw: bytes, *, blobs: bool) -> Any:
    image = orjson.loads(raw)
    return _blobs(image) if blobs and b'"B' in raw else image


def record_shape(
    item: StoredRecord, view_type: str, region: str, *, blobs: bool = True
) -> dict[str, Any]:
    """The record as GetRecords' ``Record`` shape (``blobs``: binary values as bytes, for
    the serialiser; else as base64, DynamoDB JSON as the event source mapping sends it).
    ``ApproximateCreationDateTime`` is epoch seconds, rounded down to the second."""
    record = item.record
    dynamodb: dict[str, Any] = {
        "ApproximateCreationDateTime": math.floor(record.created_at),
        "Keys": _image(record.keys, blobs=blobs),
        "SequenceNumber": sequence_number(item.seq),
        "SizeBytes": record.size_bytes,
        "StreamViewType": view_type,
    }
    if record.new_image is not None:
        dynamodb["NewImage"] = _image(record.new_image, blobs=blobs)
    if record.old_image is not None:
        dynamodb["OldImage"] = _image(record.old_image, blobs=blobs)
    out: dict[str, Any] = {
        "eventID": record.event_id,
        "eventName": record.event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": dynamodb,
    }
    if record.by_ttl:
        out["userIdentity"] = dict(TTL_IDENTITY)
    return out
