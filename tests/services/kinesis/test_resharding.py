"""Resharding through boto3 against a real server: SplitShard, MergeShards and
UpdateShardCount's uniform scaling, with parent/child lineage, closed parents keeping their
records, the end of a closed shard (no NextShardIterator, its ChildShards) and reads going on
into the children; ListShards' filters and paging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import botocore.exceptions
import pytest

from tests.services.kinesis.conftest import MakeStream, error_of, read_all

if TYPE_CHECKING:
    from mypy_boto3_kinesis import KinesisClient

HALF = 2**127


def _shards(kinesis: KinesisClient, stream: str, **extra: Any) -> dict[str, dict[str, Any]]:
    listed = kinesis.list_shards(StreamName=stream, **extra)["Shards"]
    return {shard["ShardId"]: dict(shard) for shard in listed}


def _read_to_end(kinesis: KinesisClient, stream: str, shard: str) -> tuple[list[bytes], Any]:
    """Read a closed shard to its end: its data, and the last GetRecords answer."""
    iterator: str | None = kinesis.get_shard_iterator(
        StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    data: list[bytes] = []
    page: Any = None
    while iterator:
        page = kinesis.get_records(ShardIterator=iterator, Limit=2)
        data += [r["Data"] for r in page["Records"]]
        iterator = page.get("NextShardIterator")
    return data, page


def test_split_closes_the_parent_and_reads_continue_into_the_children(
    kinesis: KinesisClient, make_stream: MakeStream
) -> None:
    stream = make_stream(1)
    before = [b"before-%d" % i for i in range(5)]
    for i, data in enumerate(before):
        kinesis.put_record(StreamName=stream, Data=data, PartitionKey=str(i))
    kinesis.split_shard(
        StreamName=stream, ShardToSplit="shardId-000000000000", NewStartingHashKey=str(HALF)
    )
    shards = _shards(kinesis, stream)
    parent = shards["shardId-000000000000"]
    low, high = shards["shardId-000000000001"], shards["shardId-000000000002"]
    ending = parent["SequenceNumberRange"]["EndingSequenceNumber"]
    assert low["ParentShardId"] == high["ParentShardId"] == "shardId-000000000000"
    assert "AdjacentParentShardId" not in low
    assert low["HashKeyRange"] == {"StartingHashKey": "0", "EndingHashKey": str(HALF - 1)}
    assert high["HashKeyRange"] == {"StartingHashKey": str(HALF), "EndingHashKey": str(2**128 - 1)}
    assert int(low["SequenceNumberRange"]["StartingSequenceNumber"]) > int(ending) - 10**20
    after = [
        kinesis.put_record(
            StreamName=stream, Data=b"after", PartitionKey="k", ExplicitHashKey=str(key)
        )
        for key in (0, HALF)
    ]
    assert [p["ShardId"] for p in after] == ["shardId-000000000001", "shardId-000000000002"]
    assert all(int(p["SequenceNumber"][2:36]) > int(ending[2:36]) for p in after)

    kept, last = _read_to_end(kinesis, stream, "shardId-000000000000")
    assert kept == before  # the closed parent keeps its records
    assert "NextShardIterator" not in last
    children = {child["ShardId"]: child for child in last["ChildShards"]}
    assert set(children) == {"shardId-000000000001", "shardId-000000000002"}
    assert children["shardId-000000000001"]["ParentShards"] == ["shardId-000000000000"]
    assert children["shardId-000000000002"]["HashKeyRange"] == high["HashKeyRange"]
    for child in children:
        assert [r["Data"] for r in read_all(kinesis, stream, child)] == [b"after"]

    with pytest.raises(botocore.exceptions.ClientError) as caught:
        kinesis.split_shard(
            StreamName=stream, ShardToSplit="shardId-000000000000", NewStartingHashKey="5"
        )
    assert error_of(caught.value) == (
        400,
        "InvalidArgumentException",
        f"Shard shardId-000000000000 in stream {stream} under account 000000000000 has "
        "already been merged or split, and thus is not eligible for merging or splitting.",
    )
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        kinesis.split_shard(
            StreamName=stream, ShardToSplit="shardId-000000000001", NewStartingHashKey="0"
        )
    assert error_of(caught.value)[1] == "InvalidArgumentException"
    assert error_of(caught.value)[2].startswith("NewStartingHashKey 0 used in SplitShard()")


def test_merge_names_both_parents(kinesis: KinesisClient, make_stream: MakeStream) -> None:
    stream = make_stream(3)
    kinesis.put_record(StreamName=stream, Data=b"old", PartitionKey="k", ExplicitHashKey="0")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        kinesis.merge_shards(
            StreamName=stream,
            ShardToMerge="shardId-000000000000",
            AdjacentShardToMerge="shardId-000000000002",
        )
    assert error_of(caught.value)[1] == "InvalidArgumentException"
    kinesis.merge_shards(
        StreamName=stream,
        ShardToMerge="shardId-000000000001",
        AdjacentShardToMerge="shardId-000000000000",
    )
    shards = _shards(kinesis, stream)
    merged = shards["shardId-000000000003"]
    assert merged["ParentShardId"] == "shardId-000000000001"
    assert merged["AdjacentParentShardId"] == "shardId-000000000000"
    assert merged["HashKeyRange"]["StartingHashKey"] == "0"
    assert merged["HashKeyRange"]["EndingHashKey"] == str(2 * 2**128 // 3 - 1)
    for closed in ("shardId-000000000000", "shardId-000000000001"):
        assert "EndingSequenceNumber" in shards[closed]["SequenceNumberRange"]
    put = kinesis.put_record(StreamName=stream, Data=b"new", PartitionKey="k", ExplicitHashKey="0")
    assert put["ShardId"] == "shardId-000000000003"
    data, last = _read_to_end(kinesis, stream, "shardId-000000000000")
    assert data == [b"old"]
    assert [c["ShardId"] for c in last["ChildShards"]] == ["shardId-000000000003"]
    assert last["ChildShards"][0]["ParentShards"] == [
        "shardId-000000000001",
        "shardId-000000000000",
    ]


@pytest.mark.parametrize(("start", "target"), [(2, 4), (4, 2), (3, 5), (5, 3), (1, 2)])
def test_update_shard_count_scales_uniformly_with_lineage(
    kinesis: KinesisClient, make_stream: MakeStream, start: int, target: int
) -> None:
    stream = make_stream(start)
    keys = [str(i * (2**128 // 16)) for i in range(16)]
    for key in keys:
        kinesis.put_record(
            StreamName=stream, Data=key.encode(), PartitionKey="k", ExplicitHashKey=key
        )
    answer = kinesis.update_shard_count(
        StreamName=stream, TargetShardCount=target, ScalingType="UNIFORM_SCALING"
    )
    assert (answer["CurrentShardCount"], answer["TargetShardCount"]) == (start, target)
    shards = _shards(kinesis, stream)
    open_shards = sorted(
        (int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"]))
        for s in shards.values()
        if "EndingSequenceNumber" not in s["SequenceNumberRange"]
    )
    assert open_shards == [
        (i * 2**128 // target, (i + 1) * 2**128 // target - 1) for i in range(target)
    ]
    for shard in shards.values():
        for parent in (shard.get("ParentShardId"), shard.get("AdjacentParentShardId")):
            if parent is not None:
                assert "EndingSequenceNumber" in shards[parent]["SequenceNumberRange"]
    summary = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
    assert summary["OpenShardCount"] == target
    # nothing was lost: every record is still in the shard it was put to
    data = sorted(r["Data"] for shard in shards for r in read_all(kinesis, stream, shard))
    assert data == sorted(key.encode() for key in keys)


def test_update_shard_count_refuses_more_than_doubling(
    kinesis: KinesisClient, make_stream: MakeStream
) -> None:
    stream = make_stream(2)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        kinesis.update_shard_count(
            StreamName=stream, TargetShardCount=5, ScalingType="UNIFORM_SCALING"
        )
    assert error_of(caught.value)[1] == "LimitExceededException"


def test_list_shards_filters_and_pages(kinesis: KinesisClient, make_stream: MakeStream) -> None:
    stream = make_stream(2)
    created = datetime.now(UTC)  # botocore sends whole seconds: AT_TIMESTAMP is in test_domain
    kinesis.split_shard(
        StreamName=stream, ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**126)
    )

    def ids(**extra: Any) -> list[str]:
        return sorted(_shards(kinesis, stream, **extra))

    every = [f"shardId-00000000000{i}" for i in range(4)]
    assert ids() == every
    assert ids(ShardFilter={"Type": "AT_LATEST"}) == every[1:]
    assert ids(ShardFilter={"Type": "AT_TRIM_HORIZON"}) == every[:2]
    assert ids(ShardFilter={"Type": "FROM_TRIM_HORIZON"}) == every
    assert ids(ShardFilter={"Type": "AFTER_SHARD_ID", "ShardId": every[1]}) == every[2:]
    assert ids(ExclusiveStartShardId=every[2]) == every[3:]
    past = created - timedelta(hours=1)
    assert ids(ShardFilter={"Type": "FROM_TIMESTAMP", "Timestamp": past}) == every
    assert ids(ShardFilter={"Type": "AT_TIMESTAMP", "Timestamp": past}) == []  # none yet
    future = datetime.now(UTC) + timedelta(hours=1)
    assert ids(ShardFilter={"Type": "AT_TIMESTAMP", "Timestamp": future}) == every[1:]

    first = kinesis.list_shards(StreamName=stream, MaxResults=3)
    assert [s["ShardId"] for s in first["Shards"]] == every[:3]
    following = kinesis.list_shards(NextToken=first["NextToken"])
    assert [s["ShardId"] for s in following["Shards"]] == every[3:]
    assert "NextToken" not in following
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        kinesis.list_shards(StreamName=stream, NextToken=first["NextToken"])
    assert error_of(caught.value) == (
        400,
        "InvalidArgumentException",
        "NextToken and StreamName cannot be provided together.",
    )
