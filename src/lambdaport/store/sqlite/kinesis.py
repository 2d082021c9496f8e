"""Kinesis's tables (see ``schema.py``): :class:`lambdaport.store.kinesis.KinesisTables` on
SQLite. Each operation is one job on the store's thread (atomic); the record operations are
index seeks on ``kinesis_records_shard (stream_id, shard_index, seq)``, whatever the depth."""

from __future__ import annotations

import bisect
import sqlite3
from collections.abc import Sequence
from typing import Any

import orjson

from lambdaport.store.kinesis import (
    NewShard,
    PutRecordResult,
    RecordToPut,
    Reshard,
    ShardRead,
    StoredConsumer,
    StoredRecord,
    StoredShard,
    StoredStream,
)
from lambdaport.store.sqlite.core import Database

_STREAM_COLUMNS = (
    "stream_id, account_id, region, name, status, mode, created_at, retention_hours, "
    "encryption_type, key_id, shard_level_metrics, max_record_size_kib, tags, next_shard"
)
_SHARD_COLUMNS = (
    "stream_id, shard_index, parent, adjacent_parent, starting_hash, ending_hash, "
    "starting_seq, ending_seq, closed_at"
)
_SHARD_RECORDS = "FROM kinesis_records WHERE stream_id = ? AND shard_index = ?"


class _Conflict(Exception):
    """A reshard found a shard to close closed already: its job is rolled back."""


def _stream(row: tuple[Any, ...]) -> StoredStream:
    return StoredStream(
        stream_id=int(row[0]),
        account_id=row[1],
        region=row[2],
        name=row[3],
        status=row[4],
        mode=row[5],
        created_at=float(row[6]),
        retention_hours=int(row[7]),
        encryption_type=row[8],
        key_id=row[9],
        shard_level_metrics=tuple(orjson.loads(row[10])),
        max_record_size_kib=int(row[11]),
        tags=orjson.loads(row[12]),
        next_shard=int(row[13]),
    )


def _shard(row: tuple[Any, ...]) -> StoredShard:
    return StoredShard(
        int(row[0]), int(row[1]), row[2], row[3], int(row[4]), int(row[5]), int(row[6]),
        row[7], row[8],
    )  # fmt: skip


def _consumer(row: tuple[Any, ...]) -> StoredConsumer:
    return StoredConsumer(int(row[0]), row[1], int(row[2]), row[3], orjson.loads(row[4]))


def _counter(db: sqlite3.Connection) -> int:
    """The highest seq ever given to a record (AUTOINCREMENT never gives it again)."""
    row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'kinesis_records'").fetchone()
    return int(row[0]) if row else 0


def _insert_shards(
    db: sqlite3.Connection, stream_id: int, shards: Sequence[NewShard], counter: int
) -> None:
    db.executemany(
        f"INSERT INTO kinesis_shards ({_SHARD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
        [
            (stream_id, s.shard_index, s.parent, s.adjacent_parent, str(s.starting_hash),
             str(s.ending_hash), counter)
            for s in shards
        ],
    )  # fmt: skip


def _first_at_or_after(
    db: sqlite3.Connection, stream_id: int, shard_index: int, seq: int
) -> tuple[int, int] | None:
    row = db.execute(
        f"SELECT seq, arrival {_SHARD_RECORDS} AND seq >= ? ORDER BY seq LIMIT 1",
        (stream_id, shard_index, seq),
    ).fetchone()
    return None if row is None else (int(row[0]), int(row[1]))


def _tip(db: sqlite3.Connection, stream_id: int, shard_index: int) -> tuple[int, int] | None:
    row = db.execute(
        f"SELECT seq, arrival {_SHARD_RECORDS} ORDER BY seq DESC LIMIT 1", (stream_id, shard_index)
    ).fetchone()
    return None if row is None else (int(row[0]), int(row[1]))


def _seq_before(
    db: sqlite3.Connection, stream_id: int, shard_index: int, arrival: int
) -> int | None:
    """Binary search over seq (arrivals never decrease within a shard): the last record
    that arrived before ``arrival``."""
    first = _first_at_or_after(db, stream_id, shard_index, 0)
    if first is None or first[1] >= arrival:
        return None
    tip = _tip(db, stream_id, shard_index)
    assert tip is not None
    if tip[1] < arrival:
        return tip[0]
    low, high = first[0] + 1, tip[0]  # the first record at or after ``arrival`` is in here
    while low < high:
        middle = (low + high) // 2
        found = _first_at_or_after(db, stream_id, shard_index, middle)
        assert found is not None
        if found[1] >= arrival:
            high = middle
        else:
            low = found[0] + 1
    found = _first_at_or_after(db, stream_id, shard_index, low)
    assert found is not None
    row = db.execute(
        f"SELECT seq {_SHARD_RECORDS} AND seq < ? ORDER BY seq DESC LIMIT 1",
        (stream_id, shard_index, found[0]),
    ).fetchone()
    return int(row[0])


def _put(
    db: sqlite3.Connection, stream_id: int, records: Sequence[RecordToPut], now: int
) -> list[PutRecordResult] | None:
    exists = db.execute("SELECT 1 FROM kinesis_streams WHERE stream_id = ?", (stream_id,))
    if exists.fetchone() is None:
        return None
    open_shards = sorted(
        (int(start), int(end), int(index))
        for index, start, end in db.execute(
            "SELECT shard_index, starting_hash, ending_hash FROM kinesis_shards "
            "WHERE stream_id = ? AND ending_seq IS NULL",
            (stream_id,),
        )
    )
    starts = [start for start, _, _ in open_shards]
    last_arrival: dict[int, int] = {}
    out: list[PutRecordResult] = []
    for record in records:
        position = bisect.bisect_right(starts, record.hash_key) - 1
        shard_index = open_shards[max(position, 0)][2]
        if shard_index not in last_arrival:
            tip = _tip(db, stream_id, shard_index)
            last_arrival[shard_index] = tip[1] if tip else 0
        arrival = max(now, last_arrival[shard_index])
        last_arrival[shard_index] = arrival
        cursor = db.execute(
            "INSERT INTO kinesis_records (stream_id, shard_index, partition_key, data, arrival) "
            "VALUES (?, ?, ?, ?, ?)",
            (stream_id, shard_index, record.partition_key, record.data, arrival),
        )
        assert cursor.lastrowid is not None
        out.append(PutRecordResult(shard_index, cursor.lastrowid, arrival))
    return out


def _read(
    db: sqlite3.Connection,
    stream_id: int,
    shard_index: int,
    after_seq: int,
    limit: int,
    max_bytes: int,
    not_before: int,
) -> ShardRead:
    cursor = db.execute(
        f"SELECT seq, partition_key, data, arrival {_SHARD_RECORDS} AND seq > ? AND arrival >= ? "
        "ORDER BY seq LIMIT ?",
        (stream_id, shard_index, after_seq, not_before, limit + 1),
    )
    records: list[StoredRecord] = []
    size, more = 0, False
    for seq, key, data, arrival in cursor:
        size += len(data) + len(key)
        if len(records) == limit or (records and size > max_bytes):
            more = True
            break
        records.append(StoredRecord(int(seq), shard_index, key, bytes(data), int(arrival)))
    cursor.close()
    return ShardRead(tuple(records), more, _tip(db, stream_id, shard_index))


def _reshard(
    db: sqlite3.Connection, stream_id: int, steps: Sequence[Reshard], next_shard: int, now: int
) -> bool:
    counter = _counter(db)
    for step in steps:
        for shard_index in step.close:
            closed = db.execute(
                "UPDATE kinesis_shards SET ending_seq = ?, closed_at = ? "
                "WHERE stream_id = ? AND shard_index = ? AND ending_seq IS NULL",
                (counter, now, stream_id, shard_index),
            )
            if closed.rowcount != 1:
                raise _Conflict
        _insert_shards(db, stream_id, step.open, counter)
    db.execute(
        "UPDATE kinesis_streams SET next_shard = ? WHERE stream_id = ?", (next_shard, stream_id)
    )
    return True


def _expire(db: sqlite3.Connection, stream_id: int, before: int) -> int:
    deleted = 0
    for (shard_index,) in db.execute(
        "SELECT shard_index FROM kinesis_shards WHERE stream_id = ?", (stream_id,)
    ).fetchall():
        last = _seq_before(db, stream_id, shard_index, before)
        if last is not None:
            deleted += db.execute(
                f"DELETE {_SHARD_RECORDS} AND seq <= ?", (stream_id, shard_index, last)
            ).rowcount
    db.execute(
        "DELETE FROM kinesis_shards WHERE stream_id = ? AND closed_at < ?", (stream_id, before)
    )
    return deleted


def _sweep(db: sqlite3.Connection, limit: int) -> int:
    row = db.execute("SELECT stream_id FROM kinesis_retired LIMIT 1").fetchone()
    if row is None:
        return 0
    deleted = db.execute(
        "DELETE FROM kinesis_records WHERE seq IN "
        "(SELECT seq FROM kinesis_records WHERE stream_id = ? LIMIT ?)",
        (row[0], limit),
    ).rowcount
    if deleted < limit:
        db.execute("DELETE FROM kinesis_retired WHERE stream_id = ?", (row[0],))
    return deleted


def _stream_values(stream: StoredStream) -> tuple[Any, ...]:
    return (
        stream.status, stream.mode, stream.retention_hours, stream.encryption_type,
        stream.key_id, orjson.dumps(list(stream.shard_level_metrics)).decode(),
        stream.max_record_size_kib, orjson.dumps(dict(stream.tags)),
    )  # fmt: skip


class SqliteKinesis:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- streams -----------------------------------------------------------------------

    async def create_stream(
        self, stream: StoredStream, shards: Sequence[NewShard]
    ) -> StoredStream | None:
        def create(db: sqlite3.Connection) -> StoredStream | None:
            try:
                row = db.execute(
                    f"INSERT INTO kinesis_streams ({_STREAM_COLUMNS}) "
                    "VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    f"RETURNING {_STREAM_COLUMNS}",
                    (
                        stream.account_id, stream.region, stream.name, stream.status, stream.mode,
                        stream.created_at, stream.retention_hours, stream.encryption_type,
                        stream.key_id, orjson.dumps(list(stream.shard_level_metrics)).decode(),
                        stream.max_record_size_kib, orjson.dumps(dict(stream.tags)),
                        stream.next_shard,
                    ),
                ).fetchone()  # fmt: skip
            except sqlite3.IntegrityError:
                return None
            created = _stream(row)
            _insert_shards(db, created.stream_id, shards, _counter(db))
            return created

        return await self._db.run(create)

    async def stream(self, account_id: str, region: str, name: str) -> StoredStream | None:
        row = await self._db.run(
            lambda db: db.execute(
                f"SELECT {_STREAM_COLUMNS} FROM kinesis_streams "
                "WHERE account_id = ? AND region = ? AND name = ?",
                (account_id, region, name),
            ).fetchone(),
            point=True,
        )
        return None if row is None else _stream(row)

    async def stream_by_id(self, stream_id: int) -> StoredStream | None:
        row = await self._db.run(
            lambda db: db.execute(
                f"SELECT {_STREAM_COLUMNS} FROM kinesis_streams WHERE stream_id = ?", (stream_id,)
            ).fetchone(),
            point=True,
        )
        return None if row is None else _stream(row)

    async def streams(self, account_id: str, region: str) -> list[StoredStream]:
        rows = await self._db.run(
            lambda db: db.execute(
                f"SELECT {_STREAM_COLUMNS} FROM kinesis_streams "
                "WHERE account_id = ? AND region = ? ORDER BY name",
                (account_id, region),
            ).fetchall()
        )
        return [_stream(row) for row in rows]

    async def all_streams(self) -> list[StoredStream]:
        rows = await self._db.run(
            lambda db: db.execute(
                f"SELECT {_STREAM_COLUMNS} FROM kinesis_streams ORDER BY stream_id"
            ).fetchall()
        )
        return [_stream(row) for row in rows]

    async def update_stream(self, stream: StoredStream) -> bool:
        def update(db: sqlite3.Connection) -> bool:
            return (
                db.execute(
                    "UPDATE kinesis_streams SET status = ?, mode = ?, retention_hours = ?, "
                    "encryption_type = ?, key_id = ?, shard_level_metrics = ?, "
                    "max_record_size_kib = ?, tags = ? WHERE stream_id = ?",
                    (*_stream_values(stream), stream.stream_id),
                ).rowcount
                == 1
            )

        return await self._db.run(update, point=True)

    async def delete_stream(self, stream_id: int) -> bool:
        def delete(db: sqlite3.Connection) -> bool:
            gone = db.execute("DELETE FROM kinesis_streams WHERE stream_id = ?", (stream_id,))
            if gone.rowcount != 1:
                return False
            db.execute("DELETE FROM kinesis_shards WHERE stream_id = ?", (stream_id,))
            db.execute("DELETE FROM kinesis_consumers WHERE stream_id = ?", (stream_id,))
            db.execute("INSERT OR IGNORE INTO kinesis_retired VALUES (?)", (stream_id,))
            return True

        return await self._db.run(delete)

    async def sweep_retired(self, limit: int = 2000) -> int:
        return await self._db.run(lambda db: _sweep(db, limit))

    # -- shards ------------------------------------------------------------------------

    async def shards(self, stream_id: int) -> list[StoredShard]:
        rows = await self._db.run(
            lambda db: db.execute(
                f"SELECT {_SHARD_COLUMNS} FROM kinesis_shards WHERE stream_id = ? "
                "ORDER BY shard_index",
                (stream_id,),
            ).fetchall(),
            point=True,
        )
        return [_shard(row) for row in rows]

    async def reshard(
        self, stream_id: int, steps: Sequence[Reshard], next_shard: int, now: int
    ) -> bool:
        try:
            return await self._db.run(lambda db: _reshard(db, stream_id, steps, next_shard, now))
        except _Conflict:
            return False

    # -- records -----------------------------------------------------------------------

    async def put(
        self, stream_id: int, records: Sequence[RecordToPut], now: int
    ) -> list[PutRecordResult] | None:
        return await self._db.run(
            lambda db: _put(db, stream_id, records, now), point=len(records) <= 16
        )

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
        return await self._db.run(
            lambda db: _read(db, stream_id, shard_index, after_seq, limit, max_bytes, not_before),
            point=limit <= 1000,
        )

    async def seq_before(self, stream_id: int, shard_index: int, arrival: int) -> int | None:
        return await self._db.run(
            lambda db: _seq_before(db, stream_id, shard_index, arrival), point=True
        )

    async def expire(self, stream_id: int, before: int) -> int:
        return await self._db.run(lambda db: _expire(db, stream_id, before))

    # -- consumers ---------------------------------------------------------------------

    async def register_consumer(self, consumer: StoredConsumer) -> bool:
        def register(db: sqlite3.Connection) -> bool:
            try:
                db.execute(
                    "INSERT INTO kinesis_consumers (stream_id, name, created_at, status, tags) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (consumer.stream_id, consumer.name, consumer.created_at, consumer.status,
                     orjson.dumps(dict(consumer.tags))),
                )  # fmt: skip
            except sqlite3.IntegrityError:
                return False
            return True

        return await self._db.run(register, point=True)

    async def consumers(self, stream_id: int) -> list[StoredConsumer]:
        rows = await self._db.run(
            lambda db: db.execute(
                "SELECT stream_id, name, created_at, status, tags FROM kinesis_consumers "
                "WHERE stream_id = ? ORDER BY name",
                (stream_id,),
            ).fetchall(),
            point=True,
        )
        return [_consumer(row) for row in rows]

    async def update_consumer(self, consumer: StoredConsumer) -> bool:
        def update(db: sqlite3.Connection) -> bool:
            return (
                db.execute(
                    "UPDATE kinesis_consumers SET status = ?, tags = ? "
                    "WHERE stream_id = ? AND name = ?",
                    (consumer.status, orjson.dumps(dict(consumer.tags)), consumer.stream_id,
                     consumer.name),
                ).rowcount
                == 1
            )  # fmt: skip

        return await self._db.run(update, point=True)

    async def deregister_consumer(self, stream_id: int, name: str) -> bool:
        def deregister(db: sqlite3.Connection) -> bool:
            return (
                db.execute(
                    "DELETE FROM kinesis_consumers WHERE stream_id = ? AND name = ?",
                    (stream_id, name),
                ).rowcount
                == 1
            )

        return await self._db.run(deregister, point=True)
