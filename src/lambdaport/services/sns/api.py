"""SNS's operation table: thin handlers from the query protocol's parameters to the domain."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from lambdaport.errors import AwsError
from lambdaport.request import RequestContext
from lambdaport.services.sns.models import (
    arn_parts,
    check_region,
    invalid_parameter,
    is_true,
    not_found,
)
from lambdaport.services.sns.publishing import Publisher, PublishInput
from lambdaport.services.sns.subscriptions import Subscriptions
from lambdaport.services.sns.topics import Topics

logger = logging.getLogger("lambdaport.sns")

Params = Mapping[str, Any]
Handler = Callable[[RequestContext, Params], Awaitable[dict[str, Any]]]


class SnsApi:
    def __init__(self, topics: Topics, subscriptions: Subscriptions, publisher: Publisher) -> None:
        self._topics = topics
        self._subscriptions = subscriptions
        self._publisher = publisher
        self._handlers: dict[str, Handler] = {
            "CreateTopic": self.create_topic,
            "DeleteTopic": self.delete_topic,
            "ListTopics": self.list_topics,
            "GetTopicAttributes": self.get_topic_attributes,
            "SetTopicAttributes": self.set_topic_attributes,
            "AddPermission": self.add_permission,
            "RemovePermission": self.remove_permission,
            "Subscribe": self.subscribe,
            "ConfirmSubscription": self.confirm_subscription,
            "Unsubscribe": self.unsubscribe,
            "ListSubscriptions": self.list_subscriptions,
            "ListSubscriptionsByTopic": self.list_subscriptions_by_topic,
            "GetSubscriptionAttributes": self.get_subscription_attributes,
            "SetSubscriptionAttributes": self.set_subscription_attributes,
            "Publish": self.publish,
            "PublishBatch": self.publish_batch,
            "TagResource": self.tag_resource,
            "UntagResource": self.untag_resource,
            "ListTagsForResource": self.list_tags_for_resource,
        }

    @property
    def operations(self) -> list[str]:
        return sorted(self._handlers)

    async def dispatch(self, ctx: RequestContext, operation: str, params: Params) -> dict[str, Any]:
        handler = self._handlers.get(operation)
        if handler is None:
            raise AwsError(
                "InvalidAction",
                f"lambdaport does not implement the SNS action {operation} yet.",
                400,
            )
        for parameter in ("TopicArn", "TargetArn"):
            check_region(params.get(parameter), ctx.region, parameter)
        return await handler(ctx, params)

    # -- topics ---------------------------------------------------------------------------

    async def create_topic(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        arn = await self._topics.create(
            ctx.account_id,
            ctx.region,
            params["Name"],
            params.get("Attributes"),
            params.get("Tags"),
        )
        return {"TopicArn": arn}

    async def delete_topic(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        await self._topics.delete(params["TopicArn"])
        return {}

    async def list_topics(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        return await self._topics.list_topics(ctx.account_id, ctx.region, params.get("NextToken"))

    async def get_topic_attributes(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        return {"Attributes": await self._topics.attributes(params["TopicArn"])}

    async def set_topic_attributes(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        await self._topics.set_attribute(
            params["TopicArn"], params["AttributeName"], params.get("AttributeValue")
        )
        return {}

    async def add_permission(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        await self._topics.add_permission(
            params["TopicArn"], params["Label"], params["AWSAccountId"], params["ActionName"]
        )
        return {}

    async def remove_permission(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        await self._topics.remove_permission(params["TopicArn"], params["Label"])
        return {}

    # -- subscriptions --------------------------------------------------------------------

    async def subscribe(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        sub = await self._subscriptions.subscribe(
            ctx.account_id,
            params["TopicArn"],
            params["Protocol"],
            params.get("Endpoint"),
            params.get("Attributes"),
        )
        show = not sub.pending or bool(params.get("ReturnSubscriptionArn"))
        return {"SubscriptionArn": sub.arn if show else "pending confirmation"}

    async def confirm_subscription(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        arn = await self._subscriptions.confirm(
            params["TopicArn"],
            params["Token"],
            is_true(params.get("AuthenticateOnUnsubscribe")),
        )
        return {"SubscriptionArn": arn}

    async def unsubscribe(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        await self._subscriptions.unsubscribe(params["SubscriptionArn"])
        return {}

    async def list_subscriptions(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        return await self._subscriptions.list_all(
            ctx.account_id, ctx.region, params.get("NextToken")
        )

    async def list_subscriptions_by_topic(
        self, ctx: RequestContext, params: Params
    ) -> dict[str, Any]:
        return await self._subscriptions.list_by_topic(params["TopicArn"], params.get("NextToken"))

    async def get_subscription_attributes(
        self, ctx: RequestContext, params: Params
    ) -> dict[str, Any]:
        return {"Attributes": await self._subscriptions.attributes(params["SubscriptionArn"])}

    async def set_subscription_attributes(
        self, ctx: RequestContext, params: Params
    ) -> dict[str, Any]:
        await self._subscriptions.set_attribute(
            params["SubscriptionArn"], params["AttributeName"], params.get("AttributeValue")
        )
        return {}

    # -- publishing -----------------------------------------------------------------------

    async def publish(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        topic_arn, target_arn = params.get("TopicArn"), params.get("TargetArn")
        if topic_arn and target_arn:
            raise invalid_parameter("Only one of TopicArn or TargetArn may be specified")
        arn = topic_arn or target_arn
        if not arn:
            if params.get("PhoneNumber"):
                logger.info("sns: SMS to %s dropped (not delivered locally)", params["PhoneNumber"])
                return {"MessageId": str(uuid.uuid4())}
            raise invalid_parameter("TopicArn or TargetArn Reason: no value for required parameter")
        parts = arn_parts(arn)
        if target_arn and len(parts) == 6 and parts[5].startswith("endpoint/"):
            raise not_found("Endpoint does not exist")
        return await self._publisher.publish(
            arn, PublishInput.from_params(params, ctx.trace_header)
        )

    async def publish_batch(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        return await self._publisher.publish_batch(
            params["TopicArn"], params.get("PublishBatchRequestEntries") or [], ctx.trace_header
        )

    # -- tags -----------------------------------------------------------------------------

    async def tag_resource(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        await self._topics.tag(params["ResourceArn"], params.get("Tags") or [])
        return {}

    async def untag_resource(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        await self._topics.untag(params["ResourceArn"], params.get("TagKeys") or [])
        return {}

    async def list_tags_for_resource(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        return {"Tags": await self._topics.list_tags(params["ResourceArn"])}
