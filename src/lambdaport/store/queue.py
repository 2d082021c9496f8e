"""The durable asynchronous invocation queue: the ``async_events`` table (see ``schema.py``).

Every method is one short statement (or one transaction) on the store's connection, committed
before it returns: an event that :meth:`AsyncEventStore.enqueue` accepted survives a crash of
the server process. The one exception is :meth:`AsyncEventStore.finish_later`: the deletes of
finished events wait for the next write (they are committed with the next ``enqueue``, in
its transaction) or for :meth:`AsyncEventStore.flush`, so a busy queue commits about once per
event instead of twice; every read flushes them first, so nothing ever sees a finished
event. A crash in between delivers those events once more (delivery is at least once).

Claiming is per function (``claim(function_arn, now, limit)``), so the dispatcher can share
its attention fairly among functions; ``not_before`` orders the claims and is the only timing
column (first delivery, retry delay and throttle backoff alike).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lambdaport.store.sqlite import Store

_DELETE_CHUNK = 500  # request ids a DELETE names (well under SQLite's variable limit)
_COLUMNS = (
    "request_id, function_arn, invoked_arn, account_id, region, payload, trace_header, "
    "attempts, requeues, accepted_at, not_before, last_response"
)


@dataclass(frozen=True, slots=True)
class QueuedEvent:
    """One accepted asynchronous invocation as the queue keeps it."""

    request_id: str
    function_arn: str  # unqualified: the fairness and statistics key
    invoked_arn: str  # as invoked: unqualified, or with its version or alias
    account_id: str
    region: str
    payload: bytes
    trace_header: str | None
    attempts: int  # times the function ran
    requeues: int  # throttles and system errors in a row
    accepted_at: float  # epoch seconds
    not_before: float  # epoch seconds
    last_response: bytes | None = None  # JSON of the last failed attempt


@dataclass(frozen=True, slots=True)
class QueueStats:
    """One function's part of the queue."""

    function_arn: str
    depth: int  # events not finished (waiting, delayed and running)
    running: int  # claimed
    oldest_accepted_at: float


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


class AsyncEventStore:
    """The ``async_events`` table of one store."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._db: sqlite3.Connection = store.connection
        self._finished: list[str] = []  # deletes not yet committed (finish_later)

    def enqueue(self, event: QueuedEvent, *, claimed: bool = False) -> bool:
        """Insert the event (already claimed when the dispatcher takes it at once); False
        when its request id is already queued (idempotent). Deletes waiting from
        ``finish_later`` are committed in the same transaction."""
        if not self._finished or self._db.in_transaction:
            self.flush()
            return self._insert(event, claimed)
        finished, self._finished = self._finished, []
        try:
            with self._store.transaction():
                self._delete(finished)
                return self._insert(event, claimed)
        except BaseException:
            self._finished[:0] = finished  # rolled back: still to delete
            raise

    def _insert(self, event: QueuedEvent, claimed: bool) -> bool:
        cursor = self._db.execute(
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

    def claim(self, function_arn: str, now: float, limit: int) -> list[QueuedEvent]:
        """Claim up to ``limit`` of the function's due events, earliest ``not_before`` first."""
        if limit <= 0:
            return []
        self.flush()
        rows = self._db.execute(
            f"UPDATE async_events SET claimed = 1 WHERE request_id IN ("
            "SELECT request_id FROM async_events WHERE function_arn = ? AND claimed = 0 "
            f"AND not_before <= ? ORDER BY not_before LIMIT ?) RETURNING {_COLUMNS}",
            (function_arn, now, limit),
        ).fetchall()
        events = [_event(row) for row in rows]
        events.sort(key=lambda e: e.not_before)
        return events

    def next_due(self, function_arn: str) -> float | None:
        """The earliest ``not_before`` of the function's unclaimed events, if it has any."""
        self.flush()
        row = self._db.execute(
            "SELECT MIN(not_before) FROM async_events WHERE function_arn = ? AND claimed = 0",
            (function_arn,),
        ).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def finish(self, request_id: str) -> None:
        """The event is done (delivered or handed to failure handling): forget it now."""
        self._finished.append(request_id)
        self.flush()

    def finish_later(self, request_id: str) -> None:
        """Forget the event with the next write (or ``flush``): one commit serves many."""
        self._finished.append(request_id)

    @property
    def finishing(self) -> int:
        """Finished events whose delete is not committed yet."""
        return len(self._finished)

    def flush(self) -> None:
        """Commit the deletes ``finish_later`` holds."""
        if self._finished:
            finished, self._finished = self._finished, []
            self._delete(finished)

    def _delete(self, finished: list[str]) -> None:
        for start in range(0, len(finished), _DELETE_CHUNK):
            chunk = finished[start : start + _DELETE_CHUNK]
            self._db.execute(
                f"DELETE FROM async_events WHERE request_id IN ({','.join('?' * len(chunk))})",
                chunk,
            )

    def release(
        self,
        request_id: str,
        *,
        not_before: float,
        attempts: int,
        requeues: int,
        last_response: bytes | None = None,
    ) -> None:
        """Give a claimed event back to the queue, due again at ``not_before``."""
        self.flush()
        self._db.execute(
            "UPDATE async_events SET claimed = 0, not_before = ?, attempts = ?, requeues = ?, "
            "last_response = COALESCE(?, last_response) WHERE request_id = ?",
            (not_before, attempts, requeues, last_response, request_id),
        )

    def release_all_claims(self) -> int:
        """At start: whatever a previous server process was running is due again."""
        self.flush()
        return self._db.execute("UPDATE async_events SET claimed = 0 WHERE claimed = 1").rowcount

    def function_arns(self) -> list[str]:
        self.flush()
        rows = self._db.execute("SELECT DISTINCT function_arn FROM async_events").fetchall()
        return [str(row[0]) for row in rows]

    def stats(self) -> list[QueueStats]:
        self.flush()
        rows = self._db.execute(
            "SELECT function_arn, COUNT(*), SUM(claimed), MIN(accepted_at) FROM async_events "
            "GROUP BY function_arn ORDER BY function_arn"
        ).fetchall()
        return [QueueStats(str(a), int(n), int(c or 0), float(t)) for a, n, c, t in rows]

    def request_ids(self) -> Iterable[str]:
        """Every queued request id (tests and diagnostics)."""
        self.flush()
        return [str(row[0]) for row in self._db.execute("SELECT request_id FROM async_events")]
