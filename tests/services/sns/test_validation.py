"""SNS's answers to bad ARNs, as AWS gives them: too few elements (counted), a topic of
another region, a subscription ARN without its id; duplicated tag keys; permission actions
out of SNS's scope."""

from __future__ import annotations

from typing import Any

import boto3

from lambdaport.testing.server import Server
from tests.helpers import ACCOUNT, REGION, client_options
from tests.services.sns.conftest import error_of


def test_a_topic_of_another_region_is_not_reachable(
    sns: Any, topic: str, sns_server: Server
) -> None:
    other = "eu-west-1" if REGION != "eu-west-1" else "us-west-2"
    elsewhere = boto3.client("sns", **client_options(sns_server.endpoint, region=other))
    calls: list[tuple[Any, dict[str, Any]]] = [
        (elsewhere.get_topic_attributes, {"TopicArn": topic}),
        (elsewhere.publish, {"TopicArn": topic, "Message": "m"}),
        (elsewhere.publish, {"TargetArn": topic, "Message": "m"}),
        (
            elsewhere.publish_batch,
            {"TopicArn": topic, "PublishBatchRequestEntries": [{"Id": "1", "Message": "m"}]},
        ),
        (elsewhere.subscribe, {"TopicArn": topic, "Protocol": "sqs", "Endpoint": "arn:aws:sqs:x"}),
        (elsewhere.list_subscriptions_by_topic, {"TopicArn": topic}),
        (elsewhere.delete_topic, {"TopicArn": topic}),
    ]
    for call, kwargs in calls:
        assert error_of(call, **kwargs)[1].startswith("Invalid parameter: T"), call
        assert error_of(call, **kwargs)[0] == "InvalidParameter"
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["TopicArn"] == topic  # kept


def test_arns_with_too_few_elements_are_counted(sns: Any, topic: str) -> None:
    def reason(parameter: str, count: int) -> tuple[str, str]:
        return (
            "InvalidParameter",
            f"Invalid parameter: {parameter} Reason: An ARN must have at least 6 elements, "
            f"not {count}",
        )

    assert error_of(sns.get_topic_attributes, TopicArn="randomstring") == reason("TopicArn", 1)
    assert error_of(sns.publish, TopicArn="randomstring:1", Message="m") == reason("TopicArn", 2)
    assert error_of(sns.unsubscribe, SubscriptionArn=f"arn:aws:sns:{REGION}:random") == reason(
        "SubscriptionArn", 5
    )
    six = f"arn:aws:sns:{REGION}:{ACCOUNT}:random"  # a topic's ARN: no subscription id
    assert error_of(sns.unsubscribe, SubscriptionArn=six) == (
        "InvalidParameter",
        "Invalid parameter: SubscriptionId",
    )
    assert error_of(sns.get_subscription_attributes, SubscriptionArn=f"{topic}:no-such") == (
        "NotFound",
        "Subscription does not exist",
    )


def test_duplicated_tag_keys_are_refused(sns: Any, topic: str) -> None:
    tags = [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]
    assert error_of(sns.tag_resource, ResourceArn=topic, Tags=tags) == (
        "InvalidParameter",
        "Invalid parameter: Duplicated keys are not allowed.",
    )
    assert sns.list_tags_for_resource(ResourceArn=topic)["Tags"] == []


def test_permission_actions_must_be_sns_actions(sns: Any, topic: str) -> None:
    def add(label: str, action: str) -> None:
        sns.add_permission(TopicArn=topic, Label=label, AWSAccountId=[ACCOUNT], ActionName=[action])

    add("own", "AddPermission")
    assert error_of(add, label="other", action="InvalidAction") == (
        "InvalidParameter",
        "Invalid parameter: Policy statement action out of service scope!",
    )
    assert error_of(add, label="own", action="Publish") == (
        "InvalidParameter",
        "Invalid parameter: Statement already exists",
    )
