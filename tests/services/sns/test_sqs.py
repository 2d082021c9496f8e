"""SNS -> SQS: the JSON envelope (checked with powertools' SnsNotificationModel and the
signature), raw delivery with message attributes mapped, FIFO topic to FIFO queue, and the
subscription's RedrivePolicy to an SQS dead-letter queue."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.parser.models import SnsNotificationModel

from lambdaport.testing.server import Server
from tests.helpers import Recorder, receive_messages, wait_for
from tests.services.sns.conftest import Queue, verify_signature


def test_envelope_delivery(sns: Any, sqs: Any, topic: str, queue: Callable[..., Queue]) -> None:
    url, arn = queue()
    subscription = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)["SubscriptionArn"]
    published = sns.publish(
        TopicArn=topic,
        Message="to a queue",
        Subject="s",
        MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}},
    )
    (message,) = receive_messages(sqs, url)
    body = json.loads(message["Body"])
    assert body["Type"] == "Notification"
    assert body["MessageId"] == published["MessageId"]
    assert body["TopicArn"] == topic
    assert body["Message"] == "to a queue"
    assert body["MessageAttributes"] == {"k": {"Type": "String", "Value": "v"}}
    assert subscription in body["UnsubscribeURL"]
    assert "MessageAttributes" not in message  # the attributes travel inside the envelope
    verify_signature(body)
    SnsNotificationModel.model_validate(body)


def test_raw_delivery_maps_message_attributes(
    sns: Any, sqs: Any, topic: str, queue: Callable[..., Queue]
) -> None:
    url, arn = queue()
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    sns.publish(
        TopicArn=topic,
        Message='{"raw": 1}',
        MessageAttributes={
            "s": {"DataType": "String", "StringValue": "v"},
            "n": {"DataType": "Number", "StringValue": "12"},
            "b": {"DataType": "Binary", "BinaryValue": b"\x01\x02"},
        },
    )
    (message,) = receive_messages(sqs, url)
    assert message["Body"] == '{"raw": 1}'
    attributes = message["MessageAttributes"]
    assert attributes["s"] == {"StringValue": "v", "DataType": "String"}
    assert attributes["n"] == {"StringValue": "12", "DataType": "Number"}
    assert attributes["b"] == {"BinaryValue": b"\x01\x02", "DataType": "Binary"}


def test_fifo_topic_to_fifo_queue(sns: Any, sqs: Any, queue: Callable[..., Queue]) -> None:
    url, arn = queue(fifo=True)
    topic = sns.create_topic(
        Name=f"f-{uuid.uuid4().hex[:10]}.fifo",
        Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"},
    )["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sequence = [
        sns.publish(TopicArn=topic, Message=f"m{i}", MessageGroupId="g")["SequenceNumber"]
        for i in range(3)
    ]
    messages = receive_messages(sqs, url, 3)
    bodies = [json.loads(m["Body"]) for m in messages]
    assert [b["Message"] for b in bodies] == ["m0", "m1", "m2"]
    assert [b["SequenceNumber"] for b in bodies] == sequence
    assert {m["Attributes"]["MessageGroupId"] for m in messages} == {"g"}
    sns.delete_topic(TopicArn=topic)


def test_failed_delivery_is_redriven_to_the_dead_letter_queue(
    sns: Any, sqs: Any, topic: str, queue: Callable[..., Queue], recorder: Callable[..., Recorder]
) -> None:
    dlq_url, dlq_arn = queue()
    function = recorder(None)  # no permission for sns.amazonaws.com: a client-side error
    sns.subscribe(
        TopicArn=topic,
        Protocol="lambda",
        Endpoint=function.arn,
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})},
    )
    published = sns.publish(TopicArn=topic, Message="undeliverable")
    (message,) = receive_messages(sqs, dlq_url)
    body = json.loads(message["Body"])
    assert body["MessageId"] == published["MessageId"]
    assert body["Message"] == "undeliverable"
    assert function.events() == []


def test_missing_queue_is_a_client_error(sns: Any, topic: str, sns_server: Server) -> None:
    missing = f"arn:aws:sqs:us-east-1:000000000000:gone-{uuid.uuid4().hex[:8]}"
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=missing)
    sns.publish(TopicArn=topic, Message="lost")
    wait_for(lambda: f"giving up delivery to {missing}" in sns_server.log(), what="give-up log")


def test_topic_as_async_invocation_destination(
    sns: Any,
    sqs: Any,
    lam: Any,
    topic: str,
    queue: Callable[..., Queue],
    recorder: Callable[..., Recorder],
) -> None:
    url, arn = queue()
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
    )
    function = recorder(None)
    lam.put_function_event_invoke_config(
        FunctionName=function.name,
        DestinationConfig={"OnSuccess": {"Destination": topic}},
    )
    invoked = lam.invoke(FunctionName=function.name, InvocationType="Event", Payload=b'{"x": 1}')
    (message,) = receive_messages(sqs, url)
    record = json.loads(message["Body"])
    assert record["requestContext"]["requestId"] == invoked["ResponseMetadata"]["RequestId"]
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestPayload"] == {"x": 1}
    assert record["responsePayload"] == {"echo": {"x": 1}}  # what the recorder returned
