"""The ``async_events`` table (see ``schema.py``): :class:`lambdaport.store.async_events.
AsyncEvents` on SQLite.

The deletes of events finished with ``finish_later`` wait on the loop (a list) and are
executed in the operation of the next write or read, so nothing ever reads a finished event.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from lambdaport.store.async_events import QueuedEvent, QueueStats
from lambdaport.store.sqlite.core import Database

T = TypeVar("T")

_DELETE_CHUNK = 500  # request ids a DELETE names (well under SQLite's variable limit)
_COLUMNS = (
    "request_id, function_arn, invoked_arn, account_id, region, payload, trace_header, "
    "attempts, requeues, accepted_at, not_before, last_response"
)


def _event(row: tuple[Any, ...]) -> QueuedEvent:
    return QueuedEvent(
        request_id=row[0],
        function_arn=row[1],
        invoked_arn=row[2],
        account_id=row[3],
        region=row[4],
        payload=bytes(row[5]),
        trace_header=row[6],
        attempts=int(row[7]),
        requeues=int(row[8]),
        accepted_at=float(row[9]),
        not_before=float(row[10]),
        last_response=None if row[11] is None else bytes(row[11]),
    )


def _delete(db: sqlite3.Connection, finished: Sequence[str]) -> None:
    for start in range(0, len(finished), _DELETE_CHUNK):
        chunk = finished[start : start + _DELETE_CHUNK]
        db.execute(
            f"DELETE FROM async_events WHERE request_id IN ({','.join('?' * len(chunk))})",
            chunk,
        )


def _insert(db: sqlite3.Connection, event: QueuedEvent, claimed: bool) -> bool:
    cursor = db.execute(
        f"INSERT OR IGNORE INTO async_events ({_COLUMNS}, claimed) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            event.request_id,
            event.function_arn,
            event.invoked_arn,
            event.account_id,
            event.region,
            event.payload,
            event.trace_header,
            event.attempts,
            event.requeues,
            event.accepted_at,
            event.not_before,
            event.last_response,
            int(claimed),
        ),
    )
    return cursor.rowcount == 1


def _claim(db: sqlite3.Connection, function_arn: str, now: float, limit: int) -> list[QueuedEvent]:
    rows = db.execute(
        f"UPDATE async_events SET claimed = 1 WHERE request_id IN ("
        "SELECT request_id FROM async_events WHERE function_arn = ? AND claimed = 0 "
        f"AND not_before <= ? ORDER BY not_before LIMIT ?) RETURNING {_COLUMNS}",
        (function_arn, now, limit),
    ).fetchall()
    events = [_event(row) for row in rows]
    events.sort(key=lambda e: e.not_before)
    return events


def _next_due(db: sqlite3.Connection, function_arn: str) -> float | None:
    row = db.execute(
        "SELECT MIN(not_before) FROM async_events WHERE function_arn = ? AND claimed = 0",
        (function_arn,),
    ).fetchone()
    return None if row is None or row[0] is None else float(row[0])


def _stats(db: sqlite3.Connection) -> list[QueueStats]:
    rows = db.execute(
        "SELECT function_arn, COUNT(*), SUM(claimed), MIN(accepted_at) FROM async_events "
        "GROUP BY function_arn ORDER BY function_arn"
    ).fetchall()
    return [QueueStats(str(a), int(n), int(c or 0), float(t)) for a, n, c, t in rows]


class SqliteAsyncEvents:
    """The ``async_events`` table of one database."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._finished: list[str] = []  # deletes not yet committed (finish_later)

    async def _run(self, operation: Callable[[sqlite3.Connection], T], *, point: bool = False) -> T:
        """``operation`` after the waiting deletes, in one commit (they wait again if the
        commit fails)."""
        finished, self._finished = self._finished, []

        def run(db: sqlite3.Connection) -> T:
            if finished:
                _delete(db, finished)
            return operation(db)

        try:
            return await self._db.run(run, point=point and len(finished) <= _DELETE_CHUNK)
        except BaseException:
            self._finished[:0] = finished
            raise

    async def enqueue(self, event: QueuedEvent, *, claimed: bool = False) -> bool:
        return bool(await self._run(lambda db: _insert(db, event, claimed), point=True))

    async def claim(self, function_arn: str, now: float, limit: int) -> list[QueuedEvent]:
        if limit <= 0:
            return []
        return await self._run(lambda db: _claim(db, function_arn, now, limit), point=True)

    async def next_due(self, function_arn: str) -> float | None:
        return await self._run(lambda db: _next_due(db, function_arn), point=True)

    async def finish(self, request_id: str) -> None:
        self._finished.append(request_id)
        await self.flush()

    def finish_later(self, request_id: str) -> None:
        self._finished.append(request_id)

    @property
    def finishing(self) -> int:
        return len(self._finished)

    async def flush(self) -> None:
        if self._finished:
            await self._run(lambda db: None, point=True)

    async def release(
        self,
        request_id: str,
        *,
        not_before: float,
        attempts: int,
        requeues: int,
        last_response: bytes | None = None,
    ) -> None:
        await self._run(
            lambda db: db.execute(
                "UPDATE async_events SET claimed = 0, not_before = ?, attempts = ?, "
                "requeues = ?, last_response = COALESCE(?, last_response) WHERE request_id = ?",
                (not_before, attempts, requeues, last_response, request_id),
            ),
            point=True,
        )

    async def release_all_claims(self) -> int:
        return await self._run(
            lambda db: db.execute("UPDATE async_events SET claimed = 0 WHERE claimed = 1").rowcount
        )

    async def function_arns(self) -> list[str]:
        rows = await self._run(
            lambda db: db.execute("SELECT DISTINCT function_arn FROM async_events").fetchall()
        )
        return [str(row[0]) for row in rows]

    async def stats(self) -> list[QueueStats]:
        return await self._run(_stats)

    async def request_ids(self) -> list[str]:
        rows = await self._run(
            lambda db: db.execute("SELECT request_id FROM async_events").fetchall()
        )
        return [str(row[0]) for row in rows]
