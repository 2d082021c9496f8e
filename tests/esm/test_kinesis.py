"""The Kinesis event source through boto3 against a real server: records as AWS builds them
(checked against powertools' ``KinesisDataStreamModel``), starting positions, per-shard
order, batching, filters, retries that block the shard, bisection, partial batch responses,
on-failure records to SQS, SNS and S3, ParallelizationFactor, resharding, tumbling windows
and a deleted stream disabling its mapping."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from aws_lambda_powertools.utilities.parser.models import KinesisDataStreamModel

from lambdaport.testing.aws import wait_drained
from lambdaport.testing.server import Server
from tests.esm.conftest import MakeMapping, MakeQueue
from tests.esm.streams import CONSUMER, StreamConsumer, first_message, mapped
from tests.helpers import client_options, wait_for

if TYPE_CHECKING:
    from mypy_boto3_kinesis import KinesisClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient  # type: ignore[import-not-found]
    from mypy_boto3_sqs import SQSClient

    from tests.conftest import MakeFunction


@pytest.fixture(scope="module")
def kinesis(server: Server) -> KinesisClient:
    import boto3

    return boto3.Session().client("kinesis", **client_options(server.endpoint))


@pytest.fixture
def make_stream(kinesis: KinesisClient) -> Any:
    made: list[str] = []

    def make(shards: int = 1) -> tuple[str, str]:
        name = f"s-{uuid.uuid4().hex[:12]}"
        kinesis.create_stream(StreamName=name, ShardCount=shards)
        made.append(name)
        summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
        return name, summary["StreamARN"]

    yield make
    for name in made:
        with contextlib.suppress(kinesis.exceptions.ResourceNotFoundException):
            kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)


def put(kinesis: KinesisClient, stream: str, *bodies: str, key: str = "k") -> list[str]:
    """The bodies, in order, under one partition key; their sequence numbers."""
    out = []
    for body in bodies:
        out.append(
            kinesis.put_record(StreamName=stream, Data=body.encode(), PartitionKey=key)[
                "SequenceNumber"
            ]
        )
    return out


def test_records_are_aws_kinesis_records_in_shard_order(
    server: Server,
    lambda_client: LambdaClient,
    kinesis: KinesisClient,
    stream_consumer: StreamConsumer,
    make_stream: Any,
    make_mapping: MakeMapping,
) -> None:
    stream, arn = make_stream()
    bodies = [f"r{i}" for i in range(7)]
    sequences = put(kinesis, stream, *bodies)
    mapping = mapped(lambda_client, make_mapping, arn, stream_consumer.name, BatchSize=3)
    assert stream_consumer.wait_bodies(7) == bodies
    wait_drained(server.endpoint)
    assert all(len(batch) <= 3 for batch in stream_consumer.batches())
    records = stream_consumer.records()
    parsed = KinesisDataStreamModel.model_validate({"Records": records})
    assert [r.kinesis.data for r in parsed.Records] == [b.encode() for b in bodies]
    first = records[0]
    assert list(first) == [
        "kinesis",
        "eventSource",
        "eventVersion",
        "eventID",
        "eventName",
        "invokeIdentityArn",
        "awsRegion",
        "eventSourceARN",
    ]
    assert first["kinesis"]["sequenceNumber"] == sequences[0]
    assert first["kinesis"]["partitionKey"] == "k"
    assert first["eventID"] == f"shardId-000000000000:{sequences[0]}"
    assert first["eventSourceARN"] == arn
    assert first["invokeIdentityArn"].startswith("arn:aws:iam::")
    assert [r["kinesis"]["sequenceNumber"] for r in records] == sequences
    got = lambda_client.get_event_source_mapping(UUID=mapping["UUID"])
    assert got["LastProcessingResult"] == "OK"


def test_latest_reads_only_what_comes_after_the_mapping(
    server: Server,
    lambda_client: LambdaClient,
    kinesis: KinesisClient,
    stream_consumer: StreamConsumer,
    make_stream: Any,
    make_mapping: MakeMapping,
) -> None:
    stream, arn = make_stream()
    put(kinesis, stream, "before")
    mapped(lambda_client, make_mapping, arn, stream_consumer.name, StartingPosition="LATEST")
    put(kinesis, stream, "after")
    assert stream_consumer.wait_bodies(1) == ["after"]
    wait_drained(server.endpoint)
    assert stream_consumer.bodies() == ["after"]


def test_at_timestamp_starts_at_the_time(
    server: Server,
    lambda_client: LambdaClient,
    kinesis: KinesisClient,
    stream_consumer: StreamConsumer,
    make_stream: Any,
    make_mapping: MakeMapping,
) -> None:
    stream, arn = make_stream()
    put(kinesis, stream, "old")
    shard = kinesis.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(
        StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    old_at = kinesis.get_records(ShardIterator=iterator)["Records"][0][
        "ApproximateArrivalTimestamp"
    ]
    # A record that arrived later than the first (arrival times are in milliseconds).
    while True:
        put(kinesis, stream, "new")
        records = kinesis.get_records(ShardIterator=iterator)["Records"]
        new_at = records[-1]["ApproximateArrivalTimestamp"]
        if new_at > old_at:
            break
    mapped(
        lambda_client,
        make_mapping,
        arn,
        stream_consumer.name,
        StartingPosition="AT_TIMESTAMP",
        StartingPositionTimestamp=new_at,
    )
    bodies = stream_consumer.wait_bodies(1)
    wait_drained(server.endpoint)
    assert "old" not in stream_consumer.bodies()
    assert set(bodies) == {"new"}


def test_a_failing_batch_blocks_the_shard_until_its_retries_are_exhausted(
    server: Server,
    lambda_client: LambdaClient,
    kinesis: KinesisClient,
    sqs: SQSClient,
    stream_consumer: StreamConsumer,
    make_stream: Any,
    make_queue: MakeQueue,
    make_mapping: MakeMapping,
) -> None:
    stream, arn = make_stream()
    url, queue_arn = make_queue()
    sequences = put(kinesis, stream, "a", "fail", "b")
    mapping = mapped(
        lambda_client,
        make_mapping,
        arn,
        stream_consumer.name,
        MaximumRetryAttempts=2,
        DestinationConfig={"OnFailure": {"Destination": queue_arn}},
    )
    record = first_message(sqs, url)
    put(kinesis, stream, "after")
    stream_consumer.wait_bodies(10)
    # The batch, three times (the first try and two retries), then the shard moves on.
    assert stream_consumer.batch_bodies() == [["a", "fail", "b"]] * 3 + [["after"]]
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestContext"]["functionArn"] == mapping["FunctionArn"]
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["version"] == "1.0"
    info = record["KinesisBatchInfo"]
    assert info["shardId"] == "shardId-000000000000"
    assert (info["startSequenceNumber"], info["endSequenceNumber"]) == (sequences[0], sequences[2])
    assert info["batchSize"] == 3
    assert info["streamArn"] == arn
    got = lambda_client.get_event_source_mapping(UUID=mapping["UUID"])
    assert got["LastProcessingResult"] == "OK"


def test_bisect_isolates_the_failing_record(
    server: Server,
    lambda_client: LambdaClient,
    kinesis: KinesisClient,
    sqs: SQSClient,
    stream_consumer: StreamConsumer,
    make_stream: Any,
    make_queue: MakeQueue,
    make_mapping: MakeMapping,
) -> None:
    stream, arn = make_stream()
    url, queue_arn = make_queue()
    sequences = put(kinesis, stream, "a", "b", "fail", "c")
    mapped(
        lambda_client,
        make_mapping,
        arn,
        stream_consumer.name,
        MaximumRetryAttempts=0,
        BisectBatchOnFunctionError=True,
        DestinationConfig={"OnFailure": {"Destination": queue_arn}},
    )
    record = first_message(sqs, url)
    wait_drained(server.endpoint)
    assert stream_consumer.batch_bodies() == [
        ["a", "b", "fail", "c"],
        ["a", "b"],
        ["fail", "c"],
        ["fail"],
        ["c"],
    ]
    info = record["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["batchSize"]) == (sequences[2], 1)


def test_partial_batch_responses_checkpoint_before_the_lowest_failure(
    server: Server,
    lambda_client: LambdaClient,
    kinesis: KinesisClient,
    sqs: SQSClient,
    stream_consumer: StreamConsumer,
    make_stream: Any,
    make_queue: MakeQueue,
    make_mapping: MakeMapping,
) -> None:
    stream, arn = make_stream()
    url, queue_arn = make_queue()
    sequences = put(kinesis, stream, "a", "partial-b", "c", "partial-d")
    mapped(
        lambda_client,
        make_mapping,
        arn,
        stream_consumer.name,
        MaximumRetryAttempts=1,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        DestinationConfig={"OnFailure": {"Destination": queue_arn}},
    )
    record = first_message(sqs, url)
    wait_drained(server.endpoint)
    # From the lowest failure on, retried once, then given up.
    assert stream_consumer.batch_bodies() == [
        ["a", "partial-b", "c", "partial-d"],
        ["partial-b", "c", "partial-d"],
    ]
    info = record["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"]) == (sequences[1], sequences[3])
    assert info["batchSize"] == 3


def test_a_malformed_partial_batch_response_fails_the_whole_batch(
    server: Server,
    lambda_client: LambdaClient,
    kinesis: KinesisClient,
    stream_consumer: StreamConsumer,
    make_stream: Any,
    make_mapping: MakeMapping,
) -> None:
    stream, arn = make_stream()
    put(kinesis, stream, "a", "malformed")
    mapped(
        lambda_client,
        make_mapping,
        arn,
        stream_consumer.name,
        MaximumRetryAttempts=1,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    stream_consumer.wait_bodies(4)
    put(kinesis, stream, "after")
    stream_consumer.wait_bodies(5)
    wait_drained(server.endpoint)
    assert stream_consumer.batch_bodies() == [["a", "malformed"]] * 2 + [["after"]]


def test_filtered_out_records_are_skipped(
    server: Server,
    lambda_client: LambdaClient,
    kinesis: KinesisClient,
    stream_consumer: StreamConsumer,
    make_stream: Any,
    make_mapping: MakeMapping,
) -> None:
    stream, arn = make_stream()
    put(
        kinesis,
        stream,
        '{"kind": "keep", "n": 1}',
        '{"kind": "drop", "n": 2}',
        "not json",
        '{"kind": "keep", "n": 3}',
    )
    mapped(
        lambda_client,
        make_mapping,
        arn,
        stream_consumer.name,
        FilterCriteria={"Filters": [{"Pattern": '{"data": {"kind": ["keep"]}}'}]},
    )
    stream_consumer.wait_bodies(2)
    wait_drained(server.endpoint)
    assert [json.loads(b)["n"] for b in stream_consumer.bodies()] == [1, 3]


def test_batch_size_and_batching_window(
    server: Server,
    lambda_client: LambdaClient,
    kinesis: KinesisClient,
    stream_consumer: StreamConsumer,
    make_stream: Any,
    make_mapping: MakeMapping,
) -> None:
    stream, arn = make_stream()
    kinesis.put_records(
        StreamName=stream,
        Records=[{"Data": f"r{i}".encode(), "PartitionKey": "k"} for i in range(25)],
    )
    mapped(
        lambda_client,
        make_mapping,
        arn,
        stream_consumer.name,
        BatchSize=10,
        MaximumBatchingWindowInSeconds=1,
    )
    stream_consumer.wait_bodies(25)
    wait_drained(server.endpoint)
    assert [len(batch) for batch in stream_consumer.batches()] == [10, 10, 5]


def test_parallelization_keeps_the_order_of_each_partition_key(
    server: Server,
    lambda_client: LambdaClient,
    kinesis: KinesisClient,
    stream_consumer: StreamConsumer,
    make_stream: Any,
    make_mapping: MakeMapping,
) -> None:
    stream, arn = make_stream()
    keys = [f"key-{k}" for k in range(8)]
    kinesis.put_records(
        StreamName=stream,
        Records=[
            {"Data": f"{key}:{i}".encode(), "PartitionKey": key} for i in range(6) for key in keys
        ],
    )
    mapped(
        lambda_client, make_mapping, arn, stream_consumer.name, BatchSize=4, ParallelizationFactor=4
    )
    stream_consumer.wait_bodies(48)
    wait_drained(server.endpoint)
    by_key: dict[str, list[int]] = defaultdict(list)
    for body in stream_consumer.bodies():
        key, index = body.split(":")
        by_key[key].append(int(index))
    assert by_key == {key: list(range(6)) for key in keys}
    # Keys batched together are of one parallel lane: more than one lane, at most four, and
    # no batch over the batch size.
    lane: dict[str, str] = {key: key for key in keys}

    def root(key: str) -> str:
        while lane[key] != key:
            key = lane[key]
        return key

    for batch in stream_consumer.batch_bodies():
        assert len(batch) <= 4
        first, *others = (body.split(":")[0] for body in batch)
        for other in others:
            lane[root(other)] = root(first)
    assert 1 < len({root(key) for key in keys}) <= 4


def test_children_are_read_after_their_parents(
    server: Server,
    lambda_client: LambdaClient,
    kinesis: KinesisClient,
    stream_consumer: StreamConsumer,
    make_stream: Any,
    make_mapping: MakeMapping,
) -> None:
    stream, arn = make_stream()
    put(kinesis, stream, *[f"p{i}" for i in range(5)])
    mapped(lambda_client, make_mapping, arn, stream_consumer.name, BatchSize=2)
    kinesis.update_shard_count(StreamName=stream, TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    put(kinesis, stream, *[f"c{i}" for i in range(5)])
    stream_consumer.wait_bodies(10)
    wait_drained(server.endpoint)
    bodies = stream_consumer.bodies()
    assert bodies == [f"p{i}" for i in range(5)] + [f"c{i}" for i in range(5)]
    kinesis.merge_shards(
        StreamName=stream,
        ShardToMerge="shardId-000000000001",
        AdjacentShardToMerge="shardId-000000000002",
    )
    put(kinesis, stream, "merged")
    stream_consumer.wait_bodies(11)
    assert stream_consumer.bodies()[-1] == "merged"


def test_tumbling_windows_pass_state_and_end_with_a_final_invocation(
    server: Server,
    lambda_client: LambdaClient,
    kinesis: KinesisClient,
    stream_consumer: StreamConsumer,
    make_stream: Any,
    make_mapping: MakeMapping,
) -> None:
    stream, arn = make_stream()
    put(kinesis, stream, "a", "b", "c")
    mapped(
        lambda_client,
        make_mapping,
        arn,
        stream_consumer.name,
        BatchSize=1,
        TumblingWindowInSeconds=1,
    )

    def finals() -> list[dict[str, Any]]:
        return [
            i["event"]
            for i in stream_consumer.invocations()
            if i["event"]["isFinalInvokeForWindow"]
        ]

    def every_record_in_a_final_state() -> bool:
        seen = [body for final in finals() for body in final["state"]["seen"]]
        return sorted(seen) == ["a", "b", "c"]

    wait_for(every_record_in_a_final_state, 30, "the windows' final invocations")
    invocations = stream_consumer.invocations()
    shard = "shardId-000000000000"
    for invocation in invocations:
        event = invocation["event"]
        assert event["shardId"] == shard
        assert event["eventSourceARN"] == arn
        assert event["isWindowTerminatedEarly"] is False
        assert event["window"]["start"] < event["window"]["end"]
        if event["isFinalInvokeForWindow"]:
            assert invocation["records"] == []
    first = invocations[0]["event"]
    assert first["state"] == {}


def test_on_failure_to_sns_and_s3(
    server: Server,
    lambda_client: LambdaClient,
    kinesis: KinesisClient,
    sqs: SQSClient,
    stream_consumer: StreamConsumer,
    make_stream: Any,
    make_queue: MakeQueue,
    make_mapping: MakeMapping,
    make_function: MakeFunction,
    tmp_path: Path,
) -> None:
    import boto3

    sns: SNSClient = boto3.Session().client("sns", **client_options(server.endpoint))
    s3: S3Client = boto3.Session().client("s3", **client_options(server.endpoint))
    topic = sns.create_topic(Name=f"t-{uuid.uuid4().hex[:8]}")["TopicArn"]
    url, queue_arn = make_queue()
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    bucket = f"b-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    try:
        stream, arn = make_stream()
        other = make_function(CONSUMER, Environment={"Variables": {"OUT": str(tmp_path / "o")}})
        sequences = put(kinesis, stream, "fail")
        to_topic = mapped(
            lambda_client,
            make_mapping,
            arn,
            stream_consumer.name,
            MaximumRetryAttempts=0,
            DestinationConfig={"OnFailure": {"Destination": topic}},
        )
        to_bucket = mapped(
            lambda_client,
            make_mapping,
            arn,
            other,
            MaximumRetryAttempts=0,
            DestinationConfig={"OnFailure": {"Destination": f"arn:aws:s3:::{bucket}"}},
        )
        info = first_message(sqs, url, "the on-failure record through SNS")["KinesisBatchInfo"]
        assert info["startSequenceNumber"] == sequences[0]
        objects = wait_for(
            lambda: s3.list_objects_v2(Bucket=bucket).get("Contents"), 30, "the record in S3"
        )
        key = objects[0]["Key"]
        assert key.startswith(f"aws/lambda/{to_bucket['UUID']}/shardId-000000000000/")
        stored = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        assert stored["KinesisBatchInfo"]["startSequenceNumber"] == sequences[0]
        payload = json.loads(stored["payload"])
        assert [r["kinesis"]["sequenceNumber"] for r in payload["Records"]] == sequences
        assert to_topic["UUID"] != to_bucket["UUID"]
    finally:
        for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=item["Key"])
        s3.delete_bucket(Bucket=bucket)
        sns.delete_topic(TopicArn=topic)


def test_a_deleted_stream_disables_its_mapping(
    lambda_client: LambdaClient,
    kinesis: KinesisClient,
    stream_consumer: StreamConsumer,
    make_stream: Any,
    make_mapping: MakeMapping,
) -> None:
    stream, arn = make_stream()
    mapping = mapped(lambda_client, make_mapping, arn, stream_consumer.name)
    kinesis.delete_stream(StreamName=stream)

    def disabled() -> dict[str, Any] | None:
        got = dict(lambda_client.get_event_source_mapping(UUID=mapping["UUID"]))
        return got if got["State"] == "Disabled" else None

    got = wait_for(disabled, 30, "the mapping disabled")
    assert got["StateTransitionReason"].startswith("PROBLEM")
