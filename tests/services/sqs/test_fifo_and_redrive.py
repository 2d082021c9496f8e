"""FIFO queues (group order, group locks, deduplication, sequence numbers) and redrive to a
dead-letter queue on the receive that exceeds maxReceiveCount."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from tests.services.sqs.conftest import MakeQueue, error_code

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


def _arn(sqs: SQSClient, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]


def test_groups_are_delivered_in_order_and_locked(sqs: SQSClient, make_queue: MakeQueue) -> None:
    url = make_queue(fifo=True, ContentBasedDeduplication="true")
    for index in range(4):
        sqs.send_message(QueueUrl=url, MessageBody=f"a{index}", MessageGroupId="a")
    sqs.send_message(QueueUrl=url, MessageBody="b0", MessageGroupId="b")
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)["Messages"]
    assert [m["Body"] for m in first] == ["a0", "a1"]
    # Group a is locked while a0 and a1 are in flight; group b is not.
    second = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in second] == ["b0"]
    assert "Messages" not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"])
    assert "Messages" not in sqs.receive_message(QueueUrl=url)  # a1 still in flight
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first[1]["ReceiptHandle"])
    rest = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])
    assert [m["Body"] for m in rest["Messages"]] == ["a2", "a3"]
    attributes = rest["Messages"][0]["Attributes"]
    assert attributes["MessageGroupId"] == "a"
    assert attributes["MessageDeduplicationId"]
    numbers = [int(m["Attributes"]["SequenceNumber"]) for m in rest["Messages"]]
    assert numbers == sorted(numbers)
    assert len(str(numbers[0])) == 20


def test_visibility_return_keeps_the_order(sqs: SQSClient, make_queue: MakeQueue) -> None:
    url = make_queue(fifo=True, ContentBasedDeduplication="true")
    for body in ("one", "two", "three"):
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g")
    first = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert first["Body"] == "one"
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=0
    )
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3)["Messages"]
    assert [m["Body"] for m in again] == ["one", "two", "three"]


def test_deduplication_by_id_and_by_content(sqs: SQSClient, make_queue: MakeQueue) -> None:
    explicit = make_queue(fifo=True)
    one = sqs.send_message(
        QueueUrl=explicit, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d1"
    )
    two = sqs.send_message(
        QueueUrl=explicit, MessageBody="y", MessageGroupId="g", MessageDeduplicationId="d1"
    )
    assert two["MessageId"] == one["MessageId"]
    assert two["SequenceNumber"] == one["SequenceNumber"]
    with pytest.raises(ClientError) as caught:
        sqs.send_message(QueueUrl=explicit, MessageBody="z", MessageGroupId="g")
    assert error_code(caught.value) == "InvalidParameterValue"
    with pytest.raises(ClientError) as caught:
        sqs.send_message(QueueUrl=explicit, MessageBody="z", MessageDeduplicationId="q")
    assert error_code(caught.value) == "MissingParameter"
    with pytest.raises(ClientError) as caught:
        sqs.send_message(
            QueueUrl=explicit,
            MessageBody="z",
            MessageGroupId="g",
            MessageDeduplicationId="e",
            DelaySeconds=5,
        )
    assert error_code(caught.value) == "InvalidParameterValue"
    content = make_queue(fifo=True, ContentBasedDeduplication="true")
    first = sqs.send_message(QueueUrl=content, MessageBody="same", MessageGroupId="g1")
    second = sqs.send_message(QueueUrl=content, MessageBody="same", MessageGroupId="g2")
    assert first["MessageId"] == second["MessageId"]
    got = sqs.receive_message(
        QueueUrl=content, MaxNumberOfMessages=10, AttributeNames=["MessageDeduplicationId"]
    )["Messages"]
    assert len(got) == 1
    import hashlib

    assert got[0]["Attributes"]["MessageDeduplicationId"] == hashlib.sha256(b"same").hexdigest()


def test_deduplication_scope_message_group(sqs: SQSClient, make_queue: MakeQueue) -> None:
    url = make_queue(
        fifo=True,
        DeduplicationScope="messageGroup",
        FifoThroughputLimit="perMessageGroupId",
    )
    a = sqs.send_message(
        QueueUrl=url, MessageBody="x", MessageGroupId="a", MessageDeduplicationId="d"
    )
    b = sqs.send_message(
        QueueUrl=url, MessageBody="x", MessageGroupId="b", MessageDeduplicationId="d"
    )
    assert a["MessageId"] != b["MessageId"]


def test_fifo_batch(sqs: SQSClient, make_queue: MakeQueue) -> None:
    url = make_queue(fifo=True, ContentBasedDeduplication="true")
    entries: list[Any] = [
        {"Id": str(i), "MessageBody": f"m{i}", "MessageGroupId": "g"} for i in range(5)
    ]
    entries.append({"Id": "late", "MessageBody": "x", "MessageGroupId": "g", "DelaySeconds": 5})
    result = sqs.send_message_batch(QueueUrl=url, Entries=entries)
    assert [e["Id"] for e in result["Successful"]] == ["0", "1", "2", "3", "4"]
    assert [(e["Id"], e["Code"]) for e in result["Failed"]] == [("late", "InvalidParameterValue")]
    numbers = [int(e["SequenceNumber"]) for e in result["Successful"]]
    assert numbers == sorted(numbers)
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == [f"m{i}" for i in range(5)]


def test_redrive_after_max_receive_count(sqs: SQSClient, make_queue: MakeQueue) -> None:
    dlq = make_queue()
    policy = json.dumps({"deadLetterTargetArn": _arn(sqs, dlq), "maxReceiveCount": 2})
    source = make_queue(RedrivePolicy=policy)
    sent = sqs.send_message(
        QueueUrl=source,
        MessageBody="poison",
        MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}},
    )
    for attempt in (1, 2):
        got = sqs.receive_message(
            QueueUrl=source, VisibilityTimeout=0, AttributeNames=["ApproximateReceiveCount"]
        )["Messages"]
        assert got[0]["Attributes"]["ApproximateReceiveCount"] == str(attempt)
    # The third receive exceeds maxReceiveCount: the message moves instead of being returned.
    assert "Messages" not in sqs.receive_message(QueueUrl=source, VisibilityTimeout=0)
    moved = sqs.receive_message(
        QueueUrl=dlq, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"]
    )["Messages"][0]
    assert moved["MessageId"] == sent["MessageId"]
    assert moved["Body"] == "poison"
    assert moved["MessageAttributes"]["k"]["StringValue"] == "v"
    assert moved["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert moved["Attributes"]["DeadLetterQueueSourceArn"] == _arn(sqs, source)
    counts = sqs.get_queue_attributes(QueueUrl=source, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessages"] == "0"
    assert counts["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_fifo_redrive_keeps_the_group_going(sqs: SQSClient, make_queue: MakeQueue) -> None:
    dlq = make_queue(fifo=True)
    policy = json.dumps({"deadLetterTargetArn": _arn(sqs, dlq), "maxReceiveCount": 1})
    url = make_queue(fifo=True, ContentBasedDeduplication="true", RedrivePolicy=policy)
    sqs.send_message(QueueUrl=url, MessageBody="first", MessageGroupId="g")
    sqs.send_message(QueueUrl=url, MessageBody="second", MessageGroupId="g")
    got = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"]
    assert [m["Body"] for m in got] == ["first"]
    after = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"]
    assert [m["Body"] for m in after] == ["second"]
    moved = sqs.receive_message(QueueUrl=dlq, AttributeNames=["MessageGroupId"])["Messages"]
    assert [m["Body"] for m in moved] == ["first"]
    assert moved[0]["Attributes"]["MessageGroupId"] == "g"


def test_redrive_type_mismatch(sqs: SQSClient, make_queue: MakeQueue) -> None:
    standard = make_queue()
    policy = json.dumps({"deadLetterTargetArn": _arn(sqs, standard), "maxReceiveCount": 1})
    with pytest.raises(ClientError) as caught:
        make_queue(fifo=True, RedrivePolicy=policy)
    assert error_code(caught.value) == "InvalidAttributeValue"
