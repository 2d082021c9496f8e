"""Amazon Kinesis Data Streams' store: streams, their shards (with lineage), records and
stream consumers, the records they are kept as, and the protocol.

Every method is one atomic operation, committed before it returns: a put routes its records
to the open shards and inserts them in the same transaction (so a reshard can never slip
between the routing and the insert), a reshard closes and opens its shards at one point of
the sequence. Records are numbered by one counter (``seq``) that only grows, so a shard's
records are in ``seq`` order, a closed shard's ``ending_seq`` is the counter when it closed
and its children start above it; every read is an index seek on (stream, shard, seq).
Arrival times (epoch ms) never decrease within a shard, so a time is found by a binary search
over ``seq`` (AT_TIMESTAMP, retention) instead of a scan.

A deleted stream's ``stream_id`` is retired; :meth:`KinesisTables.sweep_retired` deletes its
records in bounded chunks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class StoredStream:
    stream_id: int
    account_id: str
    region: str
    name: str
    status: str  # CREATING | ACTIVE | UPDATING | DELETING
    mode: str  # PROVISIONED | ON_DEMAND
    created_at: float  # epoch seconds
    retention_hours: int
    encryption_type: str  # NONE | KMS
    key_id: str | None
    shard_level_metrics: tuple[str, ...]
    max_record_size_kib: int
    tags: Mapping[str, str]
    next_shard: int  # the index the next new shard gets


@dataclass(frozen=True, slots=True)
class NewShard:
    shard_index: int
    parent: int | None
    adjacent_parent: int | None
    starting_hash: int
    ending_hash: int


@dataclass(frozen=True, slots=True)
class StoredShard:
    stream_id: int
    shard_index: int
    parent: int | None
    adjacent_parent: int | None
    starting_hash: int
    ending_hash: int
    starting_seq: int  # the counter when the shard opened: its records are above it
    ending_seq: int | None  # None while open; the counter when it closed
    closed_at: int | None  # epoch ms

    @property
    def is_open(self) -> bool:
        return self.ending_seq is None


@dataclass(frozen=True, slots=True)
class Reshard:
    """One split or merge: ``close`` (open shards, by index) end, ``open`` begin."""

    close: tuple[int, ...]
    open: tuple[NewShard, ...]


@dataclass(frozen=True, slots=True)
class RecordToPut:
    hash_key: int  # the explicit hash key, or the partition key's MD5 as an integer
    partition_key: str
    data: bytes


@dataclass(frozen=True, slots=True)
class PutRecordResult:
    shard_index: int
    seq: int
    arrival: int  # epoch ms


@dataclass(frozen=True, slots=True)
class StoredRecord:
    seq: int
    shard_index: int
    partition_key: str
    data: bytes
    arrival: int  # epoch ms


@dataclass(frozen=True, slots=True)
class ShardRead:
    """What a read found: up to the limit of records after the position, whether more
    follow them, and the shard's newest record (seq, arrival) if it has any."""

    records: tuple[StoredRecord, ...]
    more: bool
    tip: tuple[int, int] | None


@dataclass(frozen=True, slots=True)
class StoredConsumer:
    stream_id: int
    name: str
    created_at: int  # epoch seconds (the ARN's suffix)
    status: str  # CREATING | ACTIVE | DELETING
    tags: Mapping[str, str]


class KinesisTables(Protocol):
    # -- streams -----------------------------------------------------------------------

    async def create_stream(
        self, stream: StoredStream, shards: Sequence[NewShard]
    ) -> StoredStream | None:
        """Insert the stream (``stream_id`` is ignored) with its first shards; None when a
        stream of that name exists in the account and region."""
        ...

    async def stream(self, account_id: str, region: str, name: str) -> StoredStream | None: ...

    async def stream_by_id(self, stream_id: int) -> StoredStream | None: ...

    async def streams(self, account_id: str, region: str) -> list[StoredStream]:
        """The region's streams, by name."""
        ...

    async def all_streams(self) -> list[StoredStream]: ...

    async def update_stream(self, stream: StoredStream) -> bool:
        """Write the stream's mutable columns; False when it is gone."""
        ...

    async def delete_stream(self, stream_id: int) -> bool:
        """Delete the stream, its shards and consumers; its records go with the sweeps."""
        ...

    async def sweep_retired(self, limit: int = 2000) -> int:
        """Delete up to ``limit`` records of deleted streams; how many went."""
        ...

    # -- shards ------------------------------------------------------------------------

    async def shards(self, stream_id: int) -> list[StoredShard]:
        """The stream's shards, by index."""
        ...

    async def reshard(
        self, stream_id: int, steps: Sequence[Reshard], next_shard: int, now: int
    ) -> bool:
        """Apply the splits and merges in order, at one point of the sequence; False (and
        nothing changed) if a shard to close is not open any more."""
        ...

    # -- records -----------------------------------------------------------------------

    async def put(
        self, stream_id: int, records: Sequence[RecordToPut], now: int
    ) -> list[PutRecordResult] | None:
        """Route each record to the open shard whose hash key range holds its hash key and
        insert them, in order; None when the stream is gone."""
        ...

    async def read(
        self,
        stream_id: int,
        shard_index: int,
        after_seq: int,
        *,
        limit: int,
        max_bytes: int,
        not_before: int,
    ) -> ShardRead:
        """Records of the shard above ``after_seq`` that arrived at ``not_before`` or later
        (the retention), in order, at most ``limit`` and about ``max_bytes`` of data."""
        ...

    async def seq_before(self, stream_id: int, shard_index: int, arrival: int) -> int | None:
        """The seq of the shard's last record that arrived before ``arrival`` (epoch ms);
        None when none did."""
        ...

    async def expire(self, stream_id: int, before: int) -> int:
        """Retention: delete the records that arrived before ``before`` and the closed
        shards that closed before it; how many records went."""
        ...

    # -- consumers ---------------------------------------------------------------------

    async def register_consumer(self, consumer: StoredConsumer) -> bool:
        """False when the stream has a consumer of that name."""
        ...

    async def consumers(self, stream_id: int) -> list[StoredConsumer]:
        """The stream's consumers, by name."""
        ...

    async def update_consumer(self, consumer: StoredConsumer) -> bool: ...

    async def deregister_consumer(self, stream_id: int, name: str) -> bool: ...
