"""What a test suite needs around a running server: boto3 clients bound to it, functions
created from source strings, and waiting until the server's asynchronous work is done.

Used by lambdaport's pytest plugin (``lambdaport.testing.plugin``), lambdaport's own tests and
anyone driving a server from their own code."""

from __future__ import annotations

import sys
import time
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from lambdaport.pending import MAX_WAIT_S
from lambdaport.testing.server import zip_files

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

ACCOUNT = "000000000000"  # the account of any access key that is not 12 digits
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/lambda-role"
# The interpreter running the tests: a function declaring it runs on it, with no fallback.
THIS_PYTHON = f"python{sys.version_info.major}.{sys.version_info.minor}"


def client_options(
    endpoint: str,
    *,
    region: str = REGION,
    access_key: str = "test",
    read_timeout: int = 60,
    **config: Any,
) -> dict[str, Any]:
    """``boto3.client(service, **client_options(endpoint))``: any credentials, no retries (a
    test should see the first error, not a retried success)."""
    from botocore.config import Config

    return {
        "endpoint_url": endpoint,
        "region_name": region,
        "aws_access_key_id": access_key,
        "aws_secret_access_key": "test",
        "config": Config(retries={"max_attempts": 0}, read_timeout=read_timeout, **config),
    }


# -- functions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Function:
    """A function created on the server: its name and its (unqualified) ARN."""

    name: str
    arn: str


def create_function(
    client: LambdaClient,
    source: str | Mapping[str, str | bytes],
    *,
    name: str | None = None,
    handler: str = "app.handler",
    runtime: str = THIS_PYTHON,
    role: str = ROLE,
    **config: Any,
) -> Function:
    """Create a function from ``app.py``'s source (or a mapping of file names to contents),
    with any other CreateFunction parameter in ``config``, and wait until it is Active."""
    files = {"app.py": source} if isinstance(source, str) else source
    created = client.create_function(
        FunctionName=name or f"fn-{uuid.uuid4().hex[:12]}",
        Runtime=runtime,  # type: ignore[arg-type]  # any string: the server validates it
        Role=role,
        Handler=handler,
        Code={"ZipFile": zip_files(files)},
        **config,
    )
    wait_active(client, created["FunctionName"])
    return Function(created["FunctionName"], created["FunctionArn"])


def wait_active(client: LambdaClient, name: str) -> None:
    client.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )


# -- asynchronous work ------------------------------------------------------------------------


def health(endpoint: str) -> dict[str, Any]:
    """The server's health document (``GET /_lambdaport/health``)."""
    with urllib.request.urlopen(endpoint.rstrip("/") + "/_lambdaport/health", timeout=10) as r:
        document: dict[str, Any] = orjson.loads(r.read())
    return document


def pending_work(endpoint: str) -> dict[str, int]:
    """What the server still has to do, now: ``{"asyncEvents": n, "snsDeliveries": n,
    "logEvents": n, "logsSubscriptionDeliveries": n}`` (events in the async queue — queued,
    running or waiting for a retry —, SNS deliveries in flight, function log lines not yet
    stored, Logs subscription deliveries not yet queued)."""
    return _drain(endpoint, 0.0)[1]


def wait_drained(endpoint: str, timeout: float = 30.0) -> None:
    """Return once the server has no asynchronous work left (see :func:`pending_work`):
    async invocations and their destinations, SNS deliveries, Logs subscriptions, and what
    they set off in turn. The server waits (``GET /_lambdaport/drain?timeout=``), so this is
    one request. Raises ``TimeoutError`` naming what is left after ``timeout`` seconds (an
    event waiting for a retry counts: scale retry delays with ``--async-delay-scale``)."""
    deadline = time.monotonic() + timeout
    while True:
        drained, pending = _drain(endpoint, min(max(deadline - time.monotonic(), 0.0), MAX_WAIT_S))
        if drained:
            return
        if time.monotonic() >= deadline:
            left = {what: n for what, n in pending.items() if n}
            raise TimeoutError(f"lambdaport still has work after {timeout}s: {left}")


def _drain(endpoint: str, timeout: float) -> tuple[bool, dict[str, int]]:
    url = f"{endpoint.rstrip('/')}/_lambdaport/drain?timeout={timeout:.3f}"
    with urllib.request.urlopen(url, timeout=timeout + 30) as response:
        document: dict[str, Any] = orjson.loads(response.read())
    return bool(document["drained"]), {what: int(n) for what, n in document["pending"].items()}
