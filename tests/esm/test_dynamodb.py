"""The DynamoDB Streams event source through boto3 against a real server: records of
PutItem, UpdateItem and DeleteItem as AWS builds them (checked against powertools'
``DynamoDBStreamModel``), LATEST, retries and the ``DDBStreamBatchInfo`` on-failure record
(checked against powertools' ``DynamoDBStreamLambdaOnFailureDestinationModel``), filters on
the ``dynamodb`` member, and the order of an item's records with ParallelizationFactor."""

from __future__ import annotations

import contextlib
import uuid
from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from aws_lambda_powertools.utilities.parser.models import (
    DynamoDBStreamLambdaOnFailureDestinationModel,
    DynamoDBStreamModel,
)

from lambdaport.testing.aws import wait_drained
from lambdaport.testing.server import Server
from tests.esm.conftest import MakeMapping, MakeQueue
from tests.esm.streams import StreamConsumer, first_message, mapped
from tests.helpers import client_options

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_sqs import SQSClient


@pytest.fixture(scope="module")
def dynamodb(server: Server) -> DynamoDBClient:
    import boto3

    return boto3.Session().client("dynamodb", **client_options(server.endpoint))


@pytest.fixture
def make_table(dynamodb: DynamoDBClient) -> Iterator[Any]:
    made: list[str] = []

    def make(view_type: str = "NEW_AND_OLD_IMAGES") -> tuple[str, str]:
        name = f"t-{uuid.uuid4().hex[:12]}"
        created = dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": view_type},  # type: ignore[typeddict-item]
        )["TableDescription"]
        made.append(name)
        return name, str(created["LatestStreamArn"])

    yield make
    for name in made:
        with contextlib.suppress(dynamodb.exceptions.ResourceNotFoundException):
            dynamodb.delete_table(TableName=name)


def put(dynamodb: DynamoDBClient, table: str, pk: str, value: str) -> None:
    dynamodb.put_item(TableName=table, Item={"pk": {"S": pk}, "v": {"S": value}})


def test_records_are_aws_dynamodb_stream_records(
    server: Server,
    lambda_client: LambdaClient,
    dynamodb: DynamoDBClient,
    stream_consumer: StreamConsumer,
    make_table: Any,
    make_mapping: MakeMapping,
) -> None:
    table, arn = make_table()
    put(dynamodb, table, "a", "one")
    dynamodb.update_item(
        TableName=table,
        Key={"pk": {"S": "a"}},
        UpdateExpression="SET v = :v",
        ExpressionAttributeValues={":v": {"S": "two"}},
    )
    dynamodb.delete_item(TableName=table, Key={"pk": {"S": "a"}})
    mapping = mapped(lambda_client, make_mapping, arn, stream_consumer.name)
    stream_consumer.wait_bodies(3)
    wait_drained(server.endpoint)
    records = stream_consumer.records()
    parsed = DynamoDBStreamModel.model_validate({"Records": records})
    assert [r.eventName for r in parsed.Records] == ["INSERT", "MODIFY", "REMOVE"]
    first = records[0]
    assert first["eventSource"] == "aws:dynamodb"
    assert first["eventSourceARN"] == arn
    assert first["dynamodb"]["Keys"] == {"pk": {"S": "a"}}
    assert first["dynamodb"]["NewImage"] == {"pk": {"S": "a"}, "v": {"S": "one"}}
    assert first["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert records[1]["dynamodb"]["OldImage"]["v"] == {"S": "one"}
    assert "userIdentity" not in first
    sequences = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert sequences == sorted(sequences)
    assert lambda_client.get_event_source_mapping(UUID=mapping["UUID"])["LastProcessingResult"] == (
        "OK"
    )


def test_latest_and_filters_on_the_dynamodb_member(
    server: Server,
    lambda_client: LambdaClient,
    dynamodb: DynamoDBClient,
    stream_consumer: StreamConsumer,
    make_table: Any,
    make_mapping: MakeMapping,
) -> None:
    table, arn = make_table()
    put(dynamodb, table, "old", "before")
    mapped(
        lambda_client,
        make_mapping,
        arn,
        stream_consumer.name,
        StartingPosition="LATEST",
        FilterCriteria={
            "Filters": [{"Pattern": '{"dynamodb": {"NewImage": {"v": {"S": [{"prefix": "k"}]}}}}'}]
        },
    )
    put(dynamodb, table, "x", "drop")
    put(dynamodb, table, "y", "keep")
    put(dynamodb, table, "z", "kept")
    stream_consumer.wait_bodies(2)
    wait_drained(server.endpoint)
    assert stream_consumer.bodies() == ["keep", "kept"]


def test_exhausted_retries_send_a_ddb_stream_batch_info(
    server: Server,
    lambda_client: LambdaClient,
    dynamodb: DynamoDBClient,
    sqs: SQSClient,
    stream_consumer: StreamConsumer,
    make_table: Any,
    make_queue: MakeQueue,
    make_mapping: MakeMapping,
) -> None:
    table, arn = make_table()
    url, queue_arn = make_queue()
    put(dynamodb, table, "a", "fail")
    mapping = mapped(
        lambda_client,
        make_mapping,
        arn,
        stream_consumer.name,
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": queue_arn}},
    )
    record = first_message(sqs, url)
    put(dynamodb, table, "b", "after")
    stream_consumer.wait_bodies(3)
    wait_drained(server.endpoint)
    assert stream_consumer.batch_bodies() == [["fail"], ["fail"], ["after"]]
    parsed = DynamoDBStreamLambdaOnFailureDestinationModel.model_validate(record)
    assert parsed.request_context.condition == "RetryAttemptsExhausted"
    assert parsed.request_context.approximate_invoke_count == 2
    assert parsed.request_context.function_arn == mapping["FunctionArn"]
    assert parsed.response_context.function_error == "Unhandled"
    info = parsed.ddb_stream_batch_info
    sequence = stream_consumer.records()[0]["dynamodb"]["SequenceNumber"]
    assert (info.start_sequence_number, info.end_sequence_number) == (sequence, sequence)
    assert info.batch_size == 1
    assert info.stream_arn == arn
    assert info.shard_id.startswith("shardId-")


def test_an_items_records_keep_their_order_across_parallel_lanes(
    server: Server,
    lambda_client: LambdaClient,
    dynamodb: DynamoDBClient,
    stream_consumer: StreamConsumer,
    make_table: Any,
    make_mapping: MakeMapping,
) -> None:
    table, arn = make_table()
    for i in range(5):
        for key in ("a", "b", "c", "d"):
            put(dynamodb, table, key, f"{key}:{i}")
    mapped(
        lambda_client, make_mapping, arn, stream_consumer.name, BatchSize=2, ParallelizationFactor=3
    )
    stream_consumer.wait_bodies(20)
    wait_drained(server.endpoint)
    by_key: dict[str, list[int]] = defaultdict(list)
    for body in stream_consumer.bodies():
        key, index = body.split(":")
        by_key[key].append(int(index))
    assert by_key == {key: list(range(5)) for key in "abcd"}
