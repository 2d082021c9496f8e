""":class:`lambdaport.services.interfaces.StreamReader` for in-process readers (the event
source mapping): the same stores and positions as GetShardIterator and GetRecords, with no
iterator to expire, and the stream's doorbell and deletion listeners."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from lambdaport.services.interfaces import (
    ShardBatch,
    StreamDescription,
    StreamPosition,
    StreamRecord,
    StreamShard,
)
from lambdaport.services.kinesis.models import (
    invalid_argument,
    parse_stream_arn,
    sequence_number,
    shard_id,
    stream_arn,
    stream_not_found,
)
from lambdaport.services.kinesis.records import Records
from lambdaport.services.kinesis.streams import Streams, arn_of
from lambdaport.store.kinesis import StoredShard, StoredStream
from lambdaport.stream_signals import StreamSignals


def _shard(shard: StoredShard) -> StreamShard:
    ending = shard.ending_seq
    return StreamShard(
        shard_id(shard.shard_index),
        None if shard.parent is None else shard_id(shard.parent),
        None if shard.adjacent_parent is None else shard_id(shard.adjacent_parent),
        shard.starting_hash,
        shard.ending_hash,
        sequence_number(shard.starting_seq, shard.shard_index),
        None if ending is None else sequence_number(ending, shard.shard_index),
    )


class KinesisStreamReader:
    def __init__(self, streams: Streams, records: Records, signals: StreamSignals) -> None:
        self._streams = streams
        self._records = records
        self._signals = signals

    def stream_arn(self, account_id: str, region: str, stream_name: str) -> str:
        return stream_arn(region, account_id, stream_name)

    def stream_name(self, stream_arn: str) -> str:
        parsed = parse_stream_arn(stream_arn)
        if parsed is None:
            raise invalid_argument(f"Invalid StreamARN {stream_arn}.")
        return parsed[2]

    async def _stream(self, arn: str) -> StoredStream:
        stream = await self._streams.by_arn(arn)
        if stream is None:
            parsed = parse_stream_arn(arn)
            name, account = (parsed[2], parsed[1]) if parsed else (arn, "")
            raise stream_not_found(name, account)
        return stream

    async def describe(self, stream_arn: str) -> StreamDescription:
        stream = await self._stream(stream_arn)
        shards = await self._streams.store.shards(stream.stream_id)
        return StreamDescription(
            arn_of(stream),
            stream.name,
            stream.account_id,
            stream.region,
            stream.retention_hours,
            tuple(_shard(shard) for shard in shards),
        )

    async def read(
        self, stream_arn: str, shard_id: str, position: StreamPosition, limit: int
    ) -> ShardBatch:
        stream = await self._stream(stream_arn)
        shard, shards = await self._records.shard(stream, shard_id)
        moment = None
        if position.timestamp is not None:
            moment = datetime.fromtimestamp(position.timestamp, tz=UTC)
        after = await self._records.start(
            stream, shard, position.type, position.sequence_number, moment
        )
        batch = await self._records.read(stream, shard, shards, after, max(1, min(limit, 10000)))
        kms = "KMS" if stream.encryption_type == "KMS" else "NONE"
        return ShardBatch(
            tuple(
                StreamRecord(
                    sequence_number(record.seq, record.shard_index),
                    record.partition_key,
                    record.data,
                    record.arrival / 1000,
                    kms,
                )
                for record in batch.records
            ),
            StreamPosition(
                "AFTER_SEQUENCE_NUMBER", sequence_number(batch.after_seq, shard.shard_index)
            ),
            batch.ended,
            tuple(_shard(child).shard_id for child in batch.children),
            batch.millis_behind_latest,
        )

    def generation(self, stream_arn: str) -> int:
        return self._signals.generation(stream_arn)

    async def wait(self, stream_arn: str, since: int, timeout: float) -> None:
        await self._signals.wait(stream_arn, since, timeout)

    def on_deleted(self, listener: Callable[[str], None]) -> Callable[[], None]:
        return self._signals.on_deleted(listener)
