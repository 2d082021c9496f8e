"""DynamoDB Streams' tables (see ``schema.py``):
:class:`lambdaport.store.dynamodb_streams.DynamoDBStreamTables` on SQLite. Each operation is
one job on the store's thread (atomic); reads are index seeks on
``dynamodb_stream_records_shard (stream_id, shard_index, seq)``."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import orjson

from lambdaport.store.dynamodb_streams import (
    NewRecord,
    RecordsAppended,
    ShardRead,
    StoredRecord,
    StoredShard,
    StoredStream,
    StreamChange,
    StreamCreated,
    StreamDisabled,
)
from lambdaport.store.sqlite.core import Database

_STREAM_COLUMNS = (
    "stream_id, stream_arn, account_id, region, table_name, label, view_type, key_schema, "
    "created_at, disabled_at, table_deleted"
)
_SHARD_COLUMNS = (
    "stream_id, shard_index, shard_id, parent_shard_id, starting_seq, ending_seq, created_at, "
    "closed_at, trimmed_seq"
)
_RECORD_COLUMNS = (
    "seq, shard_index, event_id, event_name, keys, new_image, old_image, size_bytes, "
    "created_at, by_ttl"
)


def _stream(row: tuple[Any, ...]) -> StoredStream:
    return StoredStream(
        stream_id=int(row[0]),
        stream_arn=row[1],
        account_id=row[2],
        region=row[3],
        table_name=row[4],
        label=row[5],
        view_type=row[6],
        key_schema=tuple((str(name), str(kind)) for name, kind in orjson.loads(row[7])),
        created_at=float(row[8]),
        disabled_at=None if row[9] is None else float(row[9]),
        table_deleted=bool(row[10]),
    )


def _shard(row: tuple[Any, ...]) -> StoredShard:
    return StoredShard(
        int(row[0]), int(row[1]), row[2], row[3], int(row[4]),
        None if row[5] is None else int(row[5]), float(row[6]),
        None if row[7] is None else float(row[7]), int(row[8]),
    )  # fmt: skip


def _blob(value: Any) -> bytes | None:
    return None if value is None else bytes(value)


def _record(row: tuple[Any, ...]) -> StoredRecord:
    return StoredRecord(
        int(row[0]),
        int(row[1]),
        NewRecord(
            row[2], row[3], bytes(row[4]), _blob(row[5]), _blob(row[6]), int(row[7]),
            float(row[8]), bool(row[9]),
        ),
    )  # fmt: skip


def _counter(db: sqlite3.Connection) -> int:
    """The highest seq ever given to a record (AUTOINCREMENT never gives it again)."""
    row = db.execute(
        "SELECT seq FROM sqlite_sequence WHERE name = 'dynamodb_stream_records'"
    ).fetchone()
    return int(row[0]) if row else 0


def _open_shard(db: sqlite3.Connection, stream_id: int) -> tuple[int, str] | None:
    row = db.execute(
        "SELECT shard_index, shard_id FROM dynamodb_stream_shards "
        "WHERE stream_id = ? AND ending_seq IS NULL",
        (stream_id,),
    ).fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


def _close(db: sqlite3.Connection, stream_id: int, at: float) -> None:
    db.execute(
        "UPDATE dynamodb_stream_shards SET ending_seq = ?, closed_at = ? "
        "WHERE stream_id = ? AND ending_seq IS NULL",
        (_counter(db), at, stream_id),
    )


def _open(
    db: sqlite3.Connection, stream_id: int, index: int, shard_id: str, parent: str | None, at: float
) -> None:
    counter = _counter(db)
    db.execute(
        f"INSERT INTO dynamodb_stream_shards ({_SHARD_COLUMNS}) "
        "VALUES (?, ?, ?, ?, ?, NULL, ?, NULL, ?)",
        (stream_id, index, shard_id, parent, counter, at, counter),
    )


def _disable(
    db: sqlite3.Connection, stream_id: int, at: float, table_deleted: bool = False
) -> None:
    db.execute(
        "UPDATE dynamodb_streams SET disabled_at = COALESCE(disabled_at, ?), "
        "table_deleted = MAX(table_deleted, ?) WHERE stream_id = ?",
        (at, int(table_deleted), stream_id),
    )
    _close(db, stream_id, at)


def _create(db: sqlite3.Connection, change: StreamCreated) -> None:
    stream = change.stream
    for (previous,) in db.execute(
        "SELECT stream_id FROM dynamodb_streams WHERE account_id = ? AND region = ? "
        "AND table_name = ? AND disabled_at IS NULL",
        (stream.account_id, stream.region, stream.table_name),
    ).fetchall():
        _disable(db, int(previous), stream.created_at)
    row = db.execute(
        f"INSERT INTO dynamodb_streams ({_STREAM_COLUMNS}) "
        "VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 0) RETURNING stream_id",
        (
            stream.stream_arn, stream.account_id, stream.region, stream.table_name, stream.label,
            stream.view_type, orjson.dumps([list(key) for key in stream.key_schema]).decode(),
            stream.created_at,
        ),
    ).fetchone()  # fmt: skip
    _open(db, int(row[0]), 0, change.shard_id, None, stream.created_at)


def _stream_id(db: sqlite3.Connection, stream_arn: str) -> int | None:
    row = db.execute(
        "SELECT stream_id FROM dynamodb_streams WHERE stream_arn = ?", (stream_arn,)
    ).fetchone()
    return None if row is None else int(row[0])


def _append(db: sqlite3.Connection, change: RecordsAppended) -> None:
    stream_id = _stream_id(db, change.stream_arn)
    shard = None if stream_id is None else _open_shard(db, stream_id)
    if stream_id is None or shard is None:
        return  # the stream was disabled or is gone: no record goes to it
    db.executemany(
        "INSERT INTO dynamodb_stream_records (stream_id, shard_index, created_at, event_id, "
        "event_name, keys, new_image, old_image, size_bytes, by_ttl) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (stream_id, shard[0], r.created_at, r.event_id, r.event_name, r.keys, r.new_image,
             r.old_image, r.size_bytes, int(r.by_ttl))
            for r in change.records
        ],
    )  # fmt: skip


def _apply(db: sqlite3.Connection, changes: Sequence[StreamChange]) -> None:
    for change in changes:
        if isinstance(change, RecordsAppended):
            _append(db, change)
        elif isinstance(change, StreamCreated):
            _create(db, change)
        else:
            assert isinstance(change, StreamDisabled)
            stream_id = _stream_id(db, change.stream_arn)
            if stream_id is not None:
                _disable(db, stream_id, change.at, change.table_deleted)


def _read(
    db: sqlite3.Connection,
    stream_id: int,
    shard_index: int,
    after_seq: int,
    limit: int,
    max_bytes: int,
) -> ShardRead:
    cursor = db.execute(
        f"SELECT {_RECORD_COLUMNS} FROM dynamodb_stream_records "
        "WHERE stream_id = ? AND shard_index = ? AND seq > ? ORDER BY seq LIMIT ?",
        (stream_id, shard_index, after_seq, limit + 1),
    )
    records: list[StoredRecord] = []
    size, more = 0, False
    for row in cursor:
        size += int(row[7])
        if len(records) == limit or (records and size > max_bytes):
            more = True
            break
        records.append(_record(row))
    cursor.close()
    tip = db.execute(
        "SELECT MAX(seq) FROM dynamodb_stream_records WHERE stream_id = ? AND shard_index = ?",
        (stream_id, shard_index),
    ).fetchone()
    return ShardRead(tuple(records), more, None if tip[0] is None else int(tip[0]))


def _roll(db: sqlite3.Connection, stream_id: int, shard_id: str, now: float) -> bool:
    shard = _open_shard(db, stream_id)
    if shard is None:
        return False
    _close(db, stream_id, now)
    _open(db, stream_id, shard[0] + 1, shard_id, shard[1], now)
    return True


def _expire(db: sqlite3.Connection, before: float) -> int:
    trimmed = db.execute(
        "SELECT stream_id, shard_index, MAX(seq) FROM dynamodb_stream_records "
        "WHERE created_at < ? GROUP BY stream_id, shard_index",
        (before,),
    ).fetchall()
    deleted = 0
    for stream_id, shard_index, last in trimmed:
        db.execute(
            "UPDATE dynamodb_stream_shards SET trimmed_seq = MAX(trimmed_seq, ?) "
            "WHERE stream_id = ? AND shard_index = ?",
            (last, stream_id, shard_index),
        )
        deleted += db.execute(
            "DELETE FROM dynamodb_stream_records "
            "WHERE stream_id = ? AND shard_index = ? AND seq <= ?",
            (stream_id, shard_index, last),
        ).rowcount
    db.execute(
        "DELETE FROM dynamodb_stream_shards WHERE closed_at < ? AND NOT EXISTS (SELECT 1 FROM "
        "dynamodb_stream_records r WHERE r.stream_id = dynamodb_stream_shards.stream_id "
        "AND r.shard_index = dynamodb_stream_shards.shard_index)",
        (before,),
    )
    for (stream_id,) in db.execute(
        "SELECT stream_id FROM dynamodb_streams WHERE disabled_at < ?", (before,)
    ).fetchall():
        deleted += db.execute(
            "DELETE FROM dynamodb_stream_records WHERE stream_id = ?", (stream_id,)
        ).rowcount
        db.execute("DELETE FROM dynamodb_stream_shards WHERE stream_id = ?", (stream_id,))
        db.execute("DELETE FROM dynamodb_streams WHERE stream_id = ?", (stream_id,))
    return deleted


class SqliteDynamoDBStreams:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def apply(self, changes: Sequence[StreamChange]) -> None:
        await self._db.run(lambda db: _apply(db, changes), point=len(changes) <= 16)

    async def stream(self, stream_arn: str) -> StoredStream | None:
        row = await self._db.run(
            lambda db: db.execute(
                f"SELECT {_STREAM_COLUMNS} FROM dynamodb_streams WHERE stream_arn = ?",
                (stream_arn,),
            ).fetchone(),
            point=True,
        )
        return None if row is None else _stream(row)

    async def stream_by_id(self, stream_id: int) -> StoredStream | None:
        row = await self._db.run(
            lambda db: db.execute(
                f"SELECT {_STREAM_COLUMNS} FROM dynamodb_streams WHERE stream_id = ?",
                (stream_id,),
            ).fetchone(),
            point=True,
        )
        return None if row is None else _stream(row)

    async def streams(self, account_id: str, region: str) -> list[StoredStream]:
        rows = await self._db.run(
            lambda db: db.execute(
                f"SELECT {_STREAM_COLUMNS} FROM dynamodb_streams "
                "WHERE account_id = ? AND region = ? ORDER BY stream_id",
                (account_id, region),
            ).fetchall()
        )
        return [_stream(row) for row in rows]

    async def all_streams(self) -> list[StoredStream]:
        rows = await self._db.run(
            lambda db: db.execute(
                f"SELECT {_STREAM_COLUMNS} FROM dynamodb_streams ORDER BY stream_id"
            ).fetchall()
        )
        return [_stream(row) for row in rows]

    async def shards(self, stream_id: int) -> list[StoredShard]:
        rows = await self._db.run(
            lambda db: db.execute(
                f"SELECT {_SHARD_COLUMNS} FROM dynamodb_stream_shards WHERE stream_id = ? "
                "ORDER BY shard_index",
                (stream_id,),
            ).fetchall(),
            point=True,
        )
        return [_shard(row) for row in rows]

    async def read(
        self, stream_id: int, shard_index: int, after_seq: int, *, limit: int, max_bytes: int
    ) -> ShardRead:
        return await self._db.run(
            lambda db: _read(db, stream_id, shard_index, after_seq, limit, max_bytes),
            point=limit <= 1000,
        )

    async def seq_before(self, stream_id: int, shard_index: int, at: float) -> int | None:
        row = await self._db.run(
            lambda db: db.execute(
                "SELECT MAX(seq) FROM dynamodb_stream_records "
                "WHERE stream_id = ? AND shard_index = ? AND created_at < ?",
                (stream_id, shard_index, at),
            ).fetchone()
        )
        return None if row[0] is None else int(row[0])

    async def roll(self, stream_id: int, shard_id: str, now: float) -> bool:
        return await self._db.run(lambda db: _roll(db, stream_id, shard_id, now))

    async def expire(self, before: float) -> int:
        return await self._db.run(lambda db: _expire(db, before))
