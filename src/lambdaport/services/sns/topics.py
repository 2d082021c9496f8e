"""Topics: create (idempotent), delete, list, attributes and tags."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import orjson
from botocore.loaders import Loader

from lambdaport.errors import AwsError
from lambdaport.services.sns.models import (
    FIFO_TOPIC_NAME,
    TOPIC_NAME,
    check_boolean,
    check_json_object,
    decode_token,
    encode_token,
    invalid_parameter,
    is_true,
    parse_topic_arn,
    topic_arn,
    topic_not_found,
)
from lambdaport.store.sns import SnsTables, TopicRow

PAGE_SIZE = 100
MAX_TAGS = 50
_FEEDBACK = tuple(
    f"{protocol}{kind}"
    for protocol in ("Application", "Firehose", "HTTP", "Lambda", "SQS")
    for kind in ("SuccessFeedbackRoleArn", "SuccessFeedbackSampleRate", "FailureFeedbackRoleArn")
)
SETTABLE = (
    "DeliveryPolicy",
    "DisplayName",
    "Policy",
    "TracingConfig",
    "KmsMasterKeyId",
    "SignatureVersion",
    "ContentBasedDeduplication",
    "ArchivePolicy",
    "FifoThroughputScope",
    "DataProtectionPolicy",
    *_FEEDBACK,
)
CREATE_ONLY = ("FifoTopic",)
DEFAULT_DELIVERY_POLICY = {
    "http": {
        "defaultHealthyRetryPolicy": {
            "minDelayTarget": 20,
            "maxDelayTarget": 20,
            "numRetries": 3,
            "numMaxDelayRetries": 0,
            "numNoDelayRetries": 0,
            "numMinDelayRetries": 0,
            "backoffFunction": "linear",
        },
        "disableSubscriptionOverrides": False,
        "defaultRequestPolicy": {"headerContentType": "text/plain; charset=UTF-8"},
    }
}


def default_policy(arn: str, account_id: str) -> dict[str, Any]:
    actions = [
        "SNS:GetTopicAttributes",
        "SNS:SetTopicAttributes",
        "SNS:AddPermission",
        "SNS:RemovePermission",
        "SNS:DeleteTopic",
        "SNS:Subscribe",
        "SNS:ListSubscriptionsByTopic",
        "SNS:Publish",
    ]
    return {
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [
            {
                "Sid": "__default_statement_ID",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": actions,
                "Resource": arn,
                "Condition": {"StringEquals": {"AWS:SourceOwner": account_id}},
            }
        ],
    }


def effective_delivery_policy(topic: TopicRow) -> dict[str, Any]:
    configured = topic.attributes.get("DeliveryPolicy")
    if not configured:
        return DEFAULT_DELIVERY_POLICY
    policy = orjson.loads(configured)
    merged = dict(DEFAULT_DELIVERY_POLICY["http"])
    merged.update(policy.get("http") or {})
    return {**policy, "http": merged}


def _check_value(name: str, value: str, fifo: bool) -> str:
    if name in ("FifoTopic", "ContentBasedDeduplication"):
        value = check_boolean(name, value)
        if name == "ContentBasedDeduplication" and value == "true" and not fifo:
            raise invalid_parameter(
                "Attributes Reason: Content-based deduplication can only be set for FIFO topics"
            )
    elif name == "SignatureVersion" and value not in ("1", "2"):
        raise invalid_parameter(
            f"Attributes Reason: SignatureVersion: Invalid value [{value}]. Must be 1 or 2."
        )
    elif name in ("DeliveryPolicy", "Policy", "DataProtectionPolicy", "ArchivePolicy") and value:
        check_json_object(name, value)
    elif name == "DisplayName" and len(value) > 100:
        raise invalid_parameter("DisplayName")
    return value


def _tags(tags: Sequence[Mapping[str, str]] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for tag in tags or ():
        key = tag.get("Key", "")
        if not key or len(key) > 128:
            raise invalid_parameter("Tags Reason: Tag keys must be between 1 and 128 characters")
        if key in out:
            raise invalid_parameter("Duplicated keys are not allowed.")
        out[key] = tag.get("Value", "")
    return out


@functools.cache
def sns_actions() -> frozenset[str]:
    """What AddPermission may grant: any SNS action (botocore's model's operations)."""
    return frozenset(Loader().load_service_model("sns", "service-2")["operations"])


class Topics:
    def __init__(self, store: SnsTables) -> None:
        self._store = store

    async def get(self, arn: str | None, parameter: str = "TopicArn") -> TopicRow:
        parse_topic_arn(arn, parameter)
        topic = await self._store.topic(arn or "")
        if topic is None:
            raise topic_not_found()
        return topic

    async def exists(self, arn: str) -> bool:
        return await self._store.topic(arn) is not None

    async def create(
        self,
        account_id: str,
        region: str,
        name: str,
        attributes: Mapping[str, str] | None,
        tags: Sequence[Mapping[str, str]] | None,
    ) -> str:
        attrs = dict(attributes or {})
        fifo = is_true(attrs.get("FifoTopic"))
        self._check_name(name, fifo)
        for key, value in list(attrs.items()):
            if key not in SETTABLE and key not in CREATE_ONLY:
                raise invalid_parameter(f"Attributes Reason: Unknown attribute {key}")
            attrs[key] = _check_value(key, value, fifo)
        if fifo:
            attrs["FifoTopic"] = "true"
            attrs.setdefault("ContentBasedDeduplication", "false")
        else:
            attrs.pop("FifoTopic", None)
        new_tags = _tags(tags)
        arn = topic_arn(region, account_id, name)
        existing = await self._store.topic(arn)
        if existing is not None:
            if any(existing.attributes.get(k) != v for k, v in attrs.items()):
                raise invalid_parameter(
                    "Attributes Reason: Topic already exists with different attributes"
                )
            if tags is not None and new_tags != dict(existing.tags):
                raise invalid_parameter("Tags Reason: Topic already exists with different tags")
            return arn
        if len(new_tags) > MAX_TAGS:
            raise _tag_limit()
        await self._store.put_topic(TopicRow(arn, account_id, region, name, attrs, new_tags, 0, 0))
        return arn

    @staticmethod
    def _check_name(name: str, fifo: bool) -> None:
        if fifo and not FIFO_TOPIC_NAME.match(name):
            raise invalid_parameter(
                "Fifo Topic names must end with .fifo and must be made up of only uppercase "
                "and lowercase ASCII letters, numbers, underscores, and hyphens, and must be "
                "between 1 and 256 characters long."
            )
        if not fifo and not TOPIC_NAME.match(name):
            raise invalid_parameter("Topic Name")

    async def delete(self, arn: str) -> None:
        parse_topic_arn(arn)
        await self._store.delete_topic(arn)  # idempotent, as in AWS

    async def list_topics(
        self, account_id: str, region: str, next_token: str | None
    ) -> dict[str, Any]:
        after = decode_token(next_token)
        rows = await self._store.topics(account_id, region, after, PAGE_SIZE + 1)
        out: dict[str, Any] = {"Topics": [{"TopicArn": t.arn} for t in rows[:PAGE_SIZE]]}
        if len(rows) > PAGE_SIZE:
            out["NextToken"] = encode_token(rows[PAGE_SIZE - 1].arn)
        return out

    async def attributes(self, arn: str) -> dict[str, str]:
        topic = await self.get(arn)
        confirmed, pending = await self._store.subscription_counts(arn)
        out = {
            "Policy": orjson.dumps(default_policy(arn, topic.account_id)).decode(),
            "Owner": topic.account_id,
            "TopicArn": arn,
            "DisplayName": "",
            "SubscriptionsConfirmed": str(confirmed),
            "SubscriptionsPending": str(pending),
            "SubscriptionsDeleted": str(topic.subscriptions_deleted),
            "EffectiveDeliveryPolicy": orjson.dumps(effective_delivery_policy(topic)).decode(),
        }
        out.update(topic.attributes)
        return out

    async def set_attribute(self, arn: str, name: str, value: str | None) -> None:
        topic = await self.get(arn)
        if name not in SETTABLE:
            raise invalid_parameter("AttributeName")
        attrs = dict(topic.attributes)
        if value is None or (value == "" and name != "DisplayName"):
            attrs.pop(name, None)
        else:
            attrs[name] = _check_value(name, value, is_true(attrs.get("FifoTopic")))
        await self._store.put_topic(replace(topic, attributes=attrs))

    # -- the topic policy -----------------------------------------------------------------

    async def add_permission(
        self, arn: str, label: str, accounts: Sequence[str], actions: Sequence[str]
    ) -> None:
        topic = await self.get(arn)
        if not accounts or not actions:
            raise invalid_parameter("AWSAccountId and ActionName must not be empty")
        policy = self._policy(topic)
        statements: list[dict[str, Any]] = policy.setdefault("Statement", [])
        if any(s.get("Sid") == label for s in statements):
            raise invalid_parameter("Statement already exists")
        if not set(actions) <= sns_actions():
            raise invalid_parameter("Policy statement action out of service scope!")
        principals = [f"arn:aws:iam::{account}:root" for account in accounts]
        statements.append(
            {
                "Sid": label,
                "Effect": "Allow",
                "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
                "Action": [f"SNS:{a}" for a in actions]
                if len(actions) > 1
                else f"SNS:{actions[0]}",
                "Resource": arn,
            }
        )
        await self._save_policy(topic, policy)

    async def remove_permission(self, arn: str, label: str) -> None:
        topic = await self.get(arn)
        policy = self._policy(topic)
        statements = policy.get("Statement", [])
        kept = [s for s in statements if s.get("Sid") != label]
        if len(kept) == len(statements):
            raise invalid_parameter("Label")
        policy["Statement"] = kept
        await self._save_policy(topic, policy)

    @staticmethod
    def _policy(topic: TopicRow) -> dict[str, Any]:
        text = topic.attributes.get("Policy")
        return orjson.loads(text) if text else default_policy(topic.arn, topic.account_id)

    async def _save_policy(self, topic: TopicRow, policy: dict[str, Any]) -> None:
        attrs = {**topic.attributes, "Policy": orjson.dumps(policy).decode()}
        await self._store.put_topic(replace(topic, attributes=attrs))

    # -- tags -----------------------------------------------------------------------------

    async def _tagged(self, arn: str) -> TopicRow:
        topic = await self._store.topic(arn)
        if topic is None:
            raise AwsError("ResourceNotFound", "Resource does not exist", 404)
        return topic

    async def tag(self, arn: str, tags: Sequence[Mapping[str, str]]) -> None:
        topic = await self._tagged(arn)
        merged = {**topic.tags, **_tags(tags)}
        if len(merged) > MAX_TAGS:
            raise _tag_limit()
        await self._store.put_topic(replace(topic, tags=merged))

    async def untag(self, arn: str, keys: Sequence[str]) -> None:
        topic = await self._tagged(arn)
        remaining = {k: v for k, v in topic.tags.items() if k not in set(keys)}
        await self._store.put_topic(replace(topic, tags=remaining))

    async def list_tags(self, arn: str) -> list[dict[str, str]]:
        topic = await self._tagged(arn)
        return [{"Key": k, "Value": v} for k, v in topic.tags.items()]


def _tag_limit() -> AwsError:
    return AwsError(
        "TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded", 400
    )
