"""External extensions from a layer's ``extensions/`` directory, through boto3 against a real
server: an extension registers with the Extensions API, receives INVOKE for every invocation
and SHUTDOWN when its environment ends, subscribes to the Telemetry API and gets the
platform's and the function's events; an extension's init error fails the function's init.
Each extension is a Python script that writes what it gets to a file the test reads, waiting
with a deadline."""

from __future__ import annotations

import json
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from lambdaport.testing.server import zip_files
from tests.conftest import MakeFunction
from tests.helpers import json_lines, wait_for

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

# An external extension: registers for INVOKE and SHUTDOWN, optionally subscribes its own
# HTTP listener to the Telemetry API, and records every event (and telemetry batch) as a JSON
# line in $RECORD; on SHUTDOWN it records and exits.
EXTENSION = f"""#!{sys.executable}
import json, os, sys, threading, urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"]
name = os.path.basename(sys.argv[0])
record = os.environ["RECORD"]

def write(entry):
    with open(record, "a") as f:
        f.write(json.dumps(entry) + "\\n")

def call(method, path, body=None, headers=None):
    request = urllib.request.Request(api + path, data=body, method=method, headers=headers or {{}})
    with urllib.request.urlopen(request) as answer:
        return answer.headers, json.loads(answer.read() or b"null")

headers, info = call("POST", "/2020-01-01/extension/register",
                     json.dumps({{"events": ["INVOKE", "SHUTDOWN"]}}).encode(),
                     {{"Lambda-Extension-Name": name}})
identifier = headers["Lambda-Extension-Identifier"]
write({{"registered": info, "identifier": identifier,
       "runtime_api": os.environ["AWS_LAMBDA_RUNTIME_API"]}})

if os.environ.get("TELEMETRY"):
    class Listener(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            write({{"telemetry": json.loads(body)}})
            self.send_response(200)
            self.end_headers()
        def log_message(self, *args):
            pass
    server = HTTPServer(("127.0.0.1", 0), Listener)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    subscription = {{
        "schemaVersion": "2022-12-13",
        "destination": {{"protocol": "HTTP", "URI": f"http://sandbox.localdomain:{{server.server_port}}/"}},
        "types": ["platform", "function"],
        "buffering": {{"maxItems": 1000, "maxBytes": 262144, "timeoutMs": 25}},
    }}
    request = urllib.request.Request(api + "/2022-07-01/telemetry", method="PUT",
                                     data=json.dumps(subscription).encode(),
                                     headers={{"Lambda-Extension-Identifier": identifier}})
    urllib.request.urlopen(request).read()

while True:
    _, event = call("GET", "/2020-01-01/extension/event/next",
                    headers={{"Lambda-Extension-Identifier": identifier}})
    write({{"event": event}})
    if event["eventType"] == "SHUTDOWN":
        sys.exit(0)
"""

FAILING = f"""#!{sys.executable}
import json, os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"]
request = urllib.request.Request(api + "/2020-01-01/extension/register", method="POST",
    data=json.dumps({{"events": ["INVOKE"]}}).encode(),
    headers={{"Lambda-Extension-Name": "failing"}})
with urllib.request.urlopen(request) as answer:
    identifier = answer.headers["Lambda-Extension-Identifier"]
request = urllib.request.Request(api + "/2020-01-01/extension/init/error", method="POST",
    data=json.dumps({{"errorMessage": "no config", "errorType": "Extension.NoConfig"}}).encode(),
    headers={{"Lambda-Extension-Identifier": identifier,
             "Lambda-Extension-Function-Error-Type": "Extension.NoConfig"}})
urllib.request.urlopen(request).read()
import time
time.sleep(60)
"""

HANDLER = "def handler(event, context):\n    print('handling', event['n'])\n    return event['n']\n"
NODE_HANDLER = (
    "exports.handler = async (event) => {\n"
    "  console.log('handling', event.n);\n"
    "  return event.n;\n"
    "};\n"
)
PublishExtension = Callable[[str], str]


@pytest.fixture
def extension_layer(lambda_client: LambdaClient) -> Iterator[PublishExtension]:
    """``extension_layer(script)``: a layer with ``extensions/recorder``; its ARN."""
    published: list[str] = []

    def publish(script: str) -> str:
        name = f"ext-{uuid.uuid4().hex[:10]}"
        package = zip_files({"extensions/recorder": script}, {"extensions/recorder": 0o755})
        answer = lambda_client.publish_layer_version(LayerName=name, Content={"ZipFile": package})
        published.append(name)
        return answer["LayerVersionArn"]

    yield publish
    for name in published:
        lambda_client.delete_layer_version(LayerName=name, VersionNumber=1)


def _events(record: Path, kind: str) -> list[dict[str, Any]]:
    if not record.exists():
        return []
    return [e["event"] for e in json_lines(record) if e.get("event", {}).get("eventType") == kind]


def _at_least(found: list[dict[str, Any]], count: int) -> list[dict[str, Any]] | None:
    return found if len(found) >= count else None


def _invoke(client: LambdaClient, name: str, n: int) -> tuple[str, Any]:
    answer = client.invoke(FunctionName=name, Payload=json.dumps({"n": n}).encode())
    payload = json.loads(answer["Payload"].read())
    assert "FunctionError" not in answer, payload
    return answer["ResponseMetadata"]["RequestId"], payload


NODE = pytest.param(
    "nodejs20.x",
    marks=pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed"),
)


@pytest.mark.parametrize("runtime", ["python3.12", "provided.al2023", NODE])
def test_an_external_extension_receives_invoke_and_shutdown(
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    extension_layer: PublishExtension,
    tmp_path: Path,
    runtime: str,
) -> None:
    record = tmp_path / "record.jsonl"
    layer = extension_layer(EXTENSION)
    if runtime == "provided.al2023":
        bootstrap = CUSTOM_BOOTSTRAP
        files: dict[str, str | bytes] = {"bootstrap": bootstrap}
        config: dict[str, Any] = {"Code": {"ZipFile": zip_files(files, {"bootstrap": 0o755})}}
        name = f"fn-{uuid.uuid4().hex[:12]}"
        lambda_client.create_function(
            FunctionName=name,
            Runtime="provided.al2023",
            Role="arn:aws:iam::000000000000:role/r",
            Handler="bootstrap",
            Layers=[layer],
            Environment={"Variables": {"RECORD": str(record)}},
            **config,
        )
        lambda_client.get_waiter("function_active_v2").wait(FunctionName=name)
    elif runtime.startswith("nodejs"):
        name = make_function(
            {"index.js": NODE_HANDLER},
            handler="index.handler",
            runtime=runtime,
            Layers=[layer],
            Environment={"Variables": {"RECORD": str(record)}},
        )
    else:
        name = make_function(
            HANDLER,
            runtime=runtime,
            Layers=[layer],
            Environment={"Variables": {"RECORD": str(record)}},
        )
    try:
        first, answer = _invoke(lambda_client, name, 1)
        assert answer == 1
        second, _ = _invoke(lambda_client, name, 2)
        invokes = wait_for(lambda: _at_least(_events(record, "INVOKE"), 2), 30)
        assert [e["requestId"] for e in invokes] == [first, second]
        assert invokes[0]["invokedFunctionArn"].endswith(f":function:{name}")
        assert invokes[0]["deadlineMs"] > 0
        assert invokes[0]["tracing"]["type"] == "X-Amzn-Trace-Id"
        registered = json_lines(record)[0]
        assert registered["registered"]["functionName"] == name
        assert registered["registered"]["functionVersion"] == "$LATEST"
        assert registered["runtime_api"].startswith("127.0.0.1:")
    finally:
        lambda_client.delete_function(FunctionName=name)  # the environment ends
    shutdown = wait_for(lambda: _events(record, "SHUTDOWN"), 30)
    assert shutdown[0]["shutdownReason"] == "spindown"
    assert shutdown[0]["deadlineMs"] > 0


CUSTOM_BOOTSTRAP = """#!/bin/sh
set -eu
api="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"
while true; do
  headers=$(mktemp)
  event=$(curl -sS -D "$headers" "$api/invocation/next")
  id=$(grep -i '^lambda-runtime-aws-request-id:' "$headers" | tr -d '\\r' | cut -d' ' -f2)
  n=$(echo "$event" | sed 's/.*"n": *\\([0-9]*\\).*/\\1/')
  curl -sS -X POST "$api/invocation/$id/response" -d "$n" >/dev/null
done
"""


@pytest.mark.parametrize("runtime", ["python3.12", NODE])
def test_telemetry_reaches_the_extension_s_listener(
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    extension_layer: PublishExtension,
    tmp_path: Path,
    runtime: str,
) -> None:
    record = tmp_path / "record.jsonl"
    node = runtime.startswith("nodejs")
    name = make_function(
        {"index.js": NODE_HANDLER} if node else HANDLER,
        handler="index.handler" if node else "app.handler",
        runtime=runtime,
        Layers=[extension_layer(EXTENSION)],
        Environment={"Variables": {"RECORD": str(record), "TELEMETRY": "1"}},
    )
    request_id, _ = _invoke(lambda_client, name, 7)

    def delivered() -> list[dict[str, Any]]:
        if not record.exists():
            return []
        batches = [e["telemetry"] for e in json_lines(record) if "telemetry" in e]
        records = [r for batch in batches for r in batch]
        done = [r for r in records if r["type"] == "platform.report"]
        return records if done else []

    records = wait_for(delivered, 30)
    types = [r["type"] for r in records]
    # The environment's first invocation: its init's events come first.
    assert types[:4] == [
        "platform.initStart",
        "platform.initRuntimeDone",
        "platform.initReport",
        "platform.start",
    ]
    init_report = records[2]["record"]
    assert (init_report["initializationType"], init_report["phase"]) == ("on-demand", "init")
    assert init_report["status"] == "success"
    assert init_report["metrics"]["durationMs"] > 0
    assert records[0]["record"]["functionName"] == name
    assert records[3]["record"]["requestId"] == request_id
    # A Node.js line is the console's (timestamp, request id, level), as on AWS.
    assert any(r["type"] == "function" and r["record"].endswith("handling 7") for r in records)
    runtime_done = next(r for r in records if r["type"] == "platform.runtimeDone")
    assert runtime_done["record"]["status"] == "success"
    assert runtime_done["record"]["requestId"] == request_id


def test_an_extension_init_error_fails_the_function_s_init(
    lambda_client: LambdaClient, make_function: MakeFunction, extension_layer: PublishExtension
) -> None:
    name = make_function(HANDLER, runtime="python3.12", Layers=[extension_layer(FAILING)])
    answer = lambda_client.invoke(FunctionName=name, Payload=b'{"n": 1}')
    assert answer["FunctionError"] == "Unhandled"
    assert json.loads(answer["Payload"].read()) == {
        "errorMessage": "no config",
        "errorType": "Extension.NoConfig",
    }


CRASHING = f"""#!{sys.executable}
import json, os, sys, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"]
request = urllib.request.Request(api + "/2020-01-01/extension/register", method="POST",
    data=json.dumps({{"events": ["INVOKE"]}}).encode(),
    headers={{"Lambda-Extension-Name": os.path.basename(sys.argv[0])}})
with urllib.request.urlopen(request) as answer:
    identifier = answer.headers["Lambda-Extension-Identifier"]
request = urllib.request.Request(api + "/2020-01-01/extension/event/next",
    headers={{"Lambda-Extension-Identifier": identifier}})
urllib.request.urlopen(request).read()
sys.exit(3)  # gone with its first INVOKE, never back in next
"""


def test_an_extension_that_exits_unasked_resets_the_environment(
    lambda_client: LambdaClient, make_function: MakeFunction, extension_layer: PublishExtension
) -> None:
    name = make_function(HANDLER, runtime="python3.12", Layers=[extension_layer(CRASHING)])
    assert _invoke(lambda_client, name, 1)[1] == 1  # the runtime's answer comes at once

    def crashed() -> dict[str, Any] | None:
        answer = lambda_client.invoke(FunctionName=name, Payload=b'{"n": 2}')
        payload: dict[str, Any] = json.loads(answer["Payload"].read())
        return payload if answer.get("FunctionError") else None

    error = crashed()
    assert error is not None and error["errorType"] == "Extension.Crash"
    assert _invoke(lambda_client, name, 3)[1] == 3  # a fresh environment
