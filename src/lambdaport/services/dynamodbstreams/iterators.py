"""Shard iterators: opaque to clients, they carry the stream's id, the shard, the position
(the record counter to read after) and when they were made; they expire after 15 minutes
(``ExpiredIteratorException``), as AWS's do. A stream made again has another id, so an old
iterator never reads a new stream."""

from __future__ import annotations

import base64
import binascii
import struct
from dataclasses import dataclass

from lambdaport.services.dynamodbstreams.models import (
    ITERATOR_TTL_S,
    expired_iterator,
    validation,
)

_FORMAT = ">BQIQQ"
_VERSION = 1


@dataclass(frozen=True, slots=True)
class ShardIterator:
    stream_id: int
    shard_index: int
    after_seq: int
    created_ms: int  # epoch ms

    def encode(self) -> str:
        raw = struct.pack(
            _FORMAT, _VERSION, self.stream_id, self.shard_index, self.after_seq, self.created_ms
        )
        return base64.b64encode(raw).decode()


def decode(text: str, now: float) -> ShardIterator:
    try:
        raw = base64.b64decode(text, validate=True)
        version, stream_id, index, after, created = struct.unpack(_FORMAT, raw)
    except (binascii.Error, struct.error, ValueError):
        raise validation("Invalid ShardIterator") from None
    if version != _VERSION:
        raise validation("Invalid ShardIterator")
    if now * 1000 - created > ITERATOR_TTL_S * 1000:
        raise expired_iterator()
    return ShardIterator(stream_id, index, after, created)
