"""DynamoDB Streams' operations: DescribeStream, GetShardIterator, GetRecords and ListStreams
in botocore's ``dynamodbstreams`` shapes. Errors are ``AwsError``s the gateway serialises in
one place."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from lambdaport.request import RequestContext
from lambdaport.services.dynamodbstreams import iterators
from lambdaport.services.dynamodbstreams.models import (
    MAX_READ_BYTES,
    MAX_RECORDS,
    Clock,
    sequence_number,
    stream_not_found,
    validation,
)
from lambdaport.services.dynamodbstreams.records import record_shape
from lambdaport.services.dynamodbstreams.shards import StreamShards
from lambdaport.store.dynamodb_streams import StoredShard, StoredStream

Params = Mapping[str, Any]
Result = dict[str, Any]
Handler = Callable[[RequestContext, Params], Awaitable[Result]]


def _time(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def _status(stream: StoredStream) -> str:
    return "ENABLED" if stream.enabled else "DISABLED"


def _shard(shard: StoredShard) -> Result:
    numbers: Result = {"StartingSequenceNumber": sequence_number(shard.starting_seq + 1)}
    if shard.ending_seq is not None:
        numbers["EndingSequenceNumber"] = sequence_number(shard.ending_seq)
    out: Result = {"ShardId": shard.shard_id, "SequenceNumberRange": numbers}
    if shard.parent_shard_id is not None:
        out["ParentShardId"] = shard.parent_shard_id
    return out


def _page(limit: Any, default: int, maximum: int) -> int:
    if limit is None:
        return default
    if not 1 <= int(limit) <= maximum:
        raise validation(
            f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy "
            f"constraint: Member must have value between 1 and {maximum}"
        )
    return int(limit)


class DynamoDBStreamsApi:
    def __init__(self, shards: StreamShards, clock: Clock) -> None:
        self.shards = shards
        self.clock = clock
        self._handlers: dict[str, Handler] = {
            "DescribeStream": self.describe_stream,
            "GetShardIterator": self.get_shard_iterator,
            "GetRecords": self.get_records,
            "ListStreams": self.list_streams,
        }

    async def dispatch(self, ctx: RequestContext, operation: str, params: Params) -> Result:
        return await self._handlers[operation](ctx, params)

    async def describe_stream(self, ctx: RequestContext, params: Params) -> Result:
        stream = await self.shards.stream(str(params["StreamArn"]))
        limit = _page(params.get("Limit"), 100, 100)
        shards = await self.shards.store.shards(stream.stream_id)
        shard_filter = params.get("ShardFilter") or {}
        if shard_filter:
            if shard_filter.get("Type") != "CHILD_SHARDS" or not shard_filter.get("ShardId"):
                raise validation("ShardFilter of type CHILD_SHARDS needs a ShardId")
            shards = [s for s in shards if s.parent_shard_id == shard_filter["ShardId"]]
        start = params.get("ExclusiveStartShardId")
        if start is not None:
            ids = [s.shard_id for s in shards]
            shards = shards[ids.index(start) + 1 :] if start in ids else []
        page, more = shards[:limit], len(shards) > limit
        description: Result = {
            "StreamArn": stream.stream_arn,
            "StreamLabel": stream.label,
            "StreamStatus": _status(stream),
            "StreamViewType": stream.view_type,
            "CreationRequestDateTime": _time(stream.created_at),
            "TableName": stream.table_name,
            "KeySchema": [
                {"AttributeName": name, "KeyType": kind} for name, kind in stream.key_schema
            ],
            "Shards": [_shard(shard) for shard in page],
        }
        if more:
            description["LastEvaluatedShardId"] = page[-1].shard_id
        return {"StreamDescription": description}

    async def get_shard_iterator(self, ctx: RequestContext, params: Params) -> Result:
        stream = await self.shards.stream(str(params["StreamArn"]))
        shard, _ = await self.shards.shard(stream, str(params["ShardId"]))
        sequence = params.get("SequenceNumber")
        moment = params.get("Timestamp")
        after = await self.shards.start(
            shard,
            str(params["ShardIteratorType"]),
            None if sequence is None else str(sequence),
            None if moment is None else moment.timestamp(),
        )
        now_ms = int(self.clock() * 1000)
        iterator = iterators.ShardIterator(stream.stream_id, shard.shard_index, after, now_ms)
        return {"ShardIterator": iterator.encode()}

    async def get_records(self, ctx: RequestContext, params: Params) -> Result:
        iterator = iterators.decode(str(params["ShardIterator"]), self.clock())
        limit = _page(params.get("Limit"), MAX_RECORDS, MAX_RECORDS)
        stream = await self.shards.store.stream_by_id(iterator.stream_id)
        found = (
            None
            if stream is None
            else await self.shards.shard_at(iterator.stream_id, iterator.shard_index)
        )
        if stream is None or found is None:
            raise stream_not_found("the stream of this ShardIterator")
        shard, shards = found
        batch = await self.shards.read(shard, shards, iterator.after_seq, limit, MAX_READ_BYTES)
        records = []
        for item in batch.records:
            record = record_shape(item, stream.view_type, stream.region)
            dynamodb = record["dynamodb"]
            dynamodb["ApproximateCreationDateTime"] = _time(dynamodb["ApproximateCreationDateTime"])
            records.append(record)
        out: Result = {"Records": records}
        if not batch.ended:
            now_ms = int(self.clock() * 1000)
            out["NextShardIterator"] = iterators.ShardIterator(
                stream.stream_id, shard.shard_index, batch.after_seq, now_ms
            ).encode()
        return out

    async def list_streams(self, ctx: RequestContext, params: Params) -> Result:
        limit = _page(params.get("Limit"), 100, 100)
        table = params.get("TableName")
        if isinstance(table, str) and table.startswith("arn:"):
            table = table.rpartition("table/")[2]
        streams = [
            stream
            for stream in await self.shards.store.streams(ctx.account_id, ctx.region)
            if table is None or stream.table_name == table
        ]
        start = params.get("ExclusiveStartStreamArn")
        if start is not None:
            arns = [s.stream_arn for s in streams]
            streams = streams[arns.index(start) + 1 :] if start in arns else []
        page, more = streams[:limit], len(streams) > limit
        out: Result = {
            "Streams": [
                {"StreamArn": s.stream_arn, "TableName": s.table_name, "StreamLabel": s.label}
                for s in page
            ]
        }
        if more:
            out["LastEvaluatedStreamArn"] = page[-1].stream_arn
        return out
