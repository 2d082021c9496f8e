"""The ``documents`` table (see ``schema.py``), and each kind's revision in ``meta``."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import orjson

from lambdaport.store.documents import Change, Key, Put
from lambdaport.store.sqlite.core import Database


def _pad(key: Key) -> tuple[str, str, str, str]:
    if len(key) > 4:
        raise ValueError(f"a document key has at most 4 parts: {key!r}")
    padded = (*key, "", "", "", "")
    return (padded[0], padded[1], padded[2], padded[3])


def _prefix_clause(prefix: Key) -> tuple[str, tuple[str, ...]]:
    columns = ("k1", "k2", "k3", "k4")[: len(prefix)]
    return "".join(f" AND {c}=?" for c in columns), tuple(prefix)


def _revision_key(kind: str) -> str:
    return f"revision/{kind}"


def scan(db: sqlite3.Connection, kind: str, prefix: Key = ()) -> list[tuple[Key, Any]]:
    where, args = _prefix_clause(prefix)
    rows = db.execute(
        f"SELECT k1, k2, k3, k4, body FROM documents WHERE kind=?{where} ORDER BY k1, k2, k3, k4",
        (kind, *args),
    ).fetchall()
    return [((k1, k2, k3, k4), orjson.loads(body)) for k1, k2, k3, k4, body in rows]


def _apply(db: sqlite3.Connection, change: Change) -> None:
    if isinstance(change, Put):
        db.execute(
            "INSERT OR REPLACE INTO documents(kind, k1, k2, k3, k4, body) VALUES (?,?,?,?,?,?)",
            (change.kind, *_pad(change.key), orjson.dumps(change.body)),
        )
    elif change.prefix:
        where, args = _prefix_clause(change.key)
        db.execute(f"DELETE FROM documents WHERE kind=?{where}", (change.kind, *args))
    else:
        db.execute(
            "DELETE FROM documents WHERE kind=? AND k1=? AND k2=? AND k3=? AND k4=?",
            (change.kind, *_pad(change.key)),
        )


def _bump(db: sqlite3.Connection, kind: str) -> int:
    row = db.execute(
        "INSERT INTO meta(key, value) VALUES (?, '1') "
        "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1 RETURNING value",
        (_revision_key(kind),),
    ).fetchone()
    return int(row[0])


def write(db: sqlite3.Connection, changes: Sequence[Change]) -> dict[str, int]:
    for change in changes:
        _apply(db, change)
    return {kind: _bump(db, kind) for kind in dict.fromkeys(c.kind for c in changes)}


def revision(db: sqlite3.Connection, kind: str) -> int:
    row = db.execute("SELECT value FROM meta WHERE key=?", (_revision_key(kind),)).fetchone()
    return 0 if row is None else int(row[0])


class SqliteDocuments:
    """:class:`lambdaport.store.documents.Documents` on the ``documents`` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, kind: str, key: Key) -> Any | None:
        def get(db: sqlite3.Connection) -> Any | None:
            row = db.execute(
                "SELECT body FROM documents WHERE kind=? AND k1=? AND k2=? AND k3=? AND k4=?",
                (kind, *_pad(key)),
            ).fetchone()
            return None if row is None else orjson.loads(row[0])

        return await self._db.run(get)

    async def scan(self, kind: str, prefix: Key = ()) -> list[tuple[Key, Any]]:
        return await self._db.run(lambda db: scan(db, kind, prefix))

    async def write(self, changes: Sequence[Change]) -> dict[str, int]:
        changes = list(changes)
        return await self._db.run(lambda db: write(db, changes))

    async def revision(self, kind: str) -> int:
        return await self._db.run(lambda db: revision(db, kind))
