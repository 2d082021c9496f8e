"""The ``StreamReader`` of DynamoDB streams on a real server, as the event source mapping
reads it in-process: records of boto3 writes, the Lambda event's records made of them
(checked with powertools' ``DynamoDBStreamModel``), and the notice when the table goes."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import orjson
from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamModel

from lambdaport.events.dynamodb_streams import esm_event
from lambdaport.services.interfaces import StreamPosition, StreamReader
from lambdaport.testing.inprocess import InProcessServer
from lambdaport.testing.server import Server
from tests.helpers import wait_for
from tests.services.dynamodbstreams.conftest import MakeTable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def reader_of(server: Server) -> StreamReader:
    assert isinstance(server, InProcessServer) and server.app is not None
    return server.app.dynamodb_streams.reader


def test_the_reader_reads_what_writes_streamed(
    server: Server, dynamodb: DynamoDBClient, make_table: MakeTable
) -> None:
    reader = reader_of(server)
    table, arn = make_table("NEW_AND_OLD_IMAGES", range_key=True)
    gone: list[str] = []
    unsubscribe = reader.on_deleted(gone.append)
    generation = reader.generation(arn)
    key = {"pk": {"S": "item"}, "sk": {"N": "7"}}
    dynamodb.put_item(TableName=table, Item={**key, "tags": {"SS": ["x"]}, "n": {"N": "1"}})
    dynamodb.update_item(
        TableName=table, Key=key, UpdateExpression="SET n = n + :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )  # fmt: skip
    dynamodb.delete_item(TableName=table, Key=key)
    assert reader.generation(arn) >= generation + 3  # rung by each committed write

    async def read() -> list[bytes]:
        [shard] = (await reader.describe(arn)).shards
        batch = await reader.read(arn, shard.shard_id, StreamPosition("TRIM_HORIZON"), 100)
        assert not batch.shard_ended
        assert {r.partition_key for r in batch.records} == {'{"pk":{"S":"item"},"sk":{"N":"7"}}'}
        return [record.data for record in batch.records]

    data = asyncio.run(read())
    event = esm_event(data, arn)
    parsed = DynamoDBStreamModel.model_validate(event)
    assert [str(r.eventName) for r in parsed.Records] == ["INSERT", "MODIFY", "REMOVE"]
    modify = parsed.Records[1].dynamodb
    assert modify is not None
    assert isinstance(modify.NewImage, dict) and isinstance(modify.OldImage, dict)
    assert (modify.OldImage["n"], modify.NewImage["n"]) == (1, 2)
    assert modify.NewImage["tags"] == {"x"}
    first = event["Records"][0]
    assert first["eventSourceARN"] == arn and first["awsRegion"] == "us-east-1"
    assert isinstance(first["dynamodb"]["ApproximateCreationDateTime"], int)
    assert orjson.loads(data[0])["dynamodb"]["Keys"] == key

    dynamodb.delete_table(TableName=table)
    wait_for(lambda: arn in gone, timeout=10)
    unsubscribe()
