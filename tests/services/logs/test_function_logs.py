"""Function logs land in CloudWatch Logs: ``/aws/lambda/NAME`` (or LoggingConfig.LogGroup),
one stream per execution environment named as AWS names them."""

from __future__ import annotations

import re
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from lambdaport.testing.server import Server
from tests.conftest import MakeFunction
from tests.helpers import cli_env, wait_for
from tests.services.logs.conftest import Followed

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_logs import CloudWatchLogsClient

STREAM_NAME = re.compile(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}")
PRINTER = "def handler(event, context):\n    print('hello from', context.function_name)\n"


def test_invoke_writes_start_output_end_report(
    logs: CloudWatchLogsClient, lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function(PRINTER)
    invoked = lambda_client.invoke(FunctionName=name)
    request_id = invoked["ResponseMetadata"]["RequestId"]
    group = f"/aws/lambda/{name}"

    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert len(streams) == 1
    assert STREAM_NAME.fullmatch(streams[0]["logStreamName"])
    events = logs.get_log_events(
        logGroupName=group, logStreamName=streams[0]["logStreamName"], startFromHead=True
    )["events"]
    messages = [e["message"] for e in events]
    assert messages[0] == f"START RequestId: {request_id} Version: $LATEST"
    assert messages[1] == f"hello from {name}"
    assert messages[2] == f"END RequestId: {request_id}"
    assert messages[3].startswith(f"REPORT RequestId: {request_id}\tDuration: ")
    described = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert [g["logGroupName"] for g in described] == [group]
    assert described[0]["storedBytes"] > 0

    found = logs.filter_log_events(logGroupName=group, filterPattern="REPORT")["events"]
    assert [e["logStreamName"] for e in found] == [streams[0]["logStreamName"]]


def test_logging_config_log_group(
    logs: CloudWatchLogsClient, lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    custom = f"/custom/{uuid.uuid4().hex[:8]}"
    name = make_function(PRINTER, LoggingConfig={"LogFormat": "Text", "LogGroup": custom})
    lambda_client.invoke(FunctionName=name)
    found = logs.filter_log_events(logGroupName=custom, filterPattern='"hello from"')["events"]
    assert [e["message"] for e in found] == [f"hello from {name}"]
    logs.delete_log_group(logGroupName=custom)


def test_deleted_group_is_created_again_by_the_next_invoke(
    logs: CloudWatchLogsClient, lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function(PRINTER)
    group = f"/aws/lambda/{name}"
    lambda_client.invoke(FunctionName=name)
    logs.delete_log_group(logGroupName=group)
    lambda_client.invoke(FunctionName=name)
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert len(streams) == 1
    events = logs.filter_log_events(logGroupName=group)["events"]
    assert len([e for e in events if e["message"].startswith("START")]) == 1


def test_lambdaport_logs_follow_reads_the_same_events(
    server: Server, lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function(PRINTER)
    command = [
        str(Path(sys.executable).parent / "lambdaport"),
        "logs", name, "--follow", "--endpoint", server.endpoint,
    ]  # fmt: skip
    with Followed(command, env=cli_env()) as followed:
        lambda_client.invoke(FunctionName=name)
        assert name in followed.wait_for_line("hello from")
        wait_for(lambda: any("REPORT RequestId" in line for line in followed.lines))
