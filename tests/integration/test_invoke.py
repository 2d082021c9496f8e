"""Synchronous invoke through the Lambda API: results, errors, logs, limits, concurrency."""

from __future__ import annotations

import base64
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import MakeFunction
from tests.helpers import BARRIER, HOLD_UNTIL_FILE, wait_for

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_lambda.literals import RuntimeType


def invoke(client: LambdaClient, name: str, payload: Any = None, **kwargs: Any) -> dict[str, Any]:
    body = b"" if payload is None else json.dumps(payload).encode()
    response = client.invoke(FunctionName=name, Payload=body, **kwargs)
    result: dict[str, Any] = dict(response)
    result["Body"] = response["Payload"].read()
    return result


CONTEXT_SOURCE = """
import os, json, boto3

def handler(event, context):
    return {
        "event": event,
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "version": context.function_version,
        "arn": context.invoked_function_arn,
        "memory": context.memory_limit_in_mb,
        "remaining": context.get_remaining_time_in_millis(),
        "log_group": context.log_group_name,
        "client_context": context.client_context.custom if context.client_context else None,
        "endpoint": os.environ["AWS_ENDPOINT_URL"],
        "region": os.environ["AWS_REGION"],
        "handler": os.environ["_HANDLER"],
        "trace": os.environ.get("_X_AMZN_TRACE_ID"),
        "user_var": os.environ.get("COLOR"),
        "boto3": boto3.__version__,
    }
"""


def test_context_environment_and_headers(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function(
        CONTEXT_SOURCE, Timeout=7, MemorySize=256, Environment={"Variables": {"COLOR": "red"}}
    )
    client_context = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()
    response = invoke(lambda_client, name, {"x": 1}, ClientContext=client_context)
    out = json.loads(response["Body"])
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in response
    assert out["event"] == {"x": 1}
    assert out["request_id"] == response["ResponseMetadata"]["RequestId"]
    assert out["function_name"] == name and out["version"] == "$LATEST"
    assert out["arn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    assert out["memory"] == "256"
    assert 0 < out["remaining"] <= 7000
    assert out["log_group"] == f"/aws/lambda/{name}"
    assert out["client_context"] == {"k": "v"}
    assert out["endpoint"] == lambda_client.meta.endpoint_url
    assert out["region"] == "us-east-1" and out["handler"] == "app.handler"
    assert out["trace"].startswith("Root=1-")
    assert out["user_var"] == "red"
    assert out["boto3"]


def test_function_uses_boto3_against_lambdaport(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    source = (
        "import boto3\n"
        "def handler(event, context):\n"
        "    client = boto3.client('lambda')\n"
        "    return client.get_function_configuration(FunctionName=context.function_name)"
        "['FunctionName']\n"
    )
    name = make_function(source, Timeout=30)
    assert json.loads(invoke(lambda_client, name)["Body"]) == name


def test_empty_payload_is_an_empty_object(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function()
    assert invoke(lambda_client, name)["Body"] == b"{}"


def test_none_result_is_null(lambda_client: LambdaClient, make_function: MakeFunction) -> None:
    name = make_function("def handler(e, c):\n    pass\n")
    assert invoke(lambda_client, name, {})["Body"] == b"null"


def test_log_tail_has_start_end_report(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function("def handler(e, c):\n    print('hello from the function')\n    return 1\n")
    response = invoke(lambda_client, name, {}, LogType="Tail")
    log = base64.b64decode(response["LogResult"]).decode()
    request_id = response["ResponseMetadata"]["RequestId"]
    lines = log.splitlines()
    assert lines[0] == f"START RequestId: {request_id} Version: $LATEST"
    assert "hello from the function" in lines
    assert f"END RequestId: {request_id}" in lines
    report = lines[-1]
    assert report.startswith(f"REPORT RequestId: {request_id}\tDuration: ")
    assert "\tBilled Duration: " in report and "\tMemory Size: 128 MB\t" in report
    assert "Init Duration" in report  # the first invoke is a cold start
    second = base64.b64decode(invoke(lambda_client, name, {}, LogType="Tail")["LogResult"])
    assert b"Init Duration" not in second


def test_log_tail_is_the_last_4kb(lambda_client: LambdaClient, make_function: MakeFunction) -> None:
    name = make_function("def handler(e, c):\n    print('x' * 10000)\n")
    response = invoke(lambda_client, name, {}, LogType="Tail")
    assert len(base64.b64decode(response["LogResult"])) == 4096


@pytest.mark.parametrize(
    ("files", "handler", "error_type", "message_part"),
    [
        (
            {"app.py": "def handler(e, c):\n    raise ValueError('boom')\n"},
            "app.handler",
            "ValueError",
            "boom",
        ),
        ({"app.py": "import nonexistent_mod\n"}, "app.handler", "Runtime.ImportModuleError", "app"),
        ({"app.py": "x = 1\n"}, "app.handler", "Runtime.HandlerNotFound", "handler"),
        ({"app.py": "def handler(:\n"}, "app.handler", "Runtime.UserCodeSyntaxError", "app"),
        (
            {"app.py": "def handler(e, c):\n    return {1, 2}\n"},
            "app.handler",
            "Runtime.MarshalError",
            "Unable to marshal response",
        ),
        (
            {"app.py": "import os\ndef handler(e, c):\n    os._exit(3)\n"},
            "app.handler",
            "Runtime.ExitError",
            "exit status 3",
        ),
    ],
)
def test_function_errors(
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    files: dict[str, str],
    handler: str,
    error_type: str,
    message_part: str,
) -> None:
    name = make_function(files, handler=handler)
    response = invoke(lambda_client, name, {})
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    error = json.loads(response["Body"])
    assert error["errorType"] == error_type
    assert message_part in error["errorMessage"]
    if error_type == "ValueError":
        assert error["requestId"] == response["ResponseMetadata"]["RequestId"]
        assert any("raise ValueError" in frame for frame in error["stackTrace"])


def test_timeout_replaces_environment(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    source = (
        "import os, time\n"
        "def handler(e, c):\n"
        "    if e.get('sleep'):\n"
        "        time.sleep(5)\n"
        "    return os.getpid()\n"
    )
    name = make_function(source, Timeout=1)
    first_pid = json.loads(invoke(lambda_client, name, {})["Body"])
    response = invoke(lambda_client, name, {"sleep": True}, LogType="Tail")
    error = json.loads(response["Body"])
    request_id = response["ResponseMetadata"]["RequestId"]
    assert response["FunctionError"] == "Unhandled"
    assert error == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {request_id} Error: Task timed out after 1.00 seconds",
    }
    assert "Status: timeout" in base64.b64decode(response["LogResult"]).decode()
    assert json.loads(invoke(lambda_client, name, {})["Body"]) != first_pid


def test_memory_limit(lambda_client: LambdaClient, make_function: MakeFunction) -> None:
    source = "def handler(e, c):\n    block = bytearray(400 * 1024 * 1024)\n    return len(block)\n"
    name = make_function(source, MemorySize=128, Timeout=30)
    response = invoke(lambda_client, name, {})
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Body"])["errorType"] == "Runtime.OutOfMemory"


def test_response_too_large(lambda_client: LambdaClient, make_function: MakeFunction) -> None:
    name = make_function("def handler(e, c):\n    return 'x' * (7 * 1024 * 1024)\n", Timeout=30)
    response = invoke(lambda_client, name, {})
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Body"])["errorType"] == "Function.ResponseSizeTooLarge"


def test_request_too_large(lambda_client: LambdaClient, make_function: MakeFunction) -> None:
    name = make_function()
    with pytest.raises(ClientError) as excinfo:
        lambda_client.invoke(FunctionName=name, Payload=b'"' + b"x" * (6 * 1024 * 1024) + b'"')
    assert excinfo.value.response["Error"]["Code"] == "RequestTooLargeException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413


def test_invalid_json_payload(lambda_client: LambdaClient, make_function: MakeFunction) -> None:
    name = make_function()
    with pytest.raises(ClientError) as excinfo:
        lambda_client.invoke(FunctionName=name, Payload=b"{not json")
    assert excinfo.value.response["Error"]["Code"] == "InvalidRequestContentException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_dry_run(lambda_client: LambdaClient, make_function: MakeFunction) -> None:
    name = make_function()
    response = lambda_client.invoke(FunctionName=name, InvocationType="DryRun")
    assert response["StatusCode"] == 204


def test_unknown_function(lambda_client: LambdaClient) -> None:
    with pytest.raises(ClientError) as excinfo:
        lambda_client.invoke(FunctionName="does-not-exist")
    assert excinfo.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_parallel_invokes_run_concurrently(
    lambda_client: LambdaClient, make_function: MakeFunction, tmp_path: Path
) -> None:
    name = make_function(BARRIER, Timeout=60)
    event = {"dir": str(tmp_path), "count": 10}
    with ThreadPoolExecutor(10) as executor:
        results = list(executor.map(lambda _: invoke(lambda_client, name, event), range(10)))
    outcomes = [json.loads(result["Body"]) for result in results]
    assert [outcome["arrived"] for outcome in outcomes] == [10] * 10  # all ten ran at once
    assert len({outcome["pid"] for outcome in outcomes}) == 10


def test_throttled_past_reserved_concurrency(
    lambda_client: LambdaClient, make_function: MakeFunction, tmp_path: Path
) -> None:
    name = make_function(HOLD_UNTIL_FILE, Timeout=60)
    lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=2)
    until, started = tmp_path / "release", tmp_path / "started"
    started.mkdir()
    held = {"until": str(until), "started": str(started)}
    with ThreadPoolExecutor(2) as executor:
        running = [executor.submit(invoke, lambda_client, name, held) for _ in range(2)]
        try:
            wait_for(lambda: len(list(started.iterdir())) == 2, 60, "two runs holding the units")
            for _ in range(3):
                with pytest.raises(ClientError) as excinfo:
                    invoke(lambda_client, name, held)
                response = excinfo.value.response
                assert response["Error"]["Code"] == "TooManyRequestsException"
                assert response["ResponseMetadata"]["HTTPStatusCode"] == 429
                assert response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"  # type: ignore[typeddict-item]
        finally:
            until.touch()
        assert [future.result()["StatusCode"] for future in running] == [200, 200]
    assert len(list(started.iterdir())) == 2  # the throttled calls never ran
    lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as excinfo:
        invoke(lambda_client, name, {})
    assert excinfo.value.response["Error"]["Code"] == "TooManyRequestsException"


@pytest.mark.parametrize("runtime", ["python3.9", "python3.13"])
def test_declared_python_version_runs(
    lambda_client: LambdaClient, make_function: MakeFunction, runtime: RuntimeType
) -> None:
    from lambdaport.runtime.interpreters import find_interpreter

    if find_interpreter(runtime, {}).is_server:
        pytest.skip(f"{runtime} is not installed on this machine")
    source = (
        "import sys, boto3\n"
        "def handler(e, c):\n"
        "    return [sys.version_info[0], sys.version_info[1], boto3.__version__]\n"
    )
    name = make_function(source, runtime=runtime, Timeout=60)
    major, minor, boto3_version = json.loads(invoke(lambda_client, name, {})["Body"])
    assert f"python{major}.{minor}" == runtime
    assert boto3_version
