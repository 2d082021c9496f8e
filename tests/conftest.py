"""Fixtures shared by the integration tests: one real server process per session, boto3
clients bound to it, and factories for functions (plain and recording) that are removed after
each test. Plain helpers are in ``tests/helpers.py``."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from lambdaport.testing.inprocess import InProcessServer
from lambdaport.testing.server import Server
from tests.helpers import ECHO, Recorders, client_for, create_function

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

MakeFunction = Callable[..., str]


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The session's server, on a thread of this process (``InProcessServer``)."""
    data_dir = tmp_path_factory.mktemp("server") / "data"
    with InProcessServer(data_dir) as in_process:
        yield in_process


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server started with ``--strict-auth``, for the tests of one module."""
    data_dir = tmp_path_factory.mktemp("strict") / "data"
    with InProcessServer(data_dir, extra_args=("--strict-auth",)) as in_process:
        yield in_process


@pytest.fixture(scope="session")
def lambda_client(server: Server) -> LambdaClient:
    return client_for(server.endpoint)


@pytest.fixture
def make_function(lambda_client: LambdaClient) -> Iterator[MakeFunction]:
    """``make_function(source, *, handler, runtime, name, **config)``: see
    :func:`tests.helpers.create_function`; deleted after the test."""
    created: list[str] = []

    def make(
        source: str | Mapping[str, str | bytes] = ECHO, *, name: str | None = None, **kwargs: Any
    ) -> str:
        function_name = name or f"fn-{uuid.uuid4().hex[:12]}"
        created.append(function_name)  # before creating: deleted even if it never gets Active
        return create_function(lambda_client, source, name=function_name, **kwargs)

    yield make
    for function_name in created:
        with contextlib.suppress(lambda_client.exceptions.ResourceNotFoundException):
            lambda_client.delete_function(FunctionName=function_name)


@pytest.fixture
def recorders(lambda_client: LambdaClient, tmp_path: Path) -> Iterator[Recorders]:
    """Recording functions on the session's server (see :class:`tests.helpers.Recorder`)."""
    with Recorders(lambda_client, tmp_path) as make:
        yield make


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"
