"""``esm_checkpoints`` and ``leases`` (see ``schema.py``): :class:`lambdaport.store.checkpoints.
Checkpoints` and :class:`lambdaport.store.checkpoints.Leases` on SQLite. Each method is one
conditional statement, so taking a lease is atomic whoever else tries at the same time."""

from __future__ import annotations

import sqlite3
from typing import Any

from lambdaport.store.checkpoints import Checkpoint, Lease
from lambdaport.store.sqlite.core import Database

_CHECKPOINT_COLUMNS = "mapping_uuid, shard, position, owner, lease_expires_at, updated_at"


def _checkpoint(row: tuple[Any, ...]) -> Checkpoint:
    return Checkpoint(row[0], row[1], row[2], row[3], float(row[4]), float(row[5]))


def _claim(
    db: sqlite3.Connection, mapping_uuid: str, shard: str, owner: str, now: float, ttl: float
) -> Checkpoint | None:
    row = db.execute(
        f"INSERT INTO esm_checkpoints ({_CHECKPOINT_COLUMNS}) VALUES (?, ?, '', ?, ?, ?) "
        "ON CONFLICT (mapping_uuid, shard) DO UPDATE SET owner = excluded.owner, "
        "lease_expires_at = excluded.lease_expires_at "
        "WHERE esm_checkpoints.owner IS NULL OR esm_checkpoints.owner = excluded.owner "
        "OR esm_checkpoints.lease_expires_at <= ? "
        f"RETURNING {_CHECKPOINT_COLUMNS}",
        (mapping_uuid, shard, owner, now + ttl, now, now),
    ).fetchone()
    return None if row is None else _checkpoint(row)


def _acquire(db: sqlite3.Connection, name: str, owner: str, now: float, ttl: float) -> Lease | None:
    row = db.execute(
        "INSERT INTO leases (name, owner, expires_at, token) VALUES (?, ?, ?, 1) "
        "ON CONFLICT (name) DO UPDATE SET expires_at = excluded.expires_at, "
        "token = leases.token + (leases.owner != excluded.owner), owner = excluded.owner "
        "WHERE leases.owner = excluded.owner OR leases.expires_at <= ? "
        "RETURNING name, owner, expires_at, token",
        (name, owner, now + ttl, now),
    ).fetchone()
    return None if row is None else Lease(row[0], row[1], float(row[2]), int(row[3]))


class SqliteCheckpoints:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(
        self, mapping_uuid: str, shard: str, owner: str, *, now: float, ttl: float
    ) -> Checkpoint | None:
        return await self._db.run(
            lambda db: _claim(db, mapping_uuid, shard, owner, now, ttl), point=True
        )

    async def advance(
        self, mapping_uuid: str, shard: str, owner: str, position: str, *, now: float
    ) -> bool:
        def advance(db: sqlite3.Connection) -> bool:
            cursor = db.execute(
                "UPDATE esm_checkpoints SET position = ?, updated_at = ? WHERE mapping_uuid = ? "
                "AND shard = ? AND owner = ? AND lease_expires_at > ?",
                (position, now, mapping_uuid, shard, owner, now),
            )
            return cursor.rowcount == 1

        return await self._db.run(advance, point=True)

    async def release(self, mapping_uuid: str, shard: str, owner: str) -> None:
        await self._db.run(
            lambda db: db.execute(
                "UPDATE esm_checkpoints SET owner = NULL, lease_expires_at = 0 "
                "WHERE mapping_uuid = ? AND shard = ? AND owner = ?",
                (mapping_uuid, shard, owner),
            ),
            point=True,
        )

    async def checkpoints(self, mapping_uuid: str) -> list[Checkpoint]:
        rows = await self._db.run(
            lambda db: db.execute(
                f"SELECT {_CHECKPOINT_COLUMNS} FROM esm_checkpoints WHERE mapping_uuid = ? "
                "ORDER BY shard",
                (mapping_uuid,),
            ).fetchall()
        )
        return [_checkpoint(row) for row in rows]

    async def forget(self, mapping_uuid: str) -> None:
        await self._db.run(
            lambda db: db.execute(
                "DELETE FROM esm_checkpoints WHERE mapping_uuid = ?", (mapping_uuid,)
            )
        )


class SqliteLeases:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def acquire(self, name: str, owner: str, *, now: float, ttl: float) -> Lease | None:
        return await self._db.run(lambda db: _acquire(db, name, owner, now, ttl), point=True)

    async def release(self, name: str, owner: str) -> None:
        await self._db.run(
            lambda db: db.execute("DELETE FROM leases WHERE name = ? AND owner = ?", (name, owner)),
            point=True,
        )

    async def holder(self, name: str, *, now: float) -> Lease | None:
        row = await self._db.run(
            lambda db: db.execute(
                "SELECT name, owner, expires_at, token FROM leases WHERE name = ? "
                "AND expires_at > ?",
                (name, now),
            ).fetchone(),
            point=True,
        )
        return None if row is None else Lease(row[0], row[1], float(row[2]), int(row[3]))
