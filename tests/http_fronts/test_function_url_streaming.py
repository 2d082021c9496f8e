"""Function URLs with InvokeMode RESPONSE_STREAM: the body reaches the HTTP client chunk by
chunk while the function runs, from a custom runtime (the Runtime API's streamed
``/response``: chunked, ``Lambda-Runtime-Function-Response-Mode: streaming``, errors in the
trailers) and from Node.js (``awslambda.streamifyResponse``,
``awslambda.HttpResponseStream.from``); the HTTP prelude (JSON, 8 NUL bytes) gives the
status, headers and cookies. Each function below waits for a release file between its two
writes, so a first chunk read before the test creates that file was sent while the function
was still running."""

from __future__ import annotations

import json
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import httpx
import pytest

from lambdaport.testing.server import zip_files
from tests.conftest import MakeFunction
from tests.helpers import ROLE, wait_active
from tests.http_fronts.conftest import allow_url, call

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

# A custom runtime in Python's stdlib: the invocation's query string picks what it streams.
STREAMING_RUNTIME = (
    f"#!{sys.executable}\n"
    + r"""
import base64, json, os, socket, time, urllib.request

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
BASE = f"http://{API}/2018-06-01/runtime/invocation"
HTTP = "application/vnd.awslambda.http-integration-response"


def wait_for(path):
    deadline = time.monotonic() + 30
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.01)


def chunk(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


def stream(request_id, content_type, parts, trailers=None):
    host, port = API.split(":")
    sock = socket.create_connection((host, int(port)))
    head = (
        f"POST /2018-06-01/runtime/invocation/{request_id}/response HTTP/1.1\r\n"
        f"Host: {API}\r\nContent-Type: {content_type}\r\n"
        "Lambda-Runtime-Function-Response-Mode: streaming\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n"
        "Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n"
        "\r\n"
    )
    sock.sendall(head.encode())
    for part in parts:
        if callable(part):
            part()
        else:
            sock.sendall(chunk(part))
    end = b"0\r\n"
    for name, value in (trailers or {}).items():
        end += f"{name}: {value}\r\n".encode()
    sock.sendall(end + b"\r\n")
    answer = b""
    while data := sock.recv(65536):
        answer += data
    sock.close()
    print("streamed post answered", answer.split(b"\r\n", 1)[0].decode())


while True:
    with urllib.request.urlopen(f"{BASE}/next") as got:
        request_id = got.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(got.read())
    query = event.get("queryStringParameters") or {}
    mode, release = query.get("mode"), query.get("release", "")
    prelude = json.dumps({"statusCode": 202, "headers": {"content-type": "text/plain",
        "x-streamed": "yes"}, "cookies": ["s=1", "t=2"]}).encode() + b"\0" * 8
    error = {"errorType": "Custom.Broke", "errorMessage": "broke mid-stream"}
    failed = {"Lambda-Runtime-Function-Error-Type": "Custom.Broke",
              "Lambda-Runtime-Function-Error-Body":
                  base64.b64encode(json.dumps(error).encode()).decode()}
    if mode == "prelude":
        stream(request_id, HTTP, [prelude + b"first ", lambda: wait_for(release), b"second"])
    elif mode == "plain":
        stream(request_id, "text/csv", [b"a,b\n", lambda: wait_for(release), b"1,2\n"])
    elif mode == "fail-mid":
        stream(request_id, HTTP, [prelude + b"first "], failed)
    elif mode == "fail-early":
        stream(request_id, "text/plain", [], failed)
    else:
        body = json.dumps({"statusCode": 201, "body": "whole"}).encode()
        urllib.request.urlopen(urllib.request.Request(f"{BASE}/{request_id}/response", body))
"""
)

NODE_STREAMING = """
import fs from 'node:fs';
const until = (path) => new Promise((resolve, reject) => {
  const deadline = Date.now() + 30000;
  const poll = () => fs.existsSync(path) ? resolve()
    : Date.now() > deadline ? reject(new Error('never released')) : setTimeout(poll, 10);
  poll();
});
export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const query = event.queryStringParameters || {};
  if (query.mode === 'prelude') {
    responseStream = awslambda.HttpResponseStream.from(responseStream, {
      statusCode: 206, headers: { 'content-type': 'text/html', 'x-kind': 'node' },
      cookies: ['n=1'] });
  } else {
    responseStream.setContentType('text/plain');
  }
  responseStream.write('<p>first</p>');
  if (query.release) await until(query.release);
  responseStream.write('<p>second</p>');
  responseStream.end();
});
"""


def _create_runtime_function(client: LambdaClient) -> str:
    name = f"stream-{uuid.uuid4().hex[:10]}"
    client.create_function(
        FunctionName=name,
        Runtime="provided.al2023",
        Role=ROLE,
        Handler="stream",
        Code={"ZipFile": zip_files({"bootstrap": STREAMING_RUNTIME}, {"bootstrap": 0o755})},
    )
    wait_active(client, name)
    return name


@pytest.fixture
def runtime_url(lambda_client: LambdaClient) -> Iterator[str]:
    """A custom-runtime function behind a RESPONSE_STREAM URL anyone may call."""
    name = _create_runtime_function(lambda_client)
    try:
        url = lambda_client.create_function_url_config(
            FunctionName=name, AuthType="NONE", InvokeMode="RESPONSE_STREAM"
        )
        allow_url(lambda_client, name)
        yield url["FunctionUrl"]
    finally:
        lambda_client.delete_function(FunctionName=name)


def _client(url: str) -> httpx.Client:
    """An HTTP client reaching the URL's ``*.localhost`` host on loopback, as curl does."""
    parts = urlsplit(url)
    return httpx.Client(
        base_url=f"http://127.0.0.1:{parts.port}",
        headers={"host": parts.netloc},
        timeout=httpx.Timeout(60.0),
    )


def _read_streamed(url: str, query: str, release: Path, first_marker: bytes) -> httpx.Response:
    """GET ``url?query``; the first piece of the body must arrive before ``release`` exists
    (the function waits for it), then the rest once it does. The response's body is left in
    ``response.extensions["pieces"]``."""
    with _client(url) as client, client.stream("GET", f"/?{query}") as response:
        pieces = response.iter_raw()
        received = b""
        while first_marker not in received:
            received += next(pieces)
        assert not release.exists()
        release.touch()
        received += b"".join(pieces)
        response.extensions["pieces"] = received
        return response


def test_custom_runtime_streams_with_its_prelude(runtime_url: str, tmp_path: Path) -> None:
    release = tmp_path / "release"
    query = f"mode=prelude&release={quote(str(release))}"
    response = _read_streamed(runtime_url, query, release, b"first ")
    assert response.status_code == 202
    assert response.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in response.headers
    assert response.headers["content-type"] == "text/plain"
    assert response.headers["x-streamed"] == "yes"
    assert response.headers.get_list("set-cookie") == ["s=1", "t=2"]
    assert response.headers["x-amzn-requestid"]
    assert response.extensions["pieces"] == b"first second"


def test_custom_runtime_stream_without_prelude_is_a_200(runtime_url: str, tmp_path: Path) -> None:
    release = tmp_path / "release"
    response = _read_streamed(
        runtime_url, f"mode=plain&release={quote(str(release))}", release, b"a,b\n"
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv"
    assert response.extensions["pieces"] == b"a,b\n1,2\n"


def test_custom_runtime_errors_in_the_trailers(runtime_url: str) -> None:
    mid = call(runtime_url + "?mode=fail-mid")  # the status was sent: the body ends there
    assert (mid.status, mid.body) == (202, b"first ")
    early = call(runtime_url + "?mode=fail-early")  # nothing sent yet: a 502
    assert (early.status, early.body) == (502, b"Internal Server Error")
    buffered = call(runtime_url + "?mode=buffered")  # a plain /response: read whole
    assert (buffered.status, buffered.body) == (201, b"whole")


def test_streamed_responses_through_invoke_apis(lambda_client: LambdaClient) -> None:
    """The same runtime's streamed /response through Invoke (collected whole) and
    InvokeWithResponseStream (its chunks, the trailer's error in InvokeComplete)."""
    name = _create_runtime_function(lambda_client)
    try:
        event = json.dumps({"queryStringParameters": {"mode": "fail-mid"}}).encode()
        plain = lambda_client.invoke(FunctionName=name, Payload=event)
        assert plain["FunctionError"] == "Unhandled"
        assert json.loads(plain["Payload"].read())["errorType"] == "Custom.Broke"
        streamed = lambda_client.invoke_with_response_stream(FunctionName=name, Payload=event)
        chunks: list[bytes] = []
        complete: dict[str, Any] = {}
        for part in streamed["EventStream"]:
            if "PayloadChunk" in part:
                chunks.append(part["PayloadChunk"]["Payload"])
            else:
                complete = dict(part["InvokeComplete"])
        assert b"".join(chunks).endswith(b"\0" * 8 + b"first ")
        assert complete["ErrorCode"] == "Custom.Broke"
        assert json.loads(complete["ErrorDetails"])["errorMessage"] == "broke mid-stream"
    finally:
        lambda_client.delete_function(FunctionName=name)


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_node_streams_through_the_url(
    lambda_client: LambdaClient, make_function: MakeFunction, tmp_path: Path
) -> None:
    name = make_function(
        {"index.mjs": NODE_STREAMING}, handler="index.handler", runtime="nodejs20.x"
    )
    url = lambda_client.create_function_url_config(
        FunctionName=name, AuthType="NONE", InvokeMode="RESPONSE_STREAM"
    )["FunctionUrl"]
    allow_url(lambda_client, name)
    release = tmp_path / "release"
    query = f"mode=prelude&release={quote(str(release))}"
    response = _read_streamed(url, query, release, b"<p>first</p>")
    assert response.status_code == 206
    assert (response.headers["content-type"], response.headers["x-kind"]) == ("text/html", "node")
    assert response.headers.get_list("set-cookie") == ["n=1"]
    assert response.extensions["pieces"] == b"<p>first</p><p>second</p>"
    plain = call(url + "?mode=plain")
    assert (plain.status, plain.header("content-type")) == (200, "text/plain")
    assert plain.body == b"<p>first</p><p>second</p>"
