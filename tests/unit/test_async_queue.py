"""The durable async queue on a real SQLite store, the delays, the destination record, and the
dispatcher's fairness (with an in-test invoker standing in for the runtime)."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from lambdaport.invoke.asynchronous import (
    AsyncDispatcher,
    AsyncQueue,
    AsyncTiming,
    Delivery,
    Destinations,
)
from lambdaport.invoke.asynchronous.records import AttemptResponse, invocation_record
from lambdaport.invoke.model import (
    AsyncInvocation,
    EventInvokeConfig,
    InvokeResponse,
    ResolvedFunction,
)
from lambdaport.runtime.spec import FunctionSpec
from lambdaport.store.sqlite import SqliteStore
from tests.helpers import wait_until
from tests.unit.conftest import ARN, queued


def test_enqueue_is_idempotent_by_request_id(store: SqliteStore) -> None:
    events = store.async_events

    async def scenario() -> None:
        assert await events.enqueue(queued("r1"))
        assert not await events.enqueue(queued("r1"))
        assert await events.request_ids() == ["r1"]

    asyncio.run(scenario())


def test_claims_are_per_function_due_and_in_not_before_order(store: SqliteStore) -> None:
    events = store.async_events

    async def scenario() -> None:
        await events.enqueue(queued("late", not_before=5.0))
        await events.enqueue(queued("second", not_before=2.0))
        await events.enqueue(queued("first", not_before=1.0))
        await events.enqueue(queued("other", function="b", not_before=1.0))
        assert [e.request_id for e in await events.claim(ARN + "a", now=3.0, limit=10)] == [
            "first",
            "second",
        ]
        assert (
            await events.claim(ARN + "a", now=3.0, limit=10) == []
        )  # claimed ones are not due again
        assert await events.next_due(ARN + "a") == 5.0
        assert [e.request_id for e in await events.claim(ARN + "b", now=3.0, limit=1)] == ["other"]

    asyncio.run(scenario())


def test_release_and_restart_make_events_due_again(store: SqliteStore) -> None:
    events = store.async_events

    async def scenario() -> None:
        await events.enqueue(queued("r1"))
        await events.enqueue(queued("r2"))
        [one, _] = await events.claim(ARN + "a", now=1.0, limit=2)
        await events.release(
            one.request_id, not_before=9.0, attempts=1, requeues=0, last_response=b"{}"
        )
        [again] = await events.claim(ARN + "a", now=10.0, limit=5)
        assert (again.request_id, again.attempts, again.last_response) == (one.request_id, 1, b"{}")
        assert await events.release_all_claims() == 2  # what a crashed server held
        assert len(await events.claim(ARN + "a", now=10.0, limit=5)) == 2
        [stats] = await events.stats()
        assert (stats.depth, stats.running) == (2, 2)
        await events.finish("r1")
        await events.finish("r2")
        assert await events.stats() == []

    asyncio.run(scenario())


def test_delays_follow_aws_and_scale() -> None:
    timing = AsyncTiming(1.0)
    assert [timing.retry_delay(n) for n in (1, 2)] == [60.0, 120.0]
    assert [timing.requeue_delay(n) for n in (1, 2, 3, 9, 30)] == [1.0, 2.0, 4.0, 256.0, 300.0]
    assert AsyncTiming(0.01).retry_delay(1) == pytest.approx(0.6)
    assert AsyncTiming(0.01).maximum_age(EventInvokeConfig()) == pytest.approx(216.0)


def test_invocation_record_shape() -> None:
    record = orjson.loads(
        invocation_record(
            request_id="r1",
            function_arn=ARN + "a:$LATEST",
            condition="Success",
            approximate_invoke_count=1,
            request_payload=b'{"k": 1}',
            response=AttemptResponse(200, "$LATEST", b'{"ok": true}'),
            now=1573755365.568,
        )
    )
    assert record == {
        "version": "1.0",
        "timestamp": "2019-11-14T18:16:05.568Z",
        "requestContext": {
            "requestId": "r1",
            "functionArn": ARN + "a:$LATEST",
            "condition": "Success",
            "approximateInvokeCount": 1,
        },
        "requestPayload": {"k": 1},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
        "responsePayload": {"ok": True},
    }


class SlowInvoker:
    """Stands in for the runtime: each invocation takes until ``release`` is set."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.release = asyncio.Event()

    async def run(
        self, resolved: ResolvedFunction, payload: bytes, request_id: str, trace_header: str | None
    ) -> InvokeResponse:
        self.started.append(resolved.spec.function_name)
        await self.release.wait()
        return InvokeResponse(200, request_id, "$LATEST", b"null")


class Resolver:
    def resolve(
        self, account_id: str, region: str, function_name: str, qualifier: str | None
    ) -> ResolvedFunction:
        name = function_name.rsplit(":", 1)[-1]
        spec = FunctionSpec(
            name, ARN + name, "$LATEST", "python3.11", "app.handler", "/", "r", 128, 3,
            region, account_id, f"/aws/lambda/{name}",
        )  # fmt: skip
        return ResolvedFunction(spec, ARN + name, "Active", None)

    def reserved_concurrency_total(self, account_id: str, region: str) -> int:
        return 0


def test_a_busy_function_does_not_starve_another(store: SqliteStore) -> None:
    async def scenario() -> list[str]:
        queue = AsyncQueue(store.async_events)
        invoker = SlowInvoker()
        dispatcher = AsyncDispatcher(
            queue,
            invoker,
            Resolver(),
            Destinations({}),
            AsyncTiming(0.0),
            function_concurrency=2,
        )
        for n in range(50):
            await queue.accept(
                AsyncInvocation(f"busy-{n}", ARN + "busy", ARN + "busy", "0", "r", b"{}")
            )
        await queue.accept(
            AsyncInvocation("quiet-0", ARN + "quiet", ARN + "quiet", "0", "r", b"{}")
        )
        await dispatcher.dispatch_due()
        await wait_until(lambda: len(invoker.started) >= 3)  # the attempts reach the invoker
        started = list(invoker.started)
        invoker.release.set()
        await dispatcher.stop()
        return started

    started = asyncio.run(scenario())
    assert sorted(started) == ["busy", "busy", "quiet"]


def test_unserved_destinations_fail_with_a_clear_log(caplog: pytest.LogCaptureFixture) -> None:
    delivery = Delivery(
        "arn:aws:sqs:us-east-1:000000000000:q", "OnFailure", ARN + "a", "r1", "0", "r", b"{}"
    )
    delivered = asyncio.run(Destinations({}).deliver(delivery))
    assert delivered is False
    assert "does not serve sqs yet" in caplog.text


class CountingResolver(Resolver):
    def __init__(self) -> None:
        self.calls = 0

    def resolve(
        self, account_id: str, region: str, function_name: str, qualifier: str | None
    ) -> ResolvedFunction:
        self.calls += 1
        return super().resolve(account_id, region, function_name, qualifier)


def test_an_event_started_on_acceptance_runs_with_its_acceptances_resolution(
    store: SqliteStore,
) -> None:
    """Committed claimed and started at once: the attempt runs with the resolution the
    invoker admitted the event with; events queued for want of room resolve at their start."""

    async def scenario() -> tuple[list[str], int, int]:
        queue = AsyncQueue(store.async_events)
        invoker = SlowInvoker()
        resolver = CountingResolver()
        dispatcher = AsyncDispatcher(
            queue, invoker, resolver, Destinations({}), AsyncTiming(0.0), function_concurrency=1
        )
        running = asyncio.get_running_loop().create_task(dispatcher.run())
        await wait_until(lambda: queue.direct is dispatcher)
        admitted = Resolver().resolve("0", "r", "fn", None)
        for n in range(2):
            await queue.accept(
                AsyncInvocation(f"fn-{n}", ARN + "fn", ARN + "fn", "0", "r", b"{}", None, admitted)
            )
        await wait_until(lambda: len(invoker.started) >= 1)
        before = resolver.calls  # the first started on acceptance; the second waits for room
        invoker.release.set()
        await wait_until(lambda: len(invoker.started) >= 2)
        await wait_until(lambda: store.async_events.finishing == 0 and not dispatcher.running())
        after = resolver.calls
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await dispatcher.stop()
        return list(invoker.started), before, after

    started, before, after = asyncio.run(scenario())
    assert started == ["fn", "fn"]
    assert (before, after) == (0, 1)
