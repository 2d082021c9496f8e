"""Client errors are 4xx, lambdaport's own gaps 501: an unknown ``X-Amz-Target`` is 400
``UnknownOperationException``; a signature scoped to an empty or unknown service is 403
"Credential should be scoped to correct service" in the format the request speaks; an
AWS service lambdaport does not serve, and an operation of its own not implemented yet,
stay 501."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from lambdaport.testing.server import Server
from tests.gateway.wire import send
from tests.helpers import client_options


def _signed(service: str) -> str:
    return (
        f"AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64
    )


@pytest.mark.parametrize("signed", [False, True])
def test_unknown_target_is_unknown_operation(server: Server, signed: bool) -> None:
    headers = {"X-Amz-Target": "Nope.Op", "Content-Type": "application/x-amz-json-1.1"}
    if signed:
        headers["Authorization"] = _signed("nope")
    reply = send(server.port, "POST", "/", headers, b"{}")
    assert reply.status == 400
    assert reply.headers["x-amzn-errortype"] == "UnknownOperationException"
    assert b'"__type":"UnknownOperationException"' in reply.body
    assert b"Nope.Op" in reply.body


@pytest.mark.parametrize("service", ["nosuchservice", ""])
@pytest.mark.parametrize(
    ("content_type", "body", "code"),
    [
        ("application/json", b"{}", b'"__type":"InvalidSignatureException"'),
        (
            "application/x-www-form-urlencoded",
            b"Action=DoSomething&Version=2010-05-08",
            b"<Code>SignatureDoesNotMatch</Code>",
        ),
    ],
    ids=["json", "query"],
)
def test_unknown_signing_service_is_403(
    server: Server, service: str, content_type: str, body: bytes, code: bytes
) -> None:
    headers = {"Authorization": _signed(service), "Content-Type": content_type}
    reply = send(server.port, "POST", "/", headers, body)
    assert reply.status == 403
    assert code in reply.body
    assert b"Credential should be scoped to correct service" in reply.body


def test_unknown_service_host_unsigned_is_400(server: Server) -> None:
    headers = {
        "Host": "nosuchservice.us-east-1.amazonaws.com",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    reply = send(server.port, "POST", "/", headers, b"Action=DoSomething")
    assert reply.status == 400
    assert b"<Code>InvalidAction</Code>" in reply.body


def test_gaps_of_lambdaport_stay_501(server: Server) -> None:
    # AppFlow: an AWS service served neither by lambdaport nor by the moto tail.
    appflow = boto3.client("appflow", **client_options(server.endpoint))
    with pytest.raises(ClientError) as excinfo:
        appflow.list_flows()
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    # An S3 operation lambdaport has not implemented yet.
    s3 = boto3.client("s3", **client_options(server.endpoint))
    bucket = "gaps-of-lambdaport"
    s3.create_bucket(Bucket=bucket)
    try:
        with pytest.raises(ClientError) as excinfo:
            s3.get_bucket_analytics_configuration(Bucket=bucket, Id="x")
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    finally:
        s3.delete_bucket(Bucket=bucket)
