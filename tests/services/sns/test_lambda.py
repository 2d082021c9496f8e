"""SNS -> Lambda: the D.24 record field by field (and through powertools' SnsModel), one
record per invocation, the signature, filter policies on attributes and on the body, and no
invocation without the function's permission."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.parser.models import SnsModel

from lambdaport.testing.aws import wait_drained
from lambdaport.testing.server import Server
from tests.helpers import ACCOUNT, Recorder, wait_for
from tests.services.sns.conftest import subscribe, verify_signature

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_the_record_is_d24_field_by_field(
    sns: Any, topic: str, recorder: Callable[..., Recorder], sns_server: Server
) -> None:
    function = recorder(topic)
    subscription = subscribe(sns, topic, "lambda", function.arn)
    published = sns.publish(
        TopicArn=topic,
        Message="hello from sns",
        Subject="greeting",
        MessageAttributes={
            "color": {"DataType": "String", "StringValue": "blue"},
            "size": {"DataType": "Number", "StringValue": "42"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
            "list": {"DataType": "String.Array", "StringValue": '["a", 1]'},
        },
    )
    (event,) = function.wait_events(1)
    assert list(event) == ["Records"]
    (record,) = event["Records"]
    assert list(record) == ["EventSource", "EventVersion", "EventSubscriptionArn", "Sns"]
    assert record["EventSource"] == "aws:sns"
    assert record["EventVersion"] == "1.0"
    assert record["EventSubscriptionArn"] == subscription
    body = record["Sns"]
    assert list(body) == [
        "Type",
        "MessageId",
        "TopicArn",
        "Subject",
        "Message",
        "Timestamp",
        "SignatureVersion",
        "Signature",
        "SigningCertUrl",
        "UnsubscribeUrl",
        "MessageAttributes",
    ]
    assert body["Type"] == "Notification"
    assert body["MessageId"] == published["MessageId"]
    assert UUID.match(body["MessageId"])
    assert body["TopicArn"] == topic
    assert body["Subject"] == "greeting"
    assert body["Message"] == "hello from sns"
    assert TIMESTAMP.match(body["Timestamp"])
    assert body["SignatureVersion"] == "1"
    assert body["SigningCertUrl"].startswith(sns_server.endpoint + "/_lambdaport/sns/")
    assert body["SigningCertUrl"].endswith(".pem")
    assert body["UnsubscribeUrl"].startswith(sns_server.endpoint)
    assert "Action=Unsubscribe" in body["UnsubscribeUrl"]
    assert body["MessageAttributes"] == {
        "color": {"Type": "String", "Value": "blue"},
        "size": {"Type": "Number", "Value": "42"},
        "blob": {"Type": "Binary", "Value": "AAE="},
        "list": {"Type": "String.Array", "Value": '["a", 1]'},
    }
    verify_signature(body, cert_url_key="SigningCertUrl")
    parsed = SnsModel.model_validate(event)
    assert parsed.Records[0].Sns.Message == "hello from sns"


def test_subject_is_null_and_attributes_empty_when_absent(
    sns: Any, topic: str, recorder: Callable[..., Recorder]
) -> None:
    function = recorder(topic)
    subscribe(sns, topic, "lambda", function.arn)
    sns.publish(TopicArn=topic, Message="plain")
    (event,) = function.wait_events(1)
    body = event["Records"][0]["Sns"]
    assert body["Subject"] is None
    assert body["MessageAttributes"] == {}
    SnsModel.model_validate(event)


def test_one_record_per_invocation_and_message_structure(
    sns: Any, topic: str, recorder: Callable[..., Recorder], sns_server: Server
) -> None:
    function = recorder(topic)
    subscribe(sns, topic, "lambda", function.arn)
    sns.publish(
        TopicArn=topic,
        MessageStructure="json",
        Message=json.dumps({"default": "for everyone", "lambda": "for lambda"}),
    )
    sns.publish_batch(
        TopicArn=topic,
        PublishBatchRequestEntries=[{"Id": str(i), "Message": f"m{i}"} for i in range(3)],
    )
    function.wait_events(4)
    wait_drained(sns_server.endpoint)  # every delivery done: these are all there will be
    events = function.events()
    assert len(events) == 4
    assert all(len(e["Records"]) == 1 for e in events)
    messages = sorted(e["Records"][0]["Sns"]["Message"] for e in events)
    assert messages == ["for lambda", "m0", "m1", "m2"]


def test_signature_version_2(sns: Any, topic: str, recorder: Callable[..., Recorder]) -> None:
    sns.set_topic_attributes(TopicArn=topic, AttributeName="SignatureVersion", AttributeValue="2")
    function = recorder(topic)
    subscribe(sns, topic, "lambda", function.arn)
    sns.publish(TopicArn=topic, Message="v2", Subject="s")
    (event,) = function.wait_events(1)
    body = event["Records"][0]["Sns"]
    assert body["SignatureVersion"] == "2"
    verify_signature(body, cert_url_key="SigningCertUrl")


def test_filter_policy_on_message_attributes(
    sns: Any, topic: str, recorder: Callable[..., Recorder], sns_server: Server
) -> None:
    function = recorder(topic)
    policy = {
        "store": ["example_corp"],
        "price": [{"numeric": [">=", 100]}],
        "interests": [{"anything-but": ["rugby"]}],
    }
    subscribe(sns, topic, "lambda", function.arn, FilterPolicy=json.dumps(policy))

    def publish(message: str, **attributes: tuple[str, str]) -> None:
        sns.publish(
            TopicArn=topic,
            Message=message,
            MessageAttributes={
                k: {"DataType": t, "StringValue": v} for k, (t, v) in attributes.items()
            },
        )

    store = ("String", "example_corp")
    publish("cheap", store=store, price=("Number", "5"), interests=("String", "golf"))
    publish("rugby", store=store, price=("Number", "500"), interests=("String", "rugby"))
    publish("no-attributes")
    publish(
        "other-store", store=("String", "x"), price=("Number", "500"), interests=("String", "a")
    )
    publish(
        "match",
        store=store,
        price=("Number", "100"),
        interests=("String.Array", '["rugby", "golf"]'),
    )
    publish("last", store=store, price=("Number", "101"), interests=("String", "golf"))
    function.wait_events(2)
    wait_drained(sns_server.endpoint)  # every delivery done: the others were filtered out
    events = function.events()
    assert sorted(e["Records"][0]["Sns"]["Message"] for e in events) == ["last", "match"]


def test_filter_policy_on_the_message_body(
    sns: Any, topic: str, recorder: Callable[..., Recorder], sns_server: Server
) -> None:
    function = recorder(topic)
    policy = {"order": {"status": ["paid"], "total": [{"numeric": [">", 10]}]}}
    subscribe(
        sns,
        topic,
        "lambda",
        function.arn,
        FilterPolicy=json.dumps(policy),
        FilterPolicyScope="MessageBody",
    )
    sns.publish(TopicArn=topic, Message=json.dumps({"order": {"status": "open", "total": 50}}))
    sns.publish(TopicArn=topic, Message="not json at all")
    sns.publish(TopicArn=topic, Message=json.dumps({"order": {"status": "paid", "total": 5}}))
    sns.publish(TopicArn=topic, Message=json.dumps({"order": {"status": "paid", "total": 50}}))
    sns.publish(TopicArn=topic, Message=json.dumps({"order": {"status": "paid", "total": 11}}))
    function.wait_events(2)
    wait_drained(sns_server.endpoint)  # every delivery done: the others were filtered out
    events = function.events()
    totals = sorted(json.loads(e["Records"][0]["Sns"]["Message"])["order"]["total"] for e in events)
    assert totals == [11, 50]


def test_no_permission_means_no_invocation(
    sns: Any, topic: str, recorder: Callable[..., Recorder], sns_server: Server
) -> None:
    refused = recorder(None)  # no resource policy statement for sns.amazonaws.com
    other_topic = sns.create_topic(Name=f"{topic.rsplit(':', 1)[1]}-other")["TopicArn"]
    wrong_source = recorder(other_topic)  # allowed for another topic only
    allowed = recorder(topic)
    for function in (refused, wrong_source, allowed):
        subscribe(sns, topic, "lambda", function.arn)
    sns.publish(TopicArn=topic, Message="who gets this")
    allowed.wait_events(1)
    wait_for(
        lambda: (
            sns_server.log().count(f"giving up delivery to {refused.arn}") >= 1
            and sns_server.log().count(f"giving up delivery to {wrong_source.arn}") >= 1
        ),
        what="both refusals logged",
    )
    assert "AccessDeniedException" in sns_server.log()
    wait_drained(sns_server.endpoint)
    assert refused.events() == []
    assert wrong_source.events() == []
    sns.delete_topic(TopicArn=other_topic)


def test_account_in_source_account_condition(
    sns: Any, topic: str, recorder: Callable[..., Recorder], lam: Any
) -> None:
    function = recorder(None)
    lam.add_permission(
        FunctionName=function.name,
        StatementId="sns-account",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
        SourceArn=topic,
        SourceAccount=ACCOUNT,
    )
    subscribe(sns, topic, "lambda", function.arn)
    sns.publish(TopicArn=topic, Message="with account")
    (event,) = function.wait_events(1)
    assert event["Records"][0]["Sns"]["Message"] == "with account"
