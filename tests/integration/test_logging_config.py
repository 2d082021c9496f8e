"""LoggingConfig through boto3 against a real server: LogFormat JSON (the Python runtime's
records for ``logging``, the platform's ``platform.*`` records), ApplicationLogLevel and
SystemLogLevel filtering, a custom LogGroup, for Python, Node.js (its console.* in AWS's JSON
records) and custom runtimes; and the REPORT line of a custom runtime in Text."""

from __future__ import annotations

import base64
import json
import re
import shutil
import uuid
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from lambdaport.testing.server import Server, zip_files
from tests.conftest import MakeFunction
from tests.helpers import ROLE, client_options, wait_active, wait_for
from tests.integration.test_custom_runtime import SHELL_BOOTSTRAP

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

LOGGING = """
import json, logging, os
logger = logging.getLogger()

def handler(event, context):
    logger.debug("a debug line")
    logger.info("hello %s", "world", extra={"orderId": 7})
    logger.warning("a warning")
    print("plain text")
    print(json.dumps({"level": "error", "message": "my own error"}))
    print(json.dumps({"level": "debug", "message": "my own debug"}))
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {k: os.environ.get(k) for k in ("AWS_LAMBDA_LOG_FORMAT", "AWS_LAMBDA_LOG_LEVEL")}
"""


def _invoke(lam: LambdaClient, name: str, event: Any = None) -> tuple[Any, list[str], str]:
    response = lam.invoke(FunctionName=name, Payload=json.dumps(event or {}), LogType="Tail")
    log = base64.b64decode(response["LogResult"]).decode()
    return (
        json.loads(response["Payload"].read()),
        log.splitlines(),
        response["ResponseMetadata"]["RequestId"],
    )


def _records(lines: list[str]) -> list[Any]:
    """Every line as JSON (a line that is not is kept as text)."""
    out: list[Any] = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except ValueError:
            out.append(line)
    return out


def _types(records: list[Any]) -> list[str]:
    return [r["type"] for r in records if isinstance(r, dict) and "type" in r]


def test_json_log_format_with_the_default_levels(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    lam = lambda_client
    name = make_function(LOGGING, LoggingConfig={"LogFormat": "JSON"})
    config = lam.get_function_configuration(FunctionName=name)["LoggingConfig"]
    assert config == {
        "LogFormat": "JSON",
        "ApplicationLogLevel": "INFO",
        "SystemLogLevel": "INFO",
        "LogGroup": f"/aws/lambda/{name}",
    }
    payload, lines, request_id = _invoke(lam, name)
    assert payload == {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"}
    records = _records(lines)
    # The platform's records at INFO: an environment's first invocation starts with its init.
    assert _types(records) == ["platform.initStart", "platform.start", "platform.report"]
    start = next(r for r in records if isinstance(r, dict) and r.get("type") == "platform.start")
    assert start["record"] == {"requestId": request_id, "version": "$LATEST"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", start["time"])
    report = records[-1]
    assert report["record"]["requestId"] == request_id
    assert report["record"]["status"] == "success"
    metrics = report["record"]["metrics"]
    assert set(metrics) == {
        "durationMs",
        "billedDurationMs",
        "memorySizeMB",
        "maxMemoryUsedMB",
        "initDurationMs",
    }
    assert metrics["memorySizeMB"] == 128
    # The logging module's records as AWS's Python runtime writes them, at INFO and above.
    logged = [r for r in records if isinstance(r, dict) and "logger" in r]
    assert [(r["level"], r["message"]) for r in logged] == [
        ("INFO", "hello world"),
        ("WARNING", "a warning"),
    ]
    assert logged[0]["requestId"] == request_id
    assert logged[0]["orderId"] == 7
    assert logged[0]["logger"] == "root"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", logged[0]["timestamp"])
    # print's lines: text is INFO; a JSON object with a level has that level.
    assert "plain text" in records
    assert {"level": "error", "message": "my own error"} in records
    assert {"level": "debug", "message": "my own debug"} not in records
    # A warm invocation: no init record, no initDurationMs.
    _, lines, _ = _invoke(lam, name)
    records = _records(lines)
    assert _types(records) == ["platform.start", "platform.report"]
    assert "initDurationMs" not in records[-1]["record"]["metrics"]


def test_json_errors_and_the_report_of_a_failure(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function(LOGGING, LoggingConfig={"LogFormat": "JSON"})
    payload, lines, request_id = _invoke(lambda_client, name, {"fail": True})
    assert payload["errorType"] == "ValueError"
    records = _records(lines)
    [error] = [r for r in records if isinstance(r, dict) and r.get("errorType") == "ValueError"]
    assert error["level"] == "ERROR"
    assert error["errorMessage"] == "asked to fail"
    assert error["requestId"] == request_id
    assert isinstance(error["stackTrace"], list) and error["stackTrace"]
    report = records[-1]["record"]
    assert (report["status"], report["errorType"]) == ("failure", "ValueError")


def test_log_levels_filter_the_application_and_the_platform(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    lam = lambda_client
    name = make_function(
        LOGGING,
        LoggingConfig={
            "LogFormat": "JSON",
            "ApplicationLogLevel": "WARN",
            "SystemLogLevel": "WARN",
        },
    )
    payload, lines, _ = _invoke(lam, name)
    assert payload["AWS_LAMBDA_LOG_LEVEL"] == "WARN"
    records = _records(lines)
    assert _types(records) == []  # no platform record is WARN
    assert [r["message"] for r in records] == ["a warning", "my own error"]
    lam.update_function_configuration(
        FunctionName=name,
        LoggingConfig={"ApplicationLogLevel": "DEBUG", "SystemLogLevel": "DEBUG"},
    )
    wait_active(lam, name)
    _, lines, _ = _invoke(lam, name)
    records = _records(lines)
    assert _types(records) == [
        "platform.initStart",
        "platform.start",
        "platform.runtimeDone",
        "platform.report",
    ]
    messages = [r["message"] for r in records if isinstance(r, dict) and "message" in r]
    assert messages == ["a debug line", "hello world", "a warning", "my own error", "my own debug"]


def test_a_custom_log_group_gets_the_lines(
    server: Server, lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    group = f"/custom/orders-{uuid.uuid4().hex[:8]}"
    source = (
        "import os\n"
        "def handler(event, context):\n"
        "    print('to my group')\n"
        "    return os.environ['AWS_LAMBDA_LOG_GROUP_NAME']\n"
    )
    name = make_function(source, LoggingConfig={"LogGroup": group})
    assert lambda_client.get_function_configuration(FunctionName=name)["LoggingConfig"] == {
        "LogFormat": "Text",
        "LogGroup": group,
    }
    response = lambda_client.invoke(FunctionName=name)
    assert json.loads(response["Payload"].read()) == group
    logs = boto3.client("logs", **client_options(server.endpoint))

    def lines() -> list[str] | None:
        events = logs.filter_log_events(logGroupName=group)["events"]
        found = [event["message"] for event in events]
        return found if any(m.startswith("REPORT") for m in found) else None

    found = wait_for(lines, 30, f"the function's lines in {group}")
    assert "to my group\n" in found or "to my group" in [m.rstrip("\n") for m in found]
    default = logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{name}")["logGroups"]
    assert default == []


def _custom(lam: LambdaClient, name: str, **config: Any) -> None:
    lam.create_function(
        FunctionName=name,
        Runtime="provided.al2023",
        Role=ROLE,
        Handler="my.handler",
        Code={"ZipFile": zip_files({"bootstrap": SHELL_BOOTSTRAP}, {"bootstrap": 0o755})},
        **config,
    )
    wait_active(lam, name)


def test_a_custom_runtime_in_text_and_in_json(lambda_client: LambdaClient) -> None:
    lam = lambda_client
    name = f"custom-{uuid.uuid4().hex[:8]}"
    _custom(lam, name)
    try:
        _, lines, request_id = _invoke(lam, name, {"a": 1})
        [report] = [line for line in lines if line.startswith("REPORT")]
        # Durations with two decimals, as AWS writes them for every runtime.
        assert re.match(
            rf"REPORT RequestId: {request_id}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\t"
            r"Memory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms\t$",
            report,
        ), report
        lam.update_function_configuration(FunctionName=name, LoggingConfig={"LogFormat": "JSON"})
        wait_active(lam, name)
        _, lines, request_id = _invoke(lam, name, {"a": 2})
        records = _records(lines)
        assert _types(records) == ["platform.initStart", "platform.start", "platform.report"]
        assert 'shell got {"a": 2}' in records  # the bootstrap's own line, as it wrote it
        assert records[-1]["record"]["requestId"] == request_id
    finally:
        lam.delete_function(FunctionName=name)


NODE_LOGGING = """\
exports.handler = async () => {
  console.debug('a debug line');
  console.info('hello', 'world');
  console.warn('a warning');
  console.error(new Error('shown'));
  console.log('plain', { a: 1 });
  return { format: process.env.AWS_LAMBDA_LOG_FORMAT, level: process.env.AWS_LAMBDA_LOG_LEVEL };
};
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_a_node_function_s_console_in_json_records_filtered_by_level(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    lam = lambda_client
    name = make_function(
        {"index.js": NODE_LOGGING},
        handler="index.handler",
        runtime="nodejs20.x",
        LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "WARN"},
    )
    payload, lines, request_id = _invoke(lam, name)
    assert payload == {"format": "JSON", "level": "WARN"}
    records = _records(lines)
    assert _types(records) == ["platform.initStart", "platform.start", "platform.report"]
    console = [r for r in records if isinstance(r, dict) and "type" not in r]
    assert [r["level"] for r in console] == ["WARN", "ERROR"]  # below WARN: dropped
    assert console[0]["message"] == "a warning"
    assert console[1]["message"]["errorType"] == "Error"
    assert console[1]["message"]["errorMessage"] == "shown"
    assert all(r["requestId"] == request_id for r in console)
    assert all(
        re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", r["timestamp"]) for r in console
    )
    lam.update_function_configuration(
        FunctionName=name, LoggingConfig={"ApplicationLogLevel": "DEBUG"}
    )
    wait_active(lam, name)
    payload, lines, _ = _invoke(lam, name)
    assert payload["level"] == "DEBUG"
    console = [r for r in _records(lines) if isinstance(r, dict) and "type" not in r]
    assert [(r["level"], r["message"]) for r in console if isinstance(r["message"], str)] == [
        ("DEBUG", "a debug line"),
        ("INFO", "hello world"),
        ("WARN", "a warning"),
        ("INFO", "plain { a: 1 }"),
    ]
