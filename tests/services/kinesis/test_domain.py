"""Kinesis in-process (no HTTP), on a clock the test sets: retention (records past it are not
read and are pruned, closed shards go once their records have), iterators that expire after
5 minutes, the StreamReader in-process readers use (lineage, positions, the doorbell, the
deletion notice), and reads that stay index seeks at any depth."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lambdaport.errors import AwsError, ResourceNotFound
from lambdaport.request import RequestContext
from lambdaport.services.interfaces import StreamPosition, StreamReader
from lambdaport.services.kinesis import KinesisService
from lambdaport.store.sqlite import SqliteStore

CTX = RequestContext("000000000000", "us-east-1", "request")
HOUR_MS = 3_600_000


class Clock:
    def __init__(self, now: int = 1_700_000_000_000) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "data")
    yield opened
    opened.close()


async def _call(service: KinesisService, operation: str, **params: Any) -> dict[str, Any]:
    return await service.api.dispatch(CTX, operation, params)


async def _read(service: KinesisService, stream: str, shard: str) -> list[bytes]:
    start = {"StreamName": stream, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}
    iterator = await _call(service, "GetShardIterator", **start)
    page = await _call(service, "GetRecords", ShardIterator=iterator["ShardIterator"])
    return [record["Data"] for record in page["Records"]]


def _rows(store: SqliteStore) -> int:
    count: int = store.database.call(
        lambda db: db.execute("SELECT COUNT(*) FROM kinesis_records").fetchone()[0]
    )
    return count


def test_records_past_retention_are_not_read_then_pruned(store: SqliteStore) -> None:
    async def scenario() -> None:
        clock = Clock()
        service = KinesisService(store.kinesis, clock)
        await _call(service, "CreateStream", StreamName="s", ShardCount=1)
        await _call(service, "PutRecord", StreamName="s", Data=b"old", PartitionKey="k")
        clock.now += 20 * HOUR_MS
        await _call(service, "PutRecord", StreamName="s", Data=b"young", PartitionKey="k")
        shard = "shardId-000000000000"
        assert await _read(service, "s", shard) == [b"old", b"young"]
        clock.now += 5 * HOUR_MS  # "old" is 25 h old, "young" 5 h
        assert await _read(service, "s", shard) == [b"young"]
        assert _rows(store) == 2  # not pruned yet, but not read
        assert await service.housekeeping() == 1
        assert _rows(store) == 1
        # a longer retention keeps what is younger than it
        await _call(
            service, "IncreaseStreamRetentionPeriod", StreamName="s", RetentionPeriodHours=48
        )
        clock.now += 30 * HOUR_MS  # "young" is 35 h old
        assert await _read(service, "s", shard) == [b"young"]
        clock.now += 14 * HOUR_MS  # 49 h
        assert await _read(service, "s", shard) == []

    asyncio.run(scenario())


def test_closed_shards_go_once_past_retention(store: SqliteStore) -> None:
    async def scenario() -> None:
        clock = Clock()
        service = KinesisService(store.kinesis, clock)
        await _call(service, "CreateStream", StreamName="s", ShardCount=1)
        await _call(service, "PutRecord", StreamName="s", Data=b"x", PartitionKey="k")
        clock.now += 10_000
        await _call(
            service, "SplitShard", StreamName="s", ShardToSplit="shardId-000000000000",
            NewStartingHashKey=str(2**127),
        )  # fmt: skip
        shards = (await _call(service, "ListShards", StreamName="s"))["Shards"]
        assert len(shards) == 3
        split_at = datetime.fromtimestamp(clock.now / 1000, tz=UTC)
        second = timedelta(seconds=1)
        cases = [
            (split_at - second, ["0"]),
            (split_at, ["0", "1", "2"]),
            (split_at + second, ["1", "2"]),
        ]
        for moment, expected in cases:
            at = {"Type": "AT_TIMESTAMP", "Timestamp": moment}
            listed = (await _call(service, "ListShards", StreamName="s", ShardFilter=at))["Shards"]
            assert [s["ShardId"][-1] for s in listed] == expected, moment
        clock.now += 25 * HOUR_MS
        await service.housekeeping()
        shards = (await _call(service, "ListShards", StreamName="s"))["Shards"]
        assert [s["ShardId"] for s in shards] == ["shardId-000000000001", "shardId-000000000002"]
        assert shards[0]["ParentShardId"] == "shardId-000000000000"  # lineage stays, as on AWS
        assert _rows(store) == 0

    asyncio.run(scenario())


def test_iterators_expire_after_five_minutes(store: SqliteStore) -> None:
    async def scenario() -> None:
        clock = Clock()
        service = KinesisService(store.kinesis, clock)
        await _call(service, "CreateStream", StreamName="s", ShardCount=1)
        iterator = await _call(
            service, "GetShardIterator", StreamName="s", ShardId="shardId-000000000000",
            ShardIteratorType="LATEST",
        )  # fmt: skip
        clock.now += 299_000
        page = await _call(service, "GetRecords", ShardIterator=iterator["ShardIterator"])
        clock.now += 299_000  # the next iterator is new: it has its own 5 minutes
        await _call(service, "GetRecords", ShardIterator=page["NextShardIterator"])
        with pytest.raises(AwsError) as caught:
            await _call(service, "GetRecords", ShardIterator=iterator["ShardIterator"])
        assert caught.value.code == "ExpiredIteratorException"
        assert caught.value.message.startswith("Iterator expired. The iterator was created at")
        assert "tolerated delay of 300000 milliseconds" in caught.value.message

    asyncio.run(scenario())


def test_the_stream_reader_reads_positions_and_lineage(store: SqliteStore) -> None:
    async def scenario() -> None:
        clock = Clock()
        service = KinesisService(store.kinesis, clock)
        reader: StreamReader = service.reader
        await _call(service, "CreateStream", StreamName="s", ShardCount=1)
        arn = reader.stream_arn("000000000000", "us-east-1", "s")
        assert reader.stream_name(arn) == "s"
        shard = "shardId-000000000000"
        latest = await reader.read(arn, shard, StreamPosition("LATEST"), 10)
        assert latest.records == () and not latest.shard_ended
        for i in range(3):
            clock.now += 1000
            await _call(service, "PutRecord", StreamName="s", Data=b"%d" % i, PartitionKey="k")
        # LATEST was resolved: its next position sees what came after
        after_latest = await reader.read(arn, shard, latest.next_position, 10)
        assert [r.data for r in after_latest.records] == [b"0", b"1", b"2"]
        first = after_latest.records[0]
        assert first.approximate_arrival_timestamp == (1_700_000_000_000 + 1000) / 1000
        some = await reader.read(arn, shard, StreamPosition("TRIM_HORIZON"), 2)
        assert [r.data for r in some.records] == [b"0", b"1"]
        assert some.millis_behind_latest >= 0
        rest = await reader.read(arn, shard, some.next_position, 10)
        assert [r.data for r in rest.records] == [b"2"]
        at = await reader.read(
            arn, shard, StreamPosition("AT_SEQUENCE_NUMBER", first.sequence_number), 10
        )
        assert len(at.records) == 3
        stamp = StreamPosition("AT_TIMESTAMP", timestamp=(1_700_000_000_000 + 2000) / 1000)
        assert [r.data for r in (await reader.read(arn, shard, stamp, 10)).records] == [b"1", b"2"]

        await _call(service, "SplitShard", StreamName="s", ShardToSplit=shard,
                    NewStartingHashKey=str(2**127))  # fmt: skip
        described = await reader.describe(arn)
        parent, low, high = described.shards
        assert not parent.is_open and parent.ending_sequence_number is not None
        assert low.parent_shard_id == high.parent_shard_id == shard
        assert (low.starting_hash_key, high.ending_hash_key) == (0, 2**128 - 1)
        end = await reader.read(arn, shard, rest.next_position, 10)
        assert end.shard_ended and end.records == ()
        assert end.child_shard_ids == (low.shard_id, high.shard_id)
        with pytest.raises(ResourceNotFound):
            await reader.describe(reader.stream_arn("000000000000", "us-east-1", "missing"))

    asyncio.run(scenario())


def test_the_doorbell_wakes_a_reader_and_deletion_is_announced(store: SqliteStore) -> None:
    async def scenario() -> None:
        service = KinesisService(store.kinesis, Clock())
        reader: StreamReader = service.reader
        await _call(service, "CreateStream", StreamName="s", ShardCount=2)
        arn = reader.stream_arn("000000000000", "us-east-1", "s")
        deleted: list[str] = []
        unsubscribe = reader.on_deleted(deleted.append)
        generation = reader.generation(arn)
        waiter = asyncio.create_task(reader.wait(arn, generation, timeout=60))
        await asyncio.sleep(0)  # the waiter is parked on the doorbell
        assert not waiter.done()
        await _call(service, "PutRecord", StreamName="s", Data=b"x", PartitionKey="k")
        await asyncio.wait_for(waiter, timeout=10)  # woken by the put, long before 60 s
        assert reader.generation(arn) == generation + 1
        # a put that came between reading the generation and waiting is not missed
        await _call(service, "PutRecord", StreamName="s", Data=b"y", PartitionKey="k")
        await asyncio.wait_for(reader.wait(arn, generation + 1, timeout=60), timeout=10)

        waiter = asyncio.create_task(reader.wait(arn, reader.generation(arn), timeout=60))
        await asyncio.sleep(0)
        await _call(service, "DeleteStream", StreamName="s")
        await asyncio.wait_for(waiter, timeout=10)
        assert deleted == [arn]
        unsubscribe()
        await _call(service, "CreateStream", StreamName="s", ShardCount=1)
        await _call(service, "DeleteStream", StreamName="s")
        assert deleted == [arn]
        with pytest.raises(ResourceNotFound):
            await reader.read(arn, "shardId-000000000000", StreamPosition("TRIM_HORIZON"), 1)

    asyncio.run(scenario())


def test_record_reads_are_index_seeks(store: SqliteStore) -> None:
    """The statements behind GetRecords, PutRecord and AT_TIMESTAMP use the shard index, so
    they cost the same at any depth."""
    plans: list[str] = []

    def explain(db: sqlite3.Connection) -> None:
        for sql in (
            "SELECT seq, partition_key, data, arrival FROM kinesis_records WHERE stream_id = 1 "
            "AND shard_index = 0 AND seq > 5 AND arrival >= 0 ORDER BY seq LIMIT 10",
            "SELECT seq, arrival FROM kinesis_records WHERE stream_id = 1 AND shard_index = 0 "
            "ORDER BY seq DESC LIMIT 1",
            "SELECT seq, arrival FROM kinesis_records WHERE stream_id = 1 AND shard_index = 0 "
            "AND seq >= 7 ORDER BY seq LIMIT 1",
        ):
            plans.extend(row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql))

    store.database.call(explain)
    assert plans and all("kinesis_records_shard" in plan for plan in plans), plans
    assert not any("TEMP B-TREE" in plan for plan in plans), plans
