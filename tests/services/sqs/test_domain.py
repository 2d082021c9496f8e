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
from lambdaport.services.sqs.state import QueueState
from lambdaport.store import Store

ACCOUNT, REGION = "000000000000", "us-east-1"
ENDPOINT = "http://127.0.0.1:4566"


class Clock:
    def __init__(self, now: int = 1_700_000_000_000) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "data")
    yield opened
    opened.close()


def _queue(service: SqsService, name: str = "q", **attributes: str) -> QueueState:
    service.directory.create(ACCOUNT, REGION, name, attributes, {})
    return service.directory.find(ACCOUNT, REGION, name)


def _message(body: str, group: str | None = None) -> OutgoingMessage:
    return OutgoingMessage(body, {}, {}, group_id=group, sender_id=ACCOUNT)


def test_long_poll_wakes_on_send(store: Store) -> None:
    service = SqsService(store, ENDPOINT)
    state = _queue(service)

    async def scenario() -> list[str]:
        receive = asyncio.create_task(
            service.messages.receive(state, limit=1, visibility_timeout=30, wait_seconds=20)
        )
        for _ in range(20):  # let the receive reach its wait
            await asyncio.sleep(0)
        assert not receive.done()
        service.sink.send_message(state.queue.arn, "wake up")
        got = await asyncio.wait_for(receive, timeout=5)
        return [message.body for message in got]

    assert asyncio.run(scenario()) == ["wake up"]


def test_long_poll_ends_when_the_queue_is_deleted(store: Store) -> None:
    service = SqsService(store, ENDPOINT)
    state = _queue(service)

    async def scenario() -> None:
        receive = asyncio.create_task(
            service.messages.receive(state, limit=1, visibility_timeout=30, wait_seconds=20)
        )
        for _ in range(20):
            await asyncio.sleep(0)
        service.directory.delete(state)
        with pytest.raises(AwsError) as caught:
            await asyncio.wait_for(receive, timeout=5)
        assert caught.value.code == "QueueDoesNotExist"

    asyncio.run(scenario())


def test_retention_delay_and_visibility_on_a_clock(store: Store) -> None:
    clock = Clock()
    service = SqsService(store, ENDPOINT, clock)
    state = _queue(service, MessageRetentionPeriod="60", DelaySeconds="10")
    service.messages.send(state, [_message("old")])
    assert service.messages._take(state, 10, 30, clock.now) == []
    counts = state.counts.counts(clock.now)
    assert (counts.visible, counts.delayed) == (0, 1)
    clock.now += 10_000
    got = service.messages._take(state, 10, 30, clock.now)
    assert [m.body for m in got] == ["old"]
    counts = state.counts.counts(clock.now)
    assert (counts.visible, counts.not_visible, counts.delayed) == (0, 1, 0)
    clock.now += 30_000
    assert state.counts.counts(clock.now).visible == 1
    clock.now += 21_000  # older than the 60 s retention
    service.messages.housekeeping()
    assert state.counts.total == 0
    assert service.messages._take(state, 10, 30, clock.now) == []


def test_counts_and_in_flight_survive_a_reopen(tmp_path: Path) -> None:
    clock = Clock()
    first = Store(tmp_path / "data")
    service = SqsService(first, ENDPOINT, clock)
    state = _queue(service)
    service.messages.send(state, [_message(f"m{i}") for i in range(5)])
    taken = service.messages._take(state, 2, 30, clock.now)
    assert len(taken) == 2
    first.close()
    second = Store(tmp_path / "data")
    try:
        reopened = SqsService(second, ENDPOINT, clock)
        again = reopened.directory.find(ACCOUNT, REGION, "q")
        counts = again.counts.counts(clock.now)
        assert (counts.visible, counts.not_visible) == (3, 2)
        clock.now += 30_000
        assert again.counts.counts(clock.now).visible == 5
        bodies = sorted(m.body for m in reopened.messages._take(again, 10, 30, clock.now))
        assert bodies == [f"m{i}" for i in range(5)]
    finally:
        second.close()


def test_receive_from_a_100000_deep_queue(store: Store) -> None:
    service = SqsService(store, ENDPOINT)
    state = _queue(service)
    for start in range(0, 100_000, 5_000):
        service.messages.send(state, [_message(f"m{i}") for i in range(start, start + 5_000)])
    assert state.counts.total == 100_000
    now = service.directory.clock()
    got = service.messages._take(state, 10, 30, now)
    assert [m.body for m in got] == [f"m{i}" for i in range(10)]
    for message in got:
        service.messages.delete(state, message.receipt_handle)
    assert state.counts.counts(service.directory.clock()).visible == 100_000 - 10


def test_sink_refuses_unknown_queues_and_checks_fifo(store: Store) -> None:
    service = SqsService(store, ENDPOINT)
    fifo = _queue(service, "f.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    assert not service.sink.queue_exists(f"arn:aws:sqs:{REGION}:{ACCOUNT}:nope")
    assert service.sink.queue_exists(fifo.queue.arn)
    with pytest.raises(AwsError):
        service.sink.send_message(f"arn:aws:sqs:{REGION}:{ACCOUNT}:nope", "x")
    with pytest.raises(AwsError):
        service.sink.send_message(fifo.queue.arn, "x")  # no group id
    attributes = {"k": MessageAttribute("String", "v")}
    first = service.sink.send_message(fifo.queue.arn, "x", attributes, message_group_id="g")
    again = service.sink.send_message(fifo.queue.arn, "x", attributes, message_group_id="g")
    assert first == again


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
def test_hot_statements_are_index_seeks(store: Store, statement: str) -> None:
    plan = " | ".join(
        str(row[3]) for row in store.connection.execute(f"EXPLAIN QUERY PLAN {statement}")
    )
    assert "SEARCH" in plan, plan
    assert "SCAN" not in plan, plan
    assert "TEMP B-TREE" not in plan, plan
