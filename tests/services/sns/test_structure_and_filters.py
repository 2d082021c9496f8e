"""MessageStructure=json delivers each protocol its own entry or ``default``; PublishBatch
refuses a whole batch for an entry Publish would refuse; filter policies take ``$or`` in
the MessageAttributes scope and match Number attributes numerically (floats included)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.helpers import Recorder, receive_messages
from tests.services.sns.conftest import (
    Endpoint,
    Queue,
    confirmed_subscription,
    error_of,
    name,
    subscribe,
)


def _number(value: str) -> dict[str, str]:
    return {"DataType": "Number", "StringValue": value}


def _string(value: str) -> dict[str, str]:
    return {"DataType": "String", "StringValue": value}


def test_message_structure_json_gives_each_protocol_its_entry(
    sns: Any,
    sqs: Any,
    topic: str,
    queue: Callable[..., Queue],
    http_endpoint: Endpoint,
    recorder: Callable[..., Recorder],
) -> None:
    (envelope_url, envelope_arn), (raw_url, raw_arn) = queue(), queue()
    subscribe(sns, topic, "sqs", envelope_arn)
    subscribe(sns, topic, "sqs", raw_arn, RawMessageDelivery="true")
    confirmed_subscription(sns, topic, http_endpoint)
    function = recorder(topic)
    subscribe(sns, topic, "lambda", function.arn)
    sns.publish(
        TopicArn=topic,
        MessageStructure="json",
        Message=json.dumps({"default": "for all", "sqs": "for queues", "http": "for hooks"}),
    )
    (envelope,) = receive_messages(sqs, envelope_url)
    assert json.loads(envelope["Body"])["Message"] == "for queues"
    (raw,) = receive_messages(sqs, raw_url)
    assert raw["Body"] == "for queues"
    (notification,) = http_endpoint.wait("Notification")
    assert notification.json()["Message"] == "for hooks"
    (event,) = function.wait_events(1)  # no "lambda" entry: the default one
    assert event["Records"][0]["Sns"]["Message"] == "for all"


@pytest.mark.parametrize(
    ("message", "fragment"),
    [
        (json.dumps({"sqs": "no default"}), "No default entry in JSON message body"),
        (json.dumps({"default": {"not": "a string"}}), "No default entry in JSON message body"),
        ('{"default": "x"} }', "JSON message body failed to parse"),
    ],
)
def test_message_structure_json_is_validated(
    sns: Any, topic: str, message: str, fragment: str
) -> None:
    expected = ("InvalidParameter", f"Invalid parameter: Message Structure - {fragment}")
    assert error_of(sns.publish, TopicArn=topic, Message=message, MessageStructure="json") == (
        expected
    )
    entries = [
        {"Id": "fine", "Message": "m"},
        {"Id": "bad", "Message": message, "MessageStructure": "json"},
    ]
    assert (
        error_of(sns.publish_batch, TopicArn=topic, PublishBatchRequestEntries=entries) == expected
    )


def test_batch_entry_publish_would_refuse_fails_the_whole_batch(
    sns: Any, sqs: Any, queue: Callable[..., Queue]
) -> None:
    topic = sns.create_topic(Name=name("f") + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    url, arn = queue(fifo=True)
    subscribe(sns, topic, "sqs", arn, RawMessageDelivery="true")
    good = {"Id": "good", "Message": "m", "MessageGroupId": "g", "MessageDeduplicationId": "1"}
    refusals = [
        ({"Id": "bad", "Message": "m", "MessageDeduplicationId": "2"}, "MessageGroupId"),
        ({"Id": "bad", "Message": "m", "MessageGroupId": "g"}, "ContentBasedDeduplication"),
        ({**good, "Id": "bad", "MessageAttributes": {"a": _string("")}}, "non-empty"),
    ]
    for bad, fragment in refusals:
        code, message = error_of(
            sns.publish_batch, TopicArn=topic, PublishBatchRequestEntries=[good, bad]
        )
        assert code == "InvalidParameter"
        assert fragment in message
    sns.publish(TopicArn=topic, Message="marker", MessageGroupId="g", MessageDeduplicationId="m")
    (only,) = receive_messages(sqs, url)  # the good entries never went out
    assert only["Body"] == "marker"
    sns.delete_topic(TopicArn=topic)


def _delivered(
    sns: Any,
    sqs: Any,
    topic: str,
    queue: Callable[..., Queue],
    policy: dict[str, Any],
    messages: list[tuple[str, dict[str, Any]]],
) -> list[str]:
    """Publish ``messages`` (body, attributes; the last one must match) past ``policy``;
    the bodies delivered. Filtering is decided at Publish and each SQS delivery runs
    without pausing, in the order the deliveries were accepted, so once the last message
    has arrived every earlier delivery has been made: what is missing then was filtered."""
    assert messages[-1][0].startswith("yes")
    url, arn = queue()
    subscribe(sns, topic, "sqs", arn, RawMessageDelivery="true", FilterPolicy=json.dumps(policy))
    subscribe(sns, topic, "sqs", queue()[1])  # an unfiltered one beside it: no effect
    for body, attributes in messages:
        sns.publish(TopicArn=topic, Message=body, MessageAttributes=attributes)
    expected = [body for body, _ in messages if body.startswith("yes")]
    got = receive_messages(sqs, url, len(expected), delete=True)
    got += sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return sorted(message["Body"] for message in got)


def test_or_in_the_message_attributes_scope(
    sns: Any, sqs: Any, topic: str, queue: Callable[..., Queue]
) -> None:
    policy = {
        "kind": ["order"],
        "$or": [{"region": ["eu"]}, {"price": [{"numeric": [">", 1.5]}]}],
    }
    delivered = _delivered(
        sns,
        sqs,
        topic,
        queue,
        policy,
        [
            ("no-neither", {"kind": _string("order"), "region": _string("us")}),
            ("yes-region", {"kind": _string("order"), "region": _string("eu")}),
            ("no-kind", {"kind": _string("refund"), "region": _string("eu")}),
            ("no-price", {"kind": _string("order"), "price": _number("1.50")}),
            ("yes-price", {"kind": _string("order"), "price": _number("2.25")}),
        ],
    )
    assert delivered == ["yes-price", "yes-region"]
    code, message = error_of(
        sns.subscribe,
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue()[1],
        Attributes={"FilterPolicy": json.dumps({"a": {"b": ["nested"]}})},
    )
    assert code == "InvalidParameter"
    assert "does not support nested filter policy" in message


def test_numbers_match_numerically_including_floats(
    sns: Any, sqs: Any, topic: str, queue: Callable[..., Queue]
) -> None:
    """Number attributes compare as numbers ("1.50" is 1.5, "2" equals 2.0, "3.015e2" is
    301.5); a String attribute is text and never matches a numeric condition (AWS, as
    moto's tests run against it record)."""
    policy = {
        "$or": [
            {"gt": [{"numeric": [">", 1.4, "<=", 1.5]}]},
            {"exact": [2.0]},
            {"equal": [{"numeric": ["=", 301.5]}]},
        ]
    }
    delivered = _delivered(
        sns,
        sqs,
        topic,
        queue,
        policy,
        [
            ("yes-range", {"gt": _number("1.50")}),
            ("no-range", {"gt": _number("1.5001")}),
            ("no-string", {"gt": _string("1.45")}),
            ("yes-exact", {"exact": _number("2")}),
            ("no-exact-string", {"exact": _string("2")}),
            ("yes-equal", {"equal": _number("3.015e2")}),
        ],
    )
    assert delivered == ["yes-equal", "yes-exact", "yes-range"]
