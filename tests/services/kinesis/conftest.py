"""Fixtures for the Kinesis tests: a boto3 client on the session's server, streams with
unique names (deleted after each test), and small helpers to read a shard."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from lambdaport.testing.server import ServerProcess
from tests.helpers import client_options

if TYPE_CHECKING:
    from mypy_boto3_kinesis import KinesisClient

MakeStream = Callable[..., str]


def kinesis_client_for(endpoint: str) -> KinesisClient:
    return boto3.Session().client("kinesis", **client_options(endpoint))


@pytest.fixture(scope="session")
def kinesis(server: ServerProcess) -> KinesisClient:
    return kinesis_client_for(server.endpoint)


@pytest.fixture
def make_stream(kinesis: KinesisClient) -> Iterator[MakeStream]:
    """Create a stream with a unique name (``shards=N``, or ``on_demand=True``); its name."""
    created: list[str] = []

    def make(shards: int = 1, *, on_demand: bool = False, **extra: Any) -> str:
        name = f"s-{uuid.uuid4().hex[:12]}"
        if on_demand:
            extra["StreamModeDetails"] = {"StreamMode": "ON_DEMAND"}
        else:
            extra["ShardCount"] = shards
        kinesis.create_stream(StreamName=name, **extra)
        created.append(name)
        return name

    yield make
    for name in created:
        with contextlib.suppress(kinesis.exceptions.ResourceNotFoundException):
            kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)


def read_all(
    kinesis: KinesisClient, stream: str, shard: str, kind: str = "TRIM_HORIZON", **position: Any
) -> list[dict[str, Any]]:
    """Every record of a shard from a position, following NextShardIterator until a read
    comes back empty (or the shard ends)."""
    iterator: str | None = kinesis.get_shard_iterator(
        StreamName=stream,
        ShardId=shard,
        ShardIteratorType=kind,  # type: ignore[arg-type]
        **position,
    )["ShardIterator"]
    records: list[dict[str, Any]] = []
    while iterator:
        page = kinesis.get_records(ShardIterator=iterator)
        records.extend(page["Records"])  # type: ignore[arg-type]
        if not page["Records"]:
            break
        iterator = page.get("NextShardIterator")
    return records


def error_of(error: Any) -> tuple[int, str, str]:
    """(HTTP status, code, message) of a ClientError."""
    response = error.response
    return (
        int(response["ResponseMetadata"]["HTTPStatusCode"]),
        str(response["Error"]["Code"]),
        str(response["Error"]["Message"]),
    )
