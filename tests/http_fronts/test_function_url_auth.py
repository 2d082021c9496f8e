"""Function URLs with AuthType AWS_IAM (SigV4 with the service name ``lambda``, verified
with or without ``--strict-auth``; the signer's account checked against the resource
policy), the URL's invoke modes, and URLs surviving a restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from aws_lambda_powertools.utilities.parser.models import LambdaFunctionUrlModel
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from lambdaport.testing.inprocess import InProcessServer
from lambdaport.testing.server import Server, zip_files
from tests.conftest import MakeFunction
from tests.helpers import ECHO, ROLE, client_for, create_function, wait_active
from tests.http_fronts.conftest import Answer, allow_url, call

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient


def signed_call(url: str, access_key: str, method: str = "GET", body: bytes = b"") -> Answer:
    request = AWSRequest(method=method, url=url, data=body)
    SigV4Auth(Credentials(access_key, "test"), "lambda", "us-east-1").add_auth(request)
    headers = {k: str(v) for k, v in request.headers.items()}
    return call(url, method, body, headers)


@pytest.fixture
def iam_url(lambda_client: LambdaClient, make_function: MakeFunction) -> tuple[str, str]:
    name = make_function(ECHO)
    url = lambda_client.create_function_url_config(FunctionName=name, AuthType="AWS_IAM")
    return name, url["FunctionUrl"]


def test_unsigned_and_badly_signed_requests_are_403(iam_url: tuple[str, str]) -> None:
    _, url = iam_url
    assert call(url).status == 403
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials("test", "wrong-secret"), "lambda", "us-east-1").add_auth(request)
    answer = call(url, headers={k: str(v) for k, v in request.headers.items()})
    assert (answer.status, answer.json()) == (403, {"Message": "Forbidden"})


def test_same_account_signer_is_allowed_with_its_identity(iam_url: tuple[str, str]) -> None:
    _, url = iam_url
    answer = signed_call(url + "path?x=1", "test")
    assert answer.status == 200, answer.body
    event = answer.json()
    LambdaFunctionUrlModel.model_validate(event)
    iam = event["requestContext"]["authorizer"]["iam"]
    assert iam["accessKey"] == "test"
    assert iam["accountId"] == "000000000000"
    assert iam["userArn"] == "arn:aws:iam::000000000000:root"


def test_other_account_needs_the_resource_policy(
    lambda_client: LambdaClient, iam_url: tuple[str, str]
) -> None:
    name, url = iam_url
    other = "111122223333"
    assert signed_call(url, other).status == 403
    for action, condition in (
        ("lambda:InvokeFunctionUrl", {"FunctionUrlAuthType": "AWS_IAM"}),
        ("lambda:InvokeFunction", {"InvokedViaFunctionUrl": True}),
    ):
        lambda_client.add_permission(
            FunctionName=name,
            StatementId=action.split(":")[1],
            Action=action,
            Principal=other,
            **condition,
        )
    answer = signed_call(url, other)
    assert answer.status == 200
    assert answer.json()["requestContext"]["authorizer"]["iam"]["accountId"] == other


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with InProcessServer(
        tmp_path_factory.mktemp("strict-urls") / "data", extra_args=("--strict-auth",)
    ) as server:
        yield server


def test_under_strict_auth_none_urls_stay_open(strict: Server) -> None:
    """--strict-auth signs the AWS API; a NONE URL's callers are anonymous as on AWS, an
    AWS_IAM URL's are verified the same either way."""
    client = client_for(strict.endpoint)
    open_fn = create_function(client, ECHO)
    open_url = client.create_function_url_config(FunctionName=open_fn, AuthType="NONE")
    allow_url(client, open_fn)
    assert call(open_url["FunctionUrl"]).status == 200
    iam_fn = create_function(client, ECHO)
    iam_url = client.create_function_url_config(FunctionName=iam_fn, AuthType="AWS_IAM")
    assert call(iam_url["FunctionUrl"]).status == 403
    assert signed_call(iam_url["FunctionUrl"], "test").status == 200


# -- invoke modes ---------------------------------------------------------------------------

STREAMING_BOOTSTRAP = r"""#!/bin/sh
set -eu
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation"
while true; do
  HEADERS=$(mktemp)
  curl -sS -D "$HEADERS" -o /dev/null "$API/next"
  ID=$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$HEADERS" | tr -d '\r' | cut -d' ' -f2)
  PRELUDE='{"statusCode":202,"headers":{"content-type":"text/plain","x-streamed":"yes"},'
  PRELUDE="$PRELUDE"'"cookies":["s=1"]}'
  { printf '%s' "$PRELUDE"; printf '\000\000\000\000\000\000\000\000'; printf 'first chunk,';
    printf 'second chunk'; } \
    | curl -sS -X POST "$API/$ID/response" -H 'Lambda-Runtime-Function-Response-Mode: streaming' \
      -H 'Content-Type: application/vnd.awslambda.http-integration-response' \
      -H 'Transfer-Encoding: chunked' --data-binary @- >/dev/null
  rm -f "$HEADERS"
done
"""


def test_response_stream_from_a_custom_runtime(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = f"stream-{id(lambda_client) % 100000}"
    lambda_client.create_function(
        FunctionName=name,
        Runtime="provided.al2023",
        Role=ROLE,
        Handler="stream",
        Code={"ZipFile": zip_files({"bootstrap": STREAMING_BOOTSTRAP}, {"bootstrap": 0o755})},
    )
    try:
        wait_active(lambda_client, name)
        url = lambda_client.create_function_url_config(
            FunctionName=name, AuthType="NONE", InvokeMode="RESPONSE_STREAM"
        )
        assert url["InvokeMode"] == "RESPONSE_STREAM"
        allow_url(lambda_client, name)
        answer = call(url["FunctionUrl"])
        assert answer.status == 202, answer.body
        assert answer.header("x-streamed") == "yes"
        assert answer.all("set-cookie") == ["s=1"]
        assert answer.body == b"first chunk,second chunk"
    finally:
        lambda_client.delete_function(FunctionName=name)


def test_response_stream_python_is_buffered(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function(
        'def handler(event, context):\n    return {"statusCode": 200, "body": "whole"}\n'
    )
    url = lambda_client.create_function_url_config(
        FunctionName=name, AuthType="NONE", InvokeMode="BUFFERED"
    )
    allow_url(lambda_client, name)
    lambda_client.update_function_url_config(FunctionName=name, InvokeMode="RESPONSE_STREAM")
    answer = call(url["FunctionUrl"])
    assert (answer.status, answer.body) == (200, b"whole")


# -- durability -------------------------------------------------------------------------------


def test_url_survives_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with InProcessServer(data) as first:
        client = client_for(first.endpoint)
        name = create_function(client, ECHO)
        url_id = (
            client.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
            .split("//")[1]
            .split(".")[0]
        )
        allow_url(client, name)
    with InProcessServer(data) as second:
        client = client_for(second.endpoint)
        url = client.get_function_url_config(FunctionName=name)["FunctionUrl"]
        assert url.startswith(f"http://{url_id}.lambda-url.us-east-1.localhost:{second.port}/")
        answer = call(url + "again")
        assert answer.status == 200
        assert answer.json()["rawPath"] == "/again"
