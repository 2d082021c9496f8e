"""Publish and PublishBatch through boto3: AWS's validation errors, addressing, FIFO sequence
numbers and deduplication, batches."""

from __future__ import annotations

from typing import Any

import pytest

from tests.services.sns.conftest import error_of, name


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"Message": ""}, "Empty message"),
        ({"Message": "x" * (256 * 1024 + 1)}, "Message too long"),
        ({"Message": "m", "Subject": "line\nbreak"}, "Subject"),
        ({"Message": "m", "Subject": "x" * 101}, "Subject"),
        ({"Message": "{", "MessageStructure": "json"}, "failed to parse"),
        ({"Message": '{"lambda": "x"}', "MessageStructure": "json"}, "No default entry"),
        ({"Message": "m", "MessageDeduplicationId": "d"}, "MessageDeduplicationId"),
        (
            {
                "Message": "m",
                "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "x"}},
            },
            "Could not cast",
        ),
        (
            {"Message": "m", "MessageAttributes": {"n": {"DataType": "Date", "StringValue": "x"}}},
            "supported type prefixes",
        ),
        (
            {
                "Message": "m",
                "MessageAttributes": {"AWS.x": {"DataType": "String", "StringValue": "x"}},
            },
            "Invalid attribute name",
        ),
        (
            {
                "Message": "m",
                "MessageAttributes": {"a": {"DataType": "String.Array", "StringValue": "[1"}},
            },
            "JSON array",
        ),
    ],
)
def test_publish_validation(sns: Any, topic: str, kwargs: dict[str, Any], fragment: str) -> None:
    code, message = error_of(sns.publish, TopicArn=topic, **kwargs)
    assert code == "InvalidParameter"
    assert fragment in message


def test_publish_addressing(sns: Any, topic: str) -> None:
    assert "MessageId" in sns.publish(TargetArn=topic, Message="via target")
    code, message = error_of(sns.publish, Message="nowhere")
    assert code == "InvalidParameter"
    assert "TopicArn or TargetArn" in message
    code, _ = error_of(sns.publish, TopicArn=topic, TargetArn=topic, Message="both")
    assert code == "InvalidParameter"
    code, message = error_of(sns.publish, TopicArn=topic + "-missing", Message="m")
    assert (code, message) == ("NotFound", "Topic does not exist")


def test_fifo_publish_sequence_and_deduplication(sns: Any) -> None:
    arn = sns.create_topic(Name=name("f") + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    code, message = error_of(sns.publish, TopicArn=arn, Message="m", MessageDeduplicationId="d")
    assert code == "InvalidParameter"
    assert "MessageGroupId parameter is required" in message
    code, message = error_of(sns.publish, TopicArn=arn, Message="m", MessageGroupId="g")
    assert code == "InvalidParameter"
    assert "ContentBasedDeduplication" in message
    first = sns.publish(TopicArn=arn, Message="m", MessageGroupId="g", MessageDeduplicationId="1")
    again = sns.publish(TopicArn=arn, Message="m", MessageGroupId="g", MessageDeduplicationId="1")
    second = sns.publish(TopicArn=arn, Message="m", MessageGroupId="g", MessageDeduplicationId="2")
    assert again["MessageId"] == first["MessageId"]
    assert again["SequenceNumber"] == first["SequenceNumber"]
    assert len(first["SequenceNumber"]) == 20
    assert int(second["SequenceNumber"]) > int(first["SequenceNumber"])
    sns.set_topic_attributes(
        TopicArn=arn, AttributeName="ContentBasedDeduplication", AttributeValue="true"
    )
    by_content = sns.publish(TopicArn=arn, Message="same body", MessageGroupId="g")
    assert (
        sns.publish(TopicArn=arn, Message="same body", MessageGroupId="h")["MessageId"]
        == (by_content["MessageId"])
    )
    sns.delete_topic(TopicArn=arn)


def test_publish_batch(sns: Any, topic: str) -> None:
    result = sns.publish_batch(
        TopicArn=topic,
        PublishBatchRequestEntries=[
            {"Id": "ok-1", "Message": "one"},
            {"Id": "ok-2", "Message": "two"},
        ],
    )
    assert [s["Id"] for s in result["Successful"]] == ["ok-1", "ok-2"]
    assert all("MessageId" in s for s in result["Successful"])
    assert result["Failed"] == []
    # An entry Publish would refuse refuses the whole batch, as on AWS.
    entries = [{"Id": "ok", "Message": "one"}, {"Id": "bad", "Message": "m", "Subject": "\n"}]
    assert error_of(sns.publish_batch, TopicArn=topic, PublishBatchRequestEntries=entries) == (
        "InvalidParameter",
        "Invalid parameter: Subject",
    )


@pytest.mark.parametrize(
    ("entries", "code"),
    [
        ([], "EmptyBatchRequest"),
        ([{"Id": str(i), "Message": "m"} for i in range(11)], "TooManyEntriesInBatchRequest"),
        ([{"Id": "a", "Message": "m"}, {"Id": "a", "Message": "n"}], "BatchEntryIdsNotDistinct"),
        ([{"Id": "no spaces", "Message": "m"}], "InvalidBatchEntryId"),
        (
            [{"Id": str(i), "Message": "x" * 200_000} for i in range(2)],
            "BatchRequestTooLong",
        ),
    ],
)
def test_publish_batch_errors(
    sns: Any, topic: str, entries: list[dict[str, str]], code: str
) -> None:
    assert (
        error_of(sns.publish_batch, TopicArn=topic, PublishBatchRequestEntries=entries)[0] == code
    )
