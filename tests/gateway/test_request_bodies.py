"""Request bodies through a real server over raw sockets: a body announced and never sent
times out (S3: 400 RequestTimeout; every other service 408 RequestTimeoutException, in its
own format) and the connection is closed; a chunked body past the gateway's limit is
answered 413 while it is still coming; S3's XML bodies and aws-chunked uploads stop being
read as soon as they pass their limits."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import boto3
import pytest
from botocore.exceptions import ClientError

from lambdaport.asgi import MAX_BODY
from lambdaport.testing.server import Server, ServerProcess
from tests.conftest import MakeFunction
from tests.gateway.wire import exchange
from tests.helpers import client_options

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

IDLE_TIMEOUT = 1.0
REPLY_WITHIN = 30.0  # a deadline for the answer, not a measurement


@pytest.fixture(scope="module")
def impatient(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server whose request bodies may stall for one second (set by the environment)."""
    data_dir = tmp_path_factory.mktemp("impatient") / "data"
    env = {"LAMBDAPORT_REQUEST_IDLE_TIMEOUT": str(IDLE_TIMEOUT)}
    with ServerProcess(data_dir, env=env) as process:
        yield process


def _head(method: str, path: str, port: int, **headers: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.mark.parametrize(
    ("path", "headers", "error_in_body"),
    [
        # Lambda (rest-json): the code is in x-amzn-ErrorType.
        ("/2015-03-31/functions", {"Content_Type": "application/json"}, None),
        # SQS (json), DynamoDB through the moto tail (json), SNS (query, XML).
        (
            "/",
            {"Content_Type": "application/x-amz-json-1.0", "X_Amz_Target": "AmazonSQS.ListQueues"},
            b'"__type":"RequestTimeoutException"',
        ),
        (
            "/",
            {
                "Content_Type": "application/x-amz-json-1.0",
                "X_Amz_Target": "DynamoDB_20120810.ListTables",
                "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/"
                "dynamodb/aws4_request, SignedHeaders=host, Signature=0",
            },
            b"RequestTimeoutException",
        ),
        (
            "/",
            {
                "Content_Type": "application/x-www-form-urlencoded",
                "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/"
                "sns/aws4_request, SignedHeaders=host, Signature=0",
            },
            b"<Code>RequestTimeoutException</Code>",
        ),
    ],
    ids=["lambda", "sqs", "moto-dynamodb", "sns"],
)
def test_stalled_body_times_out(
    impatient: ServerProcess, path: str, headers: dict[str, str], error_in_body: bytes | None
) -> None:
    head = _head("POST", path, impatient.port, Content_Length="1000", **headers)
    reply = exchange(impatient.port, head, b'{"Action', timeout=REPLY_WITHIN)
    assert reply.status == 408
    assert reply.closed
    if error_in_body is None:
        assert reply.headers["x-amzn-errortype"] == "RequestTimeoutException"
    else:
        assert error_in_body in reply.body


def test_stalled_s3_upload_is_request_timeout(impatient: ServerProcess) -> None:
    s3: S3Client = boto3.client("s3", **client_options(impatient.endpoint))
    bucket = f"stall-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    head = _head("PUT", f"/{bucket}/never.bin", impatient.port, Content_Length="1000")
    reply = exchange(impatient.port, head, b"only ten b", timeout=REPLY_WITHIN)
    assert (reply.status, reply.closed) == (400, True)
    assert b"<Code>RequestTimeout</Code>" in reply.body
    assert b"Idle connections will be closed." in reply.body
    with pytest.raises(ClientError) as excinfo:
        s3.head_object(Bucket=bucket, Key="never.bin")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def _chunks(size: int, total: int) -> bytes:
    chunk = b"%x\r\n" % size + b"x" * size + b"\r\n"
    return chunk * (total // size)


def test_chunked_body_past_the_limit_is_413_before_it_ends(server: Server) -> None:
    head = _head(
        "POST",
        "/2015-03-31/functions",
        server.port,
        Content_Type="application/json",
        Transfer_Encoding="chunked",
    )
    # More than the limit, and never the final zero-size chunk: only a server that stops
    # reading at the limit can answer.
    body = _chunks(1 << 20, MAX_BODY + (4 << 20))
    reply = exchange(server.port, head, b"", more=body, timeout=REPLY_WITHIN)
    assert (reply.status, reply.closed) == (413, True)
    assert reply.headers["x-amzn-errortype"] == "RequestEntityTooLargeException"
    # Announced by Content-Length: refused before any of it is read.
    head = _head("POST", "/2015-03-31/functions", server.port, Content_Length=str(MAX_BODY + 1))
    reply = exchange(server.port, head, b"{", timeout=REPLY_WITHIN)
    assert (reply.status, reply.closed) == (413, True)


def test_chunked_body_under_the_limit_is_read_whole(
    server: Server, make_function: MakeFunction
) -> None:
    name = make_function()
    payload = json.dumps({"big": "y" * 300_000}).encode()
    framed = b"".join(
        b"%x\r\n" % len(part) + part + b"\r\n"
        for part in (payload[i : i + 65536] for i in range(0, len(payload), 65536))
    )
    head = _head(
        "POST",
        f"/2015-03-31/functions/{name}/invocations",
        server.port,
        Transfer_Encoding="chunked",
        Connection="close",
    )
    reply = exchange(server.port, head, framed + b"0\r\n\r\n", timeout=REPLY_WITHIN)
    assert reply.status == 200
    assert json.loads(reply.body) == json.loads(payload)


def test_s3_xml_body_past_its_limit_is_refused_unread(server: Server, bucket: str) -> None:
    # 21 MiB announced and none of it sent: refused on the announcement alone.
    head = _head("POST", f"/{bucket}?delete", server.port, Content_Length=str(21 << 20))
    reply = exchange(server.port, head, b"<Delete>", timeout=REPLY_WITHIN)
    assert (reply.status, reply.closed) == (400, True)
    assert b"<Code>MaxMessageLengthExceeded</Code>" in reply.body


def test_s3_aws_chunked_past_its_decoded_length_stops(
    server: Server, s3: S3Client, bucket: str
) -> None:
    head = _head(
        "PUT",
        f"/{bucket}/grows.bin",
        server.port,
        Content_Encoding="aws-chunked",
        X_Amz_Content_SHA256="STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        X_Amz_Decoded_Content_Length="10",
        Transfer_Encoding="chunked",
    )
    # The HTTP chunk carries an aws-chunked chunk of 64 KiB, announced as 10 bytes in all,
    # and the body never ends.
    inner = b"%x\r\n" % 65536 + b"z" * 65536 + b"\r\n"
    reply = exchange(
        server.port, head, b"%x\r\n" % len(inner) + inner + b"\r\n", timeout=REPLY_WITHIN
    )
    assert (reply.status, reply.closed) == (400, True)
    assert b"<Code>IncompleteBody</Code>" in reply.body
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_moto_tail_body_past_the_limit_is_413_unread(server: ServerProcess) -> None:
    """The tail reads bodies as the gateway does: announced past the limit, refused before
    any of it is read (the connection closed, so the rest is not taken for a request)."""
    head = _head(
        "POST",
        "/",
        server.port,
        Content_Length=str(MAX_BODY + 1),
        Content_Type="application/x-amz-json-1.0",
        X_Amz_Target="DynamoDB_20120810.PutItem",
        Authorization="AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/"
        "aws4_request, SignedHeaders=host, Signature=0",
    )
    reply = exchange(server.port, head, b"{", timeout=REPLY_WITHIN)
    assert (reply.status, reply.closed) == (413, True)
    assert json.loads(reply.body)["__type"] == "RequestEntityTooLargeException"
