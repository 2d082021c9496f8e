"""Fixtures for the event source mapping tests: SQS clients and queues (deleted after each
test) on the session's server, and a mapping factory that deletes what it made."""

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
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_sqs import SQSClient

MakeQueue = Callable[..., tuple[str, str]]  # (url, arn)
MakeMapping = Callable[..., dict[str, Any]]


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


TRANSITIONS = {"Creating", "Enabling", "Disabling", "Updating", "Deleting"}


def wait_settled(client: LambdaClient, uuid_: str, timeout: float = 30.0) -> dict[str, Any]:
    """The mapping once no transition runs (Enabled or Disabled)."""
    from tests.helpers import wait_for

    def settled() -> dict[str, Any] | None:
        mapping = dict(client.get_event_source_mapping(UUID=uuid_))
        return None if mapping["State"] in TRANSITIONS else mapping

    return wait_for(settled, timeout, f"mapping {uuid_} settled")
