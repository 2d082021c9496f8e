"""SQS and SNS resources: ``AWS::SQS::Queue``, ``AWS::SQS::QueuePolicy``, ``AWS::SNS::Topic``,
``AWS::SNS::Subscription``, ``AWS::SNS::TopicPolicy``."""

from __future__ import annotations

from typing import Any

from lambdaport.services.cloudformation.providers.base import (
    Created,
    Provider,
    ResourceRequest,
    as_json,
    physical_name,
    tag_list,
    tag_map,
    text,
)

_QUEUE_SKIP = frozenset({"QueueName", "Tags"})


def _queue_attributes(properties: dict[str, Any] | Any) -> dict[str, str]:
    return {name: text(value) for name, value in properties.items() if name not in _QUEUE_SKIP}


class Queue(Provider):
    types = ("AWS::SQS::Queue",)
    replacement = frozenset({"QueueName", "FifoQueue"})

    async def create(self, request: ResourceRequest) -> Created:
        props = dict(request.properties)
        fifo = text(props.get("FifoQueue", "false")) == "true"
        name = str(
            props.get("QueueName")
            or physical_name(request, max_length=80, suffix=".fifo" if fifo else "")
        )
        params: dict[str, Any] = {"QueueName": name, "Attributes": _queue_attributes(props)}
        tags = tag_map(props.get("Tags"))
        if tags:
            params["tags"] = tags
        url = (await self.call(request, "sqs", "CreateQueue", **params))["QueueUrl"]
        return await self._created(request, url)

    async def _created(self, request: ResourceRequest, url: str) -> Created:
        arn = (
            await self.call(
                request, "sqs", "GetQueueAttributes", QueueUrl=url, AttributeNames=["QueueArn"]
            )
        )["Attributes"]["QueueArn"]
        return Created(url, {"Arn": arn, "QueueName": url.rsplit("/", 1)[-1], "QueueUrl": url})

    async def update(self, request: ResourceRequest) -> Created:
        url = request.physical_id
        attributes = _queue_attributes(dict(request.properties))
        for name in _queue_attributes(dict(request.previous)):
            if name not in attributes and name in ("RedrivePolicy", "RedriveAllowPolicy", "Policy"):
                attributes[name] = ""
        if attributes:
            await self.call(
                request, "sqs", "SetQueueAttributes", QueueUrl=url, Attributes=attributes
            )
        old, new = tag_map(request.previous.get("Tags")), tag_map(request.properties.get("Tags"))
        if old.keys() - new.keys():
            await self.call(
                request, "sqs", "UntagQueue", QueueUrl=url, TagKeys=sorted(old.keys() - new.keys())
            )
        if new and new != old:
            await self.call(request, "sqs", "TagQueue", QueueUrl=url, Tags=new)
        return await self._created(request, url)

    async def delete(self, request: ResourceRequest) -> None:
        await self.attempt(request, "sqs", "DeleteQueue", QueueUrl=request.physical_id)


class QueuePolicy(Provider):
    types = ("AWS::SQS::QueuePolicy",)

    async def create(self, request: ResourceRequest) -> Created:
        await self._apply(request, as_json(request.properties.get("PolicyDocument", {})))
        return Created(physical_name(request))

    async def update(self, request: ResourceRequest) -> Created:
        for url in set(request.previous.get("Queues") or []) - set(
            request.properties.get("Queues") or []
        ):
            await self.attempt(
                request, "sqs", "SetQueueAttributes", QueueUrl=url, Attributes={"Policy": ""}
            )
        await self._apply(request, as_json(request.properties.get("PolicyDocument", {})))
        return Created(request.physical_id)

    async def _apply(self, request: ResourceRequest, policy: str) -> None:
        for url in request.properties.get("Queues") or []:
            await self.call(
                request, "sqs", "SetQueueAttributes", QueueUrl=url, Attributes={"Policy": policy}
            )

    async def delete(self, request: ResourceRequest) -> None:
        for url in request.properties.get("Queues") or []:
            await self.attempt(
                request, "sqs", "SetQueueAttributes", QueueUrl=url, Attributes={"Policy": ""}
            )


_TOPIC_ATTRIBUTES = (
    "DisplayName",
    "FifoTopic",
    "ContentBasedDeduplication",
    "KmsMasterKeyId",
    "SignatureVersion",
    "TracingConfig",
    "ArchivePolicy",
    "DeliveryStatusLogging",
)


class Topic(Provider):
    types = ("AWS::SNS::Topic",)
    replacement = frozenset({"TopicName", "FifoTopic"})

    async def create(self, request: ResourceRequest) -> Created:
        props = request.properties
        fifo = text(props.get("FifoTopic", "false")) == "true"
        name = str(
            props.get("TopicName")
            or physical_name(request, max_length=256, suffix=".fifo" if fifo else "")
        )
        attributes = {
            k: text(props[k])
            for k in _TOPIC_ATTRIBUTES
            if k in props and k != "DeliveryStatusLogging"
        }
        params: dict[str, Any] = {"Name": name, "Attributes": attributes}
        if props.get("Tags"):
            params["Tags"] = tag_list(props["Tags"])
        arn = (await self.call(request, "sns", "CreateTopic", **params))["TopicArn"]
        for subscription in props.get("Subscription") or []:
            await self.call(
                request,
                "sns",
                "Subscribe",
                TopicArn=arn,
                Protocol=str(subscription["Protocol"]),
                Endpoint=str(subscription["Endpoint"]),
                ReturnSubscriptionArn=True,
            )
        return Created(arn, {"TopicArn": arn, "TopicName": name})

    async def update(self, request: ResourceRequest) -> Created:
        arn = request.physical_id
        for name in _TOPIC_ATTRIBUTES:
            if name in ("FifoTopic", "DeliveryStatusLogging"):
                continue
            if request.properties.get(name) != request.previous.get(name):
                await self.call(
                    request,
                    "sns",
                    "SetTopicAttributes",
                    TopicArn=arn,
                    AttributeName=name,
                    AttributeValue=text(request.properties.get(name, "")),
                )
        old = {(s["Protocol"], s["Endpoint"]) for s in request.previous.get("Subscription") or []}
        new = {(s["Protocol"], s["Endpoint"]) for s in request.properties.get("Subscription") or []}
        for protocol, endpoint in new - old:
            await self.call(
                request, "sns", "Subscribe", TopicArn=arn, Protocol=protocol, Endpoint=endpoint
            )
        if old - new:
            listed = await self.call(request, "sns", "ListSubscriptionsByTopic", TopicArn=arn)
            for item in listed.get("Subscriptions", []):
                if (item["Protocol"], item["Endpoint"]) in old - new:
                    await self.attempt(
                        request, "sns", "Unsubscribe", SubscriptionArn=item["SubscriptionArn"]
                    )
        return Created(arn, {"TopicArn": arn, "TopicName": arn.rsplit(":", 1)[-1]})

    async def delete(self, request: ResourceRequest) -> None:
        await self.attempt(request, "sns", "DeleteTopic", TopicArn=request.physical_id)


_SUBSCRIPTION_ATTRIBUTES = (
    "DeliveryPolicy",
    "FilterPolicy",
    "FilterPolicyScope",
    "RawMessageDelivery",
    "RedrivePolicy",
    "SubscriptionRoleArn",
    "ReplayPolicy",
)


class Subscription(Provider):
    types = ("AWS::SNS::Subscription",)
    replacement = frozenset({"TopicArn", "Protocol", "Endpoint"})

    async def create(self, request: ResourceRequest) -> Created:
        props = request.properties
        attributes = {k: text(props[k]) for k in _SUBSCRIPTION_ATTRIBUTES if k in props}
        arn = (
            await self.call(
                request,
                "sns",
                "Subscribe",
                TopicArn=str(props["TopicArn"]),
                Protocol=str(props["Protocol"]),
                Endpoint=str(props.get("Endpoint", "")),
                Attributes=attributes,
                ReturnSubscriptionArn=True,
            )
        )["SubscriptionArn"]
        return Created(arn, {"Arn": arn})

    async def update(self, request: ResourceRequest) -> Created:
        for name in _SUBSCRIPTION_ATTRIBUTES:
            if request.properties.get(name) != request.previous.get(name):
                await self.call(
                    request,
                    "sns",
                    "SetSubscriptionAttributes",
                    SubscriptionArn=request.physical_id,
                    AttributeName=name,
                    AttributeValue=text(request.properties.get(name, "")),
                )
        return Created(request.physical_id, {"Arn": request.physical_id})

    async def delete(self, request: ResourceRequest) -> None:
        await self.attempt(request, "sns", "Unsubscribe", SubscriptionArn=request.physical_id)


class TopicPolicy(Provider):
    types = ("AWS::SNS::TopicPolicy",)

    async def create(self, request: ResourceRequest) -> Created:
        policy = as_json(request.properties.get("PolicyDocument", {}))
        for arn in request.properties.get("Topics") or []:
            await self.call(
                request,
                "sns",
                "SetTopicAttributes",
                TopicArn=arn,
                AttributeName="Policy",
                AttributeValue=policy,
            )
        return Created(request.physical_id or physical_name(request))

    async def update(self, request: ResourceRequest) -> Created:
        return await self.create(request)

    async def delete(self, request: ResourceRequest) -> None:
        # SNS's default policy back: an empty Policy is refused, so the topic keeps its own.
        return None


MESSAGING = (Queue, QueuePolicy, Topic, Subscription, TopicPolicy)
