"""DynamoDB Streams in-process (no HTTP, no moto), fed through ``TableStreams`` as the
DynamoDB hooks feed it, on a clock the test sets: iterators that expire after 15 minutes,
the 24-hour retention (``TrimmedDataAccessException`` before it, records pruned, a disabled
stream gone a day later), the shard rollover and its lineage, and the ``StreamReader`` the
event source mapping reads with (positions, the doorbell, the notice when a stream goes)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamModel

from lambdaport.errors import AwsError, ResourceNotFound
from lambdaport.events.dynamodb_streams import esm_event
from lambdaport.request import RequestContext
from lambdaport.services.dynamodbstreams import DynamoDBStreamsService
from lambdaport.services.interfaces import ItemChange, StreamPosition, StreamReader, TableStreams
from lambdaport.store.sqlite import SqliteStore

ACCOUNT, REGION = "000000000000", "us-east-1"
CTX = RequestContext(ACCOUNT, REGION, "request")
HOUR = 3600.0
KEY_SCHEMA = (("pk", "HASH"),)


class Clock:
    def __init__(self, now: float = 1_700_000_000.25) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "data")
    yield opened
    opened.close()


def change(pk: str, old: int | None, new: int | None) -> ItemChange:
    def item(v: int | None) -> dict[str, Any] | None:
        return None if v is None else {"pk": {"S": pk}, "v": {"N": str(v)}}

    return ItemChange({"pk": {"S": pk}}, item(old), item(new))


async def write(service: DynamoDBStreamsService, arn: str, *changes: ItemChange) -> None:
    tables: TableStreams = service.tables
    tables.record(arn, changes)
    await tables.flush()


async def call(service: DynamoDBStreamsService, operation: str, **params: Any) -> dict[str, Any]:
    return await service.api.dispatch(CTX, operation, params)


async def iterator(service: DynamoDBStreamsService, arn: str, kind: str, **extra: Any) -> str:
    shards = (await call(service, "DescribeStream", StreamArn=arn))["StreamDescription"]["Shards"]
    answer = await call(
        service, "GetShardIterator", StreamArn=arn, ShardId=shards[0]["ShardId"],
        ShardIteratorType=kind, **extra,
    )  # fmt: skip
    return str(answer["ShardIterator"])


def test_iterators_expire_after_15_minutes(store: SqliteStore) -> None:
    async def scenario() -> None:
        clock = Clock()
        service = DynamoDBStreamsService(store.dynamodb_streams, clock)
        arn = service.tables.enable(ACCOUNT, REGION, "t", KEY_SCHEMA, "KEYS_ONLY").stream_arn
        await service.tables.flush()
        first = await iterator(service, arn, "TRIM_HORIZON")
        clock.now += 899
        page = await call(service, "GetRecords", ShardIterator=first)
        clock.now += 899  # the next iterator is new: it has its own 15 minutes
        await call(service, "GetRecords", ShardIterator=page["NextShardIterator"])
        clock.now += 2
        with pytest.raises(AwsError) as expired:
            await call(service, "GetRecords", ShardIterator=first)
        assert (expired.value.code, expired.value.status) == ("ExpiredIteratorException", 400)
        with pytest.raises(AwsError) as invalid:
            await call(service, "GetRecords", ShardIterator="not-an-iterator")
        assert invalid.value.code == "ValidationException"

    asyncio.run(scenario())


def test_retention_trims_then_prunes_and_a_disabled_stream_goes_a_day_later(
    store: SqliteStore,
) -> None:
    async def scenario() -> None:
        clock = Clock()
        service = DynamoDBStreamsService(store.dynamodb_streams, clock)
        arn = service.tables.enable(ACCOUNT, REGION, "t", KEY_SCHEMA, "NEW_IMAGE").stream_arn
        await write(service, arn, change("old", None, 1))
        old_iterator = await iterator(service, arn, "TRIM_HORIZON")
        [old] = (await call(service, "GetRecords", ShardIterator=old_iterator))["Records"]
        clock.now += 20 * HOUR
        await write(service, arn, change("young", None, 1))
        clock.now += 5 * HOUR  # "old" is 25 h old, "young" 5 h
        assert await service.housekeeping() == 1
        latest = await call(
            service, "GetRecords", ShardIterator=await iterator(service, arn, "LATEST")
        )
        assert latest["Records"] == []
        sequence = old["dynamodb"]["SequenceNumber"]
        with pytest.raises(AwsError) as at_trimmed:
            await iterator(service, arn, "AT_SEQUENCE_NUMBER", SequenceNumber=sequence)
        assert at_trimmed.value.code == "TrimmedDataAccessException"
        horizon = await iterator(service, arn, "TRIM_HORIZON")
        records = (await call(service, "GetRecords", ShardIterator=horizon))["Records"]
        assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in records] == ["young"]

        service.tables.disable(ACCOUNT, REGION, "t")
        await service.tables.flush()
        described = (await call(service, "DescribeStream", StreamArn=arn))["StreamDescription"]
        assert described["StreamStatus"] == "DISABLED"
        clock.now += 23 * HOUR
        await service.housekeeping()
        assert (await call(service, "ListStreams"))["Streams"] != []
        clock.now += 2 * HOUR
        await service.housekeeping()
        assert (await call(service, "ListStreams"))["Streams"] == []
        with pytest.raises(ResourceNotFound):
            await call(service, "DescribeStream", StreamArn=arn)
        count = store.database.call(
            lambda db: db.execute("SELECT COUNT(*) FROM dynamodb_stream_records").fetchone()[0]
        )
        assert count == 0

    asyncio.run(scenario())


def test_an_iterator_behind_the_trim_horizon_is_trimmed(store: SqliteStore) -> None:
    async def scenario() -> None:
        clock = Clock()
        service = DynamoDBStreamsService(store.dynamodb_streams, clock)
        arn = service.tables.enable(ACCOUNT, REGION, "t", KEY_SCHEMA, "KEYS_ONLY").stream_arn
        await write(service, arn, change("a", None, 1), change("b", None, 1))
        clock.now += 24 * HOUR - 600
        behind = await iterator(service, arn, "TRIM_HORIZON")
        clock.now += 660  # the records are past the retention, the iterator 11 minutes old
        await service.housekeeping()
        with pytest.raises(AwsError) as trimmed:
            await call(service, "GetRecords", ShardIterator=behind)
        assert trimmed.value.code == "TrimmedDataAccessException"

    asyncio.run(scenario())


def test_shards_roll_over_and_readers_follow_the_lineage(store: SqliteStore) -> None:
    async def scenario() -> None:
        clock = Clock()
        service = DynamoDBStreamsService(store.dynamodb_streams, clock)
        reader: StreamReader = service.reader
        arn = service.tables.enable(
            ACCOUNT, REGION, "t", KEY_SCHEMA, "NEW_AND_OLD_IMAGES"
        ).stream_arn
        await write(service, arn, change("a", None, 1))
        clock.now += 4 * HOUR
        await service.housekeeping()
        await write(service, arn, change("a", 1, 2))
        described = await reader.describe(arn)
        parent, child = described.shards
        assert not parent.is_open and child.is_open
        assert child.parent_shard_id == parent.shard_id
        assert (child.starting_hash_key, child.ending_hash_key) == (0, 2**128 - 1)
        first = await reader.read(arn, parent.shard_id, StreamPosition("TRIM_HORIZON"), 10)
        assert [orjson.loads(r.data)["eventName"] for r in first.records] == ["INSERT"]
        assert first.shard_ended and first.child_shard_ids == (child.shard_id,)
        second = await reader.read(arn, child.shard_id, StreamPosition("TRIM_HORIZON"), 10)
        assert [orjson.loads(r.data)["eventName"] for r in second.records] == ["MODIFY"]
        assert not second.shard_ended
        api = (await call(service, "DescribeStream", StreamArn=arn))["StreamDescription"]
        assert [s.get("ParentShardId") for s in api["Shards"]] == [None, parent.shard_id]
        assert "EndingSequenceNumber" in api["Shards"][0]["SequenceNumberRange"]
        children = await call(
            service, "DescribeStream", StreamArn=arn,
            ShardFilter={"Type": "CHILD_SHARDS", "ShardId": parent.shard_id},
        )  # fmt: skip
        assert [s["ShardId"] for s in children["StreamDescription"]["Shards"]] == [child.shard_id]

    asyncio.run(scenario())


def test_the_stream_reader_positions_records_and_signals(store: SqliteStore) -> None:
    async def scenario() -> None:
        clock = Clock()
        service = DynamoDBStreamsService(store.dynamodb_streams, clock)
        reader: StreamReader = service.reader
        arn = service.tables.enable(
            ACCOUNT, REGION, "t", KEY_SCHEMA, "NEW_AND_OLD_IMAGES"
        ).stream_arn
        await service.tables.flush()
        name = reader.stream_name(arn)
        assert reader.stream_arn(ACCOUNT, REGION, name) == arn
        [shard] = (await reader.describe(arn)).shards
        latest = await reader.read(arn, shard.shard_id, StreamPosition("LATEST"), 10)
        assert latest.records == () and not latest.shard_ended
        gone: list[str] = []
        unsubscribe = reader.on_deleted(gone.append)
        generation = reader.generation(arn)
        waiter = asyncio.create_task(reader.wait(arn, generation, timeout=60))
        await asyncio.sleep(0)  # parked on the doorbell
        clock.now += 1
        await write(service, arn, change("a", None, 1), change("a", 1, 2))
        await asyncio.wait_for(waiter, 5)  # rung by the commit, long before the timeout
        assert reader.generation(arn) > generation
        batch = await reader.read(arn, shard.shard_id, latest.next_position, 10)
        assert len(batch.records) == 2
        assert batch.records[0].partition_key == '{"pk":{"S":"a"}}'
        assert batch.records[0].approximate_arrival_timestamp == clock.now
        rest = await reader.read(arn, shard.shard_id, batch.next_position, 10)
        assert rest.records == ()
        at = StreamPosition("AT_SEQUENCE_NUMBER", batch.records[1].sequence_number)
        assert len((await reader.read(arn, shard.shard_id, at, 10)).records) == 1
        stamp = StreamPosition("AT_TIMESTAMP", timestamp=clock.now - 0.5)
        assert len((await reader.read(arn, shard.shard_id, stamp, 10)).records) == 2
        event = esm_event([r.data for r in batch.records], arn)
        parsed = DynamoDBStreamModel.model_validate(event)
        assert [str(r.eventName) for r in parsed.Records] == ["INSERT", "MODIFY"]
        assert parsed.Records[1].dynamodb is not None
        assert parsed.Records[1].dynamodb.OldImage == {"pk": "a", "v": 1}
        assert event["Records"][0]["eventSourceARN"] == arn
        assert event["Records"][0]["dynamodb"]["ApproximateCreationDateTime"] == int(clock.now)

        service.tables.table_deleted(ACCOUNT, REGION, "t")
        await service.tables.flush()
        assert gone == [arn]
        ended = await reader.read(arn, shard.shard_id, rest.next_position, 10)
        assert ended.shard_ended and ended.child_shard_ids == ()
        unsubscribe()
        with pytest.raises(ResourceNotFound):
            await reader.describe(arn.replace("/stream/", "/stream/x"))

    asyncio.run(scenario())
