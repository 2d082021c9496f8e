"""Fixtures of the DynamoDB Streams tests: boto3 clients on the session's server, tables with
a stream and unique names (deleted after each test), and a reader of a stream's records."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from lambdaport.testing.server import Server
from tests.helpers import client_options

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient
    from mypy_boto3_dynamodbstreams.literals import ShardIteratorTypeType

MakeTable = Callable[..., tuple[str, str]]


def dynamodb_client_for(endpoint: str, account: str = "test") -> DynamoDBClient:
    return boto3.Session().client("dynamodb", **client_options(endpoint, access_key=account))


def streams_client_for(endpoint: str, account: str = "test") -> DynamoDBStreamsClient:
    return boto3.Session().client("dynamodbstreams", **client_options(endpoint, access_key=account))


@pytest.fixture(scope="session")
def dynamodb(server: Server) -> DynamoDBClient:
    return dynamodb_client_for(server.endpoint)


@pytest.fixture(scope="session")
def streams(server: Server) -> DynamoDBStreamsClient:
    return streams_client_for(server.endpoint)


def create_table(
    dynamodb: DynamoDBClient,
    name: str,
    view_type: str | None = "NEW_AND_OLD_IMAGES",
    *,
    range_key: bool = False,
) -> str:
    """The table (hash key ``pk`` S, range key ``sk`` N); its LatestStreamArn ('' without)."""
    keys: list[Any] = [{"AttributeName": "pk", "KeyType": "HASH"}]
    attributes: list[Any] = [{"AttributeName": "pk", "AttributeType": "S"}]
    if range_key:
        keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
        attributes.append({"AttributeName": "sk", "AttributeType": "N"})
    extra: dict[str, Any] = {}
    if view_type is not None:
        extra["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view_type}
    created = dynamodb.create_table(
        TableName=name, KeySchema=keys, AttributeDefinitions=attributes,
        BillingMode="PAY_PER_REQUEST", **extra,
    )["TableDescription"]  # fmt: skip
    return str(created.get("LatestStreamArn", ""))


@pytest.fixture
def make_table(dynamodb: DynamoDBClient) -> Iterator[MakeTable]:
    """``make_table(view_type, range_key=False)``: a table with a unique name and a stream of
    that view type (None: no stream); its name and LatestStreamArn."""
    made: list[str] = []

    def make(
        view_type: str | None = "NEW_AND_OLD_IMAGES", *, range_key: bool = False
    ) -> tuple[str, str]:
        name = f"t-{uuid.uuid4().hex[:12]}"
        arn = create_table(dynamodb, name, view_type, range_key=range_key)
        made.append(name)
        return name, arn

    yield make
    for name in made:
        with contextlib.suppress(dynamodb.exceptions.ResourceNotFoundException):
            dynamodb.delete_table(TableName=name)


def read_stream(
    streams: DynamoDBStreamsClient,
    arn: str,
    kind: ShardIteratorTypeType = "TRIM_HORIZON",
    **position: Any,
) -> list[dict[str, Any]]:
    """Every record of every shard of the stream (oldest shard first) from a position,
    following NextShardIterator until a read comes back empty or the shard ends."""
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator: str | None = streams.get_shard_iterator(
            StreamArn=arn,
            ShardId=shard["ShardId"],
            ShardIteratorType=kind,
            **position,
        )["ShardIterator"]
        while iterator is not None:
            answer = streams.get_records(ShardIterator=iterator)
            records.extend(answer["Records"])  # type: ignore[arg-type]
            iterator = answer.get("NextShardIterator")
            if not answer["Records"]:
                break
    return records


def events(records: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(eventName, Keys) of each record."""
    return [(r["eventName"], r["dynamodb"]["Keys"]) for r in records]
