"""Batched deletes of finished async events, and the cheap request ids and trace headers."""

from __future__ import annotations

import asyncio
import re
import uuid

from lambdaport.invoke.asynchronous.queue import AsyncQueue
from lambdaport.invoke.ids import new_request_id, new_trace_header
from lambdaport.store.sqlite import SqliteStore
from tests.helpers import wait_until
from tests.unit.conftest import queued


def _rows(store: SqliteStore) -> list[str]:
    """What is committed, read past the queue object (as a restarted server would)."""
    rows = store.database.call(
        lambda db: db.execute("SELECT request_id FROM async_events ORDER BY request_id").fetchall()
    )
    return [str(row[0]) for row in rows]


def test_finished_events_are_deleted_with_the_next_enqueue(store: SqliteStore) -> None:
    events = store.async_events

    async def scenario() -> None:
        await events.enqueue(queued("a"))
        await events.enqueue(queued("b"))
        events.finish_later("a")
        assert events.finishing == 1
        assert _rows(store) == ["a", "b"]  # not committed yet: a crash would deliver "a" again
        await events.enqueue(queued("c"))
        assert events.finishing == 0
        assert _rows(store) == ["b", "c"]

    asyncio.run(scenario())


def test_every_read_commits_the_waiting_deletes_first(store: SqliteStore) -> None:
    events = store.async_events

    async def scenario() -> None:
        for request_id in ("a", "b"):
            await events.enqueue(queued(request_id))
        events.finish_later("a")
        assert await events.request_ids() == ["b"]
        events.finish_later("b")
        assert await events.stats() == []
        assert _rows(store) == []

    asyncio.run(scenario())


def test_a_finished_request_id_can_be_queued_again(store: SqliteStore) -> None:
    events = store.async_events

    async def scenario() -> None:
        assert await events.enqueue(queued("a"))
        events.finish_later("a")
        assert await events.enqueue(queued("a"))  # the delete goes first, in the same transaction
        assert _rows(store) == ["a"]

    asyncio.run(scenario())


def test_the_queue_commits_finished_deletes_within_its_delay(store: SqliteStore) -> None:
    events = store.async_events

    async def scenario() -> None:
        queue = AsyncQueue(events)
        await events.enqueue(queued("a"))
        queue.finished("a")
        assert _rows(store) == ["a"]
        await wait_until(lambda: not _rows(store), timeout=5.0)

    asyncio.run(scenario())
    assert events.finishing == 0


def test_request_ids_are_version_4_uuids() -> None:
    ids = {new_request_id() for _ in range(2000)}
    assert len(ids) == 2000
    for request_id in list(ids)[:200]:
        parsed = uuid.UUID(request_id)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, request_id)


def test_trace_headers_have_xrays_shape() -> None:
    header = new_trace_header()
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0", header)
