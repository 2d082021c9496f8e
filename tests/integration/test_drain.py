"""The drain (``GET /_lambdaport/drain``; ``lambdaport.testing.wait_drained``, the plugin's
``lambdaport_drain``) against a real server: it waits while an async event runs and while an
SNS delivery is held by its endpoint, and returns once they are done; what a drained async
invocation set off (a Logs subscription invoking a second function) has run when it returns.
One request waits on the server; a bad timeout is a 400; it is open under --strict-auth."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest

from lambdaport.testing.aws import client_options, health, pending_work, wait_drained
from lambdaport.testing.inprocess import InProcessServer
from lambdaport.testing.server import Server
from tests.helpers import (
    ACCOUNT,
    HOLD_UNTIL_FILE,
    REGION,
    Recorders,
    allow_invoke,
    client_for,
    create_function,
)


@pytest.fixture(scope="module")
def drain_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of this module's own: a held delivery must not hold anyone else's drain."""
    with InProcessServer(tmp_path_factory.mktemp("drain") / "data") as server:
        yield server


class HeldEndpoint:
    """An HTTP endpoint that holds every request until :meth:`release`."""

    def __init__(self) -> None:
        self.released = threading.Event()
        self.arrived = threading.Event()
        released, arrived = self.released, self.arrived

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                arrived.set()
                released.wait(60)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> HeldEndpoint:
        self._thread.start()
        return self

    def release(self) -> None:
        self.released.set()

    def __exit__(self, *exc: object) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)


def test_waits_for_a_running_async_event(drain_server: Server, tmp_path: Path) -> None:
    lam = client_for(drain_server.endpoint)
    name = create_function(lam, HOLD_UNTIL_FILE)
    until = tmp_path / "release"
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=f'{{"until": "{until}"}}')
    assert pending_work(drain_server.endpoint)["asyncEvents"] == 1
    with pytest.raises(TimeoutError, match="asyncEvents"):
        wait_drained(drain_server.endpoint, timeout=0.2)
    until.touch()
    wait_drained(drain_server.endpoint, timeout=60)
    assert pending_work(drain_server.endpoint) == {
        "asyncEvents": 0,
        "snsDeliveries": 0,
        "logEvents": 0,
        "logsSubscriptionDeliveries": 0,
        "eventSourceMappings": 0,
    }


def drain(endpoint: str, query: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"{endpoint}/_lambdaport/drain?{query}", timeout=90) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_drain_endpoint_waits_on_the_server(drain_server: Server, tmp_path: Path) -> None:
    """One request waits as long as it is told (at least), answers what is left, and answers
    drained once the work is done."""
    lam = client_for(drain_server.endpoint)
    name = create_function(lam, HOLD_UNTIL_FILE)
    until = tmp_path / "release"
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=f'{{"until": "{until}"}}')
    started = time.monotonic()
    status, answer = drain(drain_server.endpoint, "timeout=0.5")
    assert time.monotonic() - started >= 0.5  # it waited the whole time before answering
    assert (status, answer["drained"], answer["pending"]["asyncEvents"]) == (200, False, 1)
    until.touch()
    assert drain(drain_server.endpoint, "timeout=60") == (
        200,
        {
            "drained": True,
            "pending": {
                "asyncEvents": 0,
                "snsDeliveries": 0,
                "logEvents": 0,
                "logsSubscriptionDeliveries": 0,
                "eventSourceMappings": 0,
            },
        },
    )


@pytest.mark.parametrize("timeout", ["soon", "-1", "301", "nan"])
def test_the_drain_endpoint_refuses_a_bad_timeout(drain_server: Server, timeout: str) -> None:
    status, answer = drain(drain_server.endpoint, f"timeout={timeout}")
    assert status == 400
    assert "timeout" in answer["message"]


def test_waits_for_an_sns_delivery_in_flight(drain_server: Server) -> None:
    sns = boto3.client("sns", **client_options(drain_server.endpoint))
    topic = sns.create_topic(Name="drain-http")["TopicArn"]
    with HeldEndpoint() as endpoint:
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint.url)
        assert endpoint.arrived.wait(30), "the SubscriptionConfirmation never arrived"
        assert health(drain_server.endpoint)["sns"] == {"deliveriesInFlight": 1}
        with pytest.raises(TimeoutError, match="snsDeliveries"):
            wait_drained(drain_server.endpoint, timeout=0.2)
        endpoint.release()
        wait_drained(drain_server.endpoint, timeout=30)
    assert health(drain_server.endpoint)["sns"] == {"deliveriesInFlight": 0}


def test_what_an_async_event_set_off_has_run(drain_server: Server, tmp_path: Path) -> None:
    """An Event invoke of A whose log line a subscription filter sends to B: once drained,
    B has run (no wait after the drain)."""
    lam = client_for(drain_server.endpoint)
    logs = boto3.client("logs", **client_options(drain_server.endpoint))
    with Recorders(lam, tmp_path) as recorders:
        b = recorders()
        a = create_function(lam, "def handler(event, context):\n    print('order', event)\n")
        group_arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/{a}:*"
        allow_invoke(lam, b.name, "logs.amazonaws.com", group_arn)
        logs.create_log_group(logGroupName=f"/aws/lambda/{a}")
        logs.put_subscription_filter(
            logGroupName=f"/aws/lambda/{a}",
            filterName="orders",
            filterPattern="order",
            destinationArn=b.arn,
        )
        lam.invoke(FunctionName=a, InvocationType="Event", Payload=b"42")
        wait_drained(drain_server.endpoint, timeout=60)
        assert len(b.events()) == 1


def test_the_drain_is_open_under_strict_auth_as_health_is(strict_server: Server) -> None:
    """Counts only, as the health document shows them; the logs need the data dir's token."""
    status, answer = drain(strict_server.endpoint, "timeout=0")
    assert (status, answer["drained"]) == (200, True)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{strict_server.endpoint}/_lambdaport/logs?function=x", timeout=10)
    assert refused.value.code == 403
    refused.value.close()
