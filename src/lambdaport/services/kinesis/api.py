"""Kinesis's operations: the parameters botocore sends, one domain call, the output shape
out (``rendering``). Errors are ``AwsError``s the gateway serialises in one place."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from lambdaport.errors import AwsError
from lambdaport.request import RequestContext
from lambdaport.services.kinesis import iterators, rendering
from lambdaport.services.kinesis.consumers import Consumers
from lambdaport.services.kinesis.models import (
    Clock,
    invalid_argument,
    not_found,
    parse_consumer_arn,
    sequence_number,
    shard_id,
    shard_index,
)
from lambdaport.services.kinesis.records import Entry, Records
from lambdaport.services.kinesis.shards import Shards
from lambdaport.services.kinesis.streams import Streams, arn_of
from lambdaport.services.kinesis.tagging import Tagging

Params = Mapping[str, Any]
Result = dict[str, Any]
Handler = Callable[[RequestContext, Params], Awaitable[Result]]

SUBSCRIBE_TO_SHARD = (
    "lambdaport does not serve SubscribeToShard (enhanced fan-out over HTTP/2 event streams) "
    "yet; read the shard with GetShardIterator and GetRecords."
)


def _page_after(names: list[str], after: str | None, limit: int) -> tuple[list[str], bool]:
    names = [name for name in names if after is None or name > after]
    return names[:limit], len(names) > limit


class KinesisApi:
    def __init__(
        self,
        streams: Streams,
        shards: Shards,
        records: Records,
        consumers: Consumers,
        clock: Clock,
    ) -> None:
        self.streams = streams
        self.shards = shards
        self.records = records
        self.consumers = consumers
        self.tagging = Tagging(streams, consumers)
        self.clock = clock
        self._handlers: dict[str, Handler] = {
            name[1:]: getattr(self, name) for name in dir(self) if name[1:2].isupper()
        }
        self._handlers.update(self.tagging.handlers())

    async def dispatch(self, ctx: RequestContext, operation: str, params: Params) -> Result:
        handler = self._handlers.get(operation)
        if handler is None:
            message = (
                SUBSCRIBE_TO_SHARD
                if operation == "SubscribeToShard"
                else f"lambdaport does not implement Kinesis {operation} yet."
            )
            raise AwsError("NotImplementedException", message, 501, sender_fault=False)
        return await handler(ctx, params)

    # -- streams -------------------------------------------------------------------------

    async def _CreateStream(self, ctx: RequestContext, params: Params) -> Result:
        await self.streams.create(ctx, params)
        return {}

    async def _DeleteStream(self, ctx: RequestContext, params: Params) -> Result:
        await self.streams.delete(ctx, params)
        return {}

    async def _DescribeStream(self, ctx: RequestContext, params: Params) -> Result:
        stream = await self.streams.find(ctx, params)
        shards = await self.shards.of(stream)
        start = params.get("ExclusiveStartShardId")
        if start:
            after = shard_index(str(start))
            shards = [s for s in shards if after is None or s.shard_index > after]
        limit = min(int(params.get("Limit") or 100), 100)
        page = shards[:limit]
        return {"StreamDescription": rendering.description(stream, page, len(shards) > limit)}

    async def _DescribeStreamSummary(self, ctx: RequestContext, params: Params) -> Result:
        stream = await self.streams.find(ctx, params)
        shards = await self.shards.of(stream)
        consumers = await self.consumers.of(stream)
        open_shards = sum(1 for shard in shards if shard.is_open)
        summary = rendering.summary(stream, open_shards, len(consumers))
        return {"StreamDescriptionSummary": summary}

    async def _ListStreams(self, ctx: RequestContext, params: Params) -> Result:
        streams = {stream.name: stream for stream in await self.streams.in_region(ctx)}
        after = params.get("ExclusiveStartStreamName")
        token = params.get("NextToken")
        if token:
            try:
                after = base64.urlsafe_b64decode(str(token).encode()).decode()
            except ValueError:
                raise invalid_argument("Invalid NextToken.") from None
        limit = min(int(params.get("Limit") or 100), 10000)
        names, more = _page_after(sorted(streams), after, limit)
        result: Result = {
            "StreamNames": names,
            "HasMoreStreams": more,
            "StreamSummaries": [rendering.stream_summary(streams[name]) for name in names],
        }
        if more:
            result["NextToken"] = base64.urlsafe_b64encode(names[-1].encode()).decode()
        return result

    async def _IncreaseStreamRetentionPeriod(self, ctx: RequestContext, params: Params) -> Result:
        await self.streams.increase_retention(ctx, params)
        return {}

    async def _DecreaseStreamRetentionPeriod(self, ctx: RequestContext, params: Params) -> Result:
        await self.streams.decrease_retention(ctx, params)
        return {}

    async def _UpdateStreamMode(self, ctx: RequestContext, params: Params) -> Result:
        await self.streams.set_mode(ctx, params)
        return {}

    async def _StartStreamEncryption(self, ctx: RequestContext, params: Params) -> Result:
        await self.streams.start_encryption(ctx, params)
        return {}

    async def _StopStreamEncryption(self, ctx: RequestContext, params: Params) -> Result:
        await self.streams.stop_encryption(ctx, params)
        return {}

    async def _monitoring(self, ctx: RequestContext, params: Params, *, enable: bool) -> Result:
        before, metrics = await self.streams.monitoring(ctx, params, enable=enable)
        return {
            "StreamName": before.name,
            "CurrentShardLevelMetrics": list(before.shard_level_metrics),
            "DesiredShardLevelMetrics": list(metrics),
            "StreamARN": arn_of(before),
        }

    async def _EnableEnhancedMonitoring(self, ctx: RequestContext, params: Params) -> Result:
        return await self._monitoring(ctx, params, enable=True)

    async def _DisableEnhancedMonitoring(self, ctx: RequestContext, params: Params) -> Result:
        return await self._monitoring(ctx, params, enable=False)

    async def _DescribeLimits(self, ctx: RequestContext, params: Params) -> Result:
        streams = await self.streams.in_region(ctx)
        open_shards = 0
        for stream in streams:
            open_shards += sum(1 for shard in await self.shards.of(stream) if shard.is_open)
        return {
            "ShardLimit": 500,
            "OpenShardCount": open_shards,
            "OnDemandStreamCount": sum(1 for s in streams if s.mode == "ON_DEMAND"),
            "OnDemandStreamCountLimit": 50,
        }

    # -- shards --------------------------------------------------------------------------

    async def _ListShards(self, ctx: RequestContext, params: Params) -> Result:
        _, shards, token = await self.shards.page(ctx, params)
        result: Result = {"Shards": [rendering.shard(shard) for shard in shards]}
        if token:
            result["NextToken"] = token
        return result

    async def _SplitShard(self, ctx: RequestContext, params: Params) -> Result:
        await self.shards.split(ctx, params)
        return {}

    async def _MergeShards(self, ctx: RequestContext, params: Params) -> Result:
        await self.shards.merge(ctx, params)
        return {}

    async def _UpdateShardCount(self, ctx: RequestContext, params: Params) -> Result:
        stream, current = await self.shards.update_count(ctx, params)
        return {
            "StreamName": stream.name,
            "CurrentShardCount": current,
            "TargetShardCount": int(params["TargetShardCount"]),
            "StreamARN": arn_of(stream),
        }

    # -- records -------------------------------------------------------------------------

    async def _PutRecord(self, ctx: RequestContext, params: Params) -> Result:
        stream = await self.streams.find(ctx, params)
        entry = Entry(
            bytes(params["Data"]), params.get("PartitionKey"), params.get("ExplicitHashKey"), ""
        )
        (put,) = await self.records.put(stream, [entry], batch=False)
        result: Result = {
            "ShardId": shard_id(put.shard_index),
            "SequenceNumber": sequence_number(put.seq, put.shard_index),
        }
        if stream.encryption_type == "KMS":
            result["EncryptionType"] = "KMS"
        return result

    async def _PutRecords(self, ctx: RequestContext, params: Params) -> Result:
        stream = await self.streams.find(ctx, params)
        entries = [
            Entry(
                bytes(item["Data"]),
                item.get("PartitionKey"),
                item.get("ExplicitHashKey"),
                f"records.{number}.member.",
            )
            for number, item in enumerate(params["Records"], start=1)
        ]
        puts = await self.records.put(stream, entries, batch=True)
        result: Result = {
            "FailedRecordCount": 0,
            "Records": [
                {
                    "SequenceNumber": sequence_number(put.seq, put.shard_index),
                    "ShardId": shard_id(put.shard_index),
                }
                for put in puts
            ],
        }
        if stream.encryption_type == "KMS":
            result["EncryptionType"] = "KMS"
        return result

    async def _GetShardIterator(self, ctx: RequestContext, params: Params) -> Result:
        stream = await self.streams.find(ctx, params)
        shard, _ = await self.records.shard(stream, str(params["ShardId"]))
        kind = str(params["ShardIteratorType"])
        after = await self.records.start(
            stream, shard, kind, params.get("StartingSequenceNumber"), params.get("Timestamp")
        )
        iterator = iterators.ShardIterator(stream.stream_id, shard.shard_index, after, self.clock())
        return {"ShardIterator": iterator.encode()}

    async def _GetRecords(self, ctx: RequestContext, params: Params) -> Result:
        now = self.clock()
        position = iterators.decode(str(params["ShardIterator"]), now)
        stream = await self.streams.store.stream_by_id(position.stream_id)
        if stream is None:
            raise not_found(
                f"The stream of the shard iterator under account {ctx.account_id} does not exist."
            )
        if params.get("StreamARN") and params["StreamARN"] != arn_of(stream):
            raise invalid_argument(
                f"The shard iterator does not belong to the stream {params['StreamARN']}."
            )
        shard, shards = await self.records.shard(stream, shard_id(position.shard_index))
        limit = int(params.get("Limit") or 10000)
        batch = await self.records.read(stream, shard, shards, position.after_seq, limit)
        next_iterator = None
        if not batch.ended:
            following = iterators.ShardIterator(
                stream.stream_id, shard.shard_index, batch.after_seq, now
            )
            next_iterator = following.encode()
        return rendering.records(batch, next_iterator)

    # -- consumers -----------------------------------------------------------------------

    async def _RegisterStreamConsumer(self, ctx: RequestContext, params: Params) -> Result:
        stream, consumer = await self.consumers.register(ctx, params)
        return {"Consumer": rendering.consumer(stream, consumer)}

    async def _DescribeStreamConsumer(self, ctx: RequestContext, params: Params) -> Result:
        stream, consumer = await self.consumers.find(ctx, params)
        return {"ConsumerDescription": rendering.consumer_description(stream, consumer)}

    async def _DeregisterStreamConsumer(self, ctx: RequestContext, params: Params) -> Result:
        await self.consumers.deregister(ctx, params)
        return {}

    async def _ListStreamConsumers(self, ctx: RequestContext, params: Params) -> Result:
        stream = await self.streams.find(ctx, {"StreamARN": params["StreamARN"]})
        consumers = {c.name: c for c in await self.consumers.of(stream)}
        after = None
        token = params.get("NextToken")
        if token:
            parsed = parse_consumer_arn(
                base64.urlsafe_b64decode(str(token).encode()).decode(errors="replace")
            )
            if parsed is None:
                raise invalid_argument("Invalid NextToken.")
            after = parsed[3]
        limit = int(params.get("MaxResults") or 100)
        names, more = _page_after(sorted(consumers), after, limit)
        page = [rendering.consumer(stream, consumers[name]) for name in names]
        result: Result = {"Consumers": page}
        if more:
            last = page[-1]["ConsumerARN"]
            result["NextToken"] = base64.urlsafe_b64encode(last.encode()).decode()
        return result
