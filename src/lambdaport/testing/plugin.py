"""lambdaport's pytest plugin: a real server for a test session, boto3 clients bound to it,
functions made from source strings, and a wait until the server's asynchronous work is done.

pytest loads it wherever lambdaport is installed (the ``pytest11`` entry point in
``pyproject.toml``). Every fixture is named ``lambdaport_*`` so that it meets no fixture of the
suite that loads it, and nothing starts until a test asks for a fixture:

- ``lambdaport_server`` (session): a :class:`~lambdaport.testing.server.ServerProcess` on a
  free loopback port, its state in a temporary directory; stopped when the session ends.
  The ``lambdaport_args`` ini option adds arguments to ``lambdaport up``
  (``lambdaport_args = --async-delay-scale 0.01``); ``lambdaport_in_process = true`` serves
  it on a thread of the test process instead
  (:class:`~lambdaport.testing.inprocess.InProcessServer`: no interpreter to start).
- ``lambdaport_client`` (session): ``lambdaport_client("sqs")`` is a boto3 client bound to the
  server (region us-east-1, any credentials, no retries); keyword arguments go to
  ``boto3.client``.
- ``lambdaport_function``: ``lambdaport_function(source, **CreateFunction parameters)`` creates
  a function from ``app.py``'s source (or ``{file: content}``), waits until it is Active and
  returns a :class:`~lambdaport.testing.aws.Function`; deleted after the test.
- ``lambdaport_drain``: ``lambdaport_drain(timeout=30)`` returns once async invocations,
  their destinations, SNS deliveries and Logs subscriptions are all done (one request: the
  server waits, ``GET /_lambdaport/drain``).
- ``lambdaport_aws_env``: ``AWS_ENDPOINT_URL`` and test credentials in the environment for the
  test, for code under test that makes its own boto3 clients.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

import pytest

from lambdaport.testing.aws import (
    REGION,
    Function,
    client_options,
    create_function,
    wait_drained,
)
from lambdaport.testing.server import Server, ServerProcess

ClientFactory = Callable[..., Any]
FunctionFactory = Callable[..., Function]
Drain = Callable[..., None]
# ini value types as constants: mypy 1.20 without a cache misreads string literals passed
# as ``type=`` for typing forms (maybe-unrecognized-str-typeform).
INI_ARGS: Final = "args"  # an ini value split as a shell would
INI_BOOL: Final = "bool"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "lambdaport_args",
        "extra arguments to `lambdaport up` for the lambdaport_server fixture",
        type=INI_ARGS,
        default=[],
    )
    parser.addini(
        "lambdaport_in_process",
        "serve the lambdaport_server fixture on a thread of the test process",
        type=INI_BOOL,
        default=False,
    )


@pytest.fixture(scope="session")
def lambdaport_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A real lambdaport server for the session (its log: ``lambdaport_server.log()``)."""
    args = tuple(str(arg) for arg in request.config.getini("lambdaport_args"))
    data_dir = tmp_path_factory.mktemp("lambdaport") / "data"
    if request.config.getini("lambdaport_in_process"):
        from lambdaport.testing.inprocess import InProcessServer

        with InProcessServer(data_dir, extra_args=args) as in_process:
            yield in_process
    else:
        with ServerProcess(data_dir, extra_args=args) as process:
            yield process


@pytest.fixture(scope="session")
def lambdaport_client(lambdaport_server: Server) -> ClientFactory:
    """``lambdaport_client("s3")``: a boto3 client bound to the session's server."""
    import boto3

    cache: dict[str, Any] = {}

    def make(service: str, **kwargs: Any) -> Any:
        if service in cache and not kwargs:
            return cache[service]
        options = {**client_options(lambdaport_server.endpoint, read_timeout=120), **kwargs}
        client = boto3.client(service, **options)  # type: ignore[call-overload]
        if not kwargs:
            cache[service] = client
        return client

    return make


@pytest.fixture
def lambdaport_function(lambdaport_client: ClientFactory) -> Iterator[FunctionFactory]:
    """``lambdaport_function(source, name=..., handler=..., runtime=..., **parameters)``."""
    client = lambdaport_client("lambda")
    created: list[str] = []

    def make(source: str | Mapping[str, str | bytes], **kwargs: Any) -> Function:
        function = create_function(client, source, **kwargs)
        created.append(function.name)
        return function

    yield make
    for name in reversed(created):
        with contextlib.suppress(client.exceptions.ResourceNotFoundException):
            client.delete_function(FunctionName=name)


@pytest.fixture
def lambdaport_drain(lambdaport_server: Server) -> Drain:
    """``lambdaport_drain(timeout=30.0)``: wait until the server's asynchronous work is done."""

    def drain(timeout: float = 30.0) -> None:
        wait_drained(lambdaport_server.endpoint, timeout)

    return drain


@pytest.fixture
def lambdaport_aws_env(lambdaport_server: Server, monkeypatch: pytest.MonkeyPatch) -> Server:
    """The AWS SDK's environment pointed at the server for the test's duration."""
    for name, value in {
        "AWS_ENDPOINT_URL": lambdaport_server.endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return lambdaport_server
