"""Behaviour across the server: a long poll woken by a send, messages and queues surviving
a restart (in-flight ones visible again after their timeout), and the AWS CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lambdaport.testing.server import ServerProcess
from tests.services.sqs.conftest import REGION, MakeQueue, sqs_client_for

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import ReceiveMessageResultTypeDef

AWS_CLI = Path(sys.executable).parent / "aws"


def test_long_poll_returns_when_a_message_is_sent(
    sqs: SQSClient, make_queue: MakeQueue, server: ServerProcess
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
        bodies: list[str] = []
        deadline = time.monotonic() + 20
        while len(bodies) < 3 and time.monotonic() < deadline:
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=5)
            for message in got.get("Messages", []):
                bodies.append(message["Body"])
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        assert sorted(bodies) == ["m0", "m1", "m2"]
        assert in_flight["Body"] in bodies
        fifo = sqs.get_queue_url(QueueName="durable.fifo")["QueueUrl"]
        again = sqs.send_message(
            QueueUrl=fifo, MessageBody="dup", MessageGroupId="g", MessageDeduplicationId="d0"
        )
        ordered = sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10)["Messages"]
        assert [m["Body"] for m in ordered] == ["f0", "f1", "f2"]
        assert again["MessageId"] == ordered[0]["MessageId"]


def _aws(endpoint: str, *args: str) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION=REGION,
        AWS_PAGER="",
    )
    done = subprocess.run(
        [str(AWS_CLI), "--endpoint-url", endpoint, "--output", "json", "sqs", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else None


def test_aws_cli(server: ServerProcess) -> None:
    name = f"cli-{uuid.uuid4().hex[:8]}"
    url = _aws(server.endpoint, "create-queue", "--queue-name", name)["QueueUrl"]
    assert url.endswith(f"/{name}")
    try:
        sent = _aws(
            server.endpoint,
            "send-message",
            "--queue-url",
            url,
            "--message-body",
            "from the cli",
            "--message-attributes",
            '{"k": {"DataType": "String", "StringValue": "v"}}',
        )
        assert len(sent["MD5OfMessageBody"]) == 32
        got = _aws(
            server.endpoint,
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
        _aws(
            server.endpoint,
            "delete-message",
            "--queue-url",
            url,
            "--receipt-handle",
            got["ReceiptHandle"],
        )
        attributes = _aws(
            server.endpoint, "get-queue-attributes", "--queue-url", url, "--attribute-names", "All"
        )["Attributes"]
        assert attributes["ApproximateNumberOfMessages"] == "0"
        listed = _aws(server.endpoint, "list-queues", "--queue-name-prefix", name)
        assert listed["QueueUrls"] == [url]
    finally:
        _aws(server.endpoint, "delete-queue", "--queue-url", url)
