"""Behaviour across the server: a long poll woken by a send, messages and queues surviving
a restart (in-flight ones visible again after their timeout), and the AWS CLI."""

from __future__ import annotations

import sys
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lambdaport.testing.server import Server, ServerProcess
from tests.helpers import aws_json, receive_messages
from tests.services.sqs.conftest import MakeQueue, sqs_client_for

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import ReceiveMessageResultTypeDef

AWS_CLI = Path(sys.executable).parent / "aws"


def test_long_poll_returns_when_a_message_is_sent(
    sqs: SQSClient, make_queue: MakeQueue, server: Server
) -> None:
    url = make_queue()
    waiting = sqs_client_for(server.endpoint)  # its own connection
    result: dict[str, Any] = {}
    started = threading.Event()

    def receive() -> None:
        started.set()
        began = time.monotonic()
        response: ReceiveMessageResultTypeDef = waiting.receive_message(
            QueueUrl=url, WaitTimeSeconds=20
        )
        result["response"] = response
        result["returned_at"] = time.monotonic()
        result["took"] = time.monotonic() - began

    thread = threading.Thread(target=receive)
    thread.start()
    assert started.wait(10)
    for _ in range(3):  # a few round trips: the receive is parked on the server by now
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    assert thread.is_alive()
    sent_at = time.monotonic()
    sqs.send_message(QueueUrl=url, MessageBody="wake")
    thread.join(25)
    assert not thread.is_alive()
    assert [m["Body"] for m in result["response"]["Messages"]] == ["wake"]
    assert result["took"] < 15  # well before the 20 s wait
    assert result["returned_at"] - sent_at < 5


def test_queues_and_messages_survive_a_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with ServerProcess(data_dir) as first:
        sqs = sqs_client_for(first.endpoint)
        url = sqs.create_queue(
            QueueName="durable", Attributes={"VisibilityTimeout": "2"}, tags={"k": "v"}
        )["QueueUrl"]
        fifo = sqs.create_queue(QueueName="durable.fifo", Attributes={"FifoQueue": "true"})[
            "QueueUrl"
        ]
        for index in range(3):
            sqs.send_message(QueueUrl=url, MessageBody=f"m{index}")
            sqs.send_message(
                QueueUrl=fifo,
                MessageBody=f"f{index}",
                MessageGroupId="g",
                MessageDeduplicationId=f"d{index}",
            )
        in_flight = sqs.receive_message(QueueUrl=url)["Messages"][0]
    with ServerProcess(data_dir) as second:
        sqs = sqs_client_for(second.endpoint)
        url = sqs.get_queue_url(QueueName="durable")["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attributes["VisibilityTimeout"] == "2"
        assert (
            int(attributes["ApproximateNumberOfMessages"])
            + int(attributes["ApproximateNumberOfMessagesNotVisible"])
            == 3
        )
        assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"k": "v"}
        received = receive_messages(sqs, url, 3, delete=True, timeout=20)
        bodies = [message["Body"] for message in received]
        assert sorted(bodies) == ["m0", "m1", "m2"]
        assert in_flight["Body"] in bodies
        fifo = sqs.get_queue_url(QueueName="durable.fifo")["QueueUrl"]
        again = sqs.send_message(
            QueueUrl=fifo, MessageBody="dup", MessageGroupId="g", MessageDeduplicationId="d0"
        )
        ordered = sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10)["Messages"]
        assert [m["Body"] for m in ordered] == ["f0", "f1", "f2"]
        assert again["MessageId"] == ordered[0]["MessageId"]


def test_aws_cli(server: Server) -> None:
    name = f"cli-{uuid.uuid4().hex[:8]}"
    url = aws_json(server.endpoint, "sqs", "create-queue", "--queue-name", name)["QueueUrl"]
    assert url.endswith(f"/{name}")
    try:
        sent = aws_json(
            server.endpoint,
            "sqs",
            "send-message",
            "--queue-url",
            url,
            "--message-body",
            "from the cli",
            "--message-attributes",
            '{"k": {"DataType": "String", "StringValue": "v"}}',
        )
        assert len(sent["MD5OfMessageBody"]) == 32
        got = aws_json(
            server.endpoint,
            "sqs",
            "receive-message",
            "--queue-url",
            url,
            "--message-attribute-names",
            "All",
            "--attribute-names",
            "All",
        )["Messages"][0]
        assert got["Body"] == "from the cli"
        assert got["MessageAttributes"]["k"]["StringValue"] == "v"
        aws_json(
            server.endpoint,
            "sqs",
            "delete-message",
            "--queue-url",
            url,
            "--receipt-handle",
            got["ReceiptHandle"],
        )
        attributes = aws_json(
            server.endpoint,
            "sqs",
            "get-queue-attributes",
            "--queue-url",
            url,
            "--attribute-names",
            "All",
        )["Attributes"]
        assert attributes["ApproximateNumberOfMessages"] == "0"
        listed = aws_json(server.endpoint, "sqs", "list-queues", "--queue-name-prefix", name)
        assert listed["QueueUrls"] == [url]
    finally:
        aws_json(server.endpoint, "sqs", "delete-queue", "--queue-url", url)
