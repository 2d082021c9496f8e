"""A function's SDK calls land in the function's own account, signed with credentials that
pass ``--strict-auth``, as a function's execution-role credentials do on AWS."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import boto3
import pytest
from botocore.exceptions import ClientError

from lambdaport.testing.inprocess import InProcessServer
from lambdaport.testing.server import Server, zip_files
from tests.helpers import client_for, client_options, wait_active

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

ACCOUNT = "111122223333"

CREATES_A_QUEUE = """
import os, boto3

def handler(event, context):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=event["queue"])["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return {
        "url": url,
        "arn": arn["Attributes"]["QueueArn"],
        "access_key": os.environ["AWS_ACCESS_KEY_ID"],
        "session_token": bool(os.environ.get("AWS_SESSION_TOKEN")),
    }
"""


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("strict") / "data"
    with InProcessServer(data_dir, extra_args=("--strict-auth",)) as server:
        yield server


def _queue_made_by_a_function(client: LambdaClient, account: str) -> dict[str, object]:
    name = f"creds-{uuid.uuid4().hex[:8]}"
    client.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=f"arn:aws:iam::{account}:role/lambda-role",
        Handler="app.handler",
        Code={"ZipFile": zip_files({"app.py": CREATES_A_QUEUE})},
    )
    try:
        wait_active(client, name)
        queue = f"q-{uuid.uuid4().hex[:8]}"
        response = client.invoke(FunctionName=name, Payload=json.dumps({"queue": queue}))
        body: dict[str, object] = json.loads(response["Payload"].read())
        assert "FunctionError" not in response, body
        assert str(body["url"]).endswith(f"/{account}/{queue}")
        assert body["arn"] == f"arn:aws:sqs:us-east-1:{account}:{queue}"
        return body
    finally:
        client.delete_function(FunctionName=name)


def test_a_function_calls_aws_in_its_own_account(server: Server) -> None:
    body = _queue_made_by_a_function(client_for(server.endpoint, ACCOUNT), ACCOUNT)
    assert body["access_key"] == ACCOUNT
    assert body["session_token"] is True


def test_the_default_account_keeps_its_own_calls(server: Server) -> None:
    _queue_made_by_a_function(client_for(server.endpoint), "000000000000")


def test_a_function_s_credentials_pass_strict_auth(strict_server: Server) -> None:
    _queue_made_by_a_function(client_for(strict_server.endpoint, ACCOUNT), ACCOUNT)


def test_strict_auth_refuses_another_secret(strict_server: Server) -> None:
    """What makes the test above mean something: the secret is checked."""
    options = client_options(strict_server.endpoint, access_key=ACCOUNT)
    sqs = boto3.client("sqs", **{**options, "aws_secret_access_key": "not-the-secret"})
    with pytest.raises(ClientError):
        sqs.list_queues()
