"""Amazon SNS's store: topics, subscriptions, FIFO deduplication and the deliveries not yet
finished; their records and the protocol.

Every method is atomic and committed before it returns: a topic, subscription or accepted
publish survives a crash of the server.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class TopicRow:
    arn: str
    account_id: str
    region: str
    name: str
    attributes: Mapping[str, str]  # the attributes set by CreateTopic / SetTopicAttributes
    tags: Mapping[str, str]
    subscriptions_deleted: int
    sequence: int  # the last FIFO sequence number handed out


@dataclass(frozen=True, slots=True)
class SubscriptionRow:
    arn: str
    topic_arn: str
    account_id: str
    region: str
    protocol: str
    endpoint: str
    owner: str
    attributes: Mapping[str, str]  # FilterPolicy, RawMessageDelivery, RedrivePolicy, ...
    pending: bool
    token: str | None
    authenticated: bool  # ConfirmationWasAuthenticated


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: int
    subscription_arn: str
    message: Mapping[str, Any]  # the message as delivery needs it (see services.sns.messages)
    attempts: int
    not_before: float


class SnsTables(Protocol):
    async def put_topic(self, topic: TopicRow) -> None: ...

    async def topic(self, arn: str) -> TopicRow | None: ...

    async def topics(
        self, account_id: str, region: str, after: str, limit: int
    ) -> list[TopicRow]: ...

    async def delete_topic(self, arn: str) -> None: ...

    async def next_sequence(self, arn: str, step: int) -> int:
        """Advance the topic's FIFO sequence number by ``step``; return the new value."""
        ...

    async def put_subscription(self, sub: SubscriptionRow) -> None: ...

    async def subscription(self, arn: str) -> SubscriptionRow | None: ...

    async def subscriptions_of_topic(
        self, topic_arn: str, after: str = "", limit: int = -1
    ) -> list[SubscriptionRow]: ...

    async def subscriptions(
        self, account_id: str, region: str, after: str, limit: int
    ) -> list[SubscriptionRow]: ...

    async def subscription_counts(self, topic_arn: str) -> tuple[int, int]:
        """(confirmed, pending) subscriptions of the topic."""
        ...

    async def delete_subscription(self, arn: str, topic_arn: str) -> None: ...

    async def remember_deduplication(
        self,
        topic_arn: str,
        deduplication_id: str,
        message_id: str,
        sequence: str,
        *,
        now: float,
        window: float,
    ) -> tuple[str, str] | None:
        """Record a deduplication id; if it is already live, return its (message id,
        sequence number) instead. Expired ids are forgotten on the way."""
        ...

    async def add_deliveries(
        self, items: Iterable[tuple[str, Mapping[str, Any]]], now: float
    ) -> list[int]:
        """Queue one delivery per (subscription ARN, message) in one transaction."""
        ...

    async def delivery(self, delivery_id: int) -> DeliveryRow | None: ...

    async def delivery_ids(self) -> list[int]: ...

    async def retry_delivery(self, delivery_id: int, attempts: int, not_before: float) -> None: ...

    async def finish_delivery(self, delivery_id: int) -> None: ...
