"""Helpers shared by the tests that drive a real server: boto3 clients, waiting on a condition
with a deadline, creating functions (and letting a service invoke them), the AWS CLI, and a
recording function that writes what it receives to a file."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from lambdaport.testing import aws as testing_aws
from lambdaport.testing.aws import ACCOUNT as ACCOUNT  # the account of any non-numeric key
from lambdaport.testing.aws import REGION as REGION
from lambdaport.testing.aws import ROLE as ROLE
from lambdaport.testing.aws import client_options as client_options
from lambdaport.testing.aws import wait_active as wait_active

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_lambda.literals import RuntimeType
    from mypy_boto3_sqs import SQSClient

T = TypeVar("T")

ECHO = "def handler(event, context):\n    return event\n"
AWS_CLI = Path(sys.executable).parent / "aws"  # AWS CLI v1, installed with the dev tools


# -- clients ----------------------------------------------------------------------------------


def client_for(endpoint: str, account: str = "test") -> LambdaClient:
    """A Lambda client; ``account`` is the access key (12 digits make it the account id)."""
    return boto3.client("lambda", **client_options(endpoint, access_key=account, read_timeout=120))


def client_error(call: Callable[..., object], *args: Any, **kwargs: Any) -> tuple[str, str, int]:
    """The AWS error ``call(*args, **kwargs)`` fails with: its code, message, HTTP status."""
    try:
        call(*args, **kwargs)
    except ClientError as error:
        response = error.response
        return (
            response["Error"]["Code"],
            response["Error"].get("Message", ""),
            response["ResponseMetadata"]["HTTPStatusCode"],
        )
    raise AssertionError(f"{call} did not fail")


# -- plain HTTP and signatures -----------------------------------------------------------------


def http_call(
    method: str, url: str, body: bytes = b"", headers: Mapping[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request exactly as given (no headers added but Host and Content-Length):
    status, lower-case headers, body."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=30)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(method, target or "/", body=body, headers=dict(headers or {}))
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def send_aws(request: AWSRequest) -> tuple[int, dict[str, str], bytes]:
    """Send a botocore request as it was signed."""
    headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
    body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
    return http_call(request.method or "GET", request.url or "", body, headers)


def signed_at(
    when: datetime,
    method: str,
    url: str,
    service: str,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
) -> AWSRequest:
    """A request signed by botocore's signer as a client whose clock says ``when`` would
    sign it (for S3, give ``X-Amz-Content-SHA256`` in ``headers`` and a plain path)."""
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    auth = SigV4Auth(Credentials("test", "test"), service, REGION)
    timestamp = when.strftime("%Y%m%dT%H%M%SZ")
    request.context["timestamp"] = timestamp
    request.headers["X-Amz-Date"] = timestamp
    canonical = auth.canonical_request(request)
    signature = auth.signature(auth.string_to_sign(request, canonical), request)
    signed = auth.signed_headers(auth.headers_to_sign(request))
    request.headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={auth.scope(request)}, SignedHeaders={signed}, "
        f"Signature={signature}"
    )
    return request


# -- waiting ----------------------------------------------------------------------------------


def wait_for(
    predicate: Callable[[], T | None],
    timeout: float = 30.0,
    what: str = "",
    *,
    interval: float = 0.05,
) -> T:
    """Poll ``predicate`` until it returns something truthy (that value); fail at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(interval)  # the polling interval, bounded by the deadline above


def process_gone(pid: int) -> bool:
    """True once ``pid`` no longer runs (a zombie waiting for its reaper counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as status:
            state = status.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


async def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Inside an event loop: poll ``condition`` until it holds; fail after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {condition}")
        await asyncio.sleep(0.01)


def create_function(
    client: LambdaClient,
    source: str | Mapping[str, str | bytes] = ECHO,
    *,
    name: str | None = None,
    handler: str = "app.handler",
    runtime: RuntimeType = "python3.11",
    **config: Any,
) -> str:
    """Create a function from ``app.py``'s source (or a mapping of files) and wait until it is
    Active; its name (``fn-<random>`` unless given)."""
    created = testing_aws.create_function(
        client, source, name=name, handler=handler, runtime=runtime, role=ROLE, **config
    )
    return created.name


def allow_invoke(
    client: LambdaClient,
    function: str,
    principal: str,
    source_arn: str,
    *,
    source_account: str | None = None,
    statement_id: str | None = None,
) -> None:
    """Add a resource-policy statement letting ``principal`` (a service) invoke ``function``
    on behalf of ``source_arn`` (and ``source_account`` when given)."""
    extra: dict[str, Any] = {} if source_account is None else {"SourceAccount": source_account}
    client.add_permission(
        FunctionName=function,
        StatementId=statement_id or f"allow-{uuid.uuid4().hex[:8]}",
        Action="lambda:InvokeFunction",
        Principal=principal,
        SourceArn=source_arn,
        **extra,
    )


# Runs until the file named by the event's "until" exists (or 60 s pass): an invocation that
# is held running until the test lets it go. With "started" (a directory), it first marks its
# arrival there (a file named by its request id).
HOLD_UNTIL_FILE = """
import os, time

def handler(event, context):
    if "started" in event:
        open(os.path.join(event["started"], context.aws_request_id), "w").close()
    deadline = time.monotonic() + 60
    while not os.path.exists(event["until"]) and time.monotonic() < deadline:
        time.sleep(0.01)
    print("released")
"""

# Each run marks its arrival in the directory named by the event's "dir" and waits (30 s at
# most) until "count" runs have arrived; it returns how many it saw and its pid. Every run
# seeing the count proves they all ran at one moment, however slow the machine.
BARRIER = """
import os, time

def handler(event, context):
    open(os.path.join(event["dir"], context.aws_request_id), "w").close()
    deadline = time.monotonic() + 30
    while len(os.listdir(event["dir"])) < event["count"] and time.monotonic() < deadline:
        time.sleep(0.01)
    return {"arrived": len(os.listdir(event["dir"])), "pid": os.getpid()}
"""


# -- a recording function ---------------------------------------------------------------------

# Appends {"id": request id, "event": ..., "t": time} to $OUT per run; when the event asks,
# runs until the file named by "until" exists (then appends {"id", "done": time}) and fails.
RECORDER = """
import json, os, time

def handler(event, context):
    def note(**fields):
        with open(os.environ["OUT"], "a") as out:
            out.write(json.dumps({"id": context.aws_request_id, **fields}) + "\\n")
    note(event=event, t=time.time())
    if isinstance(event, dict):
        if event.get("until"):
            deadline = time.monotonic() + 60
            while not os.path.exists(event["until"]) and time.monotonic() < deadline:
                time.sleep(0.01)
            note(done=time.time())
        if event.get("fail"):
            raise RuntimeError("failing on purpose")
    return {"echo": event}
"""


def json_lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@dataclass(frozen=True)
class Recorder:
    """A real function running :data:`RECORDER`, and what it wrote."""

    client: LambdaClient
    name: str
    out: Path

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.name}"

    def lines(self) -> list[dict[str, Any]]:
        return json_lines(self.out)

    def seen(self) -> list[dict[str, Any]]:
        """One line per run: ``{"id", "event", "t"}``."""
        return [line for line in self.lines() if "event" in line]

    def events(self) -> list[Any]:
        return [line["event"] for line in self.seen()]

    def runs_of(self, request_id: str) -> list[dict[str, Any]]:
        return [line for line in self.seen() if line["id"] == request_id]

    def wait_runs(self, request_id: str, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
        def enough() -> list[dict[str, Any]] | None:
            runs = self.runs_of(request_id)
            return runs if len(runs) >= count else None

        return wait_for(enough, timeout, f"{count} runs of {request_id} by {self.name}")

    def wait_events(self, count: int, timeout: float = 30.0) -> list[Any]:
        def enough() -> list[Any] | None:
            events = self.events()
            return events if len(events) >= count else None

        return wait_for(enough, timeout, f"{count} events in {self.name}")

    def wait_record(self, timeout: float = 20.0) -> dict[str, Any]:
        """The first event this function received (a destination's invocation record)."""
        (event, *_) = self.wait_events(1, timeout)
        record: dict[str, Any] = event
        return record

    def allow(
        self,
        principal: str,
        source_arn: str,
        *,
        source_account: str | None = None,
        statement_id: str | None = None,
    ) -> None:
        """Let ``principal`` invoke this function for ``source_arn`` (see :func:`allow_invoke`)."""
        allow_invoke(
            self.client,
            self.name,
            principal,
            source_arn,
            source_account=source_account,
            statement_id=statement_id,
        )


class Recorders:
    """``make(**create_function_config)`` a :class:`Recorder` on one server, writing under
    ``directory``; every function it made is deleted when the block ends."""

    def __init__(self, client: LambdaClient, directory: Path) -> None:
        self._client = client
        self._directory = directory
        self._created: list[str] = []

    def __call__(self, **config: Any) -> Recorder:
        name = f"rec-{uuid.uuid4().hex[:10]}"
        out = self._directory / f"{name}.jsonl"
        create_function(
            self._client,
            RECORDER,
            name=name,
            **{"Timeout": 10, "Environment": {"Variables": {"OUT": str(out)}}, **config},
        )
        self._created.append(name)
        return Recorder(self._client, name, out)

    def __enter__(self) -> Recorders:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for name in self._created:
            with contextlib.suppress(self._client.exceptions.ResourceNotFoundException):
                self._client.delete_function(FunctionName=name)


# -- the AWS CLI ------------------------------------------------------------------------------


def cli_env(**extra: str) -> dict[str, str]:
    """This process's environment without its ``AWS_*`` variables, plus test credentials
    (``extra`` adds variables or replaces those)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION=REGION,
        AWS_PAGER="",
    )
    env.update(extra)
    return env


def aws_cli_v2() -> str | None:
    """An AWS CLI v2: ``LAMBDAPORT_AWS_CLI_V2`` (``make test`` sets ``/usr/bin/aws``, Debian
    12's 2.9) or ``aws`` on PATH when it is version 2."""
    candidates = [os.environ.get("LAMBDAPORT_AWS_CLI_V2", ""), shutil.which("aws") or ""]
    for candidate in filter(None, candidates):
        version = subprocess.run(
            [candidate, "--version"], capture_output=True, text=True, check=False, timeout=60
        )
        if version.stdout.startswith("aws-cli/2."):
            return candidate
    return None


def aws(
    endpoint: str, *args: str, env: Mapping[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the AWS CLI against the server (JSON output unless ``args`` say otherwise)."""
    return subprocess.run(
        [str(AWS_CLI), "--endpoint-url", endpoint, "--output", "json", *args],
        capture_output=True,
        text=True,
        env=dict(env) if env is not None else cli_env(),
        timeout=timeout,
        check=False,
    )


def aws_json(endpoint: str, *args: str, env: Mapping[str, str] | None = None) -> Any:
    """Run the AWS CLI, assert it succeeded, and parse its output (None when there is none)."""
    done = aws(endpoint, *args, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else None


# -- SQS --------------------------------------------------------------------------------------


def receive_messages(
    sqs: SQSClient, url: str, count: int = 1, *, delete: bool = False, timeout: float = 30.0
) -> list[Any]:
    """Receive until ``count`` messages (with all their attributes) came from the queue at
    ``url``; ``delete`` deletes each one received."""
    got: list[Any] = []

    def enough() -> list[Any] | None:
        response = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            MessageAttributeNames=["All"],
            AttributeNames=["All"],
        )
        for message in response.get("Messages", []):
            got.append(message)
            if delete:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return got if len(got) >= count else None

    return wait_for(enough, timeout, f"{count} messages on {url}")
