"""The legacy query protocol on the same endpoint: a boto3 client whose SQS model speaks
query, and raw form POSTs (to the endpoint and to the queue URL) checked as XML."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

import pytest
from botocore.exceptions import ClientError

from tests.helpers import ACCOUNT
from tests.services.sqs.conftest import form_post

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

    from lambdaport.testing.server import Server

NS = {"sqs": "http://queue.amazonaws.com/doc/2012-11-05/"}


def test_query_client_round_trip(sqs_query: SQSClient, sqs: SQSClient) -> None:
    name = f"q-{uuid.uuid4().hex[:8]}"
    url = sqs_query.create_queue(
        QueueName=name, Attributes={"VisibilityTimeout": "7"}, tags={"team": "a"}
    )["QueueUrl"]
    try:
        assert sqs_query.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "a"}
        attributes = sqs_query.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
        assert attributes["Attributes"]["VisibilityTimeout"] == "7"
        sent = sqs_query.send_message(
            QueueUrl=url,
            MessageBody="via query",
            MessageAttributes={
                "s": {"DataType": "String", "StringValue": "v"},
                "b": {"DataType": "Binary", "BinaryValue": b"\x01\x02"},
            },
        )
        via_json = sqs.send_message(
            QueueUrl=url,
            MessageBody="via json",
            MessageAttributes={
                "s": {"DataType": "String", "StringValue": "v"},
                "b": {"DataType": "Binary", "BinaryValue": b"\x01\x02"},
            },
        )
        assert sent["MD5OfMessageAttributes"] == via_json["MD5OfMessageAttributes"]
        got = sqs_query.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            AttributeNames=["All"],
        )["Messages"]
        assert sorted(m["Body"] for m in got) == ["via json", "via query"]
        assert all(m["MessageAttributes"]["b"]["BinaryValue"] == b"\x01\x02" for m in got)
        assert all(m["Attributes"]["ApproximateReceiveCount"] == "1" for m in got)
        batch = sqs_query.delete_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": "a", "ReceiptHandle": got[0]["ReceiptHandle"]},
                {"Id": "b", "ReceiptHandle": "nope"},
            ],
        )
        assert [e["Id"] for e in batch["Successful"]] == ["a"]
        assert batch["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
        sqs_query.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "3"})
        assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["DelaySeconds"])[
            "Attributes"
        ] == {"DelaySeconds": "3"}
        assert url in sqs_query.list_queues(QueueNamePrefix=name)["QueueUrls"]
    finally:
        sqs_query.delete_queue(QueueUrl=url)


def test_query_client_errors(sqs_query: SQSClient, server: Server) -> None:
    with pytest.raises(ClientError) as caught:
        sqs_query.get_queue_url(QueueName=f"missing-{uuid.uuid4().hex[:6]}")
    error: Any = caught.value.response["Error"]
    assert error["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert error["Type"] == "Sender"
    name = f"q-{uuid.uuid4().hex[:8]}"
    url = sqs_query.create_queue(QueueName=name)["QueueUrl"]
    try:
        with pytest.raises(ClientError) as caught:
            sqs_query.send_message_batch(QueueUrl=url, Entries=[])
        assert caught.value.response["Error"]["Code"] == "AWS.SimpleQueueService.EmptyBatchRequest"
        with pytest.raises(ClientError) as caught:
            sqs_query.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "1"})
        assert caught.value.response["Error"]["Code"] == "QueueAlreadyExists"
    finally:
        sqs_query.delete_queue(QueueUrl=url)
    with pytest.raises(ClientError) as caught:
        sqs_query.receive_message(QueueUrl=f"{server.endpoint}/{ACCOUNT}/{name}")
    assert caught.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"


def test_raw_form_posts(sqs: SQSClient, server: Server) -> None:
    name = f"q-{uuid.uuid4().hex[:8]}"
    status, body = form_post(
        server.endpoint + "/",
        {
            "Action": "CreateQueue",
            "QueueName": name,
            "Attribute.1.Name": "VisibilityTimeout",
            "Attribute.1.Value": "9",
            "Version": "2012-11-05",
        },
    )
    assert status == 200, body
    root = ElementTree.fromstring(body)
    url = root.findtext("sqs:CreateQueueResult/sqs:QueueUrl", namespaces=NS)
    assert url == f"{server.endpoint}/{ACCOUNT}/{name}"
    assert root.findtext("sqs:ResponseMetadata/sqs:RequestId", namespaces=NS)
    try:
        # Posted to the queue URL itself, no QueueUrl parameter: the path names the queue.
        status, body = form_post(
            url,
            {
                "Action": "SendMessage",
                "MessageBody": "raw",
                "MessageAttribute.1.Name": "colour",
                "MessageAttribute.1.Value.DataType": "String",
                "MessageAttribute.1.Value.StringValue": "blue",
            },
        )
        assert status == 200, body
        sent = ElementTree.fromstring(body).find("sqs:SendMessageResult", NS)
        assert sent is not None
        md5 = sent.findtext("sqs:MD5OfMessageAttributes", namespaces=NS)
        status, body = form_post(
            url,
            {
                "Action": "ReceiveMessage",
                "AttributeName.1": "All",
                "MessageAttributeName.1": "All",
            },
        )
        assert status == 200, body
        message = ElementTree.fromstring(body).find("sqs:ReceiveMessageResult/sqs:Message", NS)
        assert message is not None
        assert message.findtext("sqs:Body", namespaces=NS) == "raw"
        assert message.findtext("sqs:MD5OfMessageAttributes", namespaces=NS) == md5
        names = [
            a.findtext("sqs:Name", namespaces=NS) for a in message.findall("sqs:Attribute", NS)
        ]
        assert "SentTimestamp" in names
        attribute = message.find("sqs:MessageAttribute", NS)
        assert attribute is not None
        assert attribute.findtext("sqs:Name", namespaces=NS) == "colour"
        assert attribute.findtext("sqs:Value/sqs:StringValue", namespaces=NS) == "blue"
        status, body = form_post(
            url, {"Action": "GetQueueAttributes", "AttributeName.1": "VisibilityTimeout"}
        )
        entry = ElementTree.fromstring(body).find("sqs:GetQueueAttributesResult/sqs:Attribute", NS)
        assert entry is not None
        assert entry.findtext("sqs:Name", namespaces=NS) == "VisibilityTimeout"
        assert entry.findtext("sqs:Value", namespaces=NS) == "9"
    finally:
        sqs.delete_queue(QueueUrl=url)


def test_raw_form_post_errors(server: Server) -> None:
    status, body = form_post(
        server.endpoint + "/", {"Action": "GetQueueUrl", "QueueName": "no-such-queue-x"}
    )
    assert status == 400
    root = ElementTree.fromstring(body)
    assert root.findtext("sqs:Error/sqs:Code", namespaces=NS) == (
        "AWS.SimpleQueueService.NonExistentQueue"
    )
    assert root.findtext("sqs:Error/sqs:Type", namespaces=NS) == "Sender"
    assert root.findtext("sqs:RequestId", namespaces=NS)
    status, body = form_post(server.endpoint + "/", {"Action": "Teleport"})
    assert status == 400
    assert "InvalidAction" in body
