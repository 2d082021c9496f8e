"""Fixtures shared by the integration tests: one real server process per session, boto3
clients bound to it, and a factory for functions that are removed after each test."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config

from lambdaport.testing.server import ServerProcess, zip_files

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_lambda.literals import RuntimeType

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
MakeFunction = Callable[..., str]


def client_for(endpoint: str, account: str = "test") -> LambdaClient:
    return boto3.client(
        "lambda",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=account,
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 0}, read_timeout=120),
    )


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data_dir = tmp_path_factory.mktemp("server") / "data"
    with ServerProcess(data_dir) as process:
        yield process


@pytest.fixture(scope="session")
def lambda_client(server: ServerProcess) -> LambdaClient:
    return client_for(server.endpoint)


def wait_active(client: LambdaClient, name: str) -> None:
    client.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )


@pytest.fixture
def make_function(lambda_client: LambdaClient) -> Iterator[MakeFunction]:
    created: list[str] = []

    def make(
        source: str
        | Mapping[str, str | bytes] = "def handler(event, context):\n    return event\n",
        *,
        handler: str = "app.handler",
        runtime: RuntimeType = "python3.11",
        name: str | None = None,
        **config: Any,
    ) -> str:
        files = {"app.py": source} if isinstance(source, str) else source
        function_name = name or f"fn-{uuid.uuid4().hex[:12]}"
        lambda_client.create_function(
            FunctionName=function_name,
            Runtime=runtime,
            Role=ROLE,
            Handler=handler,
            Code={"ZipFile": zip_files(files)},
            **config,
        )
        created.append(function_name)
        wait_active(lambda_client, function_name)
        return function_name

    yield make
    for function_name in created:
        with contextlib.suppress(lambda_client.exceptions.ResourceNotFoundException):
            lambda_client.delete_function(FunctionName=function_name)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"
