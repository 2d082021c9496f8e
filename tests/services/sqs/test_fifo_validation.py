"""What SQS refuses in a message, as AWS refuses it, through both protocols (json and
query): FIFO batches missing a group or deduplication id fail whole, group and
deduplication ids are checked, standard queues take a MessageGroupId (fair queues),
attribute names and values are checked, an expired FIFO receipt handle is refused."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from tests.services.sqs.conftest import MakeQueue, error_of

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

TOKEN_REASON = "can only include alphanumeric and punctuation characters. 1 to 128 in length."
NO_DEDUPLICATION = (
    "The queue should either have ContentBasedDeduplication enabled or "
    "MessageDeduplicationId provided explicitly"
)


def _count(sqs: SQSClient, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("MessageGroupId", "The request must contain the parameter MessageGroupId."),
        ("MessageDeduplicationId", NO_DEDUPLICATION),
    ],
)
def test_fifo_batch_entry_without_an_id_fails_the_whole_request(
    either: SQSClient, sqs: SQSClient, make_queue: MakeQueue, missing: str, message: str
) -> None:
    url = make_queue(fifo=True)
    good = {"Id": "good", "MessageBody": "b", "MessageGroupId": "g", "MessageDeduplicationId": "1"}
    bad = {**good, "Id": "bad", "MessageDeduplicationId": "2"}
    del bad[missing]
    with pytest.raises(ClientError) as caught:
        either.send_message_batch(QueueUrl=url, Entries=[good, bad])  # type: ignore[list-item]
    assert error_of(caught.value) == (400, "InvalidParameterValue", message)
    assert _count(sqs, url) == 0  # not even the good entry was sent


def test_fifo_batch_with_content_based_deduplication_needs_no_ids(
    either: SQSClient, make_queue: MakeQueue
) -> None:
    url = make_queue(fifo=True, ContentBasedDeduplication="true")
    result = either.send_message_batch(
        QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "b", "MessageGroupId": "g"}]
    )
    assert [entry["Id"] for entry in result["Successful"]] == ["a"]


def test_single_send_without_group_id_is_missing_parameter(
    either: SQSClient, make_queue: MakeQueue
) -> None:
    with pytest.raises(ClientError) as caught:
        either.send_message(
            QueueUrl=make_queue(fifo=True), MessageBody="b", MessageDeduplicationId="d"
        )
    assert error_of(caught.value) == (
        400,
        "MissingParameter",
        "The request must contain the parameter MessageGroupId.",
    )


@pytest.mark.parametrize("value", ["", "a" * 129, "group 123", "tab\tbed", "ünï"])
@pytest.mark.parametrize("name", ["MessageGroupId", "MessageDeduplicationId"])
def test_bad_group_and_deduplication_ids(
    either: SQSClient, make_queue: MakeQueue, name: str, value: str
) -> None:
    ids: dict[str, Any] = {"MessageGroupId": "g", "MessageDeduplicationId": "d", name: value}
    with pytest.raises(ClientError) as caught:
        either.send_message(QueueUrl=make_queue(fifo=True), MessageBody="b", **ids)
    assert error_of(caught.value) == (
        400,
        "InvalidParameterValue",
        f"Value {value} for parameter {name} is invalid. Reason: {name} {TOKEN_REASON}",
    )


def test_ids_of_every_punctuation_character_are_taken(
    either: SQSClient, make_queue: MakeQueue
) -> None:
    token = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~" + "a" * 96  # 128 characters
    sent = either.send_message(
        QueueUrl=make_queue(fifo=True),
        MessageBody="b",
        MessageGroupId=token,
        MessageDeduplicationId=token,
    )
    assert sent["SequenceNumber"]


def test_standard_queue_takes_a_message_group_id(either: SQSClient, make_queue: MakeQueue) -> None:
    """Fair queues (2025): AWS accepts MessageGroupId on a standard queue and returns it."""
    url = make_queue()
    sent = either.send_message(QueueUrl=url, MessageBody="b", MessageGroupId="tenant-1")
    assert "SequenceNumber" not in sent
    got = either.receive_message(QueueUrl=url, AttributeNames=["All"])["Messages"][0]
    assert got["Attributes"]["MessageGroupId"] == "tenant-1"
    with pytest.raises(ClientError) as caught:
        either.send_message(QueueUrl=url, MessageBody="b", MessageGroupId="a b")
    assert error_of(caught.value)[1] == "InvalidParameterValue"


def test_fifo_delete_with_an_expired_receipt_handle(
    either: SQSClient, make_queue: MakeQueue
) -> None:
    url = make_queue(fifo=True, ContentBasedDeduplication="true")
    either.send_message(QueueUrl=url, MessageBody="b", MessageGroupId="g")
    handle = either.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"][0][
        "ReceiptHandle"
    ]
    with pytest.raises(ClientError) as caught:
        either.delete_message(QueueUrl=url, ReceiptHandle=handle)
    assert error_of(caught.value) == (
        400,
        "InvalidParameterValue",
        f"Value {handle} for parameter ReceiptHandle is invalid. "
        "Reason: The receipt handle has expired.",
    )
    fresh = either.receive_message(QueueUrl=url, VisibilityTimeout=30)["Messages"][0]
    either.delete_message(QueueUrl=url, ReceiptHandle=fresh["ReceiptHandle"])  # in time: fine


def test_message_attribute_names_and_values(either: SQSClient, make_queue: MakeQueue) -> None:
    url = make_queue()
    unicode_name: dict[str, Any] = {"attr.1øßä": {"DataType": "String", "StringValue": "v"}}
    either.send_message(QueueUrl=url, MessageBody="b", MessageAttributes=unicode_name)
    refusals: list[tuple[dict[str, Any], str]] = [
        ({"bad§name": {"DataType": "String", "StringValue": "v"}}, "bad§name"),
        ({"a": {"DataType": "String", "StringValue": "x\u0008y"}}, "invalid characters"),
        (
            {"ErrorDetails": {"DataType": "String", "StringValue": ""}},
            "Message (user) attribute 'ErrorDetails' must contain a non-empty value of type "
            "'String'.",
        ),
    ]
    for attributes, text in refusals:
        with pytest.raises(ClientError) as caught:
            either.send_message(QueueUrl=url, MessageBody="b", MessageAttributes=attributes)
        status, code, message = error_of(caught.value)
        assert (status, code) == (400, "InvalidParameterValue")
        assert text in message


def test_empty_body_is_a_missing_parameter(either: SQSClient, make_queue: MakeQueue) -> None:
    with pytest.raises(ClientError) as caught:
        either.send_message(QueueUrl=make_queue(), MessageBody="")
    assert error_of(caught.value) == (
        400,
        "MissingParameter",
        "The request must contain the parameter MessageBody.",
    )


def test_too_long_batch_entry_fails_alone(either: SQSClient, make_queue: MakeQueue) -> None:
    url = make_queue(MaximumMessageSize="1024")
    result = either.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "fits", "MessageBody": "a" * 1024},
            {"Id": "big", "MessageBody": "a" * 1025},
        ],
    )
    assert [entry["Id"] for entry in result["Successful"]] == ["fits"]
    failed = result["Failed"][0]
    assert (failed["Id"], failed["Code"], failed["SenderFault"]) == (
        "big",
        "InvalidParameterValue",
        True,
    )
    assert failed["Message"] == (
        "One or more parameters cannot be validated. Reason: Message must be shorter than "
        "1024 bytes."
    )


def test_json_wire_names_of_parameter_errors(sqs: SQSClient, make_queue: MakeQueue) -> None:
    """On the json protocol AWS's ``__type`` is the exception name, which botocore shows as
    QueryErrorCode; the code is the query one (x-amzn-query-error)."""
    url = make_queue(fifo=True)
    with pytest.raises(ClientError) as caught:
        sqs.send_message(QueueUrl=url, MessageBody="b", MessageDeduplicationId="d")
    error = caught.value.response["Error"]
    assert (error["Code"], error.get("QueryErrorCode")) == (
        "MissingParameter",
        "MissingRequiredParameterException",
    )
    with pytest.raises(ClientError) as caught:
        sqs.send_message(QueueUrl=url, MessageBody="b", MessageGroupId="g")
    error = caught.value.response["Error"]
    assert (error["Code"], error.get("QueryErrorCode")) == (
        "InvalidParameterValue",
        "InvalidParameterValueException",
    )
