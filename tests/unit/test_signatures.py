"""The signature checks against botocore's own signers, the expiry of lambdaport's presigned
``Code.Location``, the bucket-policy evaluator and the token file: the parts of
``--strict-auth`` that need no server (the server tests are ``test_strict_auth``)."""

from __future__ import annotations

import stat
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from botocore.auth import HmacV1Auth, HmacV1QueryAuth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from lambdaport.gateway.identity import query_service
from lambdaport.gateway.internal_auth import load_token
from lambdaport.protocol import sigv2, sigv4
from lambdaport.protocol.base import HttpRequest
from lambdaport.protocol.signing import PresignedUrlExpired, RequestTimeSkewed, SignatureMismatch
from lambdaport.services.s3.bucket_policy import Decision, anonymous_decision

CREDENTIALS = Credentials("test", "test")


def as_received(request: AWSRequest, body: bytes = b"") -> HttpRequest:
    parts = urlsplit(request.url or "")
    headers = {
        k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()
    }
    headers.setdefault("host", parts.netloc)
    return HttpRequest(request.method or "GET", parts.path, parts.query, headers, body)


def test_sigv4_header_with_odd_paths_and_query_values() -> None:
    url = "http://127.0.0.1:4566/2015-03-31/functions/a%20b/./x/../invocations?b=2&a=%2F&a=1"
    request = AWSRequest("POST", url, data=b"{}", headers={"Content-Type": "application/json"})
    SigV4Auth(CREDENTIALS, "lambda", "us-east-1").add_auth(request)
    verified = sigv4.verify_header(as_received(request, b"{}"))
    assert verified.credential == sigv4.Credential(
        "test", verified.timestamp[:8], "us-east-1", "lambda"
    )
    with pytest.raises(SignatureMismatch):
        sigv4.verify_header(as_received(request, b'{"changed": 1}'))
    with pytest.raises(RequestTimeSkewed):
        sigv4.verify_header(as_received(request, b"{}"), now=time.time() + 3600)


def test_presigned_code_location_expires_after_its_time() -> None:
    request = HttpRequest("GET", "/_lambdaport/code/abc.zip", "", {"host": "h:1"}, b"", "h:1")
    signed_at = time.time() - 3600
    query = sigv4.presign(request, "lambdaport", "secret", ("us-east-1", "lambda"), 600, signed_at)
    presigned = HttpRequest(request.method, request.path, query, request.headers, b"")

    def secrets(_: str) -> str:
        return "secret"

    sigv4.verify_query(presigned, sigv4.S3, now=signed_at + 599, secrets=secrets)
    with pytest.raises(PresignedUrlExpired):
        sigv4.verify_query(presigned, sigv4.S3, now=signed_at + 601, secrets=secrets)
    with pytest.raises(SignatureMismatch):
        sigv4.verify_query(presigned, sigv4.S3, now=signed_at + 1, secrets=lambda _: "test")


def test_sigv2_matches_botocore_header_and_query_signers() -> None:
    url = "http://127.0.0.1:4566/bucket/a%20b/%C3%BC.txt?tagging&versionId=v%2B1&max-keys=3"
    request = AWSRequest(
        "PUT", url, data=b"x", headers={"Content-Type": "text/plain", "x-amz-meta-k": " a  b "}
    )
    HmacV1Auth(CREDENTIALS).add_auth(request)
    received = as_received(request)
    assert sigv2.verify_header(received, received.path) == "test"
    presigned = AWSRequest("GET", "http://127.0.0.1:4566/bucket/key?response-content-type=a%2Fb")
    HmacV1QueryAuth(CREDENTIALS, expires=60).add_auth(presigned)
    received = as_received(presigned)
    assert sigv2.verify_query(received, received.path) == "test"
    with pytest.raises(SignatureMismatch):
        sigv2.verify_query(
            received,
            "/bucket/other",
        )


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::b/*",
            },
            Decision.ALLOW,
        ),
        (
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "S3:get*",
                "Resource": "arn:aws:s3:::b/k?y",
            },
            Decision.ALLOW,
        ),
        (
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::b/other",
            },
            Decision.NONE,
        ),
        (
            {"Effect": "Allow", "Principal": "*", "NotAction": "s3:GetObject", "Resource": "*"},
            Decision.NONE,
        ),
        (
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "*",
                "NotResource": "arn:aws:s3:::b/x*",
            },
            Decision.ALLOW,
        ),
        (
            {
                "Effect": "Allow",
                "Principal": {"AWS": "123456789012"},
                "Action": "*",
                "Resource": "*",
            },
            Decision.NONE,
        ),
        (
            {
                "Effect": "Deny",
                "NotPrincipal": {"AWS": "arn:aws:iam::1:root"},
                "Action": "*",
                "Resource": "*",
            },
            Decision.DENY,
        ),
        (
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "true"}},
            },
            Decision.NONE,
        ),
        (
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            Decision.DENY,
        ),
    ],
)
def test_bucket_policy_statements(statement: dict[str, object], expected: Decision) -> None:
    import json

    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    assert anonymous_decision(document, "s3:GetObject", "arn:aws:s3:::b/key") is expected


def test_query_forms_name_their_service() -> None:
    assert query_service("Action=SendEmail&Version=2010-12-01") == "ses"
    assert query_service("Action=CreateApplication&Version=2010-12-01") == "elasticbeanstalk"
    assert query_service("Action=Publish") == "sns"
    assert query_service("Action=GetCallerIdentity") == "sts"
    assert query_service("Action=NoSuchThing") is None
    assert query_service("TopicArn=x") is None


def test_token_file_is_private_and_kept(tmp_path: Path) -> None:
    token = load_token(tmp_path)
    path = tmp_path / "auth-token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(token) >= 32
    path.chmod(0o644)
    assert load_token(tmp_path) == token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
