"""Log groups, streams, retention and tags through boto3."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from tests.helpers import ACCOUNT, REGION
from tests.services.logs.conftest import now_ms

if TYPE_CHECKING:
    from mypy_boto3_logs import CloudWatchLogsClient

NewGroup = Callable[..., str]


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def test_describe_log_groups_shape_prefix_pattern_and_pagination(
    logs: CloudWatchLogsClient, new_group: NewGroup
) -> None:
    prefix = f"/test/describe-{uuid.uuid4().hex[:6]}/"
    names = sorted(new_group(prefix=prefix) for _ in range(3))
    found = logs.describe_log_groups(logGroupNamePrefix=prefix)["logGroups"]
    assert [g["logGroupName"] for g in found] == names
    first = found[0]
    assert first["arn"] == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{names[0]}:*"
    assert first["logGroupArn"] == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{names[0]}"
    assert first["storedBytes"] == 0
    assert first["metricFilterCount"] == 0
    assert abs(first["creationTime"] - now_ms()) < 60_000
    assert "retentionInDays" not in first

    page1 = logs.describe_log_groups(logGroupNamePrefix=prefix, limit=2)
    assert [g["logGroupName"] for g in page1["logGroups"]] == names[:2]
    page2 = logs.describe_log_groups(
        logGroupNamePrefix=prefix, limit=2, nextToken=page1["nextToken"]
    )
    assert [g["logGroupName"] for g in page2["logGroups"]] == names[2:]
    assert "nextToken" not in page2
    paged = logs.get_paginator("describe_log_groups").paginate(
        logGroupNamePrefix=prefix, PaginationConfig={"PageSize": 1}
    )
    assert [g["logGroupName"] for page in paged for g in page["logGroups"]] == names

    middle = names[1].rsplit("/", 1)[1].upper()  # the pattern is case-insensitive
    by_pattern = logs.describe_log_groups(logGroupNamePattern=middle)["logGroups"]
    assert [g["logGroupName"] for g in by_pattern] == [names[1]]
    arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{names[2]}"
    by_identifier = logs.describe_log_groups(logGroupIdentifiers=[names[0], arn])["logGroups"]
    assert [g["logGroupName"] for g in by_identifier] == [names[0], names[2]]
    with pytest.raises(ClientError) as excinfo:
        logs.describe_log_groups(logGroupNamePrefix=prefix, logGroupNamePattern="x")
    assert _error(excinfo)[0] == "InvalidParameterException"


def test_group_errors(logs: CloudWatchLogsClient, new_group: NewGroup) -> None:
    name = new_group()
    with pytest.raises(logs.exceptions.ResourceAlreadyExistsException) as exists:
        logs.create_log_group(logGroupName=name)
    assert _error(exists) == (
        "ResourceAlreadyExistsException",
        "The specified log group already exists",
    )
    with pytest.raises(logs.exceptions.ResourceNotFoundException) as missing:
        logs.delete_log_group(logGroupName=f"{name}-missing")
    assert _error(missing) == (
        "ResourceNotFoundException",
        "The specified log group does not exist.",
    )
    with pytest.raises(ClientError) as invalid:
        logs.create_log_group(logGroupName="bad name!")
    assert _error(invalid)[0] == "InvalidParameterException"


def test_streams_order_and_fields(logs: CloudWatchLogsClient, new_group: NewGroup) -> None:
    group = new_group("b-stream", "a-stream", "c-stream")
    now = now_ms()
    logs.put_log_events(
        logGroupName=group,
        logStreamName="c-stream",
        logEvents=[{"timestamp": now - 5000, "message": "old"}],
    )
    logs.put_log_events(
        logGroupName=group,
        logStreamName="b-stream",
        logEvents=[
            {"timestamp": now - 2000, "message": "one"},
            {"timestamp": now - 1000, "message": "two"},
        ],
    )
    by_name = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert [s["logStreamName"] for s in by_name] == ["a-stream", "b-stream", "c-stream"]
    empty, b_stream = by_name[0], by_name[1]
    assert "firstEventTimestamp" not in empty and "lastIngestionTime" not in empty
    assert b_stream["firstEventTimestamp"] == now - 2000
    assert b_stream["lastEventTimestamp"] == now - 1000
    assert b_stream["lastIngestionTime"] >= now - 1000
    assert b_stream["arn"] == (
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:log-stream:b-stream"
    )
    assert b_stream["uploadSequenceToken"].isdigit()

    descending = logs.describe_log_streams(logGroupName=group, descending=True)["logStreams"]
    assert [s["logStreamName"] for s in descending] == ["c-stream", "b-stream", "a-stream"]
    by_time = logs.describe_log_streams(
        logGroupName=group, orderBy="LastEventTime", descending=True
    )["logStreams"]
    assert [s["logStreamName"] for s in by_time] == ["b-stream", "c-stream", "a-stream"]
    prefixed = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix="b")
    assert [s["logStreamName"] for s in prefixed["logStreams"]] == ["b-stream"]
    paged = logs.get_paginator("describe_log_streams").paginate(
        logGroupName=group, PaginationConfig={"PageSize": 2}
    )
    assert len([s for page in paged for s in page["logStreams"]]) == 3
    with pytest.raises(ClientError) as excinfo:
        logs.describe_log_streams(
            logGroupName=group, orderBy="LastEventTime", logStreamNamePrefix="b"
        )
    assert _error(excinfo)[0] == "InvalidParameterException"

    group_arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}"
    by_arn = logs.describe_log_streams(logGroupIdentifier=group_arn)["logStreams"]
    assert len(by_arn) == 3
    stored = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["storedBytes"]
    assert stored == sum(len(m) + 26 for m in ("old", "one", "two"))


def test_stream_errors(logs: CloudWatchLogsClient, new_group: NewGroup) -> None:
    group = new_group("s")
    with pytest.raises(logs.exceptions.ResourceAlreadyExistsException) as exists:
        logs.create_log_stream(logGroupName=group, logStreamName="s")
    assert _error(exists)[1] == "The specified log stream already exists"
    with pytest.raises(logs.exceptions.ResourceNotFoundException) as missing:
        logs.delete_log_stream(logGroupName=group, logStreamName="nope")
    assert _error(missing)[1] == "The specified log stream does not exist."
    with pytest.raises(logs.exceptions.ResourceNotFoundException) as no_group:
        logs.create_log_stream(logGroupName=f"{group}-missing", logStreamName="s")
    assert _error(no_group)[1] == "The specified log group does not exist."
    with pytest.raises(ClientError) as invalid:
        logs.create_log_stream(logGroupName=group, logStreamName="a:b")
    assert _error(invalid)[0] == "InvalidParameterException"
    logs.delete_log_stream(logGroupName=group, logStreamName="s")
    assert logs.describe_log_streams(logGroupName=group)["logStreams"] == []


def test_retention_policy_prunes_old_events(
    logs: CloudWatchLogsClient, new_group: NewGroup
) -> None:
    group = new_group("s")
    now = now_ms()
    day = 24 * 3600 * 1000
    for timestamp, message in ((now - 3 * day, "three days old"), (now - 1000, "fresh")):
        logs.put_log_events(
            logGroupName=group,
            logStreamName="s",
            logEvents=[{"timestamp": timestamp, "message": message}],
        )
    logs.put_retention_policy(logGroupName=group, retentionInDays=1)
    described = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]
    assert described["retentionInDays"] == 1
    assert described["storedBytes"] == len("fresh") + 26  # the old event is gone
    events = logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True)
    assert [e["message"] for e in events["events"]] == ["fresh"]
    # an event older than the retention period is refused as expired
    refused = logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[{"timestamp": now - 2 * day, "message": "expired"}],
    )
    assert refused["rejectedLogEventsInfo"] == {"expiredLogEventEndIndex": 0}

    with pytest.raises(ClientError) as excinfo:
        logs.put_retention_policy(logGroupName=group, retentionInDays=2)
    assert _error(excinfo)[0] == "InvalidParameterException"
    logs.delete_retention_policy(logGroupName=group)
    described = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]
    assert "retentionInDays" not in described


def test_tags_new_and_legacy_operations(logs: CloudWatchLogsClient, new_group: NewGroup) -> None:
    group = new_group()
    arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}"
    logs.tag_resource(resourceArn=arn, tags={"team": "core", "env": "dev"})
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "core", "env": "dev"}
    logs.untag_resource(resourceArn=arn, tagKeys=["env"])
    assert logs.list_tags_log_group(logGroupName=group)["tags"] == {"team": "core"}
    logs.tag_log_group(logGroupName=group, tags={"cost": "42"})
    logs.untag_log_group(logGroupName=group, tags=["team"])
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"cost": "42"}
    name = f"/test/tagged/{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=name, tags={"a": "b"})  # created with tags
    try:
        assert logs.list_tags_log_group(logGroupName=name)["tags"] == {"a": "b"}
    finally:
        logs.delete_log_group(logGroupName=name)
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.list_tags_for_resource(resourceArn=f"{arn}-missing")
