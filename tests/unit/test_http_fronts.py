"""The HTTP fronts' pure parts: which front an address names, and the function's answer
read as payload 2.0 and 1.0 read it."""

from __future__ import annotations

import base64

import orjson
import pytest

from lambdaport.http_fronts.addressing import Addresses, front_of
from lambdaport.http_fronts.payloads import (
    MalformedResponse,
    response_v1,
    response_v2,
    streamed_response,
)


@pytest.mark.parametrize(
    ("host", "path", "expected"),
    [
        (
            "abc123.execute-api.localhost:4566",
            "/prod/x",
            ("execute-api", "abc123", None, "/prod/x"),
        ),
        (
            "abc123.execute-api.localhost.localstack.cloud",
            "/",
            ("execute-api", "abc123", None, "/"),
        ),
        (
            "abc123.execute-api.eu-west-1.amazonaws.com",
            "/a",
            ("execute-api", "abc123", "eu-west-1", "/a"),
        ),
        (
            "u1.lambda-url.us-east-1.localhost:4566",
            "/p",
            ("lambda-url", "u1", "us-east-1", "/p"),
        ),
        (
            "u1.lambda-url.us-east-1.localhost.localstack.cloud",
            "/",
            ("lambda-url", "u1", "us-east-1", "/"),
        ),
        ("127.0.0.1:4566", "/_aws/execute-api/abc/prod/x", ("execute-api", "abc", None, "/prod/x")),
        ("127.0.0.1:4566", "/_aws/lambda-url/u1", ("lambda-url", "u1", None, "/")),
    ],
)
def test_front_addresses(host: str, path: str, expected: tuple[str, str, str | None, str]) -> None:
    address = front_of(host, path)
    assert address is not None
    assert (address.kind, address.ident, address.region, address.path) == expected


@pytest.mark.parametrize(
    ("host", "path"),
    [
        ("127.0.0.1:4566", "/2015-03-31/functions"),
        ("bucket.s3.localhost", "/key"),
        ("sqs.us-east-1.amazonaws.com", "/"),
        ("abc.execute-api.example.com", "/"),
        ("127.0.0.1", "/_aws/other/x"),
        ("ABC_.execute-api.localhost", "/"),
    ],
)
def test_not_a_front(host: str, path: str) -> None:
    assert front_of(host, path) is None


def test_addresses() -> None:
    addresses = Addresses(4566, "http://127.0.0.1:4566")
    assert addresses.api_url("a1", "$default") == "http://a1.execute-api.localhost:4566/"
    assert addresses.api_url("a1", "prod") == "http://a1.execute-api.localhost:4566/prod/"
    assert addresses.api_url_path("a1", "prod") == "http://127.0.0.1:4566/_aws/execute-api/a1/prod/"
    assert (
        addresses.function_url("u", "eu-west-1") == "http://u.lambda-url.eu-west-1.localhost:4566/"
    )


def test_v2_inference() -> None:
    assert response_v2(b'{"a": 1}').body == b'{"a": 1}'
    assert response_v2(b'"text"').body == b"text"
    assert response_v2(b"[1, 2]").status == 200
    answer = response_v2(
        orjson.dumps(
            {
                "statusCode": 302,
                "headers": {"location": "/x"},
                "cookies": ["a=1"],
                "body": base64.b64encode(b"\x00\x01").decode(),
                "isBase64Encoded": True,
            }
        )
    )
    assert (answer.status, answer.body) == (302, b"\x00\x01")
    assert answer.headers == [("location", "/x"), ("set-cookie", "a=1")]


@pytest.mark.parametrize(
    "payload",
    [b"not json", b'{"statusCode": "x"}', b'{"statusCode": 200, "body": {"a": 1}}'],
)
def test_v2_malformed(payload: bytes) -> None:
    with pytest.raises(MalformedResponse):
        response_v2(payload)


def test_v1_merges_multi_value_headers() -> None:
    answer = response_v1(
        orjson.dumps(
            {
                "statusCode": 200,
                "headers": {"X-One": "a", "X-Two": "b"},
                "multiValueHeaders": {"x-two": ["c", "d"]},
                "body": "ok",
            }
        )
    )
    assert answer.headers == [("X-One", "a"), ("x-two", "c"), ("x-two", "d")]
    with pytest.raises(MalformedResponse):
        response_v1(b'{"body": "no status"}')


def test_stream_prelude() -> None:
    answer = streamed_response(b'{"statusCode": 201, "headers": {"a": "b"}}' + b"\0" * 8 + b"body")
    assert (answer.status, answer.headers, answer.body) == (201, [("a", "b")], b"body")
