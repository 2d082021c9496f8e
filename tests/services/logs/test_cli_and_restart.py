"""The AWS CLI against the Logs API, and everything surviving a restart."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from lambdaport.testing.aws import wait_drained
from lambdaport.testing.server import Server, ServerProcess
from tests.conftest import MakeFunction
from tests.helpers import (
    ACCOUNT,
    REGION,
    allow_invoke,
    aws,
    aws_cli_v2,
    cli_env,
    client_for,
    create_function,
)
from tests.services.logs.conftest import Followed, logs_client_for, now_ms

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient


def test_aws_cli_operations(server: Server) -> None:
    group = f"/test/cli/{uuid.uuid4().hex[:8]}"
    assert (
        aws(server.endpoint, "logs", "create-log-group", "--log-group-name", group).returncode == 0
    )
    created = aws(
        server.endpoint, "logs", "create-log-stream", "--log-group-name", group,
        "--log-stream-name", "s",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    now = now_ms()
    events = json.dumps(
        [{"timestamp": now - 2, "message": "ERROR cli one"}, {"timestamp": now, "message": "ok"}]
    )
    put = aws(
        server.endpoint, "logs", "put-log-events", "--log-group-name", group,
        "--log-stream-name", "s", "--log-events", events,
    )  # fmt: skip
    assert put.returncode == 0, put.stderr
    assert "nextSequenceToken" in json.loads(put.stdout)

    got = aws(
        server.endpoint, "logs", "get-log-events", "--log-group-name", group,
        "--log-stream-name", "s", "--start-from-head",
    )  # fmt: skip
    assert [e["message"] for e in json.loads(got.stdout)["events"]] == ["ERROR cli one", "ok"]
    filtered = aws(
        server.endpoint, "logs", "filter-log-events", "--log-group-name", group,
        "--filter-pattern", "ERROR",
    )  # fmt: skip
    assert [e["message"] for e in json.loads(filtered.stdout)["events"]] == ["ERROR cli one"]
    retention = aws(
        server.endpoint, "logs", "put-retention-policy", "--log-group-name", group,
        "--retention-in-days", "7",
    )  # fmt: skip
    assert retention.returncode == 0, retention.stderr
    described = aws(
        server.endpoint, "logs", "describe-log-groups", "--log-group-name-prefix", group
    )
    (described_group,) = json.loads(described.stdout)["logGroups"]
    assert described_group["retentionInDays"] == 7

    again = aws(server.endpoint, "logs", "create-log-group", "--log-group-name", group)
    assert again.returncode == 255
    assert "ResourceAlreadyExistsException" in again.stderr
    assert (
        aws(server.endpoint, "logs", "delete-log-group", "--log-group-name", group).returncode == 0
    )
    missing = aws(server.endpoint, "logs", "delete-log-group", "--log-group-name", group)
    assert "The specified log group does not exist." in missing.stderr


def test_aws_logs_tail_follow(
    server: Server, lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    cli = aws_cli_v2()
    if cli is None:
        pytest.skip("`aws logs tail` is an AWS CLI v2 command; no v2 (LAMBDAPORT_AWS_CLI_V2)")
    name = make_function("def handler(e, c):\n    print('tail me', e)\n")
    lambda_client.invoke(FunctionName=name, Payload=b'"first"')
    command = [
        cli, "--endpoint-url", server.endpoint, "logs", "tail", f"/aws/lambda/{name}",
        "--follow", "--format", "short",
    ]  # fmt: skip
    with Followed(command, env=cli_env()) as tail:
        assert "tail me first" in tail.wait_for_line("tail me first")
        lambda_client.invoke(FunctionName=name, Payload=b'"second"')
        tail.wait_for_line("tail me second", timeout=60)  # v2 polls every 5 s
        assert sum("tail me first" in line for line in tail.lines) == 1


def test_everything_survives_a_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    group = "/restart/group"
    subscriber = "restart-subscriber"
    now = now_ms()
    with ServerProcess(data_dir) as first:
        logs = logs_client_for(first.endpoint)
        lambda_client = client_for(first.endpoint)
        create_function(lambda_client, "def handler(e, c):\n    print('GOT', e)\n", name=subscriber)
        group_arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:*"
        allow_invoke(lambda_client, subscriber, "logs.amazonaws.com", group_arn)
        logs.create_log_group(logGroupName=group, tags={"keep": "me"})
        logs.put_retention_policy(logGroupName=group, retentionInDays=30)
        logs.create_log_stream(logGroupName=group, logStreamName="s")
        logs.put_log_events(
            logGroupName=group,
            logStreamName="s",
            logEvents=[{"timestamp": now, "message": "before restart"}],
        )
        logs.put_subscription_filter(
            logGroupName=group,
            filterName="deliver",
            filterPattern="restart",
            destinationArn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{subscriber}",
        )
        lambda_client.invoke(FunctionName=subscriber, Payload=b"{}")
    with ServerProcess(data_dir) as second:
        logs = logs_client_for(second.endpoint)
        (described,) = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
        assert described["retentionInDays"] == 30
        assert logs.list_tags_log_group(logGroupName=group)["tags"] == {"keep": "me"}
        stream = logs.describe_log_streams(logGroupName=group)["logStreams"][0]
        assert stream["lastEventTimestamp"] == now
        events = logs.get_log_events(logGroupName=group, logStreamName="s")["events"]
        assert [e["message"] for e in events] == ["before restart"]
        function_lines = logs.filter_log_events(logGroupName=f"/aws/lambda/{subscriber}")
        assert any(e["message"].startswith("START") for e in function_lines["events"])
        (subscription,) = logs.describe_subscription_filters(logGroupName=group)[
            "subscriptionFilters"
        ]
        assert subscription["filterPattern"] == "restart"
        logs.put_log_events(
            logGroupName=group,
            logStreamName="s",
            logEvents=[{"timestamp": now_ms(), "message": "after restart"}],
        )

        wait_drained(second.endpoint, 60)
        found = logs.filter_log_events(
            logGroupName=f"/aws/lambda/{subscriber}", filterPattern="GOT"
        )["events"]
        assert any("awslogs" in e["message"] for e in found)


def test_unknown_client_region_gets_its_own_groups(server: Server) -> None:
    west = logs_client_for(server.endpoint, region="eu-west-1")
    group = f"/test/west/{uuid.uuid4().hex[:8]}"
    west.create_log_group(logGroupName=group)
    try:
        east = logs_client_for(server.endpoint)
        assert east.describe_log_groups(logGroupNamePrefix=group)["logGroups"] == []
        (found,) = west.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
        assert found["arn"].startswith("arn:aws:logs:eu-west-1:")
    finally:
        west.delete_log_group(logGroupName=group)
