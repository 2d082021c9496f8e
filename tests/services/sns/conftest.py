"""Fixtures of the SNS tests: one server (async delays scaled by 0.01), boto3 clients, a
recording function, a recording HTTP endpoint on 127.0.0.1, and the signature check."""

from __future__ import annotations

import base64
import json
import threading
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from lambdaport.testing.inprocess import InProcessServer
from lambdaport.testing.server import Server
from tests.helpers import Recorder, Recorders, client_for, client_options, wait_for

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient


def sns_client(endpoint: str) -> Any:
    return boto3.client("sns", **client_options(endpoint))


@pytest.fixture(scope="session")
def sns_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("sns") / "data"
    with InProcessServer(data_dir, extra_args=("--async-delay-scale", "0.01")) as in_process:
        yield in_process


@pytest.fixture(scope="session")
def sns(sns_server: Server) -> Any:
    return sns_client(sns_server.endpoint)


@pytest.fixture(scope="session")
def lam(sns_server: Server) -> LambdaClient:
    return client_for(sns_server.endpoint)


def name(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def error_of(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(Exception) as caught:
        call(**kwargs)
    response = caught.value.response  # type: ignore[attr-defined]
    return response["Error"]["Code"], response["Error"]["Message"]


def subscribe(sns: Any, topic: str, protocol: str, endpoint: str, **attributes: str) -> str:
    """Subscribe ``endpoint`` to ``topic``; the subscription ARN (even while pending)."""
    arn: str = sns.subscribe(
        TopicArn=topic,
        Protocol=protocol,
        Endpoint=endpoint,
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    return arn


def confirmed_subscription(sns: Any, topic: str, endpoint: Endpoint, **attributes: str) -> str:
    """Subscribe the HTTP endpoint and confirm through the SubscribeURL it received."""
    arn = subscribe(sns, topic, "http", endpoint.url, **attributes)
    (confirmation,) = endpoint.wait("SubscriptionConfirmation")
    with urllib.request.urlopen(confirmation.json()["SubscribeURL"], timeout=10) as response:
        assert response.status == 200
        assert arn in response.read().decode()
    return arn


@pytest.fixture
def topic(sns: Any) -> Iterator[str]:
    arn: str = sns.create_topic(Name=f"t-{uuid.uuid4().hex[:10]}")["TopicArn"]
    yield arn
    sns.delete_topic(TopicArn=arn)


Queue = tuple[str, str]  # (url, arn)


@pytest.fixture(scope="session")
def sqs(sns_server: Server) -> Any:
    return boto3.client("sqs", **client_options(sns_server.endpoint))


@pytest.fixture
def queue(sqs: Any) -> Iterator[Callable[..., Queue]]:
    """``queue(fifo=False)``: a new queue's (url, arn), deleted after the test."""
    urls: list[str] = []

    def make(fifo: bool = False) -> Queue:
        name = f"q-{uuid.uuid4().hex[:10]}" + (".fifo" if fifo else "")
        attributes = {"FifoQueue": "true"} if fifo else {}
        url: str = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        urls.append(url)
        arn: str = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        return url, arn

    yield make
    for url in urls:
        sqs.delete_queue(QueueUrl=url)


@pytest.fixture
def recorder(lam: LambdaClient, tmp_path: Path) -> Iterator[Callable[[str | None], Recorder]]:
    """``recorder(topic_arn)``: a recording function SNS may invoke for that topic (``None``:
    no permission at all)."""
    with Recorders(lam, tmp_path) as recorders:

        def make(topic_arn: str | None) -> Recorder:
            function = recorders()
            if topic_arn is not None:
                function.allow("sns.amazonaws.com", topic_arn, statement_id="sns")
            return function

        yield make


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
