"""PutLogEvents, GetLogEvents and FilterLogEvents through boto3."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from tests.services.logs.conftest import now_ms

if TYPE_CHECKING:
    from mypy_boto3_logs import CloudWatchLogsClient

NewGroup = Callable[..., str]
DAY = 24 * 3600 * 1000


def _put(logs: CloudWatchLogsClient, group: str, stream: str, *messages: str) -> int:
    base = now_ms() - 60_000
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": base + i, "message": m} for i, m in enumerate(messages)],
    )
    return base


def test_put_log_events_rules(logs: CloudWatchLogsClient, new_group: NewGroup) -> None:
    group = new_group("s")
    now = now_ms()
    with pytest.raises(ClientError) as unordered:
        logs.put_log_events(
            logGroupName=group,
            logStreamName="s",
            logEvents=[{"timestamp": now, "message": "b"}, {"timestamp": now - 1, "message": "a"}],
        )
    assert unordered.value.response["Error"] == {
        "Code": "InvalidParameterException",
        "Message": "Log events in a single PutLogEvents request must be in chronological order.",
    }
    result = logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[
            {"timestamp": now - 14 * DAY - 1_800_000, "message": "too old"},
            {"timestamp": now - 14 * DAY - 1_799_999, "message": "too old too"},
            {"timestamp": now - 14 * DAY + 60_000, "message": "kept"},
        ],
    )
    assert result["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 1}
    result = logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[
            {"timestamp": now, "message": "kept too"},
            {"timestamp": now + 3 * 3600 * 1000, "message": "too new"},
        ],
    )
    assert result["rejectedLogEventsInfo"] == {"tooNewLogEventStartIndex": 1}
    assert result["nextSequenceToken"].isdigit()
    stored = logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True)
    assert [e["message"] for e in stored["events"]] == ["kept", "kept too"]
    with pytest.raises(ClientError) as too_large:
        logs.put_log_events(
            logGroupName=group,
            logStreamName="s",
            logEvents=[{"timestamp": now, "message": "x" * 600_000}] * 2,
        )
    assert too_large.value.response["Error"]["Message"].startswith("Upload too large")
    with pytest.raises(logs.exceptions.ResourceNotFoundException) as no_stream:
        logs.put_log_events(
            logGroupName=group, logStreamName="nope", logEvents=[{"timestamp": now, "message": "x"}]
        )
    assert (
        no_stream.value.response["Error"]["Message"] == "The specified log stream does not exist."
    )


def test_get_log_events_tokens_page_and_terminate(
    logs: CloudWatchLogsClient, new_group: NewGroup
) -> None:
    group = new_group("s")
    messages = [f"line {i}" for i in range(7)]
    base = _put(logs, group, "s", *messages)

    latest = logs.get_log_events(logGroupName=group, logStreamName="s", limit=3)
    assert [e["message"] for e in latest["events"]] == messages[4:]  # the newest, oldest first
    assert latest["nextForwardToken"].startswith("f/")
    assert latest["nextBackwardToken"].startswith("b/")
    assert all(e["ingestionTime"] >= e["timestamp"] for e in latest["events"])

    older = logs.get_log_events(
        logGroupName=group, logStreamName="s", limit=3, nextToken=latest["nextBackwardToken"]
    )
    assert [e["message"] for e in older["events"]] == messages[1:4]

    # reading forward from the head until the token repeats, as `aws logs tail`-style readers do
    seen: list[str] = []
    token: str | None = None
    for _ in range(10):
        kwargs = {"nextToken": token} if token else {"startFromHead": True}
        page = logs.get_log_events(logGroupName=group, logStreamName="s", limit=3, **kwargs)
        seen.extend(e["message"] for e in page["events"])
        if page["nextForwardToken"] == token:
            break
        token = page["nextForwardToken"]
    else:
        pytest.fail("the forward token never repeated")
    assert seen == messages
    assert page["events"] == []

    _put(logs, group, "s", "appended later")
    tail = logs.get_log_events(logGroupName=group, logStreamName="s", nextToken=token)
    assert [e["message"] for e in tail["events"]] == ["appended later"]

    window = logs.get_log_events(
        logGroupName=group, logStreamName="s", startTime=base + 2, endTime=base + 4,
        startFromHead=True,
    )  # fmt: skip
    assert [e["message"] for e in window["events"]] == messages[2:4]  # endTime is exclusive
    with pytest.raises(ClientError) as bad_token:
        logs.get_log_events(logGroupName=group, logStreamName="s", nextToken="x/123")
    assert bad_token.value.response["Error"]["Code"] == "InvalidParameterException"


def test_filter_log_events_patterns_streams_and_paging(
    logs: CloudWatchLogsClient, new_group: NewGroup
) -> None:
    group = new_group("app-1", "app-2", "other")
    base = now_ms() - 60_000
    for offset, (stream, message) in enumerate(
        [
            ("app-1", "ERROR first"),
            ("app-2", '{"level": "info", "ms": 12}'),
            ("other", "ERROR third"),
            ("app-1", '{"level": "error", "ms": 40}'),
            ("app-2", "WARN fifth"),
        ]
    ):
        logs.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": base + offset, "message": message}],
        )

    everything = logs.filter_log_events(logGroupName=group)
    assert [e["message"].split()[0] for e in everything["events"]] == [
        "ERROR", '{"level":', "ERROR", '{"level":', "WARN",
    ]  # fmt: skip
    first = everything["events"][0]
    assert first["logStreamName"] == "app-1"
    assert first["timestamp"] == base
    assert len(first["eventId"]) == 56 and first["eventId"].isdigit()
    assert "nextToken" not in everything
    assert {s["logStreamName"] for s in everything["searchedLogStreams"]} == {
        "app-1", "app-2", "other",
    }  # fmt: skip

    def messages(**kwargs: object) -> list[str]:
        found = logs.filter_log_events(logGroupName=group, **kwargs)  # type: ignore[arg-type]
        return [e["message"] for e in found["events"]]

    assert messages(filterPattern="ERROR") == ["ERROR first", "ERROR third"]
    assert messages(filterPattern="?WARN ?third") == ["ERROR third", "WARN fifth"]
    assert messages(filterPattern="{ $.ms > 20 }") == ['{"level": "error", "ms": 40}']
    assert messages(filterPattern="ERROR", logStreamNamePrefix="app") == ["ERROR first"]
    assert messages(logStreamNames=["app-2"]) == ['{"level": "info", "ms": 12}', "WARN fifth"]
    assert messages(startTime=base + 1, endTime=base + 3) == [
        '{"level": "info", "ms": 12}', "ERROR third",
    ]  # fmt: skip

    pages = logs.get_paginator("filter_log_events").paginate(
        logGroupName=group, PaginationConfig={"PageSize": 2}
    )
    assert sum(len(page["events"]) for page in pages) == 5
    with pytest.raises(ClientError) as invalid:
        logs.filter_log_events(logGroupName=group, filterPattern="{ $.ms > }")
    assert invalid.value.response["Error"]["Code"] == "InvalidParameterException"
    with pytest.raises(ClientError) as both:
        logs.filter_log_events(
            logGroupName=group, logStreamNames=["app-1"], logStreamNamePrefix="app"
        )
    assert both.value.response["Error"]["Code"] == "InvalidParameterException"


def test_test_metric_filter(logs: CloudWatchLogsClient) -> None:
    found = logs.test_metric_filter(
        filterPattern="[ip, user, status = 4*]",
        logEventMessages=["1.2.3.4 bob 404", "1.2.3.4 bob 200", "5.6.7.8 amy 403"],
    )
    assert [m["eventNumber"] for m in found["matches"]] == [1, 3]
