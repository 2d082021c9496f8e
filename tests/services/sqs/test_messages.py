"""Messages through boto3 (json protocol): send and receive with attributes and MD5s,
attribute selection, visibility, delays, batches, and the validation errors."""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from tests.services.sqs.conftest import MakeQueue, error_code

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

# Checked against moto's implementation of AWS's algorithm (and the Java SDK's description).
ATTRIBUTES: dict[str, Any] = {
    "a": {"DataType": "String", "StringValue": "x"},
    "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
    "n": {"DataType": "Number.int", "StringValue": "42"},
}
ATTRIBUTES_MD5 = "cd0157953ba41a36b89795cbed85dd53"
TRACE = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"


def _count(sqs: SQSClient, url: str, name: str) -> int:
    response: Any = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[name])  # type: ignore[list-item]
    return int(response["Attributes"][name])


def test_send_receive_delete_with_md5s(sqs: SQSClient, make_queue: MakeQueue) -> None:
    url = make_queue()
    sent = sqs.send_message(
        QueueUrl=url,
        MessageBody="héllo",
        MessageAttributes=ATTRIBUTES,
        MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String", "StringValue": TRACE}},
    )
    assert sent["MD5OfMessageBody"] == hashlib.md5("héllo".encode()).hexdigest()
    assert sent["MD5OfMessageAttributes"] == ATTRIBUTES_MD5
    assert len(sent["MD5OfMessageSystemAttributes"]) == 32
    assert "SequenceNumber" not in sent
    before = int(time.time() * 1000)
    received = sqs.receive_message(
        QueueUrl=url, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"]
    )["Messages"]
    assert len(received) == 1
    message = received[0]
    assert message["MessageId"] == sent["MessageId"]
    assert message["Body"] == "héllo"
    assert message["MD5OfBody"] == sent["MD5OfMessageBody"]
    assert message["MD5OfMessageAttributes"] == ATTRIBUTES_MD5
    assert message["MessageAttributes"] == ATTRIBUTES
    system = message["Attributes"]
    assert system["ApproximateReceiveCount"] == "1"
    assert system["AWSTraceHeader"] == TRACE
    assert system["SenderId"]
    assert abs(int(system["ApproximateFirstReceiveTimestamp"]) - before) < 60_000
    assert int(system["SentTimestamp"]) <= int(system["ApproximateFirstReceiveTimestamp"])
    assert _count(sqs, url, "ApproximateNumberOfMessagesNotVisible") == 1
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert _count(sqs, url, "ApproximateNumberOfMessagesNotVisible") == 0
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_attribute_selection(sqs: SQSClient, make_queue: MakeQueue) -> None:
    url = make_queue()
    attributes = {
        "trace.id": {"DataType": "String", "StringValue": "1"},
        "trace.span": {"DataType": "String", "StringValue": "2"},
        "other": {"DataType": "Number", "StringValue": "3.5"},
    }
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attributes)  # type: ignore[arg-type]
    message = sqs.receive_message(
        QueueUrl=url,
        MessageAttributeNames=["trace.*"],
        AttributeNames=["SentTimestamp"],
        VisibilityTimeout=0,
    )["Messages"][0]
    assert set(message["MessageAttributes"]) == {"trace.id", "trace.span"}
    assert set(message["Attributes"]) == {"SentTimestamp"}
    subset = {k: attributes[k] for k in ("trace.id", "trace.span")}
    check = sqs.send_message(QueueUrl=make_queue(), MessageBody="x", MessageAttributes=subset)  # type: ignore[arg-type]
    assert message["MD5OfMessageAttributes"] == check["MD5OfMessageAttributes"]
    bare = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"][0]
    assert "MessageAttributes" not in bare
    assert "MD5OfMessageAttributes" not in bare
    assert "Attributes" not in bare
    every = sqs.receive_message(QueueUrl=url, MessageAttributeNames=[".*"])["Messages"][0]
    assert set(every["MessageAttributes"]) == set(attributes)


def test_visibility_timeout_and_redelivery(sqs: SQSClient, make_queue: MakeQueue) -> None:
    url = make_queue(VisibilityTimeout="1")
    sqs.send_message(QueueUrl=url, MessageBody="again")
    first = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    # The long poll ends when the message becomes visible again (after one second).
    started = time.monotonic()
    second = sqs.receive_message(
        QueueUrl=url, WaitTimeSeconds=10, AttributeNames=["ApproximateReceiveCount"]
    )["Messages"][0]
    assert time.monotonic() - started < 9
    assert second["MessageId"] == first["MessageId"]
    assert second["Attributes"]["ApproximateReceiveCount"] == "2"
    assert second["ReceiptHandle"] != first["ReceiptHandle"]
    # The first handle is stale: the call succeeds and the message stays.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    assert _count(sqs, url, "ApproximateNumberOfMessagesNotVisible") == 1
    sqs.delete_message(QueueUrl=url, ReceiptHandle=second["ReceiptHandle"])
    assert _count(sqs, url, "ApproximateNumberOfMessagesNotVisible") == 0


def test_change_message_visibility(sqs: SQSClient, make_queue: MakeQueue) -> None:
    url = make_queue()
    sqs.send_message(QueueUrl=url, MessageBody="x")
    handle = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    again = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"][0]
    with pytest.raises(ClientError) as caught:
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=again["ReceiptHandle"], VisibilityTimeout=10
        )
    assert error_code(caught.value) == "AWS.SimpleQueueService.MessageNotInflight"
    with pytest.raises(ClientError) as caught:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=5)
    assert error_code(caught.value) == "InvalidParameterValue"
    with pytest.raises(ClientError) as caught:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle="garbage", VisibilityTimeout=5)
    assert error_code(caught.value) == "ReceiptHandleIsInvalid"


def test_receipt_handle_of_another_queue(sqs: SQSClient, make_queue: MakeQueue) -> None:
    first, second = make_queue(), make_queue()
    sqs.send_message(QueueUrl=first, MessageBody="x")
    handle = sqs.receive_message(QueueUrl=first)["Messages"][0]["ReceiptHandle"]
    with pytest.raises(ClientError) as caught:
        sqs.delete_message(QueueUrl=second, ReceiptHandle=handle)
    assert error_code(caught.value) == "ReceiptHandleIsInvalid"
    with pytest.raises(ClientError) as caught:
        sqs.delete_message(QueueUrl=second, ReceiptHandle="not-a-handle")
    assert error_code(caught.value) == "ReceiptHandleIsInvalid"


def test_delays(sqs: SQSClient, make_queue: MakeQueue) -> None:
    url = make_queue(DelaySeconds="1")
    sqs.send_message(QueueUrl=url, MessageBody="queue delay")
    sqs.send_message(QueueUrl=url, MessageBody="no delay", DelaySeconds=0)
    assert _count(sqs, url, "ApproximateNumberOfMessagesDelayed") == 1
    now = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in now] == ["no delay"]
    started = time.monotonic()
    later = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10)["Messages"]
    assert [m["Body"] for m in later] == ["queue delay"]
    assert time.monotonic() - started < 9
    with pytest.raises(ClientError) as caught:
        sqs.send_message(QueueUrl=url, MessageBody="x", DelaySeconds=901)
    assert error_code(caught.value) == "InvalidParameterValue"


def test_receive_up_to_ten(sqs: SQSClient, make_queue: MakeQueue) -> None:
    url = make_queue()
    for start in range(0, 15, 5):
        entries = [{"Id": str(i), "MessageBody": f"m{i}"} for i in range(start, start + 5)]
        assert len(sqs.send_message_batch(QueueUrl=url, Entries=entries)["Successful"]) == 5  # type: ignore[arg-type]
    assert _count(sqs, url, "ApproximateNumberOfMessages") == 15
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(got) == 10
    assert _count(sqs, url, "ApproximateNumberOfMessages") == 5
    assert _count(sqs, url, "ApproximateNumberOfMessagesNotVisible") == 10
    for bad in ({"MaxNumberOfMessages": 11}, {"WaitTimeSeconds": 21}, {"VisibilityTimeout": -1}):
        with pytest.raises(ClientError) as caught:
            sqs.receive_message(QueueUrl=url, **bad)  # type: ignore[arg-type]
        assert error_code(caught.value) == "InvalidParameterValue"
    with pytest.raises(ClientError) as caught:
        sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["Colour"])  # type: ignore[list-item]
    assert error_code(caught.value) == "InvalidAttributeName"


def test_batches(sqs: SQSClient, make_queue: MakeQueue) -> None:
    url = make_queue()
    sent = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "ok-1", "MessageBody": "one", "MessageAttributes": ATTRIBUTES},
            {"Id": "bad", "MessageBody": "\u0001"},
            {"Id": "ok-2", "MessageBody": "two", "DelaySeconds": 0},
        ],
    )
    assert [entry["Id"] for entry in sent["Successful"]] == ["ok-1", "ok-2"]
    assert sent["Successful"][0]["MD5OfMessageAttributes"] == ATTRIBUTES_MD5
    assert sent["Failed"] == [
        {
            "Id": "bad",
            "SenderFault": True,
            "Code": "InvalidMessageContents",
            "Message": sent["Failed"][0]["Message"],
        }
    ]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in messages) == ["one", "two"]
    changed = sqs.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "a", "ReceiptHandle": messages[0]["ReceiptHandle"], "VisibilityTimeout": 60},
            {"Id": "b", "ReceiptHandle": "bogus", "VisibilityTimeout": 60},
        ],
    )
    assert [e["Id"] for e in changed["Successful"]] == ["a"]
    assert changed["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
    deleted = sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
        ],
    )
    assert len(deleted["Successful"]) == 2
    assert deleted["Failed"] == []
    assert _count(sqs, url, "ApproximateNumberOfMessagesNotVisible") == 0


@pytest.mark.parametrize(
    ("entries", "code"),
    [
        ([], "AWS.SimpleQueueService.EmptyBatchRequest"),
        (
            [{"Id": str(i), "MessageBody": "x"} for i in range(11)],
            "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
        ),
        (
            [{"Id": "same", "MessageBody": "x"}, {"Id": "same", "MessageBody": "y"}],
            "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
        ),
        ([{"Id": "bad id!", "MessageBody": "x"}], "AWS.SimpleQueueService.InvalidBatchEntryId"),
        (
            [{"Id": str(i), "MessageBody": "x" * 300_000} for i in range(4)],
            "AWS.SimpleQueueService.BatchRequestTooLong",
        ),
    ],
)
def test_batch_refusals(
    sqs: SQSClient, make_queue: MakeQueue, entries: list[dict[str, str]], code: str
) -> None:
    with pytest.raises(ClientError) as caught:
        sqs.send_message_batch(QueueUrl=make_queue(), Entries=entries)  # type: ignore[arg-type]
    assert error_code(caught.value) == code


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        ({"MessageBody": "a\u0000b"}, "InvalidMessageContents"),
        ({"MessageBody": ""}, "MissingParameter"),  # as AWS: empty is missing
        ({"MessageBody": "x" * 1_048_577}, "InvalidParameterValue"),
        (
            {"MessageBody": "x", "MessageAttributes": {"AWS.x": ATTRIBUTES["a"]}},
            "InvalidParameterValue",
        ),
        (
            {
                "MessageBody": "x",
                "MessageAttributes": {"a": {"DataType": "Text", "StringValue": "1"}},
            },
            "InvalidParameterValue",
        ),
        (
            {
                "MessageBody": "x",
                "MessageAttributes": {"a": {"DataType": "Number", "StringValue": "x"}},
            },
            "InvalidParameterValue",
        ),
        (
            {
                "MessageBody": "x",
                "MessageAttributes": {"a": {"DataType": "String", "StringValue": ""}},
            },
            "InvalidParameterValue",
        ),
        (
            {
                "MessageBody": "x",
                "MessageAttributes": {f"k{i}": ATTRIBUTES["a"] for i in range(11)},
            },
            "InvalidParameterValue",
        ),
        ({"MessageBody": "x", "MessageDeduplicationId": "d"}, "InvalidParameterValue"),
    ],
)
def test_send_refusals(
    sqs: SQSClient, make_queue: MakeQueue, arguments: dict[str, Any], code: str
) -> None:
    with pytest.raises(ClientError) as caught:
        sqs.send_message(QueueUrl=make_queue(), **arguments)
    assert error_code(caught.value) == code


def test_maximum_message_size_of_the_queue(sqs: SQSClient, make_queue: MakeQueue) -> None:
    url = make_queue(MaximumMessageSize="1024")
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1024)
    with pytest.raises(ClientError) as caught:
        sqs.send_message(QueueUrl=url, MessageBody="x" * 1025)
    assert "shorter than 1024 bytes" in caught.value.response["Error"]["Message"]
