"""The store's thread (``store/sqlite/core.py``): group commit, a failing operation undone
alone, results resolved only once committed, and the fast path never jumping the queue."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from lambdaport.store.sqlite.core import Database


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    opened = Database(tmp_path / "db.sqlite3")
    yield opened
    opened.close()


def _put(key: str) -> Callable[[sqlite3.Connection], None]:
    def put(db: sqlite3.Connection) -> None:
        db.execute("INSERT INTO meta(key, value) VALUES (?, 'v')", (key,))

    return put


def _keys(path: Path) -> set[str]:
    """What is committed, read through a connection of its own."""
    with sqlite3.connect(path) as other:
        return {str(row[0]) for row in other.execute("SELECT key FROM meta WHERE key LIKE 'k%'")}


def test_overlapping_writes_share_commits_and_a_failure_is_undone_alone(
    database: Database,
) -> None:
    def half_then_fail(db: sqlite3.Connection) -> None:
        db.execute("INSERT INTO meta(key, value) VALUES ('k-failed', 'v')")
        raise ValueError("refused")

    async def scenario() -> list[BaseException | None]:
        before = database.commits
        calls: list[Awaitable[None]] = [database.run(_put(f"k{i}")) for i in range(50)]
        calls.insert(25, database.run(half_then_fail))
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        assert database.commits - before < 50  # batched: fewer commits than writes
        return outcomes

    outcomes = asyncio.run(scenario())
    assert [type(o) for o in outcomes].count(ValueError) == 1
    assert _keys(database.path) == {f"k{i}" for i in range(50)}  # not k-failed


def test_a_write_has_committed_when_it_resolves(database: Database) -> None:
    async def scenario() -> set[str]:
        await database.run(_put("k1"))
        return _keys(database.path)

    assert asyncio.run(scenario()) == {"k1"}


def test_the_fast_path_waits_behind_work_already_queued(database: Database) -> None:
    """A point operation runs on the caller's thread only when nothing is ahead of it."""
    release = threading.Event()
    order: list[str] = []

    def slow(db: sqlite3.Connection) -> None:
        release.wait(10)
        order.append("slow")

    def quick(db: sqlite3.Connection) -> None:
        order.append("quick")

    async def scenario() -> None:
        first = asyncio.ensure_future(database.run(slow))
        await asyncio.sleep(0)  # submitted: the thread is busy with it
        second = asyncio.ensure_future(database.run(quick, point=True))
        await asyncio.sleep(0)
        assert order == []  # the point operation did not run ahead, nor block the loop
        release.set()
        await asyncio.gather(first, second)

    asyncio.run(scenario())
    assert order == ["slow", "quick"]


def test_the_fast_path_runs_on_the_callers_thread_when_idle(database: Database) -> None:
    ran_on: list[threading.Thread] = []

    def where(db: sqlite3.Connection) -> None:
        ran_on.append(threading.current_thread())

    async def scenario() -> None:
        await database.run(where, point=True)
        await database.run(where)

    asyncio.run(scenario())
    assert ran_on[0] is threading.main_thread()
    assert ran_on[1] is not threading.main_thread()
