"""The one SQLite connection, on its own thread, with group commit.

Callers on the event loop submit an operation (a function of the connection) and await its
result; the loop never runs SQL. The thread takes what is queued, runs it all in one
transaction (each operation in its own savepoint, so one that fails is undone alone), commits
once, and only then resolves the callers' futures on their loop: a write that was answered is
committed. Many small writes arriving together cost one commit.

Operations are plain functions of the connection, run in order of submission; one operation
is atomic (a multi-statement change is one operation, never a transaction held across
awaits). Code that runs before the loop or off it (start-up loads, tests) uses
:meth:`Database.call`, which blocks until the operation is committed.

The fast path: an operation marked ``point`` (a handful of index seeks, bounded whatever the
data's size: SQS's send and receive, the async queue's enqueue and claim) runs at once on the
caller's thread, in its own transaction, when the store is idle (nothing submitted and not
yet finished). Order is kept (nothing is ahead of it) and the caller skips two thread
wake-ups, which on a loaded two-core machine cost single-client requests about 0.1 ms
(``docs/benchmarks.md``); as soon as calls overlap they queue and share commits on the
thread. Everything else (scans, sweeps, loads, large batches) always runs on the thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from lambdaport.store.sqlite.schema import migrate

logger = logging.getLogger(__name__)

T = TypeVar("T")
Operation = Callable[[sqlite3.Connection], T]


class StoreClosedError(RuntimeError):
    """The store was closed: no more operations are taken."""


@dataclass(slots=True)
class _Job:
    operation: Operation[Any]
    loop: asyncio.AbstractEventLoop | None  # None: a blocking caller waits on ``done``
    future: asyncio.Future[Any] | None = None
    done: threading.Event | None = None
    result: Any = None
    error: BaseException | None = None


_STOP = object()


class Database:
    """One SQLite database (WAL) owned by one thread; see the module docstring."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._queue: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._closed = False
        # Submitted and not finished (the fast path needs 0); guarded by ``_state``.
        self._outstanding = 0
        self._state = threading.Lock()
        self._connection_lock = threading.Lock()  # who runs statements: thread or fast path
        self._db: sqlite3.Connection | None = None
        self.commits = 0  # transactions the thread committed (diagnostics, tests)
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="lambdaport-store", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            raise self._startup_error

    # -- submitting -----------------------------------------------------------------------

    async def run(self, operation: Operation[T], *, point: bool = False) -> T:
        """Run ``operation`` on the store's thread (a ``point`` one at once when the store
        is idle, see the module docstring); returns after its commit."""
        if self._closed:
            raise StoreClosedError("the store is closed")
        with self._state:
            inline = point and self._outstanding == 0
            self._outstanding += 1
        if inline:
            try:
                return self._run_inline(operation)
            finally:
                with self._state:
                    self._outstanding -= 1
        loop = asyncio.get_running_loop()
        job = _Job(operation, loop, future=loop.create_future())
        self._queue.put(job)
        assert job.future is not None
        result: T = await job.future
        return result

    def _run_inline(self, operation: Operation[T]) -> T:
        db = self._db
        assert db is not None
        with self._connection_lock:
            db.execute("BEGIN")
            try:
                result = operation(db)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        return result

    def call(self, operation: Operation[T]) -> T:
        """Run ``operation`` and block until it is committed (start-up, shutdown, tests)."""
        if threading.current_thread() is self._thread:
            raise RuntimeError("Database.call from the store's own thread would deadlock")
        if self._closed:
            raise StoreClosedError("the store is closed")
        job = _Job(operation, None, done=threading.Event())
        with self._state:
            self._outstanding += 1
        self._queue.put(job)
        assert job.done is not None
        job.done.wait()
        if job.error is not None:
            raise job.error
        result: T = job.result
        return result

    def close(self) -> None:
        """Finish what is queued, then close the connection."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join()

    # -- the thread -----------------------------------------------------------------------

    def _run(self) -> None:
        try:
            # Shared with the fast path, never at the same time (``_connection_lock``).
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA busy_timeout=10000")
            migrate(db)
        except BaseException as exc:
            self._startup_error = exc
            self._ready.set()
            return
        self._db = db
        self._ready.set()
        try:
            stop = False
            while not stop:
                batch: list[_Job] = []
                item = self._queue.get()
                while True:
                    if item is _STOP:
                        stop = True
                    else:
                        assert isinstance(item, _Job)
                        batch.append(item)
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                if batch:
                    with self._connection_lock:
                        _run_batch(db, batch)
                    self.commits += 1
                    with self._state:
                        self._outstanding -= len(batch)
                    _resolve(batch)
        finally:
            db.close()


def _run_batch(db: sqlite3.Connection, batch: list[_Job]) -> None:
    """One transaction for the whole batch; each job in a savepoint of its own. (A deferred
    BEGIN: this process has the only connection that writes, so there is no lock to race
    for, and a read-only batch takes none.)"""
    single = len(batch) == 1
    try:
        db.execute("BEGIN")
        for job in batch:
            if single:
                try:
                    job.result = job.operation(db)
                except BaseException as exc:
                    job.error = exc
                continue
            db.execute("SAVEPOINT job")
            try:
                job.result = job.operation(db)
            except BaseException as exc:
                job.error = exc
                db.execute("ROLLBACK TO job")
            db.execute("RELEASE job")
        if single and batch[0].error is not None:
            db.execute("ROLLBACK")
        else:
            db.execute("COMMIT")
    except sqlite3.Error as exc:  # the commit (or BEGIN) failed: nothing of the batch holds
        logger.exception("store transaction failed")
        if db.in_transaction:
            db.execute("ROLLBACK")
        for job in batch:
            job.result, job.error = None, exc


def _resolve(batch: list[_Job]) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
    for job in batch:
        if job.loop is None:
            assert job.done is not None
            job.done.set()
        else:
            by_loop.setdefault(job.loop, []).append(job)
    for loop, jobs in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            loop.call_soon_threadsafe(_settle, jobs)


def _settle(jobs: list[_Job]) -> None:
    for job in jobs:
        future = job.future
        assert future is not None
        if future.cancelled():
            continue
        if job.error is not None:
            future.set_exception(job.error)
        else:
            future.set_result(job.result)
