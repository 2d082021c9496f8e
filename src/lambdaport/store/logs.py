"""CloudWatch Logs' store: log groups, log streams and log events, and their protocol.

Every method is atomic and committed before it returns. Events are ordered by
``(timestamp, id)``: ``id`` is the insertion order (never reused), so a position in a stream
or group is that pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

Position = tuple[int, int]  # (timestamp, id)
GroupKey = tuple[str, str, str]  # (account, region, log group name)
Batch = tuple[GroupKey, str, Sequence[tuple[int, str]]]  # (group, stream, [(timestamp, message)])


@dataclass(frozen=True, slots=True)
class LogGroupRow:
    account_id: str
    region: str
    name: str
    creation_time: int
    retention_in_days: int | None = None
    kms_key_id: str | None = None
    log_group_class: str = "STANDARD"
    tags: tuple[tuple[str, str], ...] = ()
    stored_bytes: int = 0  # filled in by reads


@dataclass(frozen=True, slots=True)
class LogStreamRow:
    log_group: str
    name: str
    creation_time: int
    first_event_timestamp: int | None
    last_event_timestamp: int | None
    last_ingestion_time: int | None
    stored_bytes: int
    sequence: int


@dataclass(frozen=True, slots=True)
class LogEventRow:
    id: int
    log_stream: str
    timestamp: int
    ingestion_time: int
    message: str

    @property
    def position(self) -> Position:
        return (self.timestamp, self.id)


@dataclass(frozen=True, slots=True)
class StoredLogEvent:
    """A log event as the followers of function logs see it."""

    id: int
    log_group: str
    log_stream: str
    timestamp: int
    message: str


class Logs(Protocol):
    async def create_group(self, group: LogGroupRow) -> bool:
        """Insert the group; False when it already exists."""
        ...

    async def group(self, key: GroupKey) -> LogGroupRow | None: ...

    async def groups(
        self, account_id: str, region: str, *, prefix: str = "", after: str = ""
    ) -> list[LogGroupRow]:
        """Groups in name order after ``after``, with ``prefix`` (stored bytes included)."""
        ...

    async def retained_groups(self) -> list[LogGroupRow]: ...

    async def delete_group(self, key: GroupKey) -> bool: ...

    async def set_retention(self, key: GroupKey, days: int | None) -> None: ...

    async def set_tags(self, key: GroupKey, tags: dict[str, str]) -> None: ...

    async def create_stream(self, key: GroupKey, name: str, creation_time: int) -> bool: ...

    async def stream(self, key: GroupKey, name: str) -> LogStreamRow | None: ...

    async def streams(self, key: GroupKey) -> list[LogStreamRow]:
        """Every stream of the group in name order."""
        ...

    async def delete_stream(self, key: GroupKey, name: str) -> bool: ...

    async def append(self, batches: Sequence[Batch], ingestion_time: int) -> list[list[int]]:
        """Append each batch's events to its (existing) stream, all in one transaction;
        the new events' ids, batch by batch."""
        ...

    async def stream_events(
        self,
        key: GroupKey,
        stream: str,
        *,
        start: int,
        end: int,
        after: Position | None,
        before: Position | None,
        limit: int,
        newest_first: bool,
    ) -> list[LogEventRow]:
        """Events of one stream in ``[start, end)`` strictly between the positions,
        oldest first (``newest_first`` reads from the end and returns newest first)."""
        ...

    async def group_events(
        self,
        key: GroupKey,
        *,
        streams: Sequence[str] | None,
        start: int,
        end: int,
        after: Position | None,
        limit: int,
    ) -> list[LogEventRow]:
        """Events of the group (or of ``streams``) in ``[start, end)`` after ``after``,
        interleaved by (timestamp, id)."""
        ...

    async def prune(self, key: GroupKey, cutoff: int) -> int:
        """Delete the group's events older than ``cutoff`` (ms); the number deleted."""
        ...

    async def last_id(self, log_group: str) -> int:
        """The id of the group's newest event (0 when it has none)."""
        ...

    async def log_events(
        self, log_group: str, *, after_id: int = 0, limit: int = 1000
    ) -> list[StoredLogEvent]:
        """The group's events after ``after_id`` in id order (the followers' view)."""
        ...
