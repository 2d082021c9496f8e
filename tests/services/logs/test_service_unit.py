"""LogsService on a real store without a server: batching of function lines, loop avoidance
and the clean-shutdown guarantee. Invocations go to a recording ``Invoke`` (the seam the
service is given), so what the service asks the invoker for can be checked exactly."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
from pathlib import Path

from lambdaport.invoke.model import InvokeRequest, InvokeResponse
from lambdaport.runtime.spec import FunctionSpec, LogEvent
from lambdaport.services.logs.service import LogsService
from lambdaport.store.sqlite import SqliteStore

ACCOUNT, REGION = "000000000000", "us-east-1"


def _spec(name: str, log_group: str) -> FunctionSpec:
    return FunctionSpec(
        function_name=name,
        function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
        version="$LATEST",
        runtime="python3.11",
        handler="app.handler",
        code_dir="/nonexistent",
        revision_id="r1",
        memory_size=128,
        timeout=3,
        region=REGION,
        account_id=ACCOUNT,
        log_group=log_group,
    )


class Recorder:
    def __init__(self) -> None:
        self.requests: list[InvokeRequest] = []

    async def __call__(self, request: InvokeRequest) -> InvokeResponse:
        self.requests.append(request)
        status = 204 if request.invocation_type == "DryRun" else 202
        return InvokeResponse(status, "request-id", "$LATEST")

    def events(self) -> list[InvokeRequest]:
        return [r for r in self.requests if r.invocation_type == "Event"]


def test_own_logs_never_trigger_the_subscribed_function(tmp_path: Path) -> None:
    recorder = Recorder()
    subscriber = _spec("subscriber", "/aws/lambda/subscriber")
    other = _spec("other", "/aws/lambda/subscriber")  # writes to the same group

    store = SqliteStore(tmp_path)

    async def scenario() -> None:
        service = LogsService(store.logs, store.documents, recorder)
        service.start()
        key = (ACCOUNT, REGION, "/aws/lambda/subscriber")
        await service.groups.create_log_group(key)
        await service.subscriptions.put_subscription_filter(
            key,
            {"filterName": "all", "filterPattern": "", "destinationArn": subscriber.function_arn},
        )
        service.put_log_events(subscriber, "s1", [LogEvent(1, "from itself")])
        service.put_log_events(other, "s2", [LogEvent(2, "from another function")])
        await service.stop()

    asyncio.run(scenario())
    store.close()
    assert [r.invocation_type for r in recorder.requests] == ["DryRun", "Event"]
    (event,) = recorder.events()
    assert event.caller.principal == "logs.amazonaws.com"
    assert event.caller.source_arn == (
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/subscriber:*"
    )
    assert event.caller.source_account == ACCOUNT
    data = json.loads(event.payload)["awslogs"]["data"]
    decoded = json.loads(gzip.decompress(base64.b64decode(data)))
    assert [e["message"] for e in decoded["logEvents"]] == ["from another function"]
    assert decoded["logStream"] == "s2"


def test_queued_function_lines_are_stored_at_shutdown(tmp_path: Path) -> None:
    spec = _spec("f", "/aws/lambda/f")

    first = SqliteStore(tmp_path / "a")

    async def scenario() -> None:
        service = LogsService(first.logs, first.documents, Recorder())
        service.start()
        for i in range(50):
            service.put_log_events(spec, "stream", [LogEvent(1000 + i, f"line {i}")])
        await service.stop()  # well within the flush delay: nothing was written yet

    asyncio.run(scenario())
    first.close()
    store = SqliteStore(tmp_path / "a")
    stored = asyncio.run(store.logs.log_events("/aws/lambda/f", limit=100))
    assert [e.message for e in stored] == [f"line {i}" for i in range(50)]
    assert {e.log_stream for e in stored} == {"stream"}
    store.close()


def test_reads_see_queued_lines(tmp_path: Path) -> None:
    spec = _spec("f", "/aws/lambda/f")

    store = SqliteStore(tmp_path)

    async def scenario() -> list[str]:
        service = LogsService(store.logs, store.documents, Recorder())
        service.put_log_events(spec, "stream", [LogEvent(5, "queued")])
        found = await service.followers.events("/aws/lambda/f")
        await service.stop()
        return [e.message for e in found]

    assert asyncio.run(scenario()) == ["queued"]
    store.close()
