"""Response streaming: ``awslambda.streamifyResponse`` handlers through
``InvokeWithResponseStream`` (AWS's event stream of ``PayloadChunk`` and ``InvokeComplete``)
and through plain ``Invoke``."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import MakeFunction
from tests.helpers import client_error

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")

STREAMING = """
import fs from 'node:fs';
const until = (path) => new Promise((resolve, reject) => {
  const deadline = Date.now() + 20000;
  const poll = () => fs.existsSync(path) ? resolve()
    : Date.now() > deadline ? reject(new Error('never released')) : setTimeout(poll, 10);
  poll();
});
export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  if (event.http) {
    responseStream = awslambda.HttpResponseStream.from(responseStream, {
      statusCode: 201, headers: { 'x-kind': 'http' } });
  } else {
    responseStream.setContentType('text/plain');
  }
  responseStream.write('first ');
  if (event.release) await until(event.release);
  console.log('streaming for', context.awsRequestId);
  responseStream.write('second');
  if (event.fail) throw new Error('broke mid-stream');
  responseStream.end();
});
"""


def events(response: Any) -> tuple[list[bytes], dict[str, Any]]:
    """The payload chunks and the InvokeComplete event of a streamed answer."""
    chunks: list[bytes] = []
    complete: dict[str, Any] | None = None
    for event in response["EventStream"]:
        if "PayloadChunk" in event:
            assert complete is None
            chunks.append(event["PayloadChunk"]["Payload"])
        else:
            complete = event["InvokeComplete"]
    assert complete is not None
    return chunks, complete


def test_chunks_arrive_while_the_function_runs(
    lambda_client: LambdaClient, make_function: MakeFunction, tmp_path: Path
) -> None:
    name = make_function({"index.mjs": STREAMING}, handler="index.handler", runtime="nodejs20.x")
    release = tmp_path / "release"
    response = lambda_client.invoke_with_response_stream(
        FunctionName=name, Payload=json.dumps({"release": str(release)}).encode(), LogType="Tail"
    )
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert response["ResponseStreamContentType"] == "text/plain"
    stream = iter(response["EventStream"])
    # The function waits for the release file before its second write: this chunk can only
    # be here because it was sent while the function was still running.
    assert next(stream) == {"PayloadChunk": {"Payload": b"first "}}
    release.touch()
    rest = list(stream)
    assert rest[0] == {"PayloadChunk": {"Payload": b"second"}}
    complete = rest[-1]["InvokeComplete"]
    assert "ErrorCode" not in complete
    log = base64.b64decode(complete["LogResult"]).decode()
    request_id = response["ResponseMetadata"]["RequestId"]
    assert f"streaming for {request_id}" in log and "REPORT RequestId" in log


def test_http_response_stream_prelude(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function({"index.mjs": STREAMING}, handler="index.handler", runtime="nodejs20.x")
    response = lambda_client.invoke_with_response_stream(FunctionName=name, Payload=b'{"http":1}')
    assert (
        response["ResponseStreamContentType"]
        == "application/vnd.awslambda.http-integration-response"
    )
    chunks, complete = events(response)
    body = b"".join(chunks)
    prelude, _, rest = body.partition(b"\x00" * 8)
    assert json.loads(prelude) == {"statusCode": 201, "headers": {"x-kind": "http"}}
    assert rest == b"first second" and complete == {}


def test_an_error_mid_stream_ends_it(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function({"index.mjs": STREAMING}, handler="index.handler", runtime="nodejs20.x")
    response = lambda_client.invoke_with_response_stream(FunctionName=name, Payload=b'{"fail":1}')
    chunks, complete = events(response)
    assert b"".join(chunks) == b"first second"
    assert complete["ErrorCode"] == "Error"
    details = json.loads(complete["ErrorDetails"])
    assert (details["errorType"], details["errorMessage"]) == ("Error", "broke mid-stream")


def test_plain_invoke_of_a_streaming_function_gets_the_whole_body(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function({"index.mjs": STREAMING}, handler="index.handler", runtime="nodejs20.x")
    response = lambda_client.invoke(FunctionName=name, Payload=b"{}")
    assert response.get("FunctionError") is None
    assert response["Payload"].read() == b"first second"


@pytest.mark.parametrize(
    ("files", "handler", "runtime"),
    [
        (
            {"index.mjs": "export const handler = async (e) => ({ got: e });\n"},
            "index.handler",
            "nodejs20.x",
        ),
        (
            {"app.py": "def handler(event, context):\n    return {'got': event}\n"},
            "app.handler",
            "python3.12",
        ),
    ],
    ids=["node", "python"],
)
def test_a_function_that_does_not_stream_answers_in_one_chunk(
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    files: dict[str, str],
    handler: str,
    runtime: str,
) -> None:
    name = make_function(files, handler=handler, runtime=runtime)
    response = lambda_client.invoke_with_response_stream(FunctionName=name, Payload=b'{"a":1}')
    chunks, complete = events(response)
    assert [json.loads(chunk) for chunk in chunks] == [{"got": {"a": 1}}]
    assert complete == {}


def test_errors_before_the_function_runs(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    code, _, status = client_error(
        lambda_client.invoke_with_response_stream, FunctionName="no-such-function"
    )
    assert (code, status) == ("ResourceNotFoundException", 404)
    name = make_function({"index.mjs": STREAMING}, handler="index.handler", runtime="nodejs20.x")
    code, _, status = client_error(
        lambda_client.invoke_with_response_stream, FunctionName=name, Payload=b"not json"
    )
    assert (code, status) == ("InvalidRequestContentException", 400)
    dry = lambda_client.invoke_with_response_stream(FunctionName=name, InvocationType="DryRun")
    assert dry["StatusCode"] == 204
    assert list(dry["EventStream"]) == []  # nothing ran, nothing streamed
