"""Shard iterators: opaque to clients, they carry the stream's id, the shard, the position
(the record counter to read after) and when they were made; they expire after 5 minutes
(``ExpiredIteratorException``), as AWS's do. A stream deleted and made again has another id,
so an old iterator never reads the new stream."""

from __future__ import annotations

import base64
import binascii
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

from lambdaport.errors import AwsError
from lambdaport.services.kinesis.models import ITERATOR_TTL_MS, invalid_argument

_FORMAT = ">BQIQQ"
_VERSION = 1


@dataclass(frozen=True, slots=True)
class ShardIterator:
    stream_id: int
    shard_index: int
    after_seq: int
    created_at: int  # epoch ms

    def encode(self) -> str:
        raw = struct.pack(
            _FORMAT, _VERSION, self.stream_id, self.shard_index, self.after_seq, self.created_at
        )
        return base64.b64encode(raw).decode()


def _java_date(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).strftime("%a %b %d %H:%M:%S UTC %Y")


def decode(text: str, now: int) -> ShardIterator:
    try:
        raw = base64.b64decode(text, validate=True)
        version, stream_id, index, after, created = struct.unpack(_FORMAT, raw)
    except (binascii.Error, struct.error, ValueError):
        raise invalid_argument("Invalid ShardIterator.") from None
    if version != _VERSION:
        raise invalid_argument("Invalid ShardIterator.")
    if now - created > ITERATOR_TTL_MS:
        raise AwsError(
            "ExpiredIteratorException",
            f"Iterator expired. The iterator was created at time {_java_date(created)} while "
            f"right now it is {_java_date(now)} which is further in the future than the "
            f"tolerated delay of {ITERATOR_TTL_MS} milliseconds.",
            400,
        )
    return ShardIterator(stream_id, index, after, created)
