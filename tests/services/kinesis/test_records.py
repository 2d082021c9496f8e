"""Records through boto3 against a real server: partition keys hashed to shards with MD5 as
AWS does, explicit hash keys, sequence numbers increasing per shard, PutRecords' results and
limits, every shard iterator type, GetRecords' paging, and AWS's errors."""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import botocore.exceptions
import pytest

from lambdaport.testing.server import ServerProcess
from tests.services.kinesis.conftest import MakeStream, error_of, read_all

if TYPE_CHECKING:
    from mypy_boto3_kinesis import KinesisClient

MIB = 1024 * 1024


def _ranges(kinesis: KinesisClient, stream: str) -> dict[str, tuple[int, int]]:
    ranges = {}
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        keys = shard["HashKeyRange"]
        ranges[shard["ShardId"]] = (int(keys["StartingHashKey"]), int(keys["EndingHashKey"]))
    return ranges


def _shard_of(ranges: dict[str, tuple[int, int]], hash_key: int) -> str:
    (shard,) = [s for s, (low, high) in ranges.items() if low <= hash_key <= high]
    return shard


def test_partition_keys_go_to_the_shard_holding_their_md5(
    kinesis: KinesisClient, make_stream: MakeStream
) -> None:
    stream = make_stream(4)
    ranges = _ranges(kinesis, stream)
    keys = [f"key-{i}" for i in range(40)]
    for key in keys[:20]:
        put = kinesis.put_record(StreamName=stream, Data=key.encode(), PartitionKey=key)
        md5 = int.from_bytes(hashlib.md5(key.encode()).digest(), "big")
        assert put["ShardId"] == _shard_of(ranges, md5), key
    batch = kinesis.put_records(
        StreamName=stream, Records=[{"Data": k.encode(), "PartitionKey": k} for k in keys[20:]]
    )
    assert batch["FailedRecordCount"] == 0
    for key, result in zip(keys[20:], batch["Records"], strict=True):
        md5 = int.from_bytes(hashlib.md5(key.encode()).digest(), "big")
        assert result["ShardId"] == _shard_of(ranges, md5), key
    assert len({r["ShardId"] for r in batch["Records"]}) > 1
    # and the records are in those shards when read
    for shard in ranges:
        for record in read_all(kinesis, stream, shard):
            md5 = int.from_bytes(hashlib.md5(record["PartitionKey"].encode()).digest(), "big")
            assert _shard_of(ranges, md5) == shard


def test_an_explicit_hash_key_overrides_the_partition_key(
    kinesis: KinesisClient, make_stream: MakeStream
) -> None:
    stream = make_stream(2)
    ranges = _ranges(kinesis, stream)
    for hash_key in (0, 2**127 - 1, 2**127, 2**128 - 1):
        put = kinesis.put_record(
            StreamName=stream, Data=b"x", PartitionKey="same", ExplicitHashKey=str(hash_key)
        )
        assert put["ShardId"] == _shard_of(ranges, hash_key)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        kinesis.put_record(
            StreamName=stream, Data=b"x", PartitionKey="k", ExplicitHashKey=str(2**128)
        )
    status, code, message = error_of(caught.value)
    assert (status, code) == (400, "InvalidArgumentException")
    assert message.startswith("Invalid ExplicitHashKey.")


def test_sequence_numbers_increase_within_a_shard_and_are_56_digits(
    kinesis: KinesisClient, make_stream: MakeStream
) -> None:
    stream = make_stream(1)
    numbers = [
        kinesis.put_record(StreamName=stream, Data=b"%d" % i, PartitionKey=str(i))["SequenceNumber"]
        for i in range(5)
    ]
    batch = kinesis.put_records(
        StreamName=stream, Records=[{"Data": b"b%d" % i, "PartitionKey": "p"} for i in range(5)]
    )
    numbers += [r["SequenceNumber"] for r in batch["Records"]]
    assert all(len(n) == 56 and n.isdigit() for n in numbers)
    assert [int(n) for n in numbers] == sorted(int(n) for n in numbers)
    assert len(set(numbers)) == 10
    records = read_all(kinesis, stream, "shardId-000000000000")
    assert [r["SequenceNumber"] for r in records] == numbers
    assert [r["Data"] for r in records] == [b"%d" % i for i in range(5)] + [
        b"b%d" % i for i in range(5)
    ]
    first = records[0]
    assert set(first) == {"SequenceNumber", "ApproximateArrivalTimestamp", "Data", "PartitionKey"}
    assert abs(first["ApproximateArrivalTimestamp"] - datetime.now(UTC)) < timedelta(minutes=5)


def test_put_records_limits(kinesis: KinesisClient, make_stream: MakeStream) -> None:
    stream = make_stream(1)
    cases: list[tuple[list[dict[str, Any]], str, str]] = [
        (
            [{"Data": b"x", "PartitionKey": "k"}, {"Data": b"x" * (MIB + 1), "PartitionKey": "k"}],
            "ValidationException",
            "1 validation error detected: Value at 'records.2.member.data' failed to satisfy "
            "constraint: Member must have length less than or equal to 1048576",
        ),
        (
            [{"Data": b"x" * MIB, "PartitionKey": "k"}] * 6,
            "InvalidArgumentException",
            "Records size exceeds 5 MB limit",
        ),
        (
            [{"Data": b"x", "PartitionKey": "k"}] * 501,
            "ValidationException",
            "1 validation error detected: Value '[",
        ),
    ]
    for records, code, message in cases:
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            kinesis.put_records(StreamName=stream, Records=records)  # type: ignore[arg-type]
        status, got_code, got_message = error_of(caught.value)
        assert (status, got_code) == (400, code)
        assert got_message.startswith(message)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        kinesis.put_record(StreamName=stream, Data=b"x" * (MIB + 1), PartitionKey="k")
    assert error_of(caught.value) == (
        400,
        "ValidationException",
        "1 validation error detected: Value at 'data' failed to satisfy constraint: Member "
        "must have length less than or equal to 1048576",
    )
    # nothing of a refused batch was stored; a record of exactly 1 MiB is fine
    assert read_all(kinesis, stream, "shardId-000000000000") == []
    kinesis.put_record(StreamName=stream, Data=b"y" * MIB, PartitionKey="k")
    assert len(read_all(kinesis, stream, "shardId-000000000000")) == 1


def test_every_iterator_type_starts_where_aws_says(
    kinesis: KinesisClient, make_stream: MakeStream
) -> None:
    stream = make_stream(1)
    shard = "shardId-000000000000"
    puts = [
        kinesis.put_record(StreamName=stream, Data=b"%d" % i, PartitionKey="k") for i in range(6)
    ]
    numbers = [p["SequenceNumber"] for p in puts]

    def data(kind: str, **position: Any) -> list[bytes]:
        return [r["Data"] for r in read_all(kinesis, stream, shard, kind, **position)]

    everything = [b"%d" % i for i in range(6)]
    assert data("TRIM_HORIZON") == everything
    assert data("AT_SEQUENCE_NUMBER", StartingSequenceNumber=numbers[2]) == everything[2:]
    assert data("AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=numbers[2]) == everything[3:]
    assert data("AT_TIMESTAMP", Timestamp=datetime.now(UTC) - timedelta(hours=1)) == everything
    assert data("AT_TIMESTAMP", Timestamp=datetime.now(UTC) + timedelta(hours=1)) == []
    latest = kinesis.get_shard_iterator(
        StreamName=stream, ShardId=shard, ShardIteratorType="LATEST"
    )["ShardIterator"]
    assert kinesis.get_records(ShardIterator=latest)["Records"] == []
    kinesis.put_record(StreamName=stream, Data=b"after-latest", PartitionKey="k")
    assert [r["Data"] for r in kinesis.get_records(ShardIterator=latest)["Records"]] == [
        b"after-latest"
    ]


def test_at_timestamp_finds_the_first_record_at_or_after_it(
    kinesis: KinesisClient, make_stream: MakeStream
) -> None:
    stream = make_stream(1)
    shard = "shardId-000000000000"
    for i in range(20):
        kinesis.put_record(StreamName=stream, Data=b"%d" % i, PartitionKey="k")
    records = read_all(kinesis, stream, shard)
    for index in (0, 7, 19):
        moment = records[index]["ApproximateArrivalTimestamp"]
        found = read_all(kinesis, stream, shard, "AT_TIMESTAMP", Timestamp=moment)
        expected = [
            r["SequenceNumber"] for r in records if r["ApproximateArrivalTimestamp"] >= moment
        ]
        assert [r["SequenceNumber"] for r in found] == expected


def test_get_records_limit_and_millis_behind_latest(
    kinesis: KinesisClient, make_stream: MakeStream
) -> None:
    stream = make_stream(1)
    kinesis.put_records(
        StreamName=stream, Records=[{"Data": b"%d" % i, "PartitionKey": "k"} for i in range(7)]
    )
    iterator = kinesis.get_shard_iterator(
        StreamName=stream, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    seen: list[bytes] = []
    pages = 0
    while True:
        page = kinesis.get_records(ShardIterator=iterator, Limit=3)
        pages += 1
        seen += [r["Data"] for r in page["Records"]]
        assert len(page["Records"]) <= 3
        if len(seen) < 7:
            assert page["MillisBehindLatest"] >= 0
        iterator = page["NextShardIterator"]
        if not page["Records"]:
            assert page["MillisBehindLatest"] == 0
            break
    assert seen == [b"%d" % i for i in range(7)]
    assert pages == 4  # 3 + 3 + 1, then an empty read at the tip of an open shard
    assert "ChildShards" not in page


def test_iterator_and_position_errors(kinesis: KinesisClient, make_stream: MakeStream) -> None:
    stream = make_stream(2)
    put = kinesis.put_record(StreamName=stream, Data=b"x", PartitionKey="k")
    other = "shardId-000000000001" if put["ShardId"].endswith("0") else "shardId-000000000000"
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        kinesis.get_shard_iterator(
            StreamName=stream,
            ShardId=other,
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            StartingSequenceNumber=put["SequenceNumber"],
        )
    assert error_of(caught.value) == (
        400,
        "InvalidArgumentException",
        f"Invalid StartingSequenceNumber. It encodes {put['ShardId']}, while it was used in a "
        f"call to a shard with {other}",
    )
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        kinesis.get_shard_iterator(
            StreamName=stream, ShardId="shardId-000000000009", ShardIteratorType="LATEST"
        )
    assert error_of(caught.value) == (
        400,
        "ResourceNotFoundException",
        f"Shard shardId-000000000009 in stream {stream} under account 000000000000 does not exist",
    )
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        kinesis.get_shard_iterator(
            StreamName=stream, ShardId=other, ShardIteratorType="AT_TIMESTAMP"
        )
    assert error_of(caught.value)[1] == "InvalidArgumentException"
    assert "AT_TIMESTAMP" in error_of(caught.value)[2]
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        kinesis.get_shard_iterator(
            StreamName=stream, ShardId=other, ShardIteratorType="AFTER_SEQUENCE_NUMBER"
        )
    assert error_of(caught.value)[1] == "InvalidArgumentException"
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        kinesis.get_records(ShardIterator="bm90IGFuIGl0ZXJhdG9y")
    assert error_of(caught.value) == (400, "InvalidArgumentException", "Invalid ShardIterator.")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        kinesis.put_record(StreamName=stream, Data=b"x")
    assert error_of(caught.value)[:2] == (400, "ValidationException")


def test_an_iterator_of_a_deleted_stream_reads_nothing_of_a_new_one(
    kinesis: KinesisClient, make_stream: MakeStream
) -> None:
    stream = make_stream(1)
    iterator = kinesis.get_shard_iterator(
        StreamName=stream, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    kinesis.delete_stream(StreamName=stream)
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    kinesis.put_record(StreamName=stream, Data=b"new", PartitionKey="k")
    with pytest.raises(kinesis.exceptions.ResourceNotFoundException):
        kinesis.get_records(ShardIterator=iterator)


def test_cbor_requests_are_refused_with_a_clear_error(server: ServerProcess) -> None:
    request = urllib.request.Request(
        server.endpoint + "/",
        data=b"\xa1jStreamNamedtest",
        headers={
            "Content-Type": "application/x-amz-cbor-1.1",
            "X-Amz-Target": "Kinesis_20131202.DescribeStreamSummary",
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/kinesis/"
            "aws4_request, SignedHeaders=host, Signature=0",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=30)
    assert caught.value.code == 400
    body = caught.value.read().decode()
    assert "SerializationException" in body and "AWS_CBOR_DISABLE" in body
