"""SNS topics as asynchronous-invocation destinations and dead-letter targets: the invocation
record (or, for a dead-letter queue, the original event with its RequestID, ErrorCode and
ErrorMessage attributes) is published as the message (A.4)."""

from __future__ import annotations

from lambdaport.invoke.asynchronous.destinations import Delivery, DeliveryFailed
from lambdaport.services.interfaces import MessageAttribute, TopicSink


class TopicDestination:
    """A ``DestinationTarget`` for topic ARNs."""

    def __init__(self, topics: TopicSink) -> None:
        self._topics = topics

    async def deliver(self, delivery: Delivery) -> None:
        if delivery.destination_arn.endswith(".fifo"):
            raise DeliveryFailed("FIFO topics are not supported as destinations")
        if not await self._topics.topic_exists(delivery.destination_arn):
            raise DeliveryFailed(f"topic {delivery.destination_arn} does not exist")
        attributes = {
            name: MessageAttribute(value.data_type, value.string_value)
            for name, value in delivery.attributes.items()
        }
        await self._topics.publish(
            delivery.destination_arn,
            delivery.body.decode(),
            attributes or None,
            trace_header=delivery.trace_header,
        )
