"""Amazon DynamoDB Streams' store: the streams of tables, their shards and stream records,
the records they are kept as, and the protocol.

The writes come from DynamoDB's writes (the moto tail's hooks) in the order moto ran them,
as one ordered list of changes (:meth:`DynamoDBStreamTables.apply`: a stream created, a
stream disabled, records appended), committed together in that order; a record goes to its
stream's open shard. Records are numbered by one counter (``seq``) that only grows, so a
shard's records are in ``seq`` order; a shard's ``starting_seq`` is the counter when it
opened (its records are above it) and ``ending_seq`` the counter when it closed. Every read
is an index seek on (stream, shard, seq). Retention (:meth:`expire`) deletes records
created before a time and remembers, per shard, the highest seq it deleted
(``trimmed_seq``), which is how a read before it is told ``TrimmedDataAccessException``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class StoredStream:
    stream_id: int
    stream_arn: str
    account_id: str
    region: str
    table_name: str
    label: str  # the StreamLabel, the ARN's suffix
    view_type: str  # KEYS_ONLY | NEW_IMAGE | OLD_IMAGE | NEW_AND_OLD_IMAGES
    key_schema: tuple[tuple[str, str], ...]  # (AttributeName, KeyType), HASH first
    created_at: float  # epoch seconds
    disabled_at: float | None  # None while the stream is enabled
    table_deleted: bool = False  # disabled because its table was deleted

    @property
    def enabled(self) -> bool:
        return self.disabled_at is None


@dataclass(frozen=True, slots=True)
class StoredShard:
    stream_id: int
    shard_index: int
    shard_id: str
    parent_shard_id: str | None
    starting_seq: int  # the counter when the shard opened: its records are above it
    ending_seq: int | None  # None while open; the counter when it closed
    created_at: float
    closed_at: float | None
    trimmed_seq: int  # records at or below it went with the retention

    @property
    def is_open(self) -> bool:
        return self.ending_seq is None


@dataclass(frozen=True, slots=True)
class NewRecord:
    """A stream record as a write made it; the images as DynamoDB JSON (``orjson`` bytes),
    only those the stream's view type keeps."""

    event_id: str
    event_name: str  # INSERT | MODIFY | REMOVE
    keys: bytes
    new_image: bytes | None
    old_image: bytes | None
    size_bytes: int
    created_at: float  # epoch seconds
    by_ttl: bool = False  # deleted by Time to Live (the record's userIdentity)


@dataclass(frozen=True, slots=True)
class StoredRecord:
    seq: int
    shard_index: int
    record: NewRecord


@dataclass(frozen=True, slots=True)
class StreamCreated:
    """A table's stream enabled (any stream the table had enabled is disabled at the same
    point); it opens with one shard."""

    stream: StoredStream  # ``stream_id`` is ignored
    shard_id: str


@dataclass(frozen=True, slots=True)
class StreamDisabled:
    """The stream stops taking records (its table's stream disabled, or the table deleted);
    its open shard closes. Records stay readable until the retention takes them."""

    stream_arn: str
    at: float
    table_deleted: bool = False


@dataclass(frozen=True, slots=True)
class RecordsAppended:
    """Records to the stream's open shard, in order (none go to a disabled stream)."""

    stream_arn: str
    records: tuple[NewRecord, ...]


StreamChange = StreamCreated | StreamDisabled | RecordsAppended


@dataclass(frozen=True, slots=True)
class ShardRead:
    """What a read found: up to the limit of records after the position, whether more
    follow them, and the seq of the shard's newest record (None if it has none left)."""

    records: tuple[StoredRecord, ...]
    more: bool
    tip: int | None


class DynamoDBStreamTables(Protocol):
    async def apply(self, changes: Sequence[StreamChange]) -> None:
        """Apply the changes in order, in one transaction."""
        ...

    async def stream(self, stream_arn: str) -> StoredStream | None: ...

    async def stream_by_id(self, stream_id: int) -> StoredStream | None: ...

    async def streams(self, account_id: str, region: str) -> list[StoredStream]:
        """The region's streams, oldest first."""
        ...

    async def all_streams(self) -> list[StoredStream]: ...

    async def shards(self, stream_id: int) -> list[StoredShard]:
        """The stream's shards, oldest first."""
        ...

    async def read(
        self, stream_id: int, shard_index: int, after_seq: int, *, limit: int, max_bytes: int
    ) -> ShardRead:
        """Records of the shard above ``after_seq``, in order, at most ``limit`` and about
        ``max_bytes`` of images."""
        ...

    async def seq_before(self, stream_id: int, shard_index: int, at: float) -> int | None:
        """The seq of the shard's last record created before ``at`` (None: none was)."""
        ...

    async def roll(self, stream_id: int, shard_id: str, now: float) -> bool:
        """Close the stream's open shard and open ``shard_id`` as its child (False, and
        nothing changed, when the stream has no open shard)."""
        ...

    async def expire(self, before: float) -> int:
        """Retention: delete the records created before ``before``, the closed shards that
        closed before it and have no records left, and the streams disabled before it (with
        everything of theirs); how many records went."""
        ...
