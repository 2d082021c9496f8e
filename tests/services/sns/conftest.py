"""Fixtures of the SNS tests: one server (async delays scaled by 0.01), boto3 clients, a
recording function, a recording HTTP endpoint on 127.0.0.1, and the signature check."""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import boto3
import pytest
from botocore.config import Config
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from lambdaport.testing.server import ServerProcess, zip_files
from tests.conftest import ROLE, client_for

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

T = TypeVar("T")
ACCOUNT = "000000000000"

# Appends each event it receives to $OUT, one JSON line per invocation.
RECORDER = """
import json, os

def handler(event, context):
    with open(os.environ["OUT"], "a") as out:
        out.write(json.dumps(event) + "\\n")
    return "ok"
"""


def wait_for(predicate: Callable[[], T | None], timeout: float = 20.0, what: str = "") -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(0.02)  # polling interval, bounded by the deadline above


def sns_client(endpoint: str) -> Any:
    return boto3.client(
        "sns",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 0}),
    )


@pytest.fixture(scope="session")
def sns_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data_dir = tmp_path_factory.mktemp("sns") / "data"
    with ServerProcess(data_dir, extra_args=("--async-delay-scale", "0.01")) as process:
        yield process


@pytest.fixture(scope="session")
def sns(sns_server: ServerProcess) -> Any:
    return sns_client(sns_server.endpoint)


@pytest.fixture(scope="session")
def lam(sns_server: ServerProcess) -> LambdaClient:
    return client_for(sns_server.endpoint)


@pytest.fixture
def topic(sns: Any) -> Iterator[str]:
    arn: str = sns.create_topic(Name=f"t-{uuid.uuid4().hex[:10]}")["TopicArn"]
    yield arn
    sns.delete_topic(TopicArn=arn)


class Recorder:
    """A function that records the events it receives."""

    def __init__(self, name: str, out: Path) -> None:
        self.name = name
        self.out = out
        self.arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"

    def events(self) -> list[dict[str, Any]]:
        if not self.out.exists():
            return []
        return [json.loads(line) for line in self.out.read_text().splitlines() if line.strip()]

    def wait_events(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        def enough() -> list[dict[str, Any]] | None:
            events = self.events()
            return events if len(events) >= count else None

        return wait_for(enough, timeout, f"{count} events in {self.name}")


@pytest.fixture
def recorder(lam: LambdaClient, tmp_path: Path) -> Iterator[Callable[..., Recorder]]:
    created: list[str] = []

    def make(topic_arn: str | None = None) -> Recorder:
        name = f"sns-{uuid.uuid4().hex[:10]}"
        out = tmp_path / f"{name}.jsonl"
        lam.create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": zip_files({"app.py": RECORDER})},
            Environment={"Variables": {"OUT": str(out)}},
        )
        created.append(name)
        lam.get_waiter("function_active_v2").wait(
            FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
        )
        if topic_arn is not None:
            lam.add_permission(
                FunctionName=name,
                StatementId="sns",
                Action="lambda:InvokeFunction",
                Principal="sns.amazonaws.com",
                SourceArn=topic_arn,
            )
        return Recorder(name, out)

    yield make
    for name in created:
        lam.delete_function(FunctionName=name)


# -- a recording HTTP endpoint ------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class Endpoint:
    url: str
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # answers to give first, then 200
    lock: threading.Lock = field(default_factory=threading.Lock)

    def of_type(self, message_type: str) -> list[Received]:
        with self.lock:
            return [
                r for r in self.received if r.headers.get("x-amz-sns-message-type") == message_type
            ]

    def wait(self, message_type: str, count: int = 1, timeout: float = 20.0) -> list[Received]:
        def enough() -> list[Received] | None:
            found = self.of_type(message_type)
            return found if len(found) >= count else None

        return wait_for(enough, timeout, f"{count} {message_type} at {self.url}")


def _handler(endpoint: Endpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with endpoint.lock:
                endpoint.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                status = endpoint.statuses.pop(0) if endpoint.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def http_endpoint() -> Iterator[Endpoint]:
    endpoint = Endpoint(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(endpoint))
    endpoint.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield endpoint
    server.shutdown()
    server.server_close()
    thread.join(10)


# -- signature check (our own, with the certificate fetched from SigningCertURL) ----------

_SIGNED = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}


def verify_signature(message: dict[str, Any], cert_url_key: str = "SigningCertURL") -> None:
    """Raise unless ``message`` carries a valid SNS signature (version 1 or 2)."""
    names = _SIGNED[message["Type"]]
    canonical = "".join(f"{n}\n{message[n]}\n" for n in names if message.get(n) is not None)
    with urllib.request.urlopen(message[cert_url_key], timeout=10) as response:
        certificate = x509.load_pem_x509_certificate(response.read())
    key = certificate.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    algorithm: hashes.HashAlgorithm = (
        hashes.SHA256() if message["SignatureVersion"] == "2" else hashes.SHA1()
    )
    key.verify(
        base64.b64decode(message["Signature"]), canonical.encode(), padding.PKCS1v15(), algorithm
    )
