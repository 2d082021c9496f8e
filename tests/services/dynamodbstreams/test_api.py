"""The DynamoDB Streams API through boto3 on a real server: DescribeStream, GetShardIterator
(every type), GetRecords and ListStreams in botocore's shapes, the streams' lifecycle as
CreateTable, UpdateTable and DeleteTable drive it (DescribeTable's LatestStreamArn and
LatestStreamLabel agreeing), and AWS's errors."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from tests.helpers import client_error
from tests.services.dynamodbstreams.conftest import (
    MakeTable,
    create_table,
    events,
    read_stream,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient

A = {"pk": {"S": "a"}}


def test_describe_table_and_describe_stream_agree(
    dynamodb: DynamoDBClient, streams: DynamoDBStreamsClient, make_table: MakeTable
) -> None:
    table, arn = make_table("NEW_IMAGE", range_key=True)
    described = dynamodb.describe_table(TableName=table)["Table"]
    assert described["LatestStreamArn"] == arn
    label = described["LatestStreamLabel"]
    assert arn == f"{described['TableArn']}/stream/{label}"
    assert described["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_IMAGE",
    }
    datetime.strptime(label, "%Y-%m-%dT%H:%M:%S.%f")  # ISO 8601, to the millisecond
    stream = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert stream["StreamArn"] == arn and stream["StreamLabel"] == label
    assert (stream["StreamStatus"], stream["StreamViewType"]) == ("ENABLED", "NEW_IMAGE")
    assert stream["TableName"] == table
    assert stream["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert abs(stream["CreationRequestDateTime"] - datetime.now(UTC)) < timedelta(minutes=5)
    [shard] = stream["Shards"]
    assert shard["ShardId"].startswith("shardId-") and 28 <= len(shard["ShardId"]) <= 65
    assert "EndingSequenceNumber" not in shard["SequenceNumberRange"]
    assert "ParentShardId" not in shard


def test_iterator_types(
    dynamodb: DynamoDBClient, streams: DynamoDBStreamsClient, make_table: MakeTable
) -> None:
    table, arn = make_table("KEYS_ONLY")
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    latest = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")
    for name in "abc":
        dynamodb.put_item(TableName=table, Item={"pk": {"S": name}})
    page = streams.get_records(ShardIterator=latest["ShardIterator"])
    keys = [r["dynamodb"]["Keys"]["pk"]["S"] for r in page["Records"]]
    assert keys == ["a", "b", "c"]
    first = page["Records"][0]["dynamodb"]["SequenceNumber"]
    second = page["Records"][1]["dynamodb"]["SequenceNumber"]
    at = read_stream(streams, arn, "AT_SEQUENCE_NUMBER", SequenceNumber=second)
    after = read_stream(streams, arn, "AFTER_SEQUENCE_NUMBER", SequenceNumber=first)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in at] == ["b", "c"]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in after] == ["b", "c"]
    assert read_stream(streams, arn, "LATEST") == []
    limited = streams.get_records(
        ShardIterator=streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"],
        Limit=2,
    )
    assert len(limited["Records"]) == 2
    rest = streams.get_records(ShardIterator=limited["NextShardIterator"])
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in rest["Records"]] == ["c"]
    empty = streams.get_records(ShardIterator=rest["NextShardIterator"])
    assert empty["Records"] == [] and "NextShardIterator" in empty  # the shard is open


def test_disable_enable_and_delete(
    dynamodb: DynamoDBClient, streams: DynamoDBStreamsClient, make_table: MakeTable
) -> None:
    table, first = make_table("NEW_AND_OLD_IMAGES")
    dynamodb.put_item(TableName=table, Item=A)
    disabled = dynamodb.update_table(TableName=table, StreamSpecification={"StreamEnabled": False})[
        "TableDescription"
    ]
    assert "StreamSpecification" not in disabled
    assert disabled["LatestStreamArn"] == first  # the latest stream stays named
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "unseen"}})
    old = streams.describe_stream(StreamArn=first)["StreamDescription"]
    assert old["StreamStatus"] == "DISABLED"
    assert "EndingSequenceNumber" in old["Shards"][0]["SequenceNumberRange"]
    iterator = streams.get_shard_iterator(
        StreamArn=first, ShardId=old["Shards"][0]["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    closed = streams.get_records(ShardIterator=iterator)
    assert events(list(closed["Records"])) == [("INSERT", A)]  # type: ignore[arg-type]
    assert "NextShardIterator" not in closed  # a closed shard read to its end

    enabled = dynamodb.update_table(
        TableName=table, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    )["TableDescription"]
    second = enabled["LatestStreamArn"]
    assert second != first
    assert enabled["StreamSpecification"]["StreamViewType"] == "KEYS_ONLY"
    dynamodb.delete_item(TableName=table, Key=A)
    assert events(read_stream(streams, second)) == [("REMOVE", A)]
    listed = streams.list_streams(TableName=table)["Streams"]
    assert [s["StreamArn"] for s in listed] == [first, second]

    dynamodb.delete_table(TableName=table)
    assert streams.describe_stream(StreamArn=second)["StreamDescription"]["StreamStatus"] == (
        "DISABLED"
    )
    assert events(read_stream(streams, second)) == [("REMOVE", A)]  # readable for 24 hours
    again = create_table(dynamodb, table, None)
    assert again == ""
    assert "LatestStreamArn" not in dynamodb.describe_table(TableName=table)["Table"]


def test_list_streams_pages(
    dynamodb: DynamoDBClient, streams: DynamoDBStreamsClient, make_table: MakeTable
) -> None:
    arns = [make_table("KEYS_ONLY")[1] for _ in range(3)]
    everything = streams.list_streams()["Streams"]
    mine = [s["StreamArn"] for s in everything if s["StreamArn"] in arns]
    assert mine == arns
    pages: list[str] = []
    start: dict[str, str] = {}
    while True:
        page = streams.list_streams(Limit=2, **start)
        assert len(page["Streams"]) <= 2
        pages.extend(s["StreamArn"] for s in page["Streams"])
        if "LastEvaluatedStreamArn" not in page:
            break
        start = {"ExclusiveStartStreamArn": page["LastEvaluatedStreamArn"]}
    assert [arn for arn in pages if arn in arns] == arns
    assert streams.list_streams(TableName=f"missing-{uuid.uuid4().hex[:6]}")["Streams"] == []


def test_errors(
    dynamodb: DynamoDBClient, streams: DynamoDBStreamsClient, make_table: MakeTable
) -> None:
    table, arn = make_table("KEYS_ONLY")
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    missing = arn.replace("/stream/", "/stream/1")
    other = "1" if shard.endswith("0") else "0"  # another shard id
    code, message, status = client_error(streams.describe_stream, StreamArn=missing)
    assert (code, status) == ("ResourceNotFoundException", 400)
    assert missing in message
    code, _, _ = client_error(
        streams.get_shard_iterator, StreamArn=arn, ShardId=shard[:-1] + other,
        ShardIteratorType="LATEST",
    )  # fmt: skip
    assert code == "ResourceNotFoundException"
    code, _, status = client_error(
        streams.get_shard_iterator, StreamArn=arn, ShardId=shard,
        ShardIteratorType="AT_SEQUENCE_NUMBER",
    )  # fmt: skip
    assert (code, status) == ("ValidationException", 400)
    code, _, _ = client_error(
        streams.get_shard_iterator, StreamArn=arn, ShardId=shard,
        ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber="9" * 30,
    )  # fmt: skip
    assert code == "ValidationException"
    code, _, _ = client_error(streams.get_records, ShardIterator="garbage")
    assert code == "ValidationException"
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")[
        "ShardIterator"
    ]
    code, _, _ = client_error(streams.get_records, ShardIterator=iterator, Limit=1001)
    assert code == "ValidationException"
    code, _, _ = client_error(streams.describe_stream, StreamArn=arn, Limit=101)
    assert code == "ValidationException"

    code, message, _ = client_error(
        dynamodb.update_table,
        TableName=table,
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    assert code == "ValidationException" and "already has an enabled stream" in message
    dynamodb.update_table(TableName=table, StreamSpecification={"StreamEnabled": False})
    code, _, _ = client_error(
        dynamodb.update_table, TableName=table, StreamSpecification={"StreamEnabled": False}
    )
    assert code == "ValidationException"
    with pytest.raises(ClientError) as no_view:
        create_table_with(dynamodb, {"StreamEnabled": True})
    assert no_view.value.response["Error"]["Code"] == "ValidationException"


def create_table_with(dynamodb: DynamoDBClient, spec: dict[str, object]) -> None:
    dynamodb.create_table(
        TableName=f"t-{uuid.uuid4().hex[:12]}",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification=spec,  # type: ignore[arg-type]
    )
