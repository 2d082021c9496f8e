"""Tags: the stream's own operations (AddTagsToStream, RemoveTagsFromStream,
ListTagsForStream) and the newer ones by ARN (TagResource, UntagResource,
ListTagsForResource), which take a stream's ARN or a consumer's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from lambdaport.request import RequestContext
from lambdaport.services.kinesis import rendering
from lambdaport.services.kinesis.consumers import Consumers
from lambdaport.services.kinesis.models import invalid_argument, not_found, parse_stream_arn
from lambdaport.services.kinesis.streams import Streams
from lambdaport.store.kinesis import StoredConsumer, StoredStream

Params = Mapping[str, Any]
Result = dict[str, Any]
Handler = Callable[[RequestContext, Params], Awaitable[Result]]


class Tagging:
    def __init__(self, streams: Streams, consumers: Consumers) -> None:
        self.streams = streams
        self.consumers = consumers

    def handlers(self) -> dict[str, Handler]:
        return {
            "AddTagsToStream": self.add_tags_to_stream,
            "RemoveTagsFromStream": self.remove_tags_from_stream,
            "ListTagsForStream": self.list_tags_for_stream,
            "TagResource": self.tag_resource,
            "UntagResource": self.untag_resource,
            "ListTagsForResource": self.list_tags_for_resource,
        }

    async def add_tags_to_stream(self, ctx: RequestContext, params: Params) -> Result:
        stream = await self.streams.find(ctx, params)
        await self.streams.tag(stream, params["Tags"])
        return {}

    async def remove_tags_from_stream(self, ctx: RequestContext, params: Params) -> Result:
        stream = await self.streams.find(ctx, params)
        await self.streams.untag(stream, [str(key) for key in params["TagKeys"]])
        return {}

    async def list_tags_for_stream(self, ctx: RequestContext, params: Params) -> Result:
        stream = await self.streams.find(ctx, params)
        keys = sorted(stream.tags)
        start = params.get("ExclusiveStartTagKey")
        if start:
            keys = [key for key in keys if key > str(start)]
        limit = int(params.get("Limit") or 50)
        page = keys[:limit]
        return {
            "Tags": rendering.tag_list({key: stream.tags[key] for key in page}),
            "HasMoreTags": len(keys) > limit,
        }

    async def _resource(
        self, ctx: RequestContext, arn: str
    ) -> tuple[StoredStream, StoredConsumer | None]:
        if "/consumer/" in arn:
            found = await self.consumers.by_arn(arn)
            if found is None:
                raise not_found(f"Consumer {arn}, account {ctx.account_id} not found.")
            return found
        if parse_stream_arn(arn) is None:
            raise invalid_argument(f"Invalid ResourceARN {arn}.")
        return await self.streams.find(ctx, {"StreamARN": arn}), None

    async def tag_resource(self, ctx: RequestContext, params: Params) -> Result:
        stream, consumer = await self._resource(ctx, str(params["ResourceARN"]))
        if consumer is None:
            await self.streams.tag(stream, params["Tags"])
        else:
            await self.consumers.tag(stream, consumer, params["Tags"])
        return {}

    async def untag_resource(self, ctx: RequestContext, params: Params) -> Result:
        stream, consumer = await self._resource(ctx, str(params["ResourceARN"]))
        keys = [str(key) for key in params["TagKeys"]]
        if consumer is None:
            await self.streams.untag(stream, keys)
        else:
            await self.consumers.untag(consumer, keys)
        return {}

    async def list_tags_for_resource(self, ctx: RequestContext, params: Params) -> Result:
        stream, consumer = await self._resource(ctx, str(params["ResourceARN"]))
        tags = stream.tags if consumer is None else consumer.tags
        return {"Tags": rendering.tag_list(tags)}
