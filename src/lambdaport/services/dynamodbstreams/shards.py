"""Positions and reads in a stream's shards, shared by the API (GetShardIterator,
GetRecords) and the in-process reader: where an iterator type starts, the retention's
``TrimmedDataAccessException``, and when a closed shard is read to its end."""

from __future__ import annotations

from dataclasses import dataclass

from lambdaport.services.dynamodbstreams.models import (
    parse_sequence_number,
    shard_not_found,
    stream_not_found,
    trimmed,
    validation,
)
from lambdaport.store.dynamodb_streams import (
    DynamoDBStreamTables,
    StoredRecord,
    StoredShard,
    StoredStream,
)

ITERATOR_TYPES = (
    "TRIM_HORIZON",
    "LATEST",
    "AT_SEQUENCE_NUMBER",
    "AFTER_SEQUENCE_NUMBER",
    "AT_TIMESTAMP",
)


@dataclass(frozen=True, slots=True)
class ShardRecords:
    records: tuple[StoredRecord, ...]
    after_seq: int  # where the next read starts
    ended: bool  # the shard is closed and read to its end
    children: tuple[StoredShard, ...]


class StreamShards:
    def __init__(self, store: DynamoDBStreamTables) -> None:
        self.store = store

    async def stream(self, stream_arn: str) -> StoredStream:
        stream = await self.store.stream(stream_arn)
        if stream is None:
            raise stream_not_found(stream_arn)
        return stream

    async def shard(
        self, stream: StoredStream, shard_id: str
    ) -> tuple[StoredShard, list[StoredShard]]:
        shards = await self.store.shards(stream.stream_id)
        for shard in shards:
            if shard.shard_id == shard_id:
                return shard, shards
        raise shard_not_found(stream.stream_arn, shard_id)

    async def shard_at(
        self, stream_id: int, shard_index: int
    ) -> tuple[StoredShard, list[StoredShard]] | None:
        shards = await self.store.shards(stream_id)
        for shard in shards:
            if shard.shard_index == shard_index:
                return shard, shards
        return None

    async def start(
        self, shard: StoredShard, kind: str, sequence: str | None, timestamp: float | None = None
    ) -> int:
        """The counter a read of ``kind`` starts after."""
        if kind == "TRIM_HORIZON":
            return shard.trimmed_seq
        if kind == "AT_TIMESTAMP":
            if timestamp is None:
                raise validation("Timestamp must be specified for the AT_TIMESTAMP iterator type")
            before = await self.store.seq_before(shard.stream_id, shard.shard_index, timestamp)
            return max(shard.trimmed_seq, shard.starting_seq if before is None else before)
        if kind == "LATEST":
            return await self._end(shard)
        if kind not in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
            types = ", ".join(ITERATOR_TYPES)
            raise validation(
                f"1 validation error detected: Value '{kind}' at 'shardIteratorType' failed to "
                f"satisfy constraint: Member must satisfy enum value set: [{types}]"
            )
        if sequence is None:
            raise validation("Sequence number must be specified for the requested iterator type")
        seq = parse_sequence_number(sequence)
        at = kind == "AT_SEQUENCE_NUMBER"
        lowest = shard.starting_seq + 1 if at else shard.starting_seq  # AFTER: may be before all
        if seq is None or seq < lowest or seq > await self._end(shard):
            raise validation(
                f"Invalid SequenceNumber {sequence} for shard {shard.shard_id}: it is not in "
                "the shard's range"
            )
        if (seq - 1 if at else seq) < shard.trimmed_seq:
            raise trimmed()
        return seq - 1 if kind == "AT_SEQUENCE_NUMBER" else seq

    async def _end(self, shard: StoredShard) -> int:
        """The counter after the shard's newest record (where LATEST reads from)."""
        if shard.ending_seq is not None:
            return shard.ending_seq
        read = await self.store.read(
            shard.stream_id, shard.shard_index, shard.starting_seq, limit=0, max_bytes=0
        )
        return shard.starting_seq if read.tip is None else read.tip

    async def read(
        self, shard: StoredShard, shards: list[StoredShard], after: int, limit: int, max_bytes: int
    ) -> ShardRecords:
        if after < shard.trimmed_seq:
            raise trimmed()
        read = await self.store.read(
            shard.stream_id, shard.shard_index, after, limit=limit, max_bytes=max_bytes
        )
        next_after = read.records[-1].seq if read.records else after
        ended = (
            shard.ending_seq is not None
            and not read.more
            and (read.tip is None or next_after >= read.tip)
        )
        children = tuple(s for s in shards if s.parent_shard_id == shard.shard_id) if ended else ()
        return ShardRecords(read.records, next_after, ended, children)
