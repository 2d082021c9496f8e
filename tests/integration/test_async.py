"""Asynchronous invocation through boto3 against a real server whose async delays are scaled by
0.01 (the 1- and 2-minute retries take 0.6 s and 1.2 s): acceptance, retries with the same
request id, destinations with AWS's record, maximum age, reserved concurrency 0, throttling,
and at-least-once delivery across a kill -9 of the server."""

from __future__ import annotations

import json
import signal
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError
from click.testing import CliRunner

from lambdaport.cli.main import main
from lambdaport.testing.aws import wait_drained
from lambdaport.testing.inprocess import InProcessServer
from lambdaport.testing.server import Server, ServerProcess
from tests.helpers import Recorders, client_for, create_function, wait_for

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

SCALE = "0.01"


def health(endpoint: str) -> dict[str, Any]:
    with urllib.request.urlopen(endpoint + "/_lambdaport/health", timeout=10) as response:
        body: dict[str, Any] = json.loads(response.read())
        return body


@pytest.fixture(scope="module")
def async_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("async") / "data"
    with InProcessServer(data_dir, extra_args=("--async-delay-scale", SCALE)) as in_process:
        yield in_process


@pytest.fixture(scope="module")
def lam(async_server: Server) -> LambdaClient:
    return client_for(async_server.endpoint)


@pytest.fixture
def recorder(lam: LambdaClient, tmp_path: Path) -> Iterator[Recorders]:
    """``recorder(**config)``: a recording function on the async server."""
    with Recorders(lam, tmp_path) as make:
        yield make


def invoke_event(client: LambdaClient, name: str, event: Any, **kwargs: Any) -> str:
    response = client.invoke(
        FunctionName=name, InvocationType="Event", Payload=json.dumps(event).encode(), **kwargs
    )
    assert response["StatusCode"] == 202
    assert response["Payload"].read() == b""
    request_id = response["ResponseMetadata"]["RequestId"]
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"] == request_id
    return request_id


# -- accepting ----------------------------------------------------------------------------


def test_event_is_accepted_with_202_and_runs_with_the_same_request_id(
    lam: LambdaClient, recorder: Recorders
) -> None:
    fn = recorder()
    request_id = invoke_event(lam, fn.name, {"hello": "async"})
    [run] = fn.wait_runs(request_id, 1)
    assert run["event"] == {"hello": "async"}


def test_invoke_async_is_the_legacy_door(lam: LambdaClient, recorder: Recorders) -> None:
    fn = recorder()
    response = lam.invoke_async(FunctionName=fn.name, InvokeArgs=b'{"legacy": true}')
    assert response["Status"] == 202
    [run] = fn.wait_runs(response["ResponseMetadata"]["RequestId"], 1)
    assert run["event"] == {"legacy": True}


def test_payload_limits(lam: LambdaClient, recorder: Recorders) -> None:
    fn = recorder()
    big = {"data": "x" * (300 * 1024)}
    request_id = invoke_event(lam, fn.name, big)  # over InvokeAsync's 256 KB, under 1 MB
    fn.wait_runs(request_id, 1)
    with pytest.raises(ClientError) as too_large:
        invoke_event(lam, fn.name, {"data": "x" * (1024 * 1024)})
    assert too_large.value.response["Error"]["Code"] == "RequestTooLargeException"
    assert too_large.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    with pytest.raises(ClientError) as legacy:
        lam.invoke_async(FunctionName=fn.name, InvokeArgs=json.dumps(big).encode())
    assert legacy.value.response["Error"]["Code"] == "RequestTooLargeException"


def test_validation_errors_are_synchronous(lam: LambdaClient) -> None:
    with pytest.raises(ClientError) as missing:
        invoke_event(lam, "no-such-function", {})
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


# -- retries and destinations ---------------------------------------------------------------


def test_function_errors_are_retried_twice_with_growing_delays(
    lam: LambdaClient, recorder: Recorders
) -> None:
    fn, failures = recorder(), recorder()
    lam.put_function_event_invoke_config(
        FunctionName=fn.name, DestinationConfig={"OnFailure": {"Destination": failures.arn}}
    )
    request_id = invoke_event(lam, fn.name, {"fail": True})
    record = failures.wait_record()
    runs = fn.runs_of(request_id)
    assert len(runs) == 3  # the first run and 2 retries, all with the same request id
    first_gap, second_gap = runs[1]["t"] - runs[0]["t"], runs[2]["t"] - runs[1]["t"]
    assert 0.55 <= first_gap < second_gap  # ~0.6 s then ~1.2 s at scale 0.01
    assert second_gap >= 1.15
    assert set(record) == {
        "version",
        "timestamp",
        "requestContext",
        "requestPayload",
        "responseContext",
        "responsePayload",
    }
    assert record["version"] == "1.0"
    assert record["requestContext"] == {
        "requestId": request_id,
        "functionArn": f"{fn.arn}:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 3,
    }
    assert record["requestPayload"] == {"fail": True}
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["responsePayload"]["errorType"] == "RuntimeError"
    assert record["responsePayload"]["errorMessage"] == "failing on purpose"
    assert time.strptime(record["timestamp"][:19], "%Y-%m-%dT%H:%M:%S")
    assert record["timestamp"].endswith("Z") and len(record["timestamp"]) == 24


def test_maximum_retry_attempts_zero_runs_once(lam: LambdaClient, recorder: Recorders) -> None:
    fn, failures = recorder(), recorder()
    lam.put_function_event_invoke_config(
        FunctionName=fn.name,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": failures.arn}},
    )
    request_id = invoke_event(lam, fn.name, {"fail": True})
    record = failures.wait_record()
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert len(fn.runs_of(request_id)) == 1


def test_on_success_record_for_an_alias(lam: LambdaClient, recorder: Recorders) -> None:
    fn, successes = recorder(), recorder()
    version = lam.publish_version(FunctionName=fn.name)["Version"]
    lam.create_alias(FunctionName=fn.name, Name="live", FunctionVersion=version)
    lam.put_function_event_invoke_config(
        FunctionName=fn.name,
        Qualifier="live",
        DestinationConfig={"OnSuccess": {"Destination": successes.arn}},
    )
    request_id = invoke_event(lam, fn.name, {"n": 1}, Qualifier="live")
    record = successes.wait_record()
    assert record["requestContext"] == {
        "requestId": request_id,
        "functionArn": f"{fn.arn}:live",
        "condition": "Success",
        "approximateInvokeCount": 1,
    }
    assert record["requestPayload"] == {"n": 1}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": version}
    assert record["responsePayload"] == {"echo": {"n": 1}}


def test_events_older_than_the_maximum_age_go_to_failure(
    lam: LambdaClient, recorder: Recorders
) -> None:
    fn, failures = recorder(), recorder()
    lam.put_function_event_invoke_config(
        FunctionName=fn.name,
        MaximumEventAgeInSeconds=60,  # 0.6 s at scale 0.01; the first retry comes later
        DestinationConfig={"OnFailure": {"Destination": failures.arn}},
    )
    request_id = invoke_event(lam, fn.name, {"fail": True})
    record = failures.wait_record()
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert len(fn.runs_of(request_id)) == 1


def test_reserved_concurrency_zero_fails_without_running(
    lam: LambdaClient, recorder: Recorders
) -> None:
    fn, failures = recorder(), recorder()
    lam.put_function_concurrency(FunctionName=fn.name, ReservedConcurrentExecutions=0)
    lam.put_function_event_invoke_config(
        FunctionName=fn.name, DestinationConfig={"OnFailure": {"Destination": failures.arn}}
    )
    request_id = invoke_event(lam, fn.name, {"never": "runs"})
    record = failures.wait_record()
    assert record["requestContext"]["requestId"] == request_id
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert record["responseContext"]["statusCode"] == 429
    assert fn.seen() == []


def test_throttled_events_wait_without_spending_attempts(
    lam: LambdaClient, async_server: Server, recorder: Recorders, tmp_path: Path
) -> None:
    fn, successes = recorder(Timeout=60), recorder()
    lam.put_function_concurrency(FunctionName=fn.name, ReservedConcurrentExecutions=1)
    lam.put_function_event_invoke_config(
        FunctionName=fn.name,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnSuccess": {"Destination": successes.arn}},
    )
    # A synchronous invocation holds the only unit of concurrency until it is released.
    until = tmp_path / "release"
    payload = json.dumps({"until": str(until)}).encode()
    sync = threading.Thread(target=lambda: lam.invoke(FunctionName=fn.name, Payload=payload))
    sync.start()
    try:
        wait_for(fn.seen, 30, "the synchronous run to start")
        request_id = invoke_event(lam, fn.name, {"queued": True})
        # Accepted with room in the dispatcher, the event starts at once (claimed, running);
        # throttled, it is back in the queue, unclaimed, waiting for its next turn.
        wait_for(
            lambda: queue_entry(async_server, fn.arn) == (1, 0), 30, "the event to be throttled"
        )
        assert fn.runs_of(request_id) == []
    finally:
        until.touch()
        sync.join(60)
    record = successes.wait_record()
    [async_run] = fn.runs_of(request_id)
    done = next(line["done"] for line in fn.lines() if "done" in line)
    assert async_run["t"] >= done  # it ran only once the slot was free
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["requestContext"]["condition"] == "Success"


def queue_entry(server: Server, function_arn: str) -> tuple[int, int] | None:
    """The function's (depth, running) in the health document's async queue."""
    entries = health(server.endpoint)["asyncQueue"]["functions"]
    return next(
        ((e["depth"], e["running"]) for e in entries if e["functionArn"] == function_arn), None
    )


def test_dead_letter_queue_that_does_not_exist_fails_with_a_clear_log(
    lam: LambdaClient, async_server: Server, recorder: Recorders
) -> None:
    queue_arn = f"arn:aws:sqs:us-east-1:000000000000:dlq-{uuid.uuid4().hex[:8]}"
    fn = recorder(DeadLetterConfig={"TargetArn": queue_arn})
    lam.put_function_event_invoke_config(FunctionName=fn.name, MaximumRetryAttempts=0)
    request_id = invoke_event(lam, fn.name, {"fail": True})
    line = wait_for(
        lambda: next((x for x in async_server.log().splitlines() if queue_arn in x), None),
        20,
        "the DLQ delivery failure in the server log",
    )
    assert "DeadLetter" in async_server.log()
    assert "does not exist" in line.lower() or "NonExistentQueue" in line
    assert len(fn.runs_of(request_id)) == 1


def test_health_and_status_report_the_queue(
    lam: LambdaClient, async_server: Server, recorder: Recorders, tmp_path: Path
) -> None:
    fn = recorder(Timeout=60)
    until = tmp_path / "release"
    invoke_event(lam, fn.name, {"until": str(until)})
    try:
        wait_for(fn.seen, 30, "the event to run")
        entries = health(async_server.endpoint)["asyncQueue"]["functions"]
        (entry,) = (e for e in entries if e["functionArn"] == fn.arn)
        assert (entry["depth"], entry["running"]) == (1, 1)
        assert entry["oldestEventAgeSeconds"] >= 0
        result = CliRunner().invoke(main, ["status", "--endpoint", async_server.endpoint])
        assert result.exit_code == 0, result.output
        assert "async queue" in result.output
        assert fn.name in result.output
    finally:
        until.touch()
    wait_drained(async_server.endpoint)
    assert queue_entry(async_server, fn.arn) is None


# -- crash safety -----------------------------------------------------------------------------


# Every run waits until the file RELEASE exists (at most 60 s), so the first server is killed
# with its two runs held and every other event still queued, however loaded the machine is.
SINK = """
import os, time

def handler(event, context):
    deadline = time.monotonic() + 60
    while not os.path.exists(os.environ["RELEASE"]) and time.monotonic() < deadline:
        time.sleep(0.01)
    with open(os.environ["OUT"], "a") as out:
        out.write(context.aws_request_id + "\\n")
"""


def post_events(endpoint: str, name: str, count: int) -> list[str]:
    """``count`` Event invokes on one keep-alive connection; the request ids of the 202s."""
    client = client_for(endpoint)
    return [
        client.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")["ResponseMetadata"][
            "RequestId"
        ]
        for _ in range(count)
    ]


def test_every_accepted_event_is_delivered_after_kill_9(tmp_path: Path) -> None:
    """Events accepted by four clients at once (their commits grouped by the store, the
    first ones started at once with their acceptance's resolution and held running, the rest
    queued) are all delivered by the next server after a kill -9."""
    data_dir = tmp_path / "data"
    out = tmp_path / "delivered.txt"
    release = tmp_path / "release"
    name = "sink"
    args = ("--async-delay-scale", SCALE)
    first = ServerProcess(data_dir, extra_args=args)
    first.start()
    try:
        client = client_for(first.endpoint)
        create_function(
            client,
            SINK,
            name=name,
            Timeout=90,
            Environment={"Variables": {"OUT": str(out), "RELEASE": str(release)}},
        )
        client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=4)
        client.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1)
        results: list[list[str]] = [[] for _ in range(4)]

        def post(index: int) -> None:
            results[index] = post_events(first.endpoint, name, 75)

        threads = [threading.Thread(target=post, args=(index,)) for index in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        accepted = [request_id for ids in results for request_id in ids]
        assert len(set(accepted)) == 300
        # Hundreds still queued, four running (held), when the server is killed.
        arn = client.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
        wait_for(lambda: queue_entry(first, arn) == (300, 4), 30, "300 queued, 4 running")
        assert not out.exists()
    finally:
        first.stop(signal.SIGKILL)
    release.touch()
    second = ServerProcess(data_dir, extra_args=args)
    second.start()
    try:
        client = client_for(second.endpoint)
        config = client.get_function_event_invoke_config(FunctionName=name)
        assert config["MaximumRetryAttempts"] == 1  # the config survived the crash too

        def all_delivered() -> bool:
            delivered = set(out.read_text().split()) if out.exists() else set()
            return delivered >= set(accepted)

        wait_for(all_delivered, 60, "every accepted request id to be delivered")
        wait_drained(second.endpoint, 20)
    finally:
        second.stop()
