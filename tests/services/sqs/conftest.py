"""Fixtures for the SQS tests: json (boto3's default) and query clients on the session's
server, queues with unique names (deleted after each test), and a raw form-POST helper."""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import botocore.session
import pytest

from lambdaport.services.sqs.wire import query_model_document
from lambdaport.testing.server import Server
from tests.helpers import REGION, client_options

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

SIGNATURE = (
    f"AWS4-HMAC-SHA256 Credential=test/20240101/{REGION}/sqs/aws4_request, "
    "SignedHeaders=host, Signature=0"
)
MakeQueue = Callable[..., str]


def sqs_client_for(endpoint: str, session: boto3.Session | None = None) -> SQSClient:
    return (session or boto3.Session()).client("sqs", **client_options(endpoint))


def query_session(models_dir: Path) -> boto3.Session:
    """A boto3 session whose SQS model speaks the query protocol (as SDKs did before 2023)."""
    target = models_dir / "sqs" / "2012-11-05"
    target.mkdir(parents=True, exist_ok=True)
    (target / "service-2.json").write_text(json.dumps(query_model_document()))
    core = botocore.session.Session()
    core.get_component("data_loader").search_paths.insert(0, str(models_dir))
    return boto3.Session(botocore_session=core)


@pytest.fixture(scope="session")
def sqs(server: Server) -> SQSClient:
    return sqs_client_for(server.endpoint)


@pytest.fixture(scope="session")
def sqs_query(server: Server, tmp_path_factory: pytest.TempPathFactory) -> SQSClient:
    client = sqs_client_for(server.endpoint, query_session(tmp_path_factory.mktemp("models")))
    assert client.meta.service_model.protocol == "query"
    return client


@pytest.fixture(params=["json", "query"])
def either(request: pytest.FixtureRequest) -> SQSClient:
    """The json client, then the query client: a test run through both SQS protocols."""
    name = "sqs" if request.param == "json" else "sqs_query"
    client: SQSClient = request.getfixturevalue(name)
    return client


@pytest.fixture
def make_queue(sqs: SQSClient) -> Iterator[MakeQueue]:
    """Create a queue with a unique name (``fifo=True`` for a FIFO queue); its URL."""
    created: list[str] = []

    def make(fifo: bool = False, **attributes: str) -> str:
        name = f"q-{uuid.uuid4().hex[:12]}" + (".fifo" if fifo else "")
        if fifo:
            attributes["FifoQueue"] = "true"
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]  # type: ignore[arg-type]
        created.append(url)
        return url

    yield make
    for url in created:
        with contextlib.suppress(sqs.exceptions.QueueDoesNotExist):
            sqs.delete_queue(QueueUrl=url)


def form_post(url: str, params: dict[str, str]) -> tuple[int, str]:
    """POST ``Action=...`` form parameters as a legacy query client does; (status, XML)."""
    request = urllib.request.Request(
        url,
        data=urllib.parse.urlencode(params).encode(),
        headers={
            "Authorization": SIGNATURE,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read().decode()


def error_code(error: Any) -> str:
    return str(error.response["Error"]["Code"])


def error_of(error: Any) -> tuple[int, str, str]:
    """(HTTP status, code, message) of a ClientError."""
    response = error.response
    return (
        int(response["ResponseMetadata"]["HTTPStatusCode"]),
        str(response["Error"]["Code"]),
        str(response["Error"]["Message"]),
    )
