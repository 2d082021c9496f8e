"""Errors as the client sees them on the wire, answered by the gateway in one place for
buffered and raw endpoints alike: S3's in S3's words (its XML, ``x-amz-request-id`` and
``x-amz-id-2``; HEAD: status and headers only), whether S3 raised them or the gateway
refused the request before S3 saw it; the moto tail's in the protocol of the request, with a
``Content-Length`` as AWS sends one."""

from __future__ import annotations

import json
import re

import pytest

from lambdaport.testing.server import ServerProcess
from tests.gateway.wire import Reply, send

S3_REQUEST_ID = re.compile(r"[0-9A-F]{16}")


def _signed(service: str) -> str:
    return (
        f"AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, "
        "SignedHeaders=host, Signature=0"
    )


def _assert_worded_as_s3(reply: Reply) -> None:
    request_id = reply.headers["x-amz-request-id"]
    assert S3_REQUEST_ID.fullmatch(request_id)
    assert reply.headers["x-amz-id-2"]
    assert "x-amzn-requestid" not in reply.headers
    if reply.body:
        assert f"<RequestId>{request_id}</RequestId>".encode() in reply.body
    assert reply.headers["content-length"] == str(len(reply.body))


def test_s3_errors_are_s3s_xml(server: ServerProcess, bucket: str) -> None:
    reply = send(server.port, "GET", f"/{bucket}/missing", {"Authorization": _signed("s3")})
    assert reply.status == 404
    assert b"<Error><Code>NoSuchKey</Code>" in reply.body
    assert b"<Key>missing</Key>" in reply.body
    _assert_worded_as_s3(reply)


def test_s3_head_errors_have_no_body(server: ServerProcess, bucket: str) -> None:
    reply = send(server.port, "HEAD", f"/{bucket}/missing", {"Authorization": _signed("s3")})
    assert (reply.status, reply.body) == (404, b"")
    assert reply.headers["content-type"] == "application/xml"
    _assert_worded_as_s3(reply)


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_s3_refused_before_s3_saw_it_is_worded_as_s3(
    server: ServerProcess, bucket: str, method: str
) -> None:
    headers = {"Authorization": _signed("s3"), "Origin": "http://evil.example"}
    reply = send(server.port, method, f"/{bucket}", headers)
    assert reply.status == 403
    if method == "GET":
        assert b"<Error><Code>AccessDenied</Code>" in reply.body
    else:
        assert reply.body == b""
    _assert_worded_as_s3(reply)


@pytest.mark.parametrize(
    ("headers", "body", "words"),
    [
        (
            {
                "Content-Type": "application/x-amz-json-1.0",
                "X-Amz-Target": "DynamoDB_20120810.PutItem",
                "Authorization": _signed("dynamodb"),
            },
            b"{}",
            b'{"__type":"ValidationException"',
        ),
        (
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Authorization": _signed("iam"),
            },
            b"Action=GetRole&Version=2010-05-08",
            b"<Code>ValidationError</Code>",
        ),
    ],
    ids=["json", "query"],
)
def test_moto_tail_errors_are_in_the_requests_protocol_with_a_length(
    server: ServerProcess, headers: dict[str, str], body: bytes, words: bytes
) -> None:
    reply = send(server.port, "POST", "/", headers, body)
    assert reply.status == 400
    assert words in reply.body
    assert reply.headers["content-length"] == str(len(reply.body))
    assert "transfer-encoding" not in reply.headers
    assert reply.headers["x-amzn-requestid"]


def test_moto_tail_head_errors_have_no_body(server: ServerProcess) -> None:
    headers = {"Authorization": _signed("es")}
    reply = send(server.port, "HEAD", "/2015-01-01/nothing/here", headers)
    assert (reply.status, reply.body) == (404, b"")
    assert reply.headers["x-amzn-errortype"] == "UnknownOperationException"
    assert reply.headers["content-length"] == "0"


def test_buffered_errors_are_in_the_services_protocol(server: ServerProcess) -> None:
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "AmazonSQS.GetQueueUrl",
        "Authorization": _signed("sqs"),
    }
    reply = send(server.port, "POST", "/", headers, b'{"QueueName": "no-such-queue"}')
    assert reply.status == 400
    assert json.loads(reply.body)["__type"] == "QueueDoesNotExist"
    assert reply.headers["x-amzn-query-error"] == "AWS.SimpleQueueService.NonExistentQueue;Sender"
    assert reply.headers["content-length"] == str(len(reply.body))
