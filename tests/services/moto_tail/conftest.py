"""Fixtures of the moto tail's tests: boto3 clients on the session's server, and an
in-process ``MotoTail`` for the contract tests of the moto hooks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from lambdaport.services.moto_tail import MotoTail
from lambdaport.testing.server import Server
from tests.helpers import client_options

AwsClient = Callable[..., Any]


@pytest.fixture(scope="session")
def aws(server: Server) -> AwsClient:
    """``aws("dynamodb", account="111122223333", region="eu-west-1")``: a boto3 client."""

    def make(service: str, *, account: str = "test", region: str = "us-east-1") -> Any:
        options = client_options(server.endpoint, region=region, access_key=account)
        return boto3.client(service, **options)  # type: ignore[call-overload]

    return make


@pytest.fixture(scope="session")
def tail() -> Iterator[MotoTail]:
    """A configured tail in this process (moto's state is per process: tests use unique names)."""
    moto_tail = MotoTail()
    asyncio.run(moto_tail.start())
    yield moto_tail
    asyncio.run(moto_tail.stop())
