"""The two clients the benchmark invokes through, and the functions it deploys.

Both clients talk to one loopback endpoint:

- `lambda_client` is boto3's Lambda client with dummy credentials, what a user's code runs;
- `RawInvoker` is one reused keep-alive `http.client.HTTPConnection` posting the bare Invoke
  request, so what it measures is the server plus the loopback, with as little client as
  Python allows.

Functions are built as zip files in memory and created with `CreateFunction`; the benchmark
then waits on `State == "Active"` with a deadline, never on a fixed sleep.
"""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import boto3
from botocore.config import Config
from mypy_boto3_lambda import LambdaClient

from lambdaport.testing.server import zip_files

REGION = "us-east-1"
ROLE = "arn:aws:iam::000000000000:role/lambda-role"
HANDLER = "app.handler"

# A constant, unsigned SigV4-shaped header: neither server verifies signatures by default, but
# both may route on the credential scope, as real SDK traffic carries it.
AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/lambda/aws4_request, "
    "SignedHeaders=host, Signature=0000000000000000000000000000000000000000000000000000000000000000"
)

SILENT_SOURCE = 'def handler(event, context):\n    return {"ok": True}\n'
PRINTING_SOURCE = (
    "def handler(event, context):\n"
    '    print("hello from the benchmark handler")\n'
    '    return {"ok": True}\n'
)


NODE_SILENT_SOURCE = "exports.handler = async () => ({ ok: true });\n"
NODE_PRINTING_SOURCE = (
    "exports.handler = async () => {\n"
    "  console.log('hello from the benchmark handler');\n"
    "  return { ok: true };\n"
    "};\n"
)


@dataclass(frozen=True)
class FunctionSpec:
    """One function the benchmark deploys: a label for the table, its handler source, and
    its runtime (the source goes to ``app.py``, or ``index.js`` for Node.js)."""

    label: str
    source: str
    runtime: str = "python3.11"

    @property
    def files(self) -> dict[str, str]:
        name = "index.js" if self.runtime.startswith("nodejs") else "app.py"
        return {name: self.source}

    @property
    def handler(self) -> str:
        return "index.handler" if self.runtime.startswith("nodejs") else HANDLER


SILENT = FunctionSpec("silent", SILENT_SOURCE)
PRINTING = FunctionSpec("prints", PRINTING_SOURCE)
NODE_SILENT = FunctionSpec("node silent", NODE_SILENT_SOURCE, "nodejs20.x")
NODE_PRINTING = FunctionSpec("node prints", NODE_PRINTING_SOURCE, "nodejs20.x")


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def aws_client(service: str, endpoint_url: str, *, read_timeout: int = 120, **config: Any) -> Any:
    """boto3's client of ``service`` bound to ``endpoint_url``: dummy credentials, us-east-1,
    no retries, S3 path-style; ``config`` more of botocore's ``Config``."""
    settings = Config(
        region_name=REGION,
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=5,
        read_timeout=read_timeout,
        s3={"addressing_style": "path"},
        **config,
    )
    session: Any = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION
    )
    return session.client(service, endpoint_url=endpoint_url, config=settings)


def lambda_client(endpoint_url: str) -> LambdaClient:
    """boto3's Lambda client bound to `endpoint_url`, dummy credentials, no retries."""
    config = Config(
        region_name=REGION,
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=5,
        read_timeout=60,
        max_pool_connections=4,
    )
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION
    )
    return session.client("lambda", endpoint_url=endpoint_url, config=config)


class RawInvoker:
    """A reused keep-alive HTTP connection that posts `{}` to a function's invocations URL."""

    def __init__(self, host: str, port: int, timeout: float = 60.0) -> None:
        self._connection = http.client.HTTPConnection(host, port, timeout=timeout)
        self._headers = {"Authorization": AUTHORIZATION, "Content-Type": "application/json"}

    def invoke(self, function_name: str) -> RawResponse:
        path = f"/2015-03-31/functions/{function_name}/invocations"
        try:
            return self._post(path)
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # The server closed the idle keep-alive connection (uvicorn does after 5 s);
            # like any keep-alive client, reconnect once and send again.
            self._connection.close()
            return self._post(path)

    def _post(self, path: str) -> RawResponse:
        self._connection.request("POST", path, body=b"{}", headers=self._headers)
        response = self._connection.getresponse()
        body = response.read()
        return RawResponse(response.status, tuple(response.getheaders()), body)

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> RawInvoker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def create_function(client: LambdaClient, name: str, function: FunctionSpec, **config: Any) -> None:
    """Create ``function`` as ``name``; ``config``: further CreateFunction members."""
    client.create_function(
        FunctionName=name,
        Runtime=function.runtime,  # type: ignore[arg-type]
        Role=ROLE,
        Handler=function.handler,
        Code={"ZipFile": zip_files(function.files)},
        Timeout=30,
        MemorySize=128,
        **config,
    )


def wait_active(client: LambdaClient, name: str, timeout: float = 60.0) -> None:
    """Return once the function's State is Active; raise if it fails or the deadline passes."""
    deadline = time.monotonic() + timeout
    state = "unknown"
    while time.monotonic() < deadline:
        configuration = client.get_function_configuration(FunctionName=name)
        state = configuration.get("State", "Active")
        if state == "Active":
            return
        if state == "Failed":
            reason = configuration.get("StateReason", "")
            raise RuntimeError(f"function {name} failed to become Active: {reason}")
        time.sleep(0.005)
    raise TimeoutError(f"function {name} not Active after {timeout:.0f} s (state {state})")


def deploy(client: LambdaClient, name: str, function: FunctionSpec, **config: Any) -> None:
    create_function(client, name, function, **config)
    wait_active(client, name)
