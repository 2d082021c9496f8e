"""SNS's topic and subscription operations and AWS's validation errors, through boto3 and
the AWS CLI (publishing: ``test_publish.py``)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambdaport.testing.server import Server
from tests.helpers import ACCOUNT, aws_json
from tests.services.sns.conftest import error_of, name

LAMBDA_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:nothing"


def test_create_topic_is_idempotent_and_checks_differences(sns: Any) -> None:
    topic_name = name()
    arn = sns.create_topic(Name=topic_name, Attributes={"DisplayName": "d"})["TopicArn"]
    assert arn == f"arn:aws:sns:us-east-1:{ACCOUNT}:{topic_name}"
    assert sns.create_topic(Name=topic_name)["TopicArn"] == arn
    assert sns.create_topic(Name=topic_name, Attributes={"DisplayName": "d"})["TopicArn"] == arn
    code, message = error_of(sns.create_topic, Name=topic_name, Attributes={"DisplayName": "other"})
    assert (code, message) == (
        "InvalidParameter",
        "Invalid parameter: Attributes Reason: Topic already exists with different attributes",
    )
    sns.delete_topic(TopicArn=arn)


@pytest.mark.parametrize(
    ("topic_name", "attributes", "fragment"),
    [
        ("has space", {}, "Topic Name"),
        ("x" * 257, {}, "Topic Name"),
        ("plain.fifo", {}, "Topic Name"),
        ("nofifo", {"FifoTopic": "true"}, "Fifo Topic names must end with .fifo"),
        ("t", {"Bogus": "1"}, "Unknown attribute Bogus"),
        ("t", {"ContentBasedDeduplication": "true"}, "only be set for FIFO topics"),
        ("t", {"SignatureVersion": "3"}, "SignatureVersion"),
        ("t", {"DeliveryPolicy": "{not json"}, "DeliveryPolicy"),
    ],
)
def test_create_topic_validation(
    sns: Any, topic_name: str, attributes: dict[str, str], fragment: str
) -> None:
    code, message = error_of(sns.create_topic, Name=topic_name, Attributes=attributes)
    assert code == "InvalidParameter"
    assert message.startswith("Invalid parameter: ")
    assert fragment in message


def test_topic_attributes(sns: Any, topic: str) -> None:
    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attributes["TopicArn"] == topic
    assert attributes["Owner"] == ACCOUNT
    assert attributes["DisplayName"] == ""
    assert (attributes["SubscriptionsConfirmed"], attributes["SubscriptionsPending"]) == ("0", "0")
    assert attributes["SubscriptionsDeleted"] == "0"
    policy = json.loads(attributes["Policy"])
    assert policy["Statement"][0]["Resource"] == topic
    effective = json.loads(attributes["EffectiveDeliveryPolicy"])
    assert effective["http"]["defaultHealthyRetryPolicy"]["numRetries"] == 3
    assert "FifoTopic" not in attributes

    sns.set_topic_attributes(TopicArn=topic, AttributeName="DisplayName", AttributeValue="Hi")
    delivery = {"http": {"defaultHealthyRetryPolicy": {"numRetries": 5}}}
    sns.set_topic_attributes(
        TopicArn=topic, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(delivery)
    )
    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attributes["DisplayName"] == "Hi"
    assert json.loads(attributes["DeliveryPolicy"]) == delivery
    effective = json.loads(attributes["EffectiveDeliveryPolicy"])
    assert effective["http"]["defaultHealthyRetryPolicy"] == {"numRetries": 5}

    code, message = error_of(
        sns.set_topic_attributes, TopicArn=topic, AttributeName="FifoTopic", AttributeValue="true"
    )
    assert (code, message) == ("InvalidParameter", "Invalid parameter: AttributeName")
    code, message = error_of(sns.get_topic_attributes, TopicArn=topic + "-missing")
    assert (code, message) == ("NotFound", "Topic does not exist")
    code, _ = error_of(sns.get_topic_attributes, TopicArn="not-an-arn")
    assert code == "InvalidParameter"


def test_fifo_topic_attributes(sns: Any) -> None:
    arn = sns.create_topic(
        Name=name("f") + ".fifo",
        Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"},
    )["TopicArn"]
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["FifoTopic"] == "true"
    assert attributes["ContentBasedDeduplication"] == "true"
    sns.set_topic_attributes(
        TopicArn=arn, AttributeName="ContentBasedDeduplication", AttributeValue="false"
    )
    assert (
        sns.get_topic_attributes(TopicArn=arn)["Attributes"]["ContentBasedDeduplication"] == "false"
    )
    sns.delete_topic(TopicArn=arn)


def test_list_topics_pages_with_next_token(sns: Any) -> None:
    prefix = name("page")
    created = [sns.create_topic(Name=f"{prefix}-{i:03d}")["TopicArn"] for i in range(105)]
    seen: list[str] = []
    kwargs: dict[str, str] = {}
    pages = 0
    while True:
        page = sns.list_topics(**kwargs)
        pages += 1
        assert len(page["Topics"]) <= 100
        seen += [t["TopicArn"] for t in page["Topics"]]
        if "NextToken" not in page:
            break
        kwargs = {"NextToken": page["NextToken"]}
    assert pages >= 2
    assert set(created) <= set(seen)
    assert len(seen) == len(set(seen))
    for arn in created:
        sns.delete_topic(TopicArn=arn)
    remaining = {t["TopicArn"] for t in sns.list_topics()["Topics"]}
    assert not remaining & set(created)


def test_tags(sns: Any) -> None:
    arn = sns.create_topic(Name=name(), Tags=[{"Key": "team", "Value": "a"}])["TopicArn"]
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}])
    tags = sns.list_tags_for_resource(ResourceArn=arn)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("env", "dev"), ("team", "a")]
    sns.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]
    code, message = error_of(
        sns.create_topic, Name=arn.rsplit(":", 1)[1], Tags=[{"Key": "x", "Value": "y"}]
    )
    assert "different tags" in message
    code, _ = error_of(sns.list_tags_for_resource, ResourceArn=arn + "-missing")
    assert code == "ResourceNotFound"
    code, _ = error_of(
        sns.tag_resource,
        ResourceArn=arn,
        Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)],
    )
    assert code == "TagLimitExceeded"
    sns.delete_topic(TopicArn=arn)


def test_delete_topic_is_idempotent_and_drops_subscriptions(sns: Any) -> None:
    arn = sns.create_topic(Name=name())["TopicArn"]
    sub = sns.subscribe(TopicArn=arn, Protocol="lambda", Endpoint=LAMBDA_ARN)["SubscriptionArn"]
    sns.delete_topic(TopicArn=arn)
    sns.delete_topic(TopicArn=arn)
    code, _ = error_of(sns.get_subscription_attributes, SubscriptionArn=sub)
    assert code == "NotFound"


@pytest.mark.parametrize(
    ("protocol", "endpoint", "fragment"),
    [
        ("carrier-pigeon", "x", "does not support this protocol string: carrier-pigeon"),
        ("lambda", "my-function", "Lambda endpoint ARN"),
        ("sqs", "https://queue", "SQS endpoint ARN"),
        ("http", "https://example.com", "Endpoint must match the specified protocol"),
        ("https", "http://example.com", "Endpoint must match the specified protocol"),
        ("sqs", f"arn:aws:sqs:us-east-1:{ACCOUNT}:q.fifo", "FIFO SQS Queues can not be"),
    ],
)
def test_subscribe_validation(
    sns: Any, topic: str, protocol: str, endpoint: str, fragment: str
) -> None:
    code, message = error_of(sns.subscribe, TopicArn=topic, Protocol=protocol, Endpoint=endpoint)
    assert code == "InvalidParameter"
    assert fragment in message


def test_subscribe_to_missing_topic_and_fifo_rules(sns: Any, topic: str) -> None:
    code, message = error_of(
        sns.subscribe, TopicArn=topic + "-missing", Protocol="lambda", Endpoint=LAMBDA_ARN
    )
    assert (code, message) == ("NotFound", "Topic does not exist")
    fifo = sns.create_topic(Name=name("f") + ".fifo", Attributes={"FifoTopic": "true"})
    code, _ = error_of(
        sns.subscribe, TopicArn=fifo["TopicArn"], Protocol="lambda", Endpoint=LAMBDA_ARN
    )
    assert code == "InvalidParameter"
    sns.delete_topic(TopicArn=fifo["TopicArn"])


def test_subscriptions_lifecycle(sns: Any, topic: str) -> None:
    first = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=LAMBDA_ARN)
    again = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=LAMBDA_ARN)
    arn = first["SubscriptionArn"]
    assert arn == again["SubscriptionArn"]
    assert arn.startswith(topic + ":")
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert listed == [
        {
            "SubscriptionArn": arn,
            "Owner": ACCOUNT,
            "Protocol": "lambda",
            "Endpoint": LAMBDA_ARN,
            "TopicArn": topic,
        }
    ]
    assert arn in {s["SubscriptionArn"] for s in sns.list_subscriptions()["Subscriptions"]}
    attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert attributes["PendingConfirmation"] == "false"
    assert attributes["RawMessageDelivery"] == "false"
    assert attributes["Protocol"] == "lambda"
    assert "FilterPolicy" not in attributes

    policy = json.dumps({"kind": ["a"]})
    sns.set_subscription_attributes(
        SubscriptionArn=arn, AttributeName="FilterPolicy", AttributeValue=policy
    )
    attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert attributes["FilterPolicy"] == policy
    assert attributes["FilterPolicyScope"] == "MessageAttributes"
    sns.set_subscription_attributes(
        SubscriptionArn=arn, AttributeName="FilterPolicyScope", AttributeValue="MessageBody"
    )
    redrive = json.dumps({"deadLetterTargetArn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:dlq"})
    sns.set_subscription_attributes(
        SubscriptionArn=arn, AttributeName="RedrivePolicy", AttributeValue=redrive
    )
    attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert attributes["FilterPolicyScope"] == "MessageBody"
    assert attributes["RedrivePolicy"] == redrive
    sns.set_subscription_attributes(
        SubscriptionArn=arn, AttributeName="FilterPolicy", AttributeValue=""
    )
    assert "FilterPolicy" not in sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]

    sns.unsubscribe(SubscriptionArn=arn)
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsDeleted"] == "1"
    code, message = error_of(sns.unsubscribe, SubscriptionArn=arn)
    assert (code, message) == ("NotFound", "Subscription does not exist")


@pytest.mark.parametrize(
    ("attribute", "value", "fragment"),
    [
        ("RawMessageDelivery", "true", "does not support raw message delivery"),
        ("RawMessageDelivery", "maybe", "Must be true or false"),
        ("FilterPolicy", "{", "FilterPolicy"),
        ("FilterPolicy", json.dumps({"a": "b"}), "must be an object or an array"),
        ("FilterPolicy", json.dumps({"a": {"b": ["c"]}}), "does not support nested"),
        ("FilterPolicy", json.dumps({k: ["v"] for k in "abcdef"}), "more than 5 keys"),
        (
            "FilterPolicy",
            json.dumps({k: [str(i) for i in range(6)] for k in "abc"}),
            "too complex",
        ),
        ("FilterPolicyScope", "Everything", "FilterPolicyScope"),
        ("RedrivePolicy", json.dumps({"deadLetterTargetArn": "nope"}), "invalid arn"),
        ("Bogus", "1", "AttributeName"),
    ],
)
def test_subscription_attribute_validation(
    sns: Any, topic: str, attribute: str, value: str, fragment: str
) -> None:
    arn = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=LAMBDA_ARN)["SubscriptionArn"]
    code, message = error_of(
        sns.set_subscription_attributes,
        SubscriptionArn=arn,
        AttributeName=attribute,
        AttributeValue=value,
    )
    assert code == "InvalidParameter"
    assert fragment in message


def test_unimplemented_action_is_refused(sns: Any) -> None:
    code, _ = error_of(sns.get_sms_attributes)
    assert code == "InvalidAction"


def test_the_aws_cli(sns_server: Server, sns: Any) -> None:
    topic_name = name("cli")
    arn = aws_json(sns_server.endpoint, "sns", "create-topic", "--name", topic_name)["TopicArn"]
    assert arn.endswith(":" + topic_name)
    assert arn in {
        t["TopicArn"] for t in aws_json(sns_server.endpoint, "sns", "list-topics")["Topics"]
    }
    sub = aws_json(
        sns_server.endpoint,
        "sns",
        "subscribe",
        "--topic-arn",
        arn,
        "--protocol",
        "lambda",
        "--notification-endpoint",
        LAMBDA_ARN,
    )["SubscriptionArn"]
    attributes = aws_json(
        sns_server.endpoint, "sns", "get-subscription-attributes", "--subscription-arn", sub
    )
    assert attributes["Attributes"]["Endpoint"] == LAMBDA_ARN
    published = aws_json(
        sns_server.endpoint,
        "sns",
        "publish",
        "--topic-arn",
        arn,
        "--message",
        "from the cli",
        "--message-attributes",
        '{"k": {"DataType": "String", "StringValue": "v"}}',
    )
    assert "MessageId" in published
    aws_json(sns_server.endpoint, "sns", "unsubscribe", "--subscription-arn", sub)
    aws_json(sns_server.endpoint, "sns", "delete-topic", "--topic-arn", arn)
    assert arn not in {t["TopicArn"] for t in sns.list_topics()["Topics"]}


def test_add_and_remove_permission(sns: Any, topic: str) -> None:
    sns.add_permission(
        TopicArn=topic, Label="partner", AWSAccountId=["111122223333"], ActionName=["Publish"]
    )
    policy = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
    statement = policy["Statement"][-1]
    assert statement["Sid"] == "partner"
    assert statement["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert statement["Action"] == "SNS:Publish"
    code, message = error_of(
        sns.add_permission,
        TopicArn=topic,
        Label="partner",
        AWSAccountId=["111122223333"],
        ActionName=["Publish"],
    )
    assert (code, message) == ("InvalidParameter", "Invalid parameter: Statement already exists")
    sns.remove_permission(TopicArn=topic, Label="partner")
    policy = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["__default_statement_ID"]
    assert error_of(sns.remove_permission, TopicArn=topic, Label="partner")[0] == "InvalidParameter"
