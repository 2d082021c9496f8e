"""Queue-level validation as AWS answers it, through both protocols: FifoQueue on standard
queues, NonExistentQueue on every operation, parameters checked before the queue is looked
up, AddPermission labels, actions and principals, and tag operations."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from tests.helpers import ACCOUNT
from tests.services.sqs.conftest import MakeQueue, error_of

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

    from lambdaport.testing.server import Server


def _name() -> str:
    return f"q-{uuid.uuid4().hex[:10]}"


def _refused(call: Callable[..., Any], **kwargs: Any) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return error_of(caught.value)


@pytest.mark.parametrize("suffix", ["", ".fifo"])
def test_fifo_queue_false_is_an_unknown_attribute(either: SQSClient, suffix: str) -> None:
    name = _name() + suffix
    assert _refused(either.create_queue, QueueName=name, Attributes={"FifoQueue": "false"}) == (
        400,
        "InvalidAttributeName",
        "Unknown Attribute FifoQueue.",
    )
    with pytest.raises(ClientError):
        either.get_queue_url(QueueName=name)  # nothing was created


@pytest.mark.parametrize(
    ("attribute", "value", "message"),
    [
        ("ContentBasedDeduplication", "false", "Unknown Attribute ContentBasedDeduplication."),
        (
            "DeduplicationScope",
            "queue",
            "You can specify the DeduplicationScope only when FifoQueue is set to true.",
        ),
        (
            "FifoThroughputLimit",
            "perQueue",
            "You can specify the FifoThroughputLimit only when FifoQueue is set to true.",
        ),
    ],
)
def test_fifo_attributes_on_a_standard_queue(
    either: SQSClient, attribute: str, value: str, message: str
) -> None:
    assert _refused(either.create_queue, QueueName=_name(), Attributes={attribute: value}) == (
        400,
        "InvalidAttributeName",
        message,
    )


def test_fifo_queue_attribute_can_be_restated_but_not_changed(
    either: SQSClient, make_queue: MakeQueue
) -> None:
    fifo, standard = make_queue(fifo=True), make_queue()
    either.set_queue_attributes(QueueUrl=fifo, Attributes={"FifoQueue": "true"})
    assert _refused(
        either.set_queue_attributes, QueueUrl=fifo, Attributes={"FifoQueue": "false"}
    ) == (
        400,
        "InvalidAttributeValue",
        "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.",
    )
    assert _refused(
        either.set_queue_attributes, QueueUrl=standard, Attributes={"FifoQueue": "true"}
    ) == (400, "InvalidAttributeName", "Unknown Attribute FifoQueue.")


def _every_operation(url: str) -> list[tuple[str, dict[str, Any]]]:
    entry = {"Id": "a", "ReceiptHandle": "handle"}
    return [
        ("get_queue_attributes", {"QueueUrl": url, "AttributeNames": ["All"]}),
        ("set_queue_attributes", {"QueueUrl": url, "Attributes": {"DelaySeconds": "1"}}),
        ("purge_queue", {"QueueUrl": url}),
        ("tag_queue", {"QueueUrl": url, "Tags": {"k": "v"}}),
        ("untag_queue", {"QueueUrl": url, "TagKeys": ["k"]}),
        ("list_queue_tags", {"QueueUrl": url}),
        ("list_dead_letter_source_queues", {"QueueUrl": url}),
        (
            "add_permission",
            {
                "QueueUrl": url,
                "Label": "l",
                "AWSAccountIds": ["111122223333"],
                "Actions": ["SendMessage"],
            },
        ),
        ("remove_permission", {"QueueUrl": url, "Label": "l"}),
        ("send_message", {"QueueUrl": url, "MessageBody": "b"}),
        ("send_message_batch", {"QueueUrl": url, "Entries": [{"Id": "a", "MessageBody": "b"}]}),
        ("receive_message", {"QueueUrl": url}),
        ("delete_message", {"QueueUrl": url, "ReceiptHandle": "handle"}),
        ("delete_message_batch", {"QueueUrl": url, "Entries": [entry]}),
        (
            "change_message_visibility",
            {"QueueUrl": url, "ReceiptHandle": "handle", "VisibilityTimeout": 5},
        ),
        ("change_message_visibility_batch", {"QueueUrl": url, "Entries": [entry]}),
        ("delete_queue", {"QueueUrl": url}),
    ]


def test_unknown_queue_on_every_operation(
    sqs: SQSClient, sqs_query: SQSClient, server: Server
) -> None:
    """As AWS: 400 ``AWS.SimpleQueueService.NonExistentQueue`` (``QueueDoesNotExist`` in the
    json protocol's ``__type``), worded differently by the query protocol."""
    url = f"{server.endpoint}/{ACCOUNT}/{_name()}"
    wording = [
        (sqs, "The specified queue does not exist."),
        (sqs_query, "The specified queue does not exist for this wsdl version."),
    ]
    for operation, kwargs in _every_operation(url):
        for client, message in wording:
            with pytest.raises(client.exceptions.QueueDoesNotExist) as caught:
                getattr(client, operation)(**kwargs)
            expected = (400, "AWS.SimpleQueueService.NonExistentQueue", message)
            assert error_of(caught.value) == expected, operation
        assert caught.value.response["Error"].get("QueryErrorCode") is None  # query
    with pytest.raises(ClientError) as json_caught:
        sqs.get_queue_url(QueueName=_name())
    assert json_caught.value.response["Error"].get("QueryErrorCode") == "QueueDoesNotExist"
    assert _refused(sqs_query.get_queue_url, QueueName=_name())[2].endswith("wsdl version.")


def test_parameters_are_checked_before_the_queue_is_looked_up(
    either: SQSClient, server: Server
) -> None:
    url = f"{server.endpoint}/{ACCOUNT}/{_name()}"
    checks: list[tuple[str, dict[str, Any], str]] = [
        ("receive_message", {"MaxNumberOfMessages": 11}, "InvalidParameterValue"),
        ("receive_message", {"WaitTimeSeconds": 21}, "InvalidParameterValue"),
        ("receive_message", {"AttributeNames": ["Nope"]}, "InvalidAttributeName"),
        ("get_queue_attributes", {"AttributeNames": ["Nope"]}, "InvalidAttributeName"),
        ("set_queue_attributes", {"Attributes": {"Nope": "1"}}, "InvalidAttributeName"),
        ("send_message", {"MessageBody": ""}, "MissingParameter"),
        ("send_message", {"MessageBody": "b", "MessageGroupId": ""}, "InvalidParameterValue"),
        ("send_message", {"MessageBody": "b", "DelaySeconds": 901}, "InvalidParameterValue"),
        ("change_message_visibility", {"ReceiptHandle": "h", "VisibilityTimeout": 43201}, ""),
        ("send_message_batch", {"Entries": []}, "AWS.SimpleQueueService.EmptyBatchRequest"),
        ("tag_queue", {"Tags": {}}, "MissingParameter"),
        ("untag_queue", {"TagKeys": []}, "InvalidParameterValue"),
        (
            "add_permission",
            {"Label": "a b", "AWSAccountIds": ["111122223333"], "Actions": ["SendMessage"]},
            "InvalidParameterValue",
        ),
    ]
    for operation, kwargs, code in checks:
        status, got, _ = _refused(getattr(either, operation), QueueUrl=url, **kwargs)
        assert (status, got) == (400, code or "InvalidParameterValue"), operation


@pytest.mark.parametrize("label", ["", "a" * 81, "has space", "dot.ted", "colon:"])
def test_add_permission_refuses_bad_labels(
    either: SQSClient, make_queue: MakeQueue, label: str
) -> None:
    status, code, message = _refused(
        either.add_permission,
        QueueUrl=make_queue(),
        Label=label,
        AWSAccountIds=["111122223333"],
        Actions=["SendMessage"],
    )
    assert (status, code) == (400, "MissingParameter" if not label else "InvalidParameterValue")
    if label:
        assert message.startswith(f"Value {label} for parameter Label is invalid. Reason:")


def test_add_permission_lifecycle_as_aws_writes_it(
    either: SQSClient, make_queue: MakeQueue
) -> None:
    url = make_queue()
    label = "L-" + "x" * 78  # 80 characters: the longest label
    either.add_permission(
        QueueUrl=url, Label=label, AWSAccountIds=["111122223333"], Actions=["ReceiveMessage"]
    )
    arn = either.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    policy = json.loads(
        either.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]
    )
    assert policy == {
        "Version": "2008-10-17",
        "Id": f"{arn}/SQSDefaultPolicy",
        "Statement": [
            {
                "Sid": label,
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                "Action": "SQS:ReceiveMessage",
                "Resource": arn,
            }
        ],
    }
    assert _refused(
        either.add_permission,
        QueueUrl=url,
        Label=label,
        AWSAccountIds=["444455556666"],
        Actions=["SendMessage"],
    ) == (
        400,
        "InvalidParameterValue",
        f"Value {label} for parameter Label is invalid. Reason: Already exists.",
    )
    either.remove_permission(QueueUrl=url, Label=label)
    assert _refused(either.remove_permission, QueueUrl=url, Label=label) == (
        400,
        "InvalidParameterValue",
        f"Value {label} for parameter Label is invalid. Reason: can't find label.",
    )


def test_add_permission_refuses_bad_grants(either: SQSClient, make_queue: MakeQueue) -> None:
    url = make_queue()

    def add(accounts: list[str], actions: list[str]) -> tuple[int, str, str]:
        return _refused(
            either.add_permission, QueueUrl=url, Label="l", AWSAccountIds=accounts, Actions=actions
        )

    assert add(["111122223333"], ["SendMessage"] * 8) == (
        400,
        "OverLimit",
        "8 Actions were found, maximum allowed is 7.",
    )
    assert add(["111122223333"], ["DeleteQueue"]) == (
        400,
        "InvalidParameterValue",
        "Value SQS:DeleteQueue for parameter ActionName is invalid. Reason: Only the queue "
        "owner is allowed to invoke this action.",
    )
    assert add(["not-an-account"], ["SendMessage"]) == (
        400,
        "InvalidParameterValue",
        "Value [not-an-account] for parameter PrincipalId is invalid. Reason: Unable to verify.",
    )
    assert add(["111122223333"], []) == (
        400,
        "MissingParameter",
        "The request must contain the parameter Actions.",
    )
    assert "Attributes" not in either.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])


def test_tag_operations_are_validated(either: SQSClient, make_queue: MakeQueue) -> None:
    url = make_queue()
    either.tag_queue(QueueUrl=url, Tags={"k" * 128: "v" * 256, "empty-value": ""})
    before = either.list_queue_tags(QueueUrl=url)["Tags"]
    keys = "Tag keys must be between 1 and 128 characters in length."
    refusals: list[tuple[str, dict[str, Any], tuple[int, str, str]]] = [
        (
            "tag_queue",
            {"Tags": {}},
            (400, "MissingParameter", "The request must contain the parameter Tags."),
        ),
        ("tag_queue", {"Tags": {"": "v"}}, (400, "InvalidParameterValue", keys)),
        ("tag_queue", {"Tags": {"k" * 129: "v"}}, (400, "InvalidParameterValue", keys)),
        ("untag_queue", {"TagKeys": []}, (400, "InvalidParameterValue", keys)),
        ("untag_queue", {"TagKeys": ["k" * 129]}, (400, "InvalidParameterValue", keys)),
    ]
    for operation, kwargs, expected in refusals:
        assert _refused(getattr(either, operation), QueueUrl=url, **kwargs) == expected, kwargs
    status, code, _ = _refused(either.tag_queue, QueueUrl=url, Tags={"k": "v" * 257})
    assert (status, code) == (400, "InvalidParameterValue")
    name = url.rsplit("/", 1)[1]
    many = {f"t{i}": "v" for i in range(49)}  # 2 + 49 > 50
    assert _refused(either.tag_queue, QueueUrl=url, Tags=many) == (
        400,
        "InvalidParameterValue",
        f"Too many tags added for queue {name}.",
    )
    assert either.list_queue_tags(QueueUrl=url)["Tags"] == before  # nothing half-applied
    status, code, _ = _refused(
        either.create_queue, QueueName=_name(), tags={f"t{i}": "v" for i in range(51)}
    )
    assert (status, code) == (400, "InvalidParameterValue")
