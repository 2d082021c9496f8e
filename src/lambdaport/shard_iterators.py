"""Shard iterators of the stream services (Kinesis, DynamoDB Streams): opaque to clients,
they carry the stream's id, the shard, the position (the record counter to read after) and
when they were made, in epoch milliseconds. A stream deleted and made again has another id,
so an old iterator never reads the new stream. Each service answers an invalid or expired
iterator with its own error."""

from __future__ import annotations

import base64
import binascii
import struct
from dataclasses import dataclass

_FORMAT = ">BQIQQ"
_VERSION = 1


class InvalidIterator(ValueError):
    """The text is not an iterator this server made."""


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


def decode(text: str) -> ShardIterator:
    try:
        raw = base64.b64decode(text, validate=True)
        version, stream_id, index, after, created = struct.unpack(_FORMAT, raw)
    except (binascii.Error, struct.error, ValueError):
        raise InvalidIterator(text) from None
    if version != _VERSION:
        raise InvalidIterator(text)
    return ShardIterator(stream_id, index, after, created)
