"""CloudWatch Logs tables: ``log_groups``, ``log_streams`` and ``log_events`` (see ``schema.py``):
:class:`lambdaport.store.logs.Logs` on SQLite. Each call is one operation on the store's thread
(atomic, committed before it resolves).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import orjson

from lambdaport.store.logs import (
    Batch,
    GroupKey,
    LogEventRow,
    LogGroupRow,
    LogStreamRow,
    Position,
    StoredLogEvent,
)
from lambdaport.store.sqlite.core import Database

_GROUP_COLUMNS = (
    "g.account_id, g.region, g.name, g.creation_time, g.retention_in_days, g.kms_key_id, "
    "g.log_group_class, g.tags"
)
_STREAM_COLUMNS = (
    "log_group, name, creation_time, first_event_timestamp, last_event_timestamp, "
    "last_ingestion_time, stored_bytes, sequence"
)
_EVENT_COLUMNS = "id, log_stream, timestamp, ingestion_time, message"


def _group(row: Sequence[Any], stored_bytes: int = 0) -> LogGroupRow:
    tags = orjson.loads(row[7]) if row[7] else {}
    return LogGroupRow(
        account_id=row[0],
        region=row[1],
        name=row[2],
        creation_time=int(row[3]),
        retention_in_days=row[4],
        kms_key_id=row[5],
        log_group_class=row[6],
        tags=tuple(sorted(tags.items())),
        stored_bytes=stored_bytes,
    )


class LogsTables:
    """The CloudWatch Logs tables, on the store's connection (its thread, its transaction)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    # -- groups -------------------------------------------------------------------------

    def create_group(self, group: LogGroupRow) -> bool:
        """Insert the group; False when it already exists."""
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO log_groups (account_id, region, name, creation_time, "
            "retention_in_days, kms_key_id, log_group_class, tags) VALUES (?,?,?,?,?,?,?,?)",
            (
                group.account_id,
                group.region,
                group.name,
                group.creation_time,
                group.retention_in_days,
                group.kms_key_id,
                group.log_group_class,
                orjson.dumps(dict(group.tags)).decode(),
            ),
        )
        return cursor.rowcount == 1

    def group(self, key: GroupKey) -> LogGroupRow | None:
        row = self._db.execute(
            f"SELECT {_GROUP_COLUMNS} FROM log_groups g "
            "WHERE g.account_id=? AND g.region=? AND g.name=?",
            key,
        ).fetchone()
        return None if row is None else _group(row, self._group_bytes(key))

    def groups(
        self, account_id: str, region: str, *, prefix: str = "", after: str = ""
    ) -> list[LogGroupRow]:
        """Groups in name order after ``after``, with ``prefix`` (stored bytes included)."""
        rows = self._db.execute(
            f"SELECT {_GROUP_COLUMNS}, COALESCE(SUM(s.stored_bytes), 0) FROM log_groups g "
            "LEFT JOIN log_streams s ON s.account_id=g.account_id AND s.region=g.region "
            "AND s.log_group=g.name WHERE g.account_id=? AND g.region=? AND g.name>? "
            "AND substr(g.name, 1, ?)=? GROUP BY g.name ORDER BY g.name",
            (account_id, region, after, len(prefix), prefix),
        ).fetchall()
        return [_group(row, int(row[8])) for row in rows]

    def retained_groups(self) -> list[LogGroupRow]:
        rows = self._db.execute(
            f"SELECT {_GROUP_COLUMNS} FROM log_groups g WHERE g.retention_in_days IS NOT NULL"
        ).fetchall()
        return [_group(row) for row in rows]

    def _group_bytes(self, key: GroupKey) -> int:
        row = self._db.execute(
            "SELECT COALESCE(SUM(stored_bytes), 0) FROM log_streams "
            "WHERE account_id=? AND region=? AND log_group=?",
            key,
        ).fetchone()
        return int(row[0])

    def delete_group(self, key: GroupKey) -> bool:
        cursor = self._db.execute(
            "DELETE FROM log_groups WHERE account_id=? AND region=? AND name=?", key
        )
        self._db.execute(
            "DELETE FROM log_streams WHERE account_id=? AND region=? AND log_group=?", key
        )
        self._db.execute(
            "DELETE FROM log_events WHERE log_group=? AND account_id=? AND region=?",
            (key[2], key[0], key[1]),
        )
        return cursor.rowcount == 1

    def set_retention(self, key: GroupKey, days: int | None) -> None:
        self._db.execute(
            "UPDATE log_groups SET retention_in_days=? WHERE account_id=? AND region=? AND name=?",
            (days, *key),
        )

    def set_tags(self, key: GroupKey, tags: dict[str, str]) -> None:
        self._db.execute(
            "UPDATE log_groups SET tags=? WHERE account_id=? AND region=? AND name=?",
            (orjson.dumps(tags).decode(), *key),
        )

    # -- streams ------------------------------------------------------------------------

    def create_stream(self, key: GroupKey, name: str, creation_time: int) -> bool:
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO log_streams (account_id, region, log_group, name, "
            "creation_time) VALUES (?,?,?,?,?)",
            (*key, name, creation_time),
        )
        return cursor.rowcount == 1

    def stream(self, key: GroupKey, name: str) -> LogStreamRow | None:
        row = self._db.execute(
            f"SELECT {_STREAM_COLUMNS} FROM log_streams "
            "WHERE account_id=? AND region=? AND log_group=? AND name=?",
            (*key, name),
        ).fetchone()
        return None if row is None else LogStreamRow(*row)

    def streams(self, key: GroupKey) -> list[LogStreamRow]:
        """Every stream of the group in name order."""
        rows = self._db.execute(
            f"SELECT {_STREAM_COLUMNS} FROM log_streams "
            "WHERE account_id=? AND region=? AND log_group=? ORDER BY name",
            key,
        ).fetchall()
        return [LogStreamRow(*row) for row in rows]

    def delete_stream(self, key: GroupKey, name: str) -> bool:
        cursor = self._db.execute(
            "DELETE FROM log_streams WHERE account_id=? AND region=? AND log_group=? AND name=?",
            (*key, name),
        )
        self._db.execute(
            "DELETE FROM log_events WHERE log_group=? AND log_stream=? AND account_id=? "
            "AND region=?",
            (key[2], name, key[0], key[1]),
        )
        return cursor.rowcount == 1

    # -- events -------------------------------------------------------------------------

    def append(self, batches: Sequence[Batch], ingestion_time: int) -> list[list[int]]:
        """Append each batch's events to its (existing) stream, all in one transaction;
        the new events' ids, batch by batch."""
        ids: list[list[int]] = []
        row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name='log_events'").fetchone()
        last = int(row[0]) if row else 0
        for key, stream, events in batches:
            ids.append(list(range(last + 1, last + 1 + len(events))))
            last += len(events)
            self._append(key, stream, events, ingestion_time)
        return ids

    def _append(
        self, key: GroupKey, stream: str, events: Sequence[tuple[int, str]], ingestion_time: int
    ) -> None:
        if not events:
            return
        first = min(ts for ts, _ in events)
        last = max(ts for ts, _ in events)
        size = sum(len(message.encode()) + 26 for _, message in events)
        account_id, region, group = key
        self._db.executemany(
            "INSERT INTO log_events (log_group, log_stream, timestamp, message, account_id, "
            "region, ingestion_time) VALUES (?,?,?,?,?,?,?)",
            [
                (group, stream, ts, message, account_id, region, ingestion_time)
                for ts, message in events
            ],
        )
        self._db.execute(
            "UPDATE log_streams SET "
            "first_event_timestamp=min(COALESCE(first_event_timestamp, ?), ?), "
            "last_event_timestamp=max(COALESCE(last_event_timestamp, ?), ?), "
            "last_ingestion_time=?, stored_bytes=stored_bytes+?, sequence=sequence+1 "
            "WHERE account_id=? AND region=? AND log_group=? AND name=?",
            (first, first, last, last, ingestion_time, size, *key, stream),
        )

    def stream_events(
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
        clauses = ["log_group=?", "log_stream=?", "account_id=?", "region=?"]
        args: list[Any] = [key[2], stream, key[0], key[1]]
        _range_clauses(clauses, args, start, end, after, before)
        order = "DESC" if newest_first else "ASC"
        rows = self._db.execute(
            f"SELECT {_EVENT_COLUMNS} FROM log_events WHERE {' AND '.join(clauses)} "
            f"ORDER BY timestamp {order}, id {order} LIMIT ?",
            (*args, limit),
        ).fetchall()
        return [LogEventRow(*row) for row in rows]

    def group_events(
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
        clauses = ["log_group=?", "account_id=?", "region=?"]
        args: list[Any] = [key[2], key[0], key[1]]
        if streams is not None:
            clauses.append(f"log_stream IN ({','.join('?' * len(streams))})")
            args.extend(streams)
        _range_clauses(clauses, args, start, end, after, None)
        rows = self._db.execute(
            f"SELECT {_EVENT_COLUMNS} FROM log_events WHERE {' AND '.join(clauses)} "
            "ORDER BY timestamp, id LIMIT ?",
            (*args, limit),
        ).fetchall()
        return [LogEventRow(*row) for row in rows]

    def prune(self, key: GroupKey, cutoff: int) -> int:
        """Delete the group's events older than ``cutoff`` (ms); the number deleted."""
        account_id, region, group = key
        cursor = self._db.execute(
            "DELETE FROM log_events WHERE log_group=? AND timestamp<? AND account_id=? "
            "AND region=?",
            (group, cutoff, account_id, region),
        )
        if cursor.rowcount:
            self._db.execute(
                "UPDATE log_streams SET stored_bytes=(SELECT "
                "COALESCE(SUM(length(CAST(e.message AS BLOB)) + 26), 0) FROM log_events e "
                "WHERE e.log_group=log_streams.log_group AND e.log_stream=log_streams.name "
                "AND e.account_id=log_streams.account_id AND e.region=log_streams.region) "
                "WHERE account_id=? AND region=? AND log_group=?",
                key,
            )
        return cursor.rowcount

    def last_id(self, log_group: str) -> int:
        """The id of the group's newest event (0 when it has none)."""
        row = self._db.execute(
            "SELECT MAX(id) FROM log_events WHERE log_group=?", (log_group,)
        ).fetchone()
        return int(row[0] or 0)

    def log_events(
        self, log_group: str, *, after_id: int = 0, limit: int = 1000
    ) -> list[StoredLogEvent]:
        """The group's events after ``after_id`` in id order (the followers' view)."""
        rows = self._db.execute(
            "SELECT id, log_group, log_stream, timestamp, message FROM log_events "
            "WHERE log_group=? AND id>? ORDER BY id LIMIT ?",
            (log_group, after_id, limit),
        ).fetchall()
        return [StoredLogEvent(*row) for row in rows]


def _range_clauses(
    clauses: list[str],
    args: list[Any],
    start: int,
    end: int,
    after: Position | None,
    before: Position | None,
) -> None:
    clauses.append("timestamp>=? AND timestamp<?")
    args.extend((start, end))
    if after is not None:
        clauses.append("(timestamp, id) > (?, ?)")
        args.extend(after)
    if before is not None:
        clauses.append("(timestamp, id) < (?, ?)")
        args.extend(before)


class SqliteLogs:
    """The Logs tables of one database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create_group(self, group: LogGroupRow) -> bool:
        return await self._db.run(lambda db: LogsTables(db).create_group(group))

    async def group(self, key: GroupKey) -> LogGroupRow | None:
        return await self._db.run(lambda db: LogsTables(db).group(key))

    async def groups(
        self, account_id: str, region: str, *, prefix: str = "", after: str = ""
    ) -> list[LogGroupRow]:
        return await self._db.run(
            lambda db: LogsTables(db).groups(account_id, region, prefix=prefix, after=after)
        )

    async def retained_groups(self) -> list[LogGroupRow]:
        return await self._db.run(lambda db: LogsTables(db).retained_groups())

    async def delete_group(self, key: GroupKey) -> bool:
        return await self._db.run(lambda db: LogsTables(db).delete_group(key))

    async def set_retention(self, key: GroupKey, days: int | None) -> None:
        return await self._db.run(lambda db: LogsTables(db).set_retention(key, days))

    async def set_tags(self, key: GroupKey, tags: dict[str, str]) -> None:
        return await self._db.run(lambda db: LogsTables(db).set_tags(key, tags))

    async def create_stream(self, key: GroupKey, name: str, creation_time: int) -> bool:
        return await self._db.run(lambda db: LogsTables(db).create_stream(key, name, creation_time))

    async def stream(self, key: GroupKey, name: str) -> LogStreamRow | None:
        return await self._db.run(lambda db: LogsTables(db).stream(key, name))

    async def streams(self, key: GroupKey) -> list[LogStreamRow]:
        return await self._db.run(lambda db: LogsTables(db).streams(key))

    async def delete_stream(self, key: GroupKey, name: str) -> bool:
        return await self._db.run(lambda db: LogsTables(db).delete_stream(key, name))

    async def append(self, batches: Sequence[Batch], ingestion_time: int) -> list[list[int]]:
        return await self._db.run(lambda db: LogsTables(db).append(batches, ingestion_time))

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
        return await self._db.run(
            lambda db: LogsTables(db).stream_events(
                key,
                stream,
                start=start,
                end=end,
                after=after,
                before=before,
                limit=limit,
                newest_first=newest_first,
            )
        )

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
        return await self._db.run(
            lambda db: LogsTables(db).group_events(
                key, streams=streams, start=start, end=end, after=after, limit=limit
            )
        )

    async def prune(self, key: GroupKey, cutoff: int) -> int:
        return await self._db.run(lambda db: LogsTables(db).prune(key, cutoff))

    async def last_id(self, log_group: str) -> int:
        return await self._db.run(lambda db: LogsTables(db).last_id(log_group))

    async def log_events(
        self, log_group: str, *, after_id: int = 0, limit: int = 1000
    ) -> list[StoredLogEvent]:
        return await self._db.run(
            lambda db: LogsTables(db).log_events(log_group, after_id=after_id, limit=limit)
        )
