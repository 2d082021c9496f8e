"""The embedded store: SQLite in WAL mode, one connection owned by the server's event loop.

Writes are small and committed before the call returns, so an acknowledged change survives
a crash of the server process.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from lambdaport.store.schema import MIGRATIONS

Key = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StoredLogEvent:
    id: int
    log_group: str
    log_stream: str
    timestamp: int
    message: str


def _pad(key: Key) -> tuple[str, str, str, str]:
    if len(key) > 4:
        raise ValueError(f"a document key has at most 4 parts: {key!r}")
    padded = (*key, "", "", "", "")
    return (padded[0], padded[1], padded[2], padded[3])


class Store:
    """Documents, log events and blob paths of one data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self.code_dir = data_dir / "code"
        self.code_dir.mkdir(exist_ok=True)
        self._db = sqlite3.connect(
            data_dir / "lambdaport.sqlite3", isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._migrate()

    def _migrate(self) -> None:
        db = self._db
        has_meta = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'"
        ).fetchone()
        version = 0
        if has_meta:
            row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            version = int(row[0]) if row else 0
        for index in range(version, len(MIGRATIONS)):
            db.executescript(
                f"BEGIN; {MIGRATIONS[index]}; INSERT OR REPLACE INTO meta(key, value) "
                f"VALUES ('schema_version', '{index + 1}'); COMMIT;"
            )

    def close(self) -> None:
        self._db.close()

    @property
    def connection(self) -> sqlite3.Connection:
        """The one connection, for the other tables' modules of this package (``queue``)."""
        return self._db

    # -- documents ----------------------------------------------------------------------

    def put(self, kind: str, key: Key, body: Any) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO documents(kind, k1, k2, k3, k4, body) VALUES (?,?,?,?,?,?)",
            (kind, *_pad(key), orjson.dumps(body)),
        )

    def get(self, kind: str, key: Key) -> Any | None:
        row = self._db.execute(
            "SELECT body FROM documents WHERE kind=? AND k1=? AND k2=? AND k3=? AND k4=?",
            (kind, *_pad(key)),
        ).fetchone()
        return None if row is None else orjson.loads(row[0])

    def delete(self, kind: str, key: Key) -> None:
        self._db.execute(
            "DELETE FROM documents WHERE kind=? AND k1=? AND k2=? AND k3=? AND k4=?",
            (kind, *_pad(key)),
        )

    def delete_prefix(self, kind: str, prefix: Key) -> None:
        where, args = _prefix_clause(prefix)
        self._db.execute(f"DELETE FROM documents WHERE kind=?{where}", (kind, *args))

    def scan(self, kind: str, prefix: Key = ()) -> Iterator[tuple[Key, Any]]:
        where, args = _prefix_clause(prefix)
        rows = self._db.execute(
            f"SELECT k1, k2, k3, k4, body FROM documents WHERE kind=?{where} "
            "ORDER BY k1, k2, k3, k4",
            (kind, *args),
        ).fetchall()
        for k1, k2, k3, k4, body in rows:
            yield (k1, k2, k3, k4), orjson.loads(body)

    def transaction(self) -> _Transaction:
        return _Transaction(self._db)

    # -- log events ---------------------------------------------------------------------

    def log_events(
        self, log_group: str, *, after_id: int = 0, limit: int = 1000
    ) -> list[StoredLogEvent]:
        rows = self._db.execute(
            "SELECT id, log_group, log_stream, timestamp, message FROM log_events "
            "WHERE log_group=? AND id>? ORDER BY id LIMIT ?",
            (log_group, after_id, limit),
        ).fetchall()
        return [StoredLogEvent(*row) for row in rows]

    def last_log_event_id(self, log_group: str) -> int:
        row = self._db.execute(
            "SELECT MAX(id) FROM log_events WHERE log_group=?", (log_group,)
        ).fetchone()
        return int(row[0] or 0)


def _prefix_clause(prefix: Key) -> tuple[str, tuple[str, ...]]:
    columns = ("k1", "k2", "k3", "k4")[: len(prefix)]
    return "".join(f" AND {c}=?" for c in columns), tuple(prefix)


class _Transaction:
    """``with store.transaction():`` groups writes into one atomic commit."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")
