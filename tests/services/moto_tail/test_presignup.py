"""A hook on a moto-served operation runs a synchronous trigger outside moto's lock: Cognito's
PreSignUp function, invoked before moto creates the user, calls Cognito back (``ListUsers``)
and its answer decides the sign-up (``services/moto_tail/cognito.py``)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from lambdaport.testing.server import ServerProcess
from tests.conftest import MakeFunction
from tests.helpers import allow_invoke, client_error, client_options

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

# Refuses a sign-up whose email another user of the pool has: it asks Cognito, through
# lambdaport, while Cognito's SignUp waits for its answer.
UNIQUE_EMAIL = """
import boto3

def handler(event, context):
    cognito = boto3.client("cognito-idp")
    email = event["request"]["userAttributes"]["email"]
    users = cognito.list_users(UserPoolId=event["userPoolId"], Filter=f'email = "{email}"')
    if users["Users"]:
        raise ValueError(f"{email} belongs to {users['Users'][0]['Username']}")
    return event
"""
PASSWORD = "Correct-Horse-9"


@pytest.fixture
def cognito(server: ServerProcess) -> Any:
    # A deadlock would hold the sign-up: the read timeout turns it into a failure.
    return boto3.client("cognito-idp", **client_options(server.endpoint, read_timeout=30))


def pool_with_trigger(cognito: Any, function_arn: str | None) -> tuple[str, str, str]:
    config = {} if function_arn is None else {"LambdaConfig": {"PreSignUp": function_arn}}
    pool = cognito.create_user_pool(PoolName=f"pool-{uuid.uuid4().hex[:8]}", **config)
    pool_id, pool_arn = pool["UserPool"]["Id"], pool["UserPool"]["Arn"]
    client = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="app")
    return pool_id, pool_arn, client["UserPoolClient"]["ClientId"]


def sign_up(cognito: Any, client_id: str, username: str, email: str) -> Any:
    return cognito.sign_up(
        ClientId=client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )


def test_pre_sign_up_calls_cognito_back_and_refuses(
    cognito: Any, lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function(UNIQUE_EMAIL, Timeout=30)
    arn = lambda_client.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    pool_id, pool_arn, client_id = pool_with_trigger(cognito, arn)
    allow_invoke(lambda_client, name, "cognito-idp.amazonaws.com", pool_arn)

    assert sign_up(cognito, client_id, "alice", "a@example.com")["UserConfirmed"] is False
    refused = client_error(sign_up, cognito, client_id, "bob", "a@example.com")
    assert refused == (
        "UserLambdaValidationException",
        "PreSignUp failed with error a@example.com belongs to alice.",
        400,
    )
    sign_up(cognito, client_id, "carol", "c@example.com")
    users = cognito.list_users(UserPoolId=pool_id)["Users"]
    assert sorted(user["Username"] for user in users) == ["alice", "carol"]


def test_a_trigger_cognito_may_not_invoke_refuses_the_sign_up(
    cognito: Any, lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function(UNIQUE_EMAIL)
    arn = lambda_client.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    pool_id, _, client_id = pool_with_trigger(cognito, arn)  # no permission for Cognito
    code, message, status = client_error(sign_up, cognito, client_id, "dave", "d@example.com")
    assert (code, status) == ("UnexpectedLambdaException", 400)
    assert message == "PreSignUp invocation failed due to error AccessDeniedException."
    assert cognito.list_users(UserPoolId=pool_id)["Users"] == []


def test_a_pool_without_trigger_signs_up_as_moto_does(cognito: Any) -> None:
    pool_id, _, client_id = pool_with_trigger(cognito, None)
    sign_up(cognito, client_id, "erin", "e@example.com")
    assert [u["Username"] for u in cognito.list_users(UserPoolId=pool_id)["Users"]] == ["erin"]
