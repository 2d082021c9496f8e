"""Queue operations through boto3 (json protocol): create, URLs, list, attributes, tags,
dead-letter sources, permissions, purge, delete, and the errors AWS answers with."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from tests.helpers import ACCOUNT, REGION
from tests.services.sqs.conftest import MakeQueue, error_code

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

    from lambdaport.testing.server import Server


def test_create_get_url_and_delete(sqs: SQSClient, server: Server) -> None:
    name = f"q-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    assert url == f"{server.endpoint}/{ACCOUNT}/{name}"
    assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == url
    assert sqs.create_queue(QueueName=name)["QueueUrl"] == url  # idempotent
    sqs.delete_queue(QueueUrl=url)
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as caught:
        sqs.get_queue_url(QueueName=name)
    error: Any = caught.value.response
    assert error["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert error["Error"]["QueryErrorCode"] == "QueueDoesNotExist"
    assert error["ResponseMetadata"]["HTTPHeaders"]["x-amzn-query-error"] == (
        "AWS.SimpleQueueService.NonExistentQueue;Sender"
    )


def test_queue_url_host_is_the_requests(server: Server) -> None:
    from tests.services.sqs.conftest import sqs_client_for

    client = sqs_client_for(server.endpoint.replace("127.0.0.1", "localhost"))
    name = f"q-{uuid.uuid4().hex[:8]}"
    url = client.create_queue(QueueName=name)["QueueUrl"]
    assert url.startswith("http://localhost:")
    other = f"http://sqs.{REGION}.localhost:4566/{ACCOUNT}/{name}"
    assert (
        client.get_queue_attributes(QueueUrl=other, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        == f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
    )
    client.delete_queue(QueueUrl=url)


def test_queue_already_exists_with_other_attributes(sqs: SQSClient, make_queue: MakeQueue) -> None:
    url = make_queue(VisibilityTimeout="40")
    name = url.rsplit("/", 1)[1]
    assert (
        sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "40"})["QueueUrl"] == url
    )
    with pytest.raises(sqs.exceptions.QueueNameExists) as caught:
        sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "41"})
    assert error_code(caught.value) == "QueueAlreadyExists"


@pytest.mark.parametrize(
    ("name", "attributes"),
    [
        ("bad name", {}),
        ("x" * 81, {}),
        ("plain.fifo", {}),
        ("no-suffix", {"FifoQueue": "true"}),
    ],
)
def test_invalid_queue_names(sqs: SQSClient, name: str, attributes: dict[str, str]) -> None:
    with pytest.raises(ClientError) as caught:
        sqs.create_queue(QueueName=name, Attributes=attributes)  # type: ignore[arg-type]
    assert error_code(caught.value) == "InvalidParameterValue"


def test_default_attributes(sqs: SQSClient, make_queue: MakeQueue) -> None:
    url = make_queue()
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["QueueArn"].endswith(":" + url.rsplit("/", 1)[1])
    expected = {
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
        "ApproximateNumberOfMessagesDelayed": "0",
        "VisibilityTimeout": "30",
        "MaximumMessageSize": "1048576",
        "MessageRetentionPeriod": "345600",
        "DelaySeconds": "0",
        "ReceiveMessageWaitTimeSeconds": "0",
        "SqsManagedSseEnabled": "true",
    }
    assert {k: v for k, v in attributes.items() if k in expected} == expected
    assert int(attributes["CreatedTimestamp"]) == int(attributes["LastModifiedTimestamp"])
    assert "FifoQueue" not in attributes
    fifo = sqs.get_queue_attributes(QueueUrl=make_queue(fifo=True), AttributeNames=["All"])
    assert fifo["Attributes"]["FifoQueue"] == "true"
    assert fifo["Attributes"]["ContentBasedDeduplication"] == "false"
    assert fifo["Attributes"]["DeduplicationScope"] == "queue"
    assert fifo["Attributes"]["FifoThroughputLimit"] == "perQueue"


def test_set_and_get_selected_attributes(sqs: SQSClient, make_queue: MakeQueue) -> None:
    url = make_queue()
    policy = json.dumps({"Version": "2012-10-17", "Statement": []})
    sqs.set_queue_attributes(
        QueueUrl=url,
        Attributes={"VisibilityTimeout": "5", "DelaySeconds": "2", "Policy": policy},
    )
    got = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["VisibilityTimeout", "DelaySeconds", "Policy"]
    )["Attributes"]
    assert got == {"VisibilityTimeout": "5", "DelaySeconds": "2", "Policy": policy}


@pytest.mark.parametrize(
    ("attributes", "code"),
    [
        ({"VisibilityTimeout": "43201"}, "InvalidAttributeValue"),
        ({"DelaySeconds": "-1"}, "InvalidAttributeValue"),
        ({"MaximumMessageSize": "1048577"}, "InvalidAttributeValue"),
        ({"MessageRetentionPeriod": "59"}, "InvalidAttributeValue"),
        ({"ReceiveMessageWaitTimeSeconds": "21"}, "InvalidAttributeValue"),
        ({"Colour": "blue"}, "InvalidAttributeName"),
        ({"ContentBasedDeduplication": "true"}, "InvalidAttributeName"),
        ({"FifoQueue": "true"}, "InvalidAttributeName"),
        ({"Policy": "not json"}, "InvalidAttributeValue"),
    ],
)
def test_invalid_attributes(
    sqs: SQSClient, make_queue: MakeQueue, attributes: dict[str, str], code: str
) -> None:
    url = make_queue()
    with pytest.raises(ClientError) as caught:
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)  # type: ignore[arg-type]
    assert error_code(caught.value) == code


def test_get_unknown_attribute_name(sqs: SQSClient, make_queue: MakeQueue) -> None:
    with pytest.raises(ClientError) as caught:
        sqs.get_queue_attributes(QueueUrl=make_queue(), AttributeNames=["Nope"])  # type: ignore[list-item]
    assert error_code(caught.value) in ("InvalidAttributeName", "ValidationException")


def test_list_queues_prefix_and_pages(sqs: SQSClient) -> None:
    prefix = f"list-{uuid.uuid4().hex[:6]}-"
    urls = [sqs.create_queue(QueueName=f"{prefix}{i}")["QueueUrl"] for i in range(5)]
    try:
        assert sqs.list_queues(QueueNamePrefix=prefix)["QueueUrls"] == sorted(urls)
        seen: list[str] = []
        page = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=2)
        seen += page["QueueUrls"]
        while "NextToken" in page:
            page = sqs.list_queues(
                QueueNamePrefix=prefix, MaxResults=2, NextToken=page["NextToken"]
            )
            seen += page["QueueUrls"]
        assert seen == sorted(urls)
        assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix=prefix + "zzz")
    finally:
        for url in urls:
            sqs.delete_queue(QueueUrl=url)


def test_tags(sqs: SQSClient) -> None:
    name = f"q-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name, tags={"team": "a", "env": "dev"})["QueueUrl"]
    try:
        assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "a", "env": "dev"}
        sqs.tag_queue(QueueUrl=url, Tags={"env": "prod", "cost": "1"})
        sqs.untag_queue(QueueUrl=url, TagKeys=["team"])
        assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "prod", "cost": "1"}
        sqs.untag_queue(QueueUrl=url, TagKeys=["env", "cost"])
        assert "Tags" not in sqs.list_queue_tags(QueueUrl=url)
    finally:
        sqs.delete_queue(QueueUrl=url)


def test_redrive_policy_and_dead_letter_sources(sqs: SQSClient, make_queue: MakeQueue) -> None:
    dlq = make_queue()
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"})
    source = make_queue(RedrivePolicy=policy)
    got = sqs.get_queue_attributes(QueueUrl=source, AttributeNames=["RedrivePolicy"])
    assert json.loads(got["Attributes"]["RedrivePolicy"]) == {
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": 3,
    }
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [source]
    missing = json.dumps(
        {"deadLetterTargetArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:nope", "maxReceiveCount": 1}
    )
    with pytest.raises(ClientError) as caught:
        sqs.set_queue_attributes(QueueUrl=source, Attributes={"RedrivePolicy": missing})
    assert error_code(caught.value) == "InvalidAttributeValue"
    deny = json.dumps({"redrivePermission": "denyAll"})
    sqs.set_queue_attributes(QueueUrl=dlq, Attributes={"RedriveAllowPolicy": deny})
    with pytest.raises(ClientError):
        make_queue(RedrivePolicy=policy)
    sqs.set_queue_attributes(QueueUrl=source, Attributes={"RedrivePolicy": ""})
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == []


def test_permissions(sqs: SQSClient, make_queue: MakeQueue) -> None:
    url = make_queue()
    sqs.add_permission(
        QueueUrl=url, Label="send", AWSAccountIds=["111122223333"], Actions=["SendMessage"]
    )
    policy = json.loads(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]
    )
    assert policy["Statement"][0]["Sid"] == "send"
    assert policy["Statement"][0]["Action"] == "SQS:SendMessage"  # one action: a string
    sqs.remove_permission(QueueUrl=url, Label="send")
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])


def test_purge(sqs: SQSClient, make_queue: MakeQueue) -> None:
    url = make_queue()
    for index in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{index}")
    received = sqs.receive_message(QueueUrl=url)["Messages"][0]
    sqs.purge_queue(QueueUrl=url)
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    assert attributes == {
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
    }
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=received["ReceiptHandle"])  # gone: fine
    with pytest.raises(sqs.exceptions.PurgeQueueInProgress) as caught:
        sqs.purge_queue(QueueUrl=url)
    assert error_code(caught.value) == "AWS.SimpleQueueService.PurgeQueueInProgress"
    sqs.send_message(QueueUrl=url, MessageBody="after")
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "after"


def test_operations_on_a_missing_queue(sqs: SQSClient, server: Server) -> None:
    url = f"{server.endpoint}/{ACCOUNT}/missing-{uuid.uuid4().hex[:6]}"
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.send_message(QueueUrl=url, MessageBody="x")
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.receive_message(QueueUrl=url)
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.delete_queue(QueueUrl=url)
