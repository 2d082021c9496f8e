"""Streams through boto3 against a real server: create (provisioned and on-demand), the
waiters, describe and its shard paging, summaries, listing, retention, mode, encryption,
enhanced monitoring, StreamARN addressing, deletion, AWS's errors, and the AWS CLI."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import botocore.exceptions
import pytest

from lambdaport.testing.server import ServerProcess
from tests.helpers import aws_json
from tests.services.kinesis.conftest import MakeStream, error_of

if TYPE_CHECKING:
    from mypy_boto3_kinesis import KinesisClient

ACCOUNT = "000000000000"
ALL_METRICS = [
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
]


def test_create_provisioned_stream_splits_the_hash_key_space_evenly(
    kinesis: KinesisClient, make_stream: MakeStream
) -> None:
    name = make_stream(3)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
    described = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert described["StreamStatus"] == "ACTIVE"
    assert described["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert described["RetentionPeriodHours"] == 24
    assert described["StreamARN"] == f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/{name}"
    assert described["HasMoreShards"] is False
    assert described["EncryptionType"] == "NONE"
    shards = described["Shards"]
    assert [s["ShardId"] for s in shards] == [f"shardId-00000000000{i}" for i in range(3)]
    ranges = [
        (int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"]))
        for s in shards
    ]
    assert ranges == [(i * 2**128 // 3, (i + 1) * 2**128 // 3 - 1) for i in range(2)] + [
        (2 * 2**128 // 3, 2**128 - 1)
    ]
    for shard in shards:
        starting = shard["SequenceNumberRange"]["StartingSequenceNumber"]
        assert len(starting) == 56 and starting.isdigit()
        assert "EndingSequenceNumber" not in shard["SequenceNumberRange"]


def test_on_demand_stream_starts_with_four_shards(
    kinesis: KinesisClient, make_stream: MakeStream
) -> None:
    name = make_stream(on_demand=True)
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert summary["OpenShardCount"] == 4
    assert summary["ConsumerCount"] == 0
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        kinesis.update_shard_count(
            StreamName=name, TargetShardCount=8, ScalingType="UNIFORM_SCALING"
        )
    assert error_of(caught.value) == (
        400,
        "ValidationException",
        f"Request is invalid. Stream {name} under account {ACCOUNT} is in On-Demand mode.",
    )
    arn = summary["StreamARN"]
    kinesis.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "PROVISIONED"})
    summary = kinesis.describe_stream_summary(StreamARN=arn)["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}


def test_describe_stream_pages_through_shards(
    kinesis: KinesisClient, make_stream: MakeStream
) -> None:
    name = make_stream(5)
    first = kinesis.describe_stream(StreamName=name, Limit=2)["StreamDescription"]
    assert [s["ShardId"] for s in first["Shards"]] == [
        "shardId-000000000000",
        "shardId-000000000001",
    ]
    assert first["HasMoreShards"] is True
    rest = kinesis.describe_stream(StreamName=name, ExclusiveStartShardId="shardId-000000000001")[
        "StreamDescription"
    ]
    assert [s["ShardId"][-1] for s in rest["Shards"]] == ["2", "3", "4"]
    assert rest["HasMoreShards"] is False
    paginated = kinesis.get_paginator("describe_stream").paginate(
        StreamName=name, PaginationConfig={"PageSize": 2}
    )
    shards = [s["ShardId"] for page in paginated for s in page["StreamDescription"]["Shards"]]
    assert len(shards) == 5


def test_list_streams_pages_with_summaries(kinesis: KinesisClient, make_stream: MakeStream) -> None:
    names = sorted(make_stream() for _ in range(3))
    listed = kinesis.list_streams()
    assert set(names) <= set(listed["StreamNames"])
    summaries = {s["StreamName"]: s for s in listed["StreamSummaries"]}
    assert summaries[names[0]]["StreamStatus"] == "ACTIVE"
    assert summaries[names[0]]["StreamARN"].endswith(f":stream/{names[0]}")
    first = kinesis.list_streams(Limit=1, ExclusiveStartStreamName=names[0])
    assert first["StreamNames"] == [names[1]]
    assert first["HasMoreStreams"] is True
    following = kinesis.list_streams(NextToken=first["NextToken"])
    assert following["StreamNames"][0] == names[2]


def test_unknown_and_duplicate_streams_get_aws_errors(
    kinesis: KinesisClient, make_stream: MakeStream
) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        kinesis.describe_stream_summary(StreamName="no-such-stream")
    assert error_of(caught.value) == (
        400,
        "ResourceNotFoundException",
        f"Stream no-such-stream under account {ACCOUNT} not found.",
    )
    arn = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/also-missing"
    with pytest.raises(kinesis.exceptions.ResourceNotFoundException):
        kinesis.put_record(StreamARN=arn, Data=b"x", PartitionKey="k")
    name = make_stream()
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        kinesis.create_stream(StreamName=name, ShardCount=1)
    assert error_of(caught.value) == (
        400,
        "ResourceInUseException",
        f"Stream {name} under account {ACCOUNT} already exists.",
    )
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        kinesis.create_stream(StreamName="bad name!", ShardCount=1)
    assert error_of(caught.value)[:2] == (400, "ValidationException")


def test_retention_is_increased_and_decreased_within_aws_bounds(
    kinesis: KinesisClient, make_stream: MakeStream
) -> None:
    name = make_stream()
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["RetentionPeriodHours"] == 48
    cases = [
        (
            kinesis.decrease_stream_retention_period,
            12,
            "Minimum allowed retention period is 24 hours. Requested retention period "
            "(12 hours) is too short.",
        ),
        (
            kinesis.increase_stream_retention_period,
            9999,
            "Maximum allowed retention period is 8760 hours. Requested retention period "
            "(9999 hours) is too long.",
        ),
        (
            kinesis.increase_stream_retention_period,
            30,
            f"Requested retention period (30 hours) for stream {name} can not be shorter than "
            "existing retention period (48 hours). Use DecreaseRetentionPeriod API.",
        ),
        (
            kinesis.decrease_stream_retention_period,
            72,
            f"Requested retention period (72 hours) for stream {name} can not be longer than "
            "existing retention period (48 hours). Use IncreaseRetentionPeriod API.",
        ),
    ]
    for call, hours, message in cases:
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            call(StreamName=name, RetentionPeriodHours=hours)
        assert error_of(caught.value) == (400, "InvalidArgumentException", message)
    kinesis.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=24)
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["RetentionPeriodHours"] == 24


def test_encryption_and_enhanced_monitoring_are_kept(
    kinesis: KinesisClient, make_stream: MakeStream
) -> None:
    name = make_stream()
    kinesis.start_stream_encryption(
        StreamName=name, EncryptionType="KMS", KeyId="alias/aws/kinesis"
    )
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert (summary["EncryptionType"], summary["KeyId"]) == ("KMS", "alias/aws/kinesis")
    put = kinesis.put_record(StreamName=name, Data=b"secret", PartitionKey="k")
    assert put["EncryptionType"] == "KMS"
    kinesis.stop_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="alias/aws/kinesis")
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["EncryptionType"] == "NONE" and "KeyId" not in summary

    enabled = kinesis.enable_enhanced_monitoring(
        StreamName=name, ShardLevelMetrics=["IncomingBytes"]
    )
    assert enabled["CurrentShardLevelMetrics"] == []
    assert enabled["DesiredShardLevelMetrics"] == ["IncomingBytes"]
    everything = kinesis.enable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=["ALL"])
    assert everything["DesiredShardLevelMetrics"] == ALL_METRICS
    disabled = kinesis.disable_enhanced_monitoring(
        StreamName=name, ShardLevelMetrics=["IncomingBytes", "OutgoingBytes"]
    )
    assert disabled["DesiredShardLevelMetrics"] == [
        m for m in ALL_METRICS if m not in ("IncomingBytes", "OutgoingBytes")
    ]
    described = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert described["EnhancedMonitoring"] == [
        {"ShardLevelMetrics": disabled["DesiredShardLevelMetrics"]}
    ]


def test_every_stream_operation_takes_the_stream_arn(
    kinesis: KinesisClient, make_stream: MakeStream
) -> None:
    name = make_stream(2)
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    assert kinesis.describe_stream(StreamARN=arn)["StreamDescription"]["StreamName"] == name
    assert len(kinesis.list_shards(StreamARN=arn)["Shards"]) == 2
    put = kinesis.put_record(StreamARN=arn, Data=b"by-arn", PartitionKey="k")
    puts = kinesis.put_records(StreamARN=arn, Records=[{"Data": b"x", "PartitionKey": "k"}])
    assert puts["FailedRecordCount"] == 0
    iterator = kinesis.get_shard_iterator(
        StreamARN=arn, ShardId=put["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = kinesis.get_records(StreamARN=arn, ShardIterator=iterator)["Records"]
    assert [r["Data"] for r in records] == [b"by-arn", b"x"]
    kinesis.increase_stream_retention_period(StreamARN=arn, RetentionPeriodHours=30)
    kinesis.add_tags_to_stream(StreamARN=arn, Tags={"team": "a"})
    assert kinesis.list_tags_for_stream(StreamARN=arn)["Tags"] == [{"Key": "team", "Value": "a"}]
    kinesis.split_shard(
        StreamARN=arn, ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**126)
    )
    kinesis.enable_enhanced_monitoring(StreamARN=arn, ShardLevelMetrics=["IncomingRecords"])
    kinesis.delete_stream(StreamARN=arn)
    with pytest.raises(kinesis.exceptions.ResourceNotFoundException):
        kinesis.describe_stream(StreamARN=arn)


def test_delete_stream_and_the_not_exists_waiter(
    kinesis: KinesisClient, make_stream: MakeStream
) -> None:
    name = make_stream()
    kinesis.delete_stream(StreamName=name)
    kinesis.get_waiter("stream_not_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
    assert name not in kinesis.list_streams()["StreamNames"]
    # the name can be used again, for a new, empty stream
    kinesis.create_stream(StreamName=name, ShardCount=1)
    iterator = kinesis.get_shard_iterator(
        StreamName=name, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    assert kinesis.get_records(ShardIterator=iterator)["Records"] == []
    kinesis.delete_stream(StreamName=name)


def test_the_aws_cli_creates_puts_and_describes(server: ServerProcess) -> None:
    name = f"cli-{uuid.uuid4().hex[:10]}"
    endpoint = server.endpoint
    aws_json(endpoint, "kinesis", "create-stream", "--stream-name", name, "--shard-count", "2")
    put = aws_json(
        endpoint, "kinesis", "put-record", "--stream-name", name, "--partition-key", "k",
        "--data", "aGVsbG8=",
    )  # fmt: skip
    assert put["ShardId"].startswith("shardId-")
    summary = aws_json(endpoint, "kinesis", "describe-stream-summary", "--stream-name", name)
    assert summary["StreamDescriptionSummary"]["OpenShardCount"] == 2
    aws_json(endpoint, "kinesis", "delete-stream", "--stream-name", name)
