"""MaximumRecordAgeInSeconds (60 s at the least) on a clock the test sets: a Kinesis stream and
the stream poller in-process over a real store, the function's invocations answered by the
test (each one an error, so the batch is retried until its records are too old). The batch
is then given up with a ``RecordAgeExceeded`` on-failure record, and the shard reads on."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from lambdaport.esm.model import EventSourceMapping, State
from lambdaport.esm.poller import BatchInvoker
from lambdaport.esm.stream_failures import StreamFailures
from lambdaport.esm.stream_records import KINESIS
from lambdaport.esm.streams import StreamPoller
from lambdaport.invoke.asynchronous.destinations import Delivery, Destinations
from lambdaport.invoke.model import InvokeRequest, InvokeResponse
from lambdaport.invoke.triggers import PushTriggers
from lambdaport.request import RequestContext
from lambdaport.services.kinesis import KinesisService
from lambdaport.store.sqlite import SqliteStore
from tests.helpers import wait_until

ACCOUNT, REGION = "000000000000", "us-east-1"
CTX = RequestContext(ACCOUNT, REGION, "request")
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f"
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:failures"


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def seconds(self) -> float:
        return self.now

    def millis(self) -> int:
        return int(self.now * 1000)


class Function:
    """Answers every invocation: an error while ``failing``."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self.failing = True

    async def invoke(self, request: InvokeRequest) -> InvokeResponse:
        self.events.append(orjson.loads(request.payload))
        error = "Unhandled" if self.failing else None
        return InvokeResponse(200, f"r{len(self.events)}", "$LATEST", b"{}", error)


class Captured:
    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []

    async def deliver(self, delivery: Delivery) -> None:
        self.deliveries.append(delivery)


class Reports:
    async def settled(self, uuid: str, state: State | None, reason: str) -> None:
        pass

    async def processed(self, uuid: str, result: str) -> None:
        pass


class Functions:
    def execution_role(self, function_arn: str) -> str | None:
        return f"arn:aws:iam::{ACCOUNT}:role/r"

    def reserved_concurrency(self, function_arn: str) -> int | None:
        return None


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "data")
    yield opened
    opened.close()


def test_records_older_than_the_maximum_age_are_given_up(store: SqliteStore) -> None:
    async def scenario() -> None:
        clock, function, captured = Clock(), Function(), Captured()
        kinesis = KinesisService(store.kinesis, clock.millis)
        await kinesis.api.dispatch(CTX, "CreateStream", {"StreamName": "s", "ShardCount": 1})
        put = {"StreamName": "s", "PartitionKey": "k"}
        await kinesis.api.dispatch(CTX, "PutRecord", {**put, "Data": b"old"})
        arn = kinesis.reader.stream_arn(ACCOUNT, REGION, "s")
        mapping = EventSourceMapping(
            uuid="u", account_id=ACCOUNT, region=REGION, function_arn=FUNCTION,
            event_source_arn=arn, state="Enabled", state_transition_reason="", last_modified=0,
            last_processing_result="", enabled=True, batch_size=10,
            maximum_batching_window_in_seconds=0, starting_position="TRIM_HORIZON",
            parallelization_factor=1, maximum_record_age_in_seconds=60,
            bisect_batch_on_function_error=False, maximum_retry_attempts=-1,
            tumbling_window_in_seconds=0, on_failure=QUEUE,
        )  # fmt: skip
        poller = StreamPoller(
            mapping, KINESIS, kinesis.reader,
            BatchInvoker(PushTriggers(function.invoke), Functions()),
            StreamFailures(Destinations({"sqs": captured}), objects=None),  # type: ignore[arg-type]
            store.checkpoints, Reports(), lambda uuid, reason: None,
            owner="test", clock=clock.seconds, role="arn:aws:iam::000000000000:role/r",
        )  # fmt: skip
        poller.start()
        try:
            await wait_until(lambda: len(function.events) >= 2)  # retried: the shard blocked
            assert not captured.deliveries
            clock.now += 61  # the record is now older than 60 seconds
            await wait_until(lambda: bool(captured.deliveries))
            record = orjson.loads(captured.deliveries[0].body)
            assert record["requestContext"]["condition"] == "RecordAgeExceeded"
            assert record["requestContext"]["approximateInvokeCount"] == len(function.events)
            assert record["KinesisBatchInfo"]["batchSize"] == 1
            function.failing = False
            await kinesis.api.dispatch(CTX, "PutRecord", {**put, "Data": b"new"})
            await wait_until(lambda: function.events[-1]["Records"][0]["kinesis"]["data"] == "bmV3")
            assert all(e["Records"][0]["kinesis"]["data"] == "b2xk" for e in function.events[:-1])
        finally:
            await poller.stop()

    asyncio.run(scenario())
