"""The SQS domain layer in-process (no HTTP): long-poll wake-up, retention and delays on a
controlled clock, counts rebuilt after a reopen, a 100,000-deep queue, and the query plans
that keep every hot statement an index seek."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from lambdaport.errors import AwsError
from lambdaport.services.interfaces import MessageAttribute
from lambdaport.services.sqs import SqsService
from lambdaport.services.sqs.models import OutgoingMessage
from lambdaport.services.sqs.state import LocalDoorbell, QueueState
from lambdaport.store.sqlite import SqliteStore
from tests.helpers import wait_until

ACCOUNT, REGION = "000000000000", "us-east-1"
ENDPOINT = "http://127.0.0.1:4566"


class Clock:
    def __init__(self, now: int = 1_700_000_000_000) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "data")
    yield opened
    opened.close()


async def _queue(service: SqsService, name: str = "q", **attributes: str) -> QueueState:
    await service.directory.create(ACCOUNT, REGION, name, attributes, {})
    return service.directory.find(ACCOUNT, REGION, name)


def _message(body: str, group: str | None = None) -> OutgoingMessage:
    return OutgoingMessage(body, {}, {}, group_id=group, sender_id=ACCOUNT)


async def _waiting(state: QueueState) -> None:
    """Until a long poll waits on the queue's doorbell (a deadline, no fixed sleep)."""
    doorbell = state.doorbell
    assert isinstance(doorbell, LocalDoorbell)
    await wait_until(lambda: doorbell.waiting == 1, timeout=5.0)


def test_long_poll_wakes_on_send(store: SqliteStore) -> None:
    async def scenario() -> list[str]:
        service = SqsService(store.sqs, ENDPOINT)
        state = await _queue(service)
        receive = asyncio.create_task(
            service.messages.receive(state, limit=1, visibility_timeout=30, wait_seconds=20)
        )
        await _waiting(state)
        assert not receive.done()
        await service.sink.send_message(state.queue.arn, "wake up")
        got = await asyncio.wait_for(receive, timeout=5)
        return [message.body for message in got]

    assert asyncio.run(scenario()) == ["wake up"]


def test_a_ring_while_the_receive_looked_is_not_missed() -> None:
    """A long poll takes the generation before it reads the store: a send that rings while
    the read is under way ends the wait at once instead of after its timeout."""

    async def scenario() -> bool:
        doorbell = LocalDoorbell()
        looked = doorbell.generation
        doorbell.ring()  # a send while the receive was reading
        wait = asyncio.create_task(doorbell.wait(looked, 20))
        await asyncio.sleep(0)
        return wait.done()

    assert asyncio.run(scenario())


def test_long_poll_ends_when_the_queue_is_deleted(store: SqliteStore) -> None:
    async def scenario() -> None:
        service = SqsService(store.sqs, ENDPOINT)
        state = await _queue(service)
        receive = asyncio.create_task(
            service.messages.receive(state, limit=1, visibility_timeout=30, wait_seconds=20)
        )
        await _waiting(state)
        await service.directory.delete(state)
        with pytest.raises(AwsError) as caught:
            await asyncio.wait_for(receive, timeout=5)
        assert caught.value.code == "QueueDoesNotExist"

    asyncio.run(scenario())


def test_retention_delay_and_visibility_on_a_clock(store: SqliteStore) -> None:
    async def scenario() -> None:
        clock = Clock()
        service = SqsService(store.sqs, ENDPOINT, clock)
        state = await _queue(service, MessageRetentionPeriod="60", DelaySeconds="10")
        await service.messages.send(state, [_message("old")])
        assert await service.messages._take(state, 10, 30, clock.now) == []
        counts = state.counts.counts(clock.now)
        assert (counts.visible, counts.delayed) == (0, 1)
        clock.now += 10_000
        got = await service.messages._take(state, 10, 30, clock.now)
        assert [m.body for m in got] == ["old"]
        counts = state.counts.counts(clock.now)
        assert (counts.visible, counts.not_visible, counts.delayed) == (0, 1, 0)
        clock.now += 30_000
        assert state.counts.counts(clock.now).visible == 1
        clock.now += 21_000  # older than the 60 s retention
        await service.messages.housekeeping()
        assert state.counts.total == 0
        assert await service.messages._take(state, 10, 30, clock.now) == []

    asyncio.run(scenario())


def test_counts_and_in_flight_survive_a_reopen(tmp_path: Path) -> None:
    clock = Clock()

    async def before() -> None:
        service = SqsService(first.sqs, ENDPOINT, clock)
        state = await _queue(service)
        await service.messages.send(state, [_message(f"m{i}") for i in range(5)])
        taken = await service.messages._take(state, 2, 30, clock.now)
        assert len(taken) == 2

    async def after() -> None:
        reopened = SqsService(second.sqs, ENDPOINT, clock)
        await reopened.load()
        again = reopened.directory.find(ACCOUNT, REGION, "q")
        counts = again.counts.counts(clock.now)
        assert (counts.visible, counts.not_visible) == (3, 2)
        clock.now += 30_000
        assert again.counts.counts(clock.now).visible == 5
        bodies = sorted(m.body for m in await reopened.messages._take(again, 10, 30, clock.now))
        assert bodies == [f"m{i}" for i in range(5)]

    first = SqliteStore(tmp_path / "data")
    asyncio.run(before())
    first.close()
    second = SqliteStore(tmp_path / "data")
    try:
        asyncio.run(after())
    finally:
        second.close()


def test_receive_from_a_100000_deep_queue(store: SqliteStore) -> None:
    async def scenario() -> None:
        service = SqsService(store.sqs, ENDPOINT)
        state = await _queue(service)
        for start in range(0, 100_000, 5_000):
            batch = [_message(f"m{i}") for i in range(start, start + 5_000)]
            await service.messages.send(state, batch)
        assert state.counts.total == 100_000
        now = service.directory.clock()
        got = await service.messages._take(state, 10, 30, now)
        assert [m.body for m in got] == [f"m{i}" for i in range(10)]
        for message in got:
            await service.messages.delete(state, message.receipt_handle)
        assert state.counts.counts(service.directory.clock()).visible == 100_000 - 10

    asyncio.run(scenario())


def test_sink_refuses_unknown_queues_and_checks_fifo(store: SqliteStore) -> None:
    async def scenario() -> None:
        service = SqsService(store.sqs, ENDPOINT)
        sink = service.sink
        fifo = await _queue(service, "f.fifo", FifoQueue="true", ContentBasedDeduplication="true")
        assert not sink.queue_exists(f"arn:aws:sqs:{REGION}:{ACCOUNT}:nope")
        assert sink.queue_exists(fifo.queue.arn)
        with pytest.raises(AwsError):
            await sink.send_message(f"arn:aws:sqs:{REGION}:{ACCOUNT}:nope", "x")
        with pytest.raises(AwsError):
            await sink.send_message(fifo.queue.arn, "x")  # no group id
        attributes = {"k": MessageAttribute("String", "v")}
        first = await sink.send_message(fifo.queue.arn, "x", attributes, message_group_id="g")
        again = await sink.send_message(fifo.queue.arn, "x", attributes, message_group_id="g")
        assert first == again

    asyncio.run(scenario())


HOT_STATEMENTS = [
    "SELECT * FROM sqs_messages WHERE queue_id = 1 AND visible_at <= 5 "
    "ORDER BY visible_at, seq LIMIT 10",
    "SELECT * FROM sqs_messages WHERE seq = 7",
    "SELECT MIN(visible_at) FROM sqs_messages WHERE queue_id = 1 AND visible_at > 5",
    "DELETE FROM sqs_messages WHERE queue_id = 1 AND sent_at < 5",
    "SELECT * FROM sqs_messages WHERE queue_id = 1 AND group_id = 'g' ORDER BY seq LIMIT 10",
    "SELECT group_id FROM sqs_groups WHERE queue_id = 1 AND ready_at <= 5 "
    "ORDER BY ready_at, head_seq LIMIT 10",
    "SELECT MIN(ready_at) FROM sqs_groups WHERE queue_id = 1 AND ready_at > 5",
    "SELECT message_id FROM sqs_deduplication WHERE queue_id = 1 AND dedup_key = 'd' "
    "AND expires_at > 5",
]


@pytest.mark.parametrize("statement", HOT_STATEMENTS)
def test_hot_statements_are_index_seeks(store: SqliteStore, statement: str) -> None:
    rows = store.database.call(lambda db: db.execute(f"EXPLAIN QUERY PLAN {statement}").fetchall())
    plan = " | ".join(str(row[3]) for row in rows)
    assert "SEARCH" in plan, plan
    assert "SCAN" not in plan, plan
    assert "TEMP B-TREE" not in plan, plan
