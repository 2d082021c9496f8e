"""Fixtures for the event source mapping tests: SQS clients and queues (deleted after each
test) on the session's server, a mapping factory that deletes what it made (``make_mapping``;
``map_queue`` waits until the mapping is Enabled), messages sent ten a call
(``send_bodies``) and a mapping's entry of the health document (``mapping_health``)."""

from __future__ import annotations

import contextlib
import json
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from lambdaport.testing.server import Server
from tests.helpers import client_options

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_sqs import SQSClient

    from tests.conftest import MakeFunction
    from tests.esm.streams import StreamConsumer

MakeQueue = Callable[..., tuple[str, str]]  # (url, arn)
MakeMapping = Callable[..., dict[str, Any]]
MapQueue = Callable[..., dict[str, Any]]  # (queue arn, function, **params) -> the mapping


def sqs_client_for(endpoint: str) -> SQSClient:
    return boto3.Session().client("sqs", **client_options(endpoint))


def queue_arn(sqs: SQSClient, url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return attributes["Attributes"]["QueueArn"]


def new_queue(sqs: SQSClient, *, fifo: bool = False, **attributes: str) -> tuple[str, str]:
    name = f"q-{uuid.uuid4().hex[:12]}" + (".fifo" if fifo else "")
    given: dict[Any, str] = {"FifoQueue": "true", **attributes} if fifo else dict(attributes)
    url = sqs.create_queue(QueueName=name, Attributes=given)["QueueUrl"]
    return url, queue_arn(sqs, url)


@pytest.fixture(scope="session")
def sqs(server: Server) -> SQSClient:
    return sqs_client_for(server.endpoint)


@pytest.fixture
def make_queue(sqs: SQSClient) -> Iterator[MakeQueue]:
    made: list[str] = []

    def make(*, fifo: bool = False, **attributes: str) -> tuple[str, str]:
        url, arn = new_queue(sqs, fifo=fifo, **attributes)
        made.append(url)
        return url, arn

    yield make
    for url in made:
        with contextlib.suppress(sqs.exceptions.QueueDoesNotExist):
            sqs.delete_queue(QueueUrl=url)


@pytest.fixture
def make_mapping(lambda_client: LambdaClient) -> Iterator[MakeMapping]:
    made: list[str] = []

    def make(**params: Any) -> dict[str, Any]:
        mapping: dict[str, Any] = dict(lambda_client.create_event_source_mapping(**params))
        made.append(mapping["UUID"])
        return mapping

    yield make
    for uuid_ in made:
        with contextlib.suppress(lambda_client.exceptions.ResourceNotFoundException):
            wait_settled(lambda_client, uuid_)
            lambda_client.delete_event_source_mapping(UUID=uuid_)


@pytest.fixture
def map_queue(lambda_client: LambdaClient, make_mapping: MakeMapping) -> MapQueue:
    """``map_queue(arn, function, **params)``: a mapping of the queue to the function, once
    its transition has settled."""

    def map_(arn: str, function: str, **params: Any) -> dict[str, Any]:
        mapping = make_mapping(EventSourceArn=arn, FunctionName=function, **params)
        return wait_settled(lambda_client, mapping["UUID"])

    return map_


def send_bodies(sqs: SQSClient, url: str, bodies: list[str]) -> None:
    """One message per body, ``SendMessageBatch`` ten at a time."""
    for start in range(0, len(bodies), 10):
        entries = [
            {"Id": str(start + i), "MessageBody": body}
            for i, body in enumerate(bodies[start : start + 10])
        ]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)  # type: ignore[arg-type]


def mapping_health(endpoint: str, uuid_: str) -> dict[str, Any] | None:
    """The mapping's entry of the health document's ``eventSourceMappings`` (None: no poller)."""
    with urllib.request.urlopen(f"{endpoint}/_lambdaport/health") as answer:
        health = json.loads(answer.read())
    entries = [m for m in health["eventSourceMappings"] if m["uuid"] == uuid_]
    return entries[0] if entries else None


TRANSITIONS = {"Creating", "Enabling", "Disabling", "Updating", "Deleting"}


@pytest.fixture
def stream_consumer(make_function: MakeFunction, tmp_path: Path) -> StreamConsumer:
    """A function recording every invocation of a stream mapping (``tests.esm.streams``)."""
    from tests.esm.streams import CONSUMER, StreamConsumer

    out = tmp_path / "invocations.jsonl"
    name = make_function(CONSUMER, Timeout=5, Environment={"Variables": {"OUT": str(out)}})
    return StreamConsumer(name, out)


def wait_settled(client: LambdaClient, uuid_: str, timeout: float = 30.0) -> dict[str, Any]:
    """The mapping once no transition runs (Enabled or Disabled)."""
    from tests.helpers import wait_for

    def settled() -> dict[str, Any] | None:
        mapping = dict(client.get_event_source_mapping(UUID=uuid_))
        return None if mapping["State"] in TRANSITIONS else mapping

    return wait_for(settled, timeout, f"mapping {uuid_} settled")
