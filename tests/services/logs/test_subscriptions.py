"""Subscription filters -> Lambda: the gzip+base64 ``awslogs.data`` event (D.9), permission
checks at PutSubscriptionFilter, and the operations' errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from aws_lambda_powertools.utilities.parser.models import CloudWatchLogsModel
from botocore.exceptions import ClientError

from lambdaport.testing.aws import wait_drained
from lambdaport.testing.server import Server
from tests.conftest import MakeFunction
from tests.helpers import ACCOUNT, REGION, allow_invoke
from tests.services.logs.conftest import now_ms

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_logs import CloudWatchLogsClient

NewGroup = Callable[..., str]
NO_PERMISSION = (
    "Could not execute the lambda function. Make sure you have given CloudWatch Logs "
    "permission to execute your function."
)
# The subscriber prints the decoded event (and the raw one) on one line each.
SUBSCRIBER = """
import base64, gzip, json

def handler(event, context):
    print("RAW " + json.dumps(event))
    decoded = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    print("DECODED " + json.dumps(decoded))
"""


def _allow_logs(
    lambda_client: LambdaClient,
    function: str,
    group: str,
    principal: str = "logs.amazonaws.com",
) -> None:
    group_arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:*"
    allow_invoke(lambda_client, function, principal, group_arn, source_account=ACCOUNT)


def _function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def _printed(logs: CloudWatchLogsClient, server: Server, function: str, marker: str) -> list[Any]:
    """The lines starting with ``marker`` the subscriber printed, once the server is drained
    (every subscription delivery made and run, every function line stored)."""
    wait_drained(server.endpoint, 60)
    events = logs.filter_log_events(
        logGroupName=f"/aws/lambda/{function}", filterPattern=f'"{marker} "'
    )["events"]
    return [json.loads(e["message"][len(marker) + 1 :]) for e in events]


def test_subscription_delivers_matching_events(
    logs: CloudWatchLogsClient,
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    new_group: NewGroup,
    server: Server,
) -> None:
    subscriber = make_function(SUBSCRIBER)
    group = new_group("stream-a")
    _allow_logs(lambda_client, subscriber, group)
    logs.put_subscription_filter(
        logGroupName=group,
        filterName="errors",
        filterPattern="ERROR",
        destinationArn=_function_arn(subscriber),
    )
    base = now_ms() - 1000
    logs.put_log_events(
        logGroupName=group,
        logStreamName="stream-a",
        logEvents=[
            {"timestamp": base, "message": "ERROR one"},
            {"timestamp": base + 1, "message": "info two"},
            {"timestamp": base + 2, "message": "ERROR three"},
        ],
    )
    (decoded,) = _printed(logs, server, subscriber, "DECODED")
    assert decoded["messageType"] == "DATA_MESSAGE"
    assert decoded["owner"] == ACCOUNT
    assert decoded["logGroup"] == group
    assert decoded["logStream"] == "stream-a"
    assert decoded["subscriptionFilters"] == ["errors"]
    assert "policyLevel" not in decoded  # only account-level policies carry it
    stored = logs.filter_log_events(logGroupName=group, filterPattern="ERROR")["events"]
    assert decoded["logEvents"] == [
        {"id": e["eventId"], "timestamp": e["timestamp"], "message": e["message"]} for e in stored
    ]
    assert [e["timestamp"] for e in decoded["logEvents"]] == [base, base + 2]
    assert set(decoded) == {
        "messageType", "owner", "logGroup", "logStream", "subscriptionFilters", "logEvents",
    }  # fmt: skip

    (raw,) = _printed(logs, server, subscriber, "RAW")
    parsed = CloudWatchLogsModel.model_validate(raw)  # powertools' independent model
    assert parsed.awslogs.decoded_data.logGroup == group
    assert [e.message for e in parsed.awslogs.decoded_data.logEvents] == [
        "ERROR one", "ERROR three",
    ]  # fmt: skip


def test_function_logs_reach_a_subscribed_function(
    logs: CloudWatchLogsClient,
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    server: Server,
) -> None:
    subscriber = make_function(SUBSCRIBER)
    source = make_function("def handler(event, context):\n    print('source says hi')\n")
    group = f"/aws/lambda/{source}"
    lambda_client.invoke(FunctionName=source)  # creates the group, as Lambda does
    _allow_logs(lambda_client, subscriber, group, principal=f"logs.{REGION}.amazonaws.com")
    logs.put_subscription_filter(
        logGroupName=group,
        filterName="hi",
        filterPattern='"says hi"',
        destinationArn=_function_arn(subscriber),
    )
    invoked = lambda_client.invoke(FunctionName=source)
    (decoded,) = _printed(logs, server, subscriber, "DECODED")
    assert decoded["logGroup"] == group
    assert [e["message"] for e in decoded["logEvents"]] == ["source says hi"]
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert decoded["logStream"] in {s["logStreamName"] for s in streams}
    assert invoked["StatusCode"] == 200


def test_put_subscription_filter_refused_without_permission(
    logs: CloudWatchLogsClient,
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    new_group: NewGroup,
) -> None:
    subscriber = make_function(SUBSCRIBER)
    group = new_group()
    other_group = new_group()

    def put(destination: str) -> dict[str, str]:
        with pytest.raises(ClientError) as excinfo:
            logs.put_subscription_filter(
                logGroupName=group, filterName="f", filterPattern="", destinationArn=destination
            )
        error: dict[str, str] = excinfo.value.response["Error"]  # type: ignore[assignment]
        return error

    expected = {"Code": "InvalidParameterException", "Message": NO_PERMISSION}
    assert put(_function_arn(subscriber)) == expected  # no statement at all
    _allow_logs(lambda_client, subscriber, other_group)  # another group's ARN
    assert put(_function_arn(subscriber)) == expected
    assert put(_function_arn(f"{subscriber}-missing")) == expected
    assert logs.describe_subscription_filters(logGroupName=group)["subscriptionFilters"] == []


def test_subscription_filter_operations(
    logs: CloudWatchLogsClient,
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    new_group: NewGroup,
) -> None:
    subscriber = make_function(SUBSCRIBER)
    group = new_group()
    _allow_logs(lambda_client, subscriber, group)
    arn = _function_arn(subscriber)
    for name in ("b-filter", "a-filter"):
        logs.put_subscription_filter(
            logGroupName=group, filterName=name, filterPattern="ERROR", destinationArn=arn
        )
    with pytest.raises(logs.exceptions.LimitExceededException):
        logs.put_subscription_filter(
            logGroupName=group, filterName="third", filterPattern="", destinationArn=arn
        )
    logs.put_subscription_filter(  # replacing an existing filter is not a third one
        logGroupName=group, filterName="a-filter", filterPattern="{ $.x = 1 }", destinationArn=arn
    )
    described = logs.describe_subscription_filters(logGroupName=group)["subscriptionFilters"]
    assert [f["filterName"] for f in described] == ["a-filter", "b-filter"]
    assert described[0]["filterPattern"] == "{ $.x = 1 }"
    assert described[0]["destinationArn"] == arn
    assert described[0]["logGroupName"] == group
    assert described[0]["distribution"] == "ByLogStream"
    assert abs(described[0]["creationTime"] - now_ms()) < 60_000
    prefixed = logs.describe_subscription_filters(logGroupName=group, filterNamePrefix="b")
    assert [f["filterName"] for f in prefixed["subscriptionFilters"]] == ["b-filter"]

    logs.delete_subscription_filter(logGroupName=group, filterName="b-filter")
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.delete_subscription_filter(logGroupName=group, filterName="b-filter")
    with pytest.raises(ClientError) as invalid:
        logs.put_subscription_filter(
            logGroupName=group, filterName="bad", filterPattern="{ $.x = ", destinationArn=arn
        )
    assert invalid.value.response["Error"]["Code"] == "InvalidParameterException"
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.describe_subscription_filters(logGroupName=f"{group}-missing")


def test_empty_space_delimited_pattern_matches_every_event(
    logs: CloudWatchLogsClient,
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    new_group: NewGroup,
    server: Server,
) -> None:
    """``[]`` (no fields) is taken by PutSubscriptionFilter, FilterLogEvents and
    TestMetricFilter alike, and selects every event, as AWS's subscription filters use it."""
    subscriber = make_function(SUBSCRIBER)
    group = new_group("s")
    _allow_logs(lambda_client, subscriber, group)
    logs.put_subscription_filter(
        logGroupName=group,
        filterName="all",
        filterPattern="[]",
        destinationArn=_function_arn(subscriber),
    )
    (described,) = logs.describe_subscription_filters(logGroupName=group)["subscriptionFilters"]
    assert described["filterPattern"] == "[]"
    messages = ["one word", '{"json": true}', "[bracketed] text  with   spaces"]
    base = now_ms() - 1000
    logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[{"timestamp": base + i, "message": m} for i, m in enumerate(messages)],
    )
    (decoded,) = _printed(logs, server, subscriber, "DECODED")
    assert [e["message"] for e in decoded["logEvents"]] == messages
    found = logs.filter_log_events(logGroupName=group, filterPattern="[]")["events"]
    assert [e["message"] for e in found] == messages
    tested = logs.test_metric_filter(filterPattern="[ ]", logEventMessages=messages)
    assert [m["eventNumber"] for m in tested["matches"]] == [1, 2, 3]
