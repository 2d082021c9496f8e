""":class:`lambdaport.services.interfaces.StreamReader` for DynamoDB streams, for in-process
readers (the event source mapping): the same shards and positions as GetShardIterator and
GetRecords, with no iterator to expire. A record's ``data`` is the stream record as GetRecords
answers it, in DynamoDB JSON (``events.dynamodb_streams.esm_record`` makes the Lambda event's
record of it); one shard spans the whole hash key range."""

from __future__ import annotations

from collections.abc import Callable

import orjson

from lambdaport.errors import AwsError
from lambdaport.services.dynamodbstreams.models import (
    MAX_READ_BYTES,
    RETENTION_S,
    sequence_number,
    stream_arn,
)
from lambdaport.services.dynamodbstreams.records import partition_key, record_shape
from lambdaport.services.dynamodbstreams.shards import StreamShards
from lambdaport.services.interfaces import (
    ShardBatch,
    StreamDescription,
    StreamPosition,
    StreamRecord,
    StreamShard,
)
from lambdaport.store.dynamodb_streams import StoredShard
from lambdaport.stream_signals import StreamSignals

HASH_KEY_MAX = 2**128 - 1


def _shard(shard: StoredShard) -> StreamShard:
    ending = None if shard.ending_seq is None else sequence_number(shard.ending_seq)
    return StreamShard(
        shard.shard_id, shard.parent_shard_id, None, 0, HASH_KEY_MAX,
        sequence_number(shard.starting_seq + 1), ending,
    )  # fmt: skip


class DynamoDBStreamReader:
    def __init__(self, shards: StreamShards, signals: StreamSignals) -> None:
        self._shards = shards
        self._signals = signals

    def stream_arn(self, account_id: str, region: str, stream_name: str) -> str:
        """``stream_name`` is ``TABLE/stream/LABEL``, what follows ``table/`` in the ARN."""
        table, _, label = stream_name.partition("/stream/")
        return stream_arn(account_id, region, table, label)

    def stream_name(self, stream_arn: str) -> str:
        _, found, name = stream_arn.partition(":table/")
        if not found or "/stream/" not in name:
            raise AwsError("ValidationException", f"Invalid StreamArn {stream_arn}", 400)
        return name

    async def describe(self, stream_arn: str) -> StreamDescription:
        stream = await self._shards.stream(stream_arn)
        shards = await self._shards.store.shards(stream.stream_id)
        return StreamDescription(
            stream.stream_arn, self.stream_name(stream.stream_arn), stream.account_id,
            stream.region, int(RETENTION_S // 3600), tuple(_shard(s) for s in shards),
        )  # fmt: skip

    async def read(
        self, stream_arn: str, shard_id: str, position: StreamPosition, limit: int
    ) -> ShardBatch:
        stream = await self._shards.stream(stream_arn)
        shard, shards = await self._shards.shard(stream, shard_id)
        after = await self._shards.start(
            shard, position.type, position.sequence_number, position.timestamp
        )
        batch = await self._shards.read(
            shard, shards, after, max(1, min(limit, 10000)), MAX_READ_BYTES * 6
        )
        records = tuple(
            StreamRecord(
                sequence_number(item.seq),
                partition_key(item.record),
                orjson.dumps(record_shape(item, stream.view_type, stream.region, blobs=False)),
                item.record.created_at,
                "NONE",
            )
            for item in batch.records
        )
        return ShardBatch(
            records,
            StreamPosition("AFTER_SEQUENCE_NUMBER", sequence_number(batch.after_seq)),
            batch.ended,
            tuple(child.shard_id for child in batch.children),
            0,
        )

    def generation(self, stream_arn: str) -> int:
        return self._signals.generation(stream_arn)

    async def wait(self, stream_arn: str, since: int, timeout: float) -> None:
        await self._signals.wait(stream_arn, since, timeout)

    def on_deleted(self, listener: Callable[[str], None]) -> Callable[[], None]:
        """``listener(stream_arn)`` when a stream stops taking records: its table deleted or
        its stream disabled (what is in it stays readable for 24 hours)."""
        return self._signals.on_deleted(listener)
