"""Subscriptions: Subscribe, ConfirmSubscription, Unsubscribe, listing and attributes."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

import orjson

from lambdaport.services.sns.filtering import check_scope, compile_filter_policy
from lambdaport.services.sns.models import (
    PROTOCOLS,
    RAW_PROTOCOLS,
    arn_parts,
    check_arn_elements,
    check_boolean,
    check_json_object,
    decode_token,
    encode_token,
    invalid_parameter,
    is_true,
    subscription_not_found,
)
from lambdaport.services.sns.topics import Topics, effective_delivery_policy
from lambdaport.store.sns import SnsTables, SubscriptionRow, TopicRow

PAGE_SIZE = 100
PENDING = "PendingConfirmation"
SETTABLE = (
    "DeliveryPolicy",
    "FilterPolicy",
    "FilterPolicyScope",
    "RawMessageDelivery",
    "RedrivePolicy",
    "SubscriptionRoleArn",
    "ReplayPolicy",
)
CONFIRMED_AT_ONCE = ("sqs", "lambda", "application", "firehose", "sms")


def _check_endpoint(protocol: str, endpoint: str | None) -> str:
    if not endpoint:
        raise invalid_parameter("Endpoint")
    parts = arn_parts(endpoint)
    if protocol == "lambda" and (len(parts) != 6 or parts[2] != "lambda"):
        raise invalid_parameter("Lambda endpoint ARN")
    if protocol == "sqs" and (len(parts) != 6 or parts[2] != "sqs"):
        raise invalid_parameter("SQS endpoint ARN")
    if protocol in ("http", "https") and not endpoint.lower().startswith(f"{protocol}://"):
        raise invalid_parameter("Endpoint must match the specified protocol")
    return endpoint


class Subscriptions:
    def __init__(
        self,
        store: SnsTables,
        topics: Topics,
        request_confirmation: Callable[[SubscriptionRow], Awaitable[None]],
    ) -> None:
        self._store = store
        self._topics = topics
        self._request_confirmation = request_confirmation

    async def get(self, arn: str | None) -> SubscriptionRow:
        if len(check_arn_elements(arn, "SubscriptionArn")) < 7:
            raise invalid_parameter("SubscriptionId")  # a topic's ARN: no subscription id
        sub = await self._store.subscription(arn or "")
        if sub is None:
            raise subscription_not_found()
        return sub

    async def subscribe(
        self,
        account_id: str,
        topic_arn: str,
        protocol: str,
        endpoint: str | None,
        attributes: Mapping[str, str] | None,
    ) -> SubscriptionRow:
        topic = await self._topics.get(topic_arn)
        if protocol not in PROTOCOLS:
            raise invalid_parameter(f"Amazon SNS does not support this protocol string: {protocol}")
        endpoint = _check_endpoint(protocol, endpoint)
        fifo = is_true(topic.attributes.get("FifoTopic"))
        if fifo and protocol != "sqs":
            raise invalid_parameter(f"Invalid protocol type: {protocol}")
        if protocol == "sqs" and not fifo and endpoint.endswith(".fifo"):
            raise invalid_parameter(
                "Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to "
                "standard SNS topics"
            )
        attrs: dict[str, str] = {}
        given = dict(attributes or {})
        if "FilterPolicyScope" in given:  # the scope first: the policy is checked against it
            given = {"FilterPolicyScope": given.pop("FilterPolicyScope"), **given}
        for name, value in given.items():
            attrs = self._with_attribute(attrs, protocol, name, value)
        for existing in await self._store.subscriptions_of_topic(topic_arn):
            if existing.protocol == protocol and existing.endpoint == endpoint:
                if any(existing.attributes.get(k) != v for k, v in attrs.items()):
                    raise invalid_parameter(
                        "Attributes Reason: Subscription already exists with different attributes"
                    )
                return existing
        pending = protocol not in CONFIRMED_AT_ONCE
        sub = SubscriptionRow(
            arn=f"{topic_arn}:{uuid.uuid4()}",
            topic_arn=topic_arn,
            account_id=topic.account_id,
            region=topic.region,
            protocol=protocol,
            endpoint=endpoint,
            owner=account_id,
            attributes=attrs,
            pending=pending,
            token=secrets.token_hex(64) if pending else None,
            authenticated=not pending,
        )
        await self._store.put_subscription(sub)
        if pending and protocol in ("http", "https"):
            await self._request_confirmation(sub)
        return sub

    async def confirm(self, topic_arn: str, token: str, authenticate: bool = False) -> str:
        await self._topics.get(topic_arn)
        for sub in await self._store.subscriptions_of_topic(topic_arn):
            if sub.token is not None and secrets.compare_digest(sub.token, token):
                if sub.pending:
                    await self._store.put_subscription(
                        replace(sub, pending=False, authenticated=authenticate)
                    )
                return sub.arn
        raise invalid_parameter("Token")

    async def unsubscribe(self, arn: str) -> None:
        sub = await self.get(arn)
        await self._store.delete_subscription(sub.arn, sub.topic_arn)

    async def list_all(
        self, account_id: str, region: str, next_token: str | None
    ) -> dict[str, Any]:
        rows = await self._store.subscriptions(
            account_id, region, decode_token(next_token), PAGE_SIZE + 1
        )
        return self._page(rows)

    async def list_by_topic(self, topic_arn: str, next_token: str | None) -> dict[str, Any]:
        await self._topics.get(topic_arn)
        rows = await self._store.subscriptions_of_topic(
            topic_arn, decode_token(next_token), PAGE_SIZE + 1
        )
        return self._page(rows)

    @staticmethod
    def _page(rows: list[SubscriptionRow]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Subscriptions": [
                {
                    "SubscriptionArn": PENDING if sub.pending else sub.arn,
                    "Owner": sub.owner,
                    "Protocol": sub.protocol,
                    "Endpoint": sub.endpoint,
                    "TopicArn": sub.topic_arn,
                }
                for sub in rows[:PAGE_SIZE]
            ]
        }
        if len(rows) > PAGE_SIZE:
            out["NextToken"] = encode_token(rows[PAGE_SIZE - 1].arn)
        return out

    async def attributes(self, arn: str) -> dict[str, str]:
        sub = await self.get(arn)
        out = {
            "SubscriptionArn": sub.arn,
            "TopicArn": sub.topic_arn,
            "Owner": sub.owner,
            "Protocol": sub.protocol,
            "Endpoint": sub.endpoint,
            "ConfirmationWasAuthenticated": str(sub.authenticated).lower(),
            "PendingConfirmation": str(sub.pending).lower(),
            "RawMessageDelivery": "false",
            "SubscriptionPrincipal": f"arn:aws:iam::{sub.owner}:root",
        }
        if sub.protocol in ("http", "https"):
            policy = http_delivery_policy(await self._topics.get(sub.topic_arn), sub)
            out["EffectiveDeliveryPolicy"] = orjson.dumps(policy).decode()
        out.update(sub.attributes)
        return out

    async def set_attribute(self, arn: str, name: str, value: str | None) -> None:
        sub = await self.get(arn)
        attrs = self._with_attribute(dict(sub.attributes), sub.protocol, name, value or "")
        await self._store.put_subscription(replace(sub, attributes=attrs))

    @staticmethod
    def _with_attribute(
        attrs: dict[str, str], protocol: str, name: str, value: str
    ) -> dict[str, str]:
        if name not in SETTABLE:
            raise invalid_parameter("AttributeName")
        if name == "RawMessageDelivery":
            value = check_boolean(name, value)
            if protocol not in RAW_PROTOCOLS:
                raise invalid_parameter(
                    f"Attributes Reason: Delivery protocol [{protocol}] does not support raw "
                    "message delivery"
                )
        elif name == "FilterPolicyScope":
            check_scope(value)
            if attrs.get("FilterPolicy"):
                compile_filter_policy(attrs["FilterPolicy"], value)
        elif name == "FilterPolicy" and value:
            compile_filter_policy(value, attrs.get("FilterPolicyScope", "MessageAttributes"))
            attrs.setdefault("FilterPolicyScope", "MessageAttributes")
        elif name == "RedrivePolicy" and value:
            _check_redrive(value)
        elif name in ("DeliveryPolicy", "ReplayPolicy") and value:
            check_json_object(name, value)
        if value == "" and name in ("FilterPolicy", "RedrivePolicy", "DeliveryPolicy"):
            attrs.pop(name, None)
            if name == "FilterPolicy":
                attrs.pop("FilterPolicyScope", None)
        else:
            attrs[name] = value
        return attrs


def _check_redrive(value: str) -> None:
    policy = check_json_object("RedrivePolicy", value)
    target = policy.get("deadLetterTargetArn")
    if not isinstance(target, str):
        raise invalid_parameter("RedrivePolicy: deadLetterTargetArn is missing")
    parts = arn_parts(target)
    if len(parts) != 6 or parts[2] != "sqs":
        raise invalid_parameter("RedrivePolicy: deadLetterTargetArn is an invalid arn")


def http_delivery_policy(topic: TopicRow, sub: SubscriptionRow) -> dict[str, Any]:
    """An HTTP(S) subscription's delivery policy: the topic's, with the subscription's own
    members over it."""
    policy: dict[str, Any] = dict(effective_delivery_policy(topic)["http"])
    own = sub.attributes.get("DeliveryPolicy")
    if own:
        policy.update(orjson.loads(own))
    return policy


def redrive_target(sub: SubscriptionRow) -> str | None:
    """The subscription's dead-letter queue ARN, if it has a RedrivePolicy."""
    text = sub.attributes.get("RedrivePolicy")
    if not text:
        return None
    target = orjson.loads(text).get("deadLetterTargetArn")
    return target if isinstance(target, str) else None
