"""Enhanced fan-out consumers: registered, described, listed and deregistered by the
stream's ARN and the consumer's name, or by the consumer's ARN. A consumer is ACTIVE at once.
SubscribeToShard (HTTP/2 event streams) is not served yet: ``api`` answers it with a clear
error."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from lambdaport.errors import ResourceNotFound
from lambdaport.request import RequestContext
from lambdaport.services.kinesis.models import (
    MAX_CONSUMERS,
    Clock,
    consumer_arn,
    in_use,
    invalid_argument,
    limit_exceeded,
    not_found,
    parse_consumer_arn,
    stream_arn,
)
from lambdaport.services.kinesis.streams import Streams, arn_of, check_tags
from lambdaport.store.kinesis import StoredConsumer, StoredStream

Params = Mapping[str, Any]


def arn_of_consumer(stream: StoredStream, consumer: StoredConsumer) -> str:
    return consumer_arn(arn_of(stream), consumer.name, consumer.created_at)


def _consumer_not_found(name: str, account: str) -> ResourceNotFound:
    return not_found(f"Consumer {name}, account {account} not found.")


class Consumers:
    def __init__(self, streams: Streams, clock: Clock) -> None:
        self.streams = streams
        self.store = streams.store
        self.clock = clock

    async def register(
        self, ctx: RequestContext, params: Params
    ) -> tuple[StoredStream, StoredConsumer]:
        stream = await self.streams.find(ctx, params)
        name = str(params["ConsumerName"])
        tags = dict(params.get("Tags") or {})
        check_tags(name, stream.account_id, {}, tags)
        if len(await self.store.consumers(stream.stream_id)) >= MAX_CONSUMERS:
            raise limit_exceeded(
                f"Consumer {name} cannot be created for stream {stream.name} under account "
                f"{stream.account_id}: a stream can have at most {MAX_CONSUMERS} consumers."
            )
        consumer = StoredConsumer(stream.stream_id, name, self.clock() // 1000, "ACTIVE", tags)
        if not await self.store.register_consumer(consumer):
            raise in_use(
                f"Consumer {consumer_arn(arn_of(stream), name, consumer.created_at)} under "
                f"account {stream.account_id} already exists."
            )
        return stream, consumer

    async def find(
        self, ctx: RequestContext, params: Params
    ) -> tuple[StoredStream, StoredConsumer]:
        """By ConsumerARN, or by StreamARN and ConsumerName."""
        arn = params.get("ConsumerARN")
        if arn:
            parsed = parse_consumer_arn(str(arn))
            if parsed is None:
                raise invalid_argument(f"Invalid ConsumerARN {arn}.")
            region, account, stream_name, name, created = parsed
            stream = await self.streams.by_arn(stream_arn(region, account, stream_name))
            if stream is None:
                raise _consumer_not_found(str(arn), account)
            consumer = await self._named(stream, name)
            if consumer is None or consumer.created_at != created:
                raise _consumer_not_found(str(arn), account)
            return stream, consumer
        if not params.get("StreamARN") or not params.get("ConsumerName"):
            raise invalid_argument(
                "Either ConsumerARN, or both StreamARN and ConsumerName, must be provided."
            )
        stream = await self.streams.find(ctx, {"StreamARN": params["StreamARN"]})
        consumer = await self._named(stream, str(params["ConsumerName"]))
        if consumer is None:
            raise _consumer_not_found(str(params["ConsumerName"]), stream.account_id)
        return stream, consumer

    async def _named(self, stream: StoredStream, name: str) -> StoredConsumer | None:
        for consumer in await self.store.consumers(stream.stream_id):
            if consumer.name == name:
                return consumer
        return None

    async def deregister(self, ctx: RequestContext, params: Params) -> None:
        stream, consumer = await self.find(ctx, params)
        if not await self.store.deregister_consumer(stream.stream_id, consumer.name):
            raise _consumer_not_found(consumer.name, stream.account_id)

    async def of(self, stream: StoredStream) -> list[StoredConsumer]:
        return await self.store.consumers(stream.stream_id)

    async def by_arn(self, arn: str) -> tuple[StoredStream, StoredConsumer] | None:
        try:
            return await self.find(RequestContext("", "", ""), {"ConsumerARN": arn})
        except ResourceNotFound:
            return None

    async def tag(self, stream: StoredStream, consumer: StoredConsumer, tags: Params) -> None:
        check_tags(consumer.name, stream.account_id, consumer.tags, tags)
        await self.store.update_consumer(replace(consumer, tags={**consumer.tags, **tags}))

    async def untag(self, consumer: StoredConsumer, keys: list[str]) -> None:
        remaining = {k: v for k, v in consumer.tags.items() if k not in set(keys)}
        await self.store.update_consumer(replace(consumer, tags=remaining))
