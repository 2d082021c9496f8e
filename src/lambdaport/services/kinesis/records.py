"""Records: PutRecord(s) routed to shards by hash key (the partition key's MD5 unless an
explicit hash key is given), answered after the commit; positions in a shard (the iterator
types); reads by index seek from a position, with the end of a closed shard and its
children. Write and read throughput limits (1 MB/s and 1,000 records/s per shard, 5 reads/s)
are not enforced here, so ProvisionedThroughputExceededException is never answered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lambdaport.services.kinesis.models import (
    HASH_KEYS,
    MAX_GET_RECORDS_BYTES,
    MAX_PUT_RECORDS_BYTES,
    Clock,
    invalid_argument,
    must_not_be_null,
    parse_sequence_number,
    partition_hash,
    shard_id,
    shard_index,
    shard_not_found,
    stream_not_found,
    too_long,
)
from lambdaport.services.kinesis.streams import Streams, arn_of
from lambdaport.store.kinesis import (
    KinesisTables,
    PutRecordResult,
    RecordToPut,
    StoredRecord,
    StoredShard,
    StoredStream,
)
from lambdaport.stream_signals import StreamSignals

Params = Mapping[str, Any]
HOUR_MS = 3_600_000


@dataclass(frozen=True, slots=True)
class Entry:
    """A record as a put names it; ``path`` is its member path in validation messages."""

    data: bytes
    partition_key: str | None
    explicit_hash_key: str | None
    path: str


@dataclass(frozen=True, slots=True)
class ReadBatch:
    stream: StoredStream
    shard: StoredShard
    records: tuple[StoredRecord, ...]
    after_seq: int  # where the next read starts
    ended: bool  # a closed shard read to its end
    children: tuple[StoredShard, ...]
    millis_behind_latest: int


def _hash_key(entry: Entry) -> int:
    if entry.explicit_hash_key is not None:
        value = int(entry.explicit_hash_key)
        if value >= HASH_KEYS:
            raise invalid_argument(
                "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
                f"Specified value was {entry.explicit_hash_key}"
            )
        return value
    assert entry.partition_key is not None
    return partition_hash(entry.partition_key)


def retention_start(stream: StoredStream, now: int) -> int:
    """The oldest arrival still readable (epoch ms)."""
    return now - stream.retention_hours * HOUR_MS


class Records:
    def __init__(self, streams: Streams, clock: Clock, signals: StreamSignals) -> None:
        self.streams = streams
        self.store: KinesisTables = streams.store
        self.clock = clock
        self.signals = signals

    async def put(
        self, stream: StoredStream, entries: Sequence[Entry], *, batch: bool
    ) -> list[PutRecordResult]:
        limit = stream.max_record_size_kib * 1024
        total = 0
        to_put: list[RecordToPut] = []
        for entry in entries:
            if not entry.partition_key:
                raise must_not_be_null(f"{entry.path}partitionKey")
            if len(entry.data) > limit:
                raise too_long(f"{entry.path}data", limit)
            total += len(entry.data) + len(entry.partition_key.encode())
            to_put.append(RecordToPut(_hash_key(entry), entry.partition_key, entry.data))
        if batch and total > MAX_PUT_RECORDS_BYTES:
            raise invalid_argument("Records size exceeds 5 MB limit")
        results = await self.store.put(stream.stream_id, to_put, self.clock())
        if results is None:
            raise self.streams_gone(stream)
        self.signals.ring(arn_of(stream))
        return results

    @staticmethod
    def streams_gone(stream: StoredStream) -> Exception:
        return stream_not_found(stream.name, stream.account_id)

    async def shard(self, stream: StoredStream, name: str) -> tuple[StoredShard, list[StoredShard]]:
        """The shard named (and all the stream's shards)."""
        index = shard_index(name)
        shards = await self.store.shards(stream.stream_id)
        for shard in shards:
            if shard.shard_index == index:
                return shard, shards
        raise shard_not_found(name, stream.name, stream.account_id)

    async def start(
        self,
        stream: StoredStream,
        shard: StoredShard,
        kind: str,
        sequence: str | None,
        timestamp: datetime | None,
    ) -> int:
        """The record counter a new iterator of ``kind`` reads after."""
        if kind == "TRIM_HORIZON":
            return shard.starting_seq
        if kind == "LATEST":
            read = await self.store.read(
                stream.stream_id, shard.shard_index, 2**62, limit=1, max_bytes=1, not_before=0
            )
            return read.tip[0] if read.tip else shard.starting_seq
        if kind == "AT_TIMESTAMP":
            if timestamp is None:
                raise invalid_argument(
                    "Must specify timestampInMillis parameter for iterator of type "
                    "AT_TIMESTAMP. Current request has no timestamp parameter."
                )
            at = int(timestamp.timestamp() * 1000)
            before = await self.store.seq_before(stream.stream_id, shard.shard_index, at)
            return max(before or 0, shard.starting_seq)
        if not sequence:
            raise invalid_argument(
                f"Must specify startingSequenceNumber parameter for iterator of type {kind}. "
                "Current request has no startingSequenceNumber parameter."
            )
        parsed = parse_sequence_number(sequence)
        if parsed is None:
            raise invalid_argument(
                f"StartingSequenceNumber {sequence} used in GetShardIterator on shard "
                f"{shard_id(shard.shard_index)} in stream {stream.name} under account "
                f"{stream.account_id} is invalid because it did not come from this stream."
            )
        seq, index = parsed
        if index != shard.shard_index:
            raise invalid_argument(
                f"Invalid StartingSequenceNumber. It encodes {shard_id(index)}, while it was "
                f"used in a call to a shard with {shard_id(shard.shard_index)}"
            )
        return seq - 1 if kind == "AT_SEQUENCE_NUMBER" else seq

    async def read(
        self,
        stream: StoredStream,
        shard: StoredShard,
        shards: Sequence[StoredShard],
        after_seq: int,
        limit: int,
    ) -> ReadBatch:
        now = self.clock()
        read = await self.store.read(
            stream.stream_id,
            shard.shard_index,
            after_seq,
            limit=limit,
            max_bytes=MAX_GET_RECORDS_BYTES,
            not_before=retention_start(stream, now),
        )
        records = read.records
        next_after = records[-1].seq if records else after_seq
        ended = not shard.is_open and not read.more
        children: tuple[StoredShard, ...] = ()
        if ended:
            index = shard.shard_index
            children = tuple(s for s in shards if index in (s.parent, s.adjacent_parent))
        behind = max(now - records[-1].arrival, 0) if read.more and records else 0
        return ReadBatch(stream, shard, records, next_after, ended, children, behind)
