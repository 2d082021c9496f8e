"""What a Python handler sees and how its output is logged (``../shared/docs/AWS-SEMANTICS.md``
A.7, B.1, B.2)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.runtime.conftest import ENDPOINT, Harness, make_function

CONTEXT_SOURCE = """
import os, sys

def handler(event, context):
    return {
        "event": event,
        "aws_request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "identity": [context.identity.cognito_identity_id,
                     context.identity.cognito_identity_pool_id],
        "client_context": None if context.client_context is None else {
            "installation_id": context.client_context.client.installation_id,
            "app_title": context.client_context.client.app_title,
            "custom": context.client_context.custom,
            "env": context.client_context.env,
        },
        "remaining": context.get_remaining_time_in_millis(),
        "environ": dict(os.environ),
        "cwd": os.getcwd(),
        "path0": sys.path[0],
    }
"""


def test_context_fields(harness: Harness, tmp_path: Path) -> None:
    spec = make_function(tmp_path, CONTEXT_SOURCE, memory_size=256, timeout=7)
    client_context = {
        "client": {"installation_id": "inst-1", "app_title": "App"},
        "custom": {"k": "v"},
        "env": {"platform": "Android"},
    }
    identity = {"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "pool-1"}
    result = harness.invoke(
        spec,
        b'{"hello": "world"}',
        request_id="11111111-2222-3333-4444-555555555555",
        invoked_function_arn=spec.function_arn + ":live",
        client_context=json.dumps(client_context),
        cognito_identity=json.dumps(identity),
    )
    assert result.function_error is None
    body = json.loads(result.payload)
    assert body["event"] == {"hello": "world"}
    assert body["aws_request_id"] == "11111111-2222-3333-4444-555555555555"
    assert body["function_name"] == spec.function_name
    assert body["function_version"] == "$LATEST"
    assert body["invoked_function_arn"] == spec.function_arn + ":live"
    assert body["memory_limit_in_mb"] == "256"
    assert body["log_group_name"] == spec.log_group
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", body["log_stream_name"])
    assert body["identity"] == ["id-1", "pool-1"]
    assert body["client_context"] == {
        "installation_id": "inst-1",
        "app_title": "App",
        "custom": {"k": "v"},
        "env": {"platform": "Android"},
    }
    assert 5000 < body["remaining"] <= 7000


def test_context_without_identity_or_client_context(harness: Harness, tmp_path: Path) -> None:
    spec = make_function(tmp_path, CONTEXT_SOURCE)
    body = json.loads(harness.invoke(spec).payload)
    assert body["identity"] == [None, None]
    assert body["client_context"] is None


def test_environment_variables_and_working_directory(harness: Harness, tmp_path: Path) -> None:
    spec = make_function(tmp_path, CONTEXT_SOURCE, environment={"GREETING": "hi"})
    trace = "Root=1-5e34a614-12345678901234567890abcd;Parent=53995c3f42cd8ad8;Sampled=1"
    body = json.loads(harness.invoke(spec, trace_id=trace).payload)
    environ = body["environ"]
    assert environ["GREETING"] == "hi"
    assert environ["_HANDLER"] == "app.handler"
    assert environ["AWS_LAMBDA_FUNCTION_NAME"] == spec.function_name
    assert environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "128"
    assert environ["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.11"
    assert environ["AWS_REGION"] == "us-east-1"
    assert environ["LAMBDA_TASK_ROOT"] == str(tmp_path)
    assert environ["AWS_ENDPOINT_URL"] == ENDPOINT
    assert environ["AWS_LAMBDA_LOG_STREAM_NAME"] == body["log_stream_name"]
    assert environ["_X_AMZN_TRACE_ID"] == trace
    assert body["cwd"] == str(tmp_path)
    assert body["path0"] == str(tmp_path)
    # The trace id is per invocation: the next one without a trace header has none.
    again = json.loads(harness.invoke(spec).payload)
    assert "_X_AMZN_TRACE_ID" not in again["environ"]


def test_return_none_is_null_and_bytes_pass_through(harness: Harness, tmp_path: Path) -> None:
    source = """
    def handler(event, context):
        return None

    def raw(event, context):
        return b"not json"

    def text(event, context):
        return {"n": 1.5, "s": "\u00e9"}
    """
    assert harness.invoke(make_function(tmp_path, source)).payload == b"null"
    raw = make_function(tmp_path, source, handler="app.raw")
    assert harness.invoke(raw).payload == b"not json"
    text = make_function(tmp_path, source, handler="app.text")
    assert json.loads(harness.invoke(text).payload) == {"n": 1.5, "s": "\u00e9"}


def test_dotted_and_slashed_handler_paths(harness: Harness, tmp_path: Path) -> None:
    source = "def handler(event, context):\n    return 'nested'\n"
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    for handler in ("pkg/mod.handler", "pkg.mod.handler"):
        spec = make_function(tmp_path, source, module="pkg/mod.py", handler=handler)
        result = harness.invoke(spec)
        assert result.payload == b'"nested"', result.log


LOGGING_SOURCE = """
import logging, os, subprocess, sys

logger = logging.getLogger()

def handler(event, context):
    print("to stdout")
    sys.stderr.write("to stderr\\n")
    os.write(1, b"raw fd 1\\n")
    subprocess.run(["echo", "from a subprocess"], check=True)
    logger.info("not shown: the root level is WARNING")
    logger.warning("careful %s", 42)
    context.log("via context.log\\n")
    return "ok"
"""


def test_log_lines_and_format(harness: Harness, tmp_path: Path) -> None:
    spec = make_function(tmp_path, LOGGING_SOURCE)
    request_id = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    result = harness.invoke(spec, request_id=request_id)
    lines = result.log.splitlines()
    assert lines[0] == f"START RequestId: {request_id} Version: $LATEST"
    assert lines[1:5] == ["to stdout", "to stderr", "raw fd 1", "from a subprocess"]
    assert re.fullmatch(
        rf"\[WARNING\]\t\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z\t{request_id}\tcareful 42",
        lines[5],
    )
    assert lines[6] == "via context.log"
    assert "not shown" not in result.log
    assert lines[7] == f"END RequestId: {request_id}"
    assert re.fullmatch(
        rf"REPORT RequestId: {request_id}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\t"
        r"Memory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms\t",
        lines[8],
    )
    assert len(lines) == 9
    assert result.log.endswith("\n")
    assert result.init_duration_ms is not None
    assert result.max_memory_used_mb > 0


def test_log_sink_gets_one_event_per_line(harness: Harness, tmp_path: Path) -> None:
    spec = make_function(tmp_path, LOGGING_SOURCE)
    result = harness.invoke(spec)
    batches = [b for b in harness.sink.batches if b[0] == spec]
    assert len(batches) == 1
    _, stream_name, events = batches[0]
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", stream_name)
    assert [event.message for event in events] == result.log.splitlines()
    assert all(event.timestamp_ms > 0 for event in events)


def test_init_output_comes_before_start_and_init_duration_only_once(
    harness: Harness, tmp_path: Path
) -> None:
    source = """
    import os
    print("importing")
    COUNT = 0

    def handler(event, context):
        global COUNT
        COUNT += 1
        return {"pid": os.getpid(), "count": COUNT}
    """
    spec = make_function(tmp_path, source)
    first = harness.invoke(spec)
    second = harness.invoke(spec)
    assert first.log.splitlines()[0] == "importing"
    assert first.log.splitlines()[1].startswith("START RequestId: ")
    assert "Init Duration: " in first.log
    assert first.init_duration_ms is not None and first.init_duration_ms > 0
    assert second.log.startswith("START RequestId: ")
    assert "Init Duration" not in second.log
    assert second.init_duration_ms is None
    a, b = json.loads(first.payload), json.loads(second.payload)
    assert a["pid"] == b["pid"]  # the warm environment served both
    assert (a["count"], b["count"]) == (1, 2)  # the module was imported once


def test_large_payload_and_large_output(harness: Harness, tmp_path: Path) -> None:
    source = """
    def handler(event, context):
        print("x" * 300000)
        return event
    """
    spec = make_function(tmp_path, source)
    payload = json.dumps({"data": "y" * (5 * 1024 * 1024)}).encode()
    result = harness.invoke(spec, payload)
    assert result.function_error is None
    assert json.loads(result.payload) == json.loads(payload)
    assert ("x" * 300000) in result.log


def test_boto3_is_importable_and_points_at_lambdaport(harness: Harness, tmp_path: Path) -> None:
    source = """
    import boto3

    def handler(event, context):
        client = boto3.client("sqs")
        return {"version": boto3.__version__, "endpoint": client.meta.endpoint_url}
    """
    body = json.loads(harness.invoke(make_function(tmp_path, source)).payload)
    assert body["version"]
    assert body["endpoint"] == ENDPOINT
