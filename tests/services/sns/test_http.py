"""SNS -> HTTP(S): the SubscriptionConfirmation (Token, SubscribeURL back at lambdaport),
confirming by visiting SubscribeURL or through ConfirmSubscription, notifications with SNS's
headers and JSON, signatures v1 and v2 checked against the served certificate, raw delivery,
retries by the delivery policy, UnsubscribeURL."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature

from lambdaport.testing.server import Server
from tests.helpers import wait_for
from tests.services.sns.conftest import (
    Endpoint,
    confirmed_subscription,
    verify_signature,
)


def test_confirmation_flow_through_subscribe_url(
    sns: Any, topic: str, http_endpoint: Endpoint, sns_server: Server
) -> None:
    response = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=http_endpoint.url)
    assert response["SubscriptionArn"] == "pending confirmation"
    (received,) = http_endpoint.wait("SubscriptionConfirmation")
    assert received.path == "/hook"
    assert received.headers["x-amz-sns-topic-arn"] == topic
    assert received.headers["content-type"] == "text/plain; charset=UTF-8"
    assert received.headers["user-agent"] == "Amazon Simple Notification Service Agent"
    message = received.json()
    assert received.headers["x-amz-sns-message-id"] == message["MessageId"]
    assert message["Type"] == "SubscriptionConfirmation"
    assert message["TopicArn"] == topic
    assert len(message["Token"]) >= 64
    assert message["SubscribeURL"].startswith(sns_server.endpoint + "/_lambdaport/sns/")
    assert "Action=ConfirmSubscription" in message["SubscribeURL"]
    assert message["Message"].startswith(f"You have chosen to subscribe to the topic {topic}.")
    verify_signature(message)
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [s["SubscriptionArn"] for s in listed] == ["PendingConfirmation"]
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsPending"] == "1"

    with urllib.request.urlopen(message["SubscribeURL"], timeout=10) as answer:
        body = answer.read().decode()
    assert "<ConfirmSubscriptionResponse" in body
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert listed[0]["SubscriptionArn"].startswith(topic + ":")
    attributes = sns.get_subscription_attributes(SubscriptionArn=listed[0]["SubscriptionArn"])
    assert attributes["Attributes"]["PendingConfirmation"] == "false"
    assert "EffectiveDeliveryPolicy" in attributes["Attributes"]


def test_confirm_subscription_api_and_bad_token(
    sns: Any, topic: str, http_endpoint: Endpoint
) -> None:
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=http_endpoint.url)
    token = http_endpoint.wait("SubscriptionConfirmation")[0].json()["Token"]
    with pytest.raises(sns.exceptions.InvalidParameterException, match="Token"):
        sns.confirm_subscription(TopicArn=topic, Token="0" * 128)
    arn = sns.confirm_subscription(TopicArn=topic, Token=token)["SubscriptionArn"]
    assert arn.startswith(topic + ":")
    assert sns.confirm_subscription(TopicArn=topic, Token=token)["SubscriptionArn"] == arn
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsConfirmed"] == "1"


@pytest.mark.parametrize("version", ["1", "2"])
def test_notification_headers_json_and_signature(
    sns: Any, topic: str, http_endpoint: Endpoint, version: str
) -> None:
    sns.set_topic_attributes(
        TopicArn=topic, AttributeName="SignatureVersion", AttributeValue=version
    )
    subscription = confirmed_subscription(sns, topic, http_endpoint)
    published = sns.publish(
        TopicArn=topic,
        Message="to the web",
        Subject="hi",
        MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}},
    )
    (received,) = http_endpoint.wait("Notification")
    assert received.headers["x-amz-sns-message-id"] == published["MessageId"]
    assert received.headers["x-amz-sns-topic-arn"] == topic
    assert received.headers["x-amz-sns-subscription-arn"] == subscription
    message = received.json()
    assert list(message) == [
        "Type",
        "MessageId",
        "TopicArn",
        "Subject",
        "Message",
        "Timestamp",
        "SignatureVersion",
        "Signature",
        "SigningCertURL",
        "UnsubscribeURL",
        "MessageAttributes",
    ]
    assert message["Message"] == "to the web"
    assert message["Subject"] == "hi"
    assert message["SignatureVersion"] == version
    assert message["MessageAttributes"] == {"k": {"Type": "String", "Value": "v"}}
    verify_signature(message)
    tampered = {**message, "Message": "changed"}
    with pytest.raises(InvalidSignature):
        verify_signature(tampered)


def test_the_certificate_is_served_as_pem(sns: Any, topic: str, http_endpoint: Endpoint) -> None:
    confirmed_subscription(sns, topic, http_endpoint)
    sns.publish(TopicArn=topic, Message="x")
    url = http_endpoint.wait("Notification")[0].json()["SigningCertURL"]
    with urllib.request.urlopen(url, timeout=10) as response:
        certificate = x509.load_pem_x509_certificate(response.read())
    assert "sns.amazonaws.com" in certificate.subject.rfc4514_string()


def test_raw_message_delivery(sns: Any, topic: str, http_endpoint: Endpoint) -> None:
    confirmed_subscription(sns, topic, http_endpoint, RawMessageDelivery="true")
    sns.publish(TopicArn=topic, Message='{"raw": true}')
    (received,) = http_endpoint.wait("Notification")
    assert received.body == b'{"raw": true}'
    assert received.headers["x-amz-sns-rawdelivery"] == "true"


def test_retries_by_the_delivery_policy(sns: Any, topic: str, http_endpoint: Endpoint) -> None:
    policy = {
        "healthyRetryPolicy": {
            "numRetries": 3,
            "numNoDelayRetries": 2,
            "minDelayTarget": 1,
            "maxDelayTarget": 1,
        }
    }
    confirmed_subscription(sns, topic, http_endpoint, DeliveryPolicy=json.dumps(policy))
    http_endpoint.statuses.extend([500, 503])
    sns.publish(TopicArn=topic, Message="eventually")
    attempts = http_endpoint.wait("Notification", count=3)
    assert [a.json()["Message"] for a in attempts] == ["eventually"] * 3
    assert len({a.json()["MessageId"] for a in attempts}) == 1


def test_client_errors_are_not_retried(
    sns: Any, topic: str, http_endpoint: Endpoint, sns_server: Server
) -> None:
    confirmed_subscription(sns, topic, http_endpoint)
    http_endpoint.statuses.append(404)
    published = sns.publish(TopicArn=topic, Message="gone")
    http_endpoint.wait("Notification")
    wait_for(lambda: f"giving up delivery to {http_endpoint.url}: HTTP 404" in sns_server.log())
    sns.publish(TopicArn=topic, Message="next")
    received = http_endpoint.wait("Notification", count=2)
    assert [r.json()["Message"] for r in received] == ["gone", "next"]
    assert received[0].json()["MessageId"] == published["MessageId"]


def test_unsubscribe_url(sns: Any, topic: str, http_endpoint: Endpoint) -> None:
    subscription = confirmed_subscription(sns, topic, http_endpoint)
    sns.publish(TopicArn=topic, Message="bye")
    url = http_endpoint.wait("Notification")[0].json()["UnsubscribeURL"]
    with urllib.request.urlopen(url, timeout=10) as response:
        assert "<UnsubscribeResponse" in response.read().decode()
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.get_subscription_attributes(SubscriptionArn=subscription)
