"""Everything SNS accepted survives a restart on the same data directory: topics, attributes,
tags, subscriptions (pending ones with their token), FIFO deduplication, the signing key, and
deliveries that were still being retried."""

from __future__ import annotations

import json
from pathlib import Path

from lambdaport.testing.server import ServerProcess
from tests.helpers import ACCOUNT
from tests.services.sns.conftest import Endpoint, sns_client, verify_signature

LAMBDA_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:later"


def test_restart_keeps_topics_subscriptions_and_pending_deliveries(
    tmp_path: Path, http_endpoint: Endpoint
) -> None:
    data_dir = tmp_path / "data"
    first = ServerProcess(data_dir)
    with first:
        sns = sns_client(first.endpoint)
        topic = sns.create_topic(
            Name="durable", Attributes={"DisplayName": "D"}, Tags=[{"Key": "k", "Value": "v"}]
        )["TopicArn"]
        fifo = sns.create_topic(Name="durable.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
        policy = json.dumps({"a": ["b"]})
        lambda_sub = sns.subscribe(
            TopicArn=topic,
            Protocol="lambda",
            Endpoint=LAMBDA_ARN,
            Attributes={"FilterPolicy": policy},
        )["SubscriptionArn"]
        retry = {"healthyRetryPolicy": {"numRetries": 3, "minDelayTarget": 2, "maxDelayTarget": 2}}
        http_sub = sns.subscribe(
            TopicArn=topic,
            Protocol="http",
            Endpoint=http_endpoint.url,
            Attributes={"DeliveryPolicy": json.dumps(retry)},
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
        token = http_endpoint.wait("SubscriptionConfirmation")[0].json()["Token"]
        deduplicated = sns.publish(
            TopicArn=fifo, Message="once", MessageGroupId="g", MessageDeduplicationId="d-1"
        )
        http_endpoint.statuses.append(500)  # the first delivery fails and is retried in 2 s
        sns.confirm_subscription(TopicArn=topic, Token=token)
        published = sns.publish(TopicArn=topic, Message="survivor")
        http_endpoint.wait("Notification")
        before = {
            "topics": sns.list_topics()["Topics"],
            "attributes": sns.get_topic_attributes(TopicArn=topic)["Attributes"],
            "subscriptions": sns.list_subscriptions()["Subscriptions"],
            "lambda": sns.get_subscription_attributes(SubscriptionArn=lambda_sub)["Attributes"],
        }

    with ServerProcess(data_dir, port=first.port) as second:
        sns = sns_client(second.endpoint)
        received = http_endpoint.wait("Notification", count=2)
        retried = received[1].json()
        assert retried["MessageId"] == published["MessageId"]
        assert retried["Message"] == "survivor"
        verify_signature(retried)
        assert received[1].headers["x-amz-sns-subscription-arn"] == http_sub

        assert sns.list_topics()["Topics"] == before["topics"]
        assert sns.get_topic_attributes(TopicArn=topic)["Attributes"] == before["attributes"]
        assert sns.list_subscriptions()["Subscriptions"] == before["subscriptions"]
        assert (
            sns.get_subscription_attributes(SubscriptionArn=lambda_sub)["Attributes"]
            == before["lambda"]
        )
        assert sns.list_tags_for_resource(ResourceArn=topic)["Tags"] == [{"Key": "k", "Value": "v"}]
        again = sns.publish(
            TopicArn=fifo, Message="once", MessageGroupId="g", MessageDeduplicationId="d-1"
        )
        assert again["MessageId"] == deduplicated["MessageId"]
        assert again["SequenceNumber"] == deduplicated["SequenceNumber"]


def test_a_pending_subscription_can_be_confirmed_after_restart(
    tmp_path: Path, http_endpoint: Endpoint
) -> None:
    data_dir = tmp_path / "data"
    first = ServerProcess(data_dir)
    with first:
        sns = sns_client(first.endpoint)
        topic = sns.create_topic(Name="pending")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=http_endpoint.url)
        token = http_endpoint.wait("SubscriptionConfirmation")[0].json()["Token"]
    with ServerProcess(data_dir, port=first.port) as second:
        sns = sns_client(second.endpoint)
        listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        assert [s["SubscriptionArn"] for s in listed] == ["PendingConfirmation"]
        arn = sns.confirm_subscription(TopicArn=topic, Token=token)["SubscriptionArn"]
        assert arn.startswith(topic + ":")
        sns.publish(TopicArn=topic, Message="after restart")
        assert http_endpoint.wait("Notification")[0].json()["Message"] == "after restart"
