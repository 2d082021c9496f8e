"""Which functions a request reaches, as AWS decides it: the endpoint's region only, the
caller's own account unless the function's policy shares it, a role of the function's own
account, and how long a name may be."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3

from lambdaport.testing.server import zip_files
from tests.conftest import MakeFunction
from tests.helpers import ACCOUNT, ROLE, client_error, client_for, client_options

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

OTHER_ACCOUNT = "111122223333"
CODE: Any = {"ZipFile": zip_files({"app.py": "def handler(e, c):\n    return e\n"})}


def create(client: LambdaClient, name: str, role: str = ROLE) -> object:
    return client.create_function(
        FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler", Code=CODE
    )


def test_create_function_in_another_region_or_account_is_refused(
    lambda_client: LambdaClient,
) -> None:
    west = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:reach-west"
    assert client_error(create, lambda_client, west) == (
        "ResourceNotFoundException",
        "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')",
        404,
    )
    other = f"arn:aws:lambda:us-east-1:{OTHER_ACCOUNT}:function:reach-other"
    code, _, status = client_error(create, lambda_client, other)
    assert (code, status) == ("AccessDeniedException", 403)
    endpoint = lambda_client.meta.endpoint_url
    west_client = boto3.client("lambda", **client_options(endpoint, region="eu-west-1"))
    other_client = client_for(endpoint, OTHER_ACCOUNT)
    for client, name in ((west_client, "reach-west"), (other_client, "reach-other")):
        assert client_error(client.get_function, FunctionName=name)[0] == (
            "ResourceNotFoundException"  # nothing was created there
        )


def test_other_region_arns_are_not_reachable_by_any_operation(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function()
    west = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:{name}"
    calls = [
        lambda: lambda_client.get_function(FunctionName=west),
        lambda: lambda_client.get_function_configuration(FunctionName=west),
        lambda: lambda_client.invoke(FunctionName=west),
        lambda: lambda_client.delete_function(FunctionName=west),
        lambda: lambda_client.get_function_concurrency(FunctionName=west),
        lambda: lambda_client.get_function_event_invoke_config(FunctionName=west),
        lambda: lambda_client.list_tags(Resource=west),
    ]
    for call in calls:
        assert client_error(call) == (
            "ResourceNotFoundException",
            "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')",
            404,
        )
    lambda_client.get_function(FunctionName=name)  # still there: nothing was deleted


def test_another_account_reaches_a_function_only_through_its_policy(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function()
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"
    other = client_for(lambda_client.meta.endpoint_url, OTHER_ACCOUNT)
    for call in (
        lambda: other.get_function(FunctionName=arn),
        lambda: other.invoke(FunctionName=arn),
        lambda: other.delete_function(FunctionName=arn),
    ):
        code, message, status = client_error(call)
        assert (code, status) == ("AccessDeniedException", 403)
        assert f"arn:aws:iam::{OTHER_ACCOUNT}:root is not authorized" in message
    lambda_client.add_permission(
        FunctionName=name,
        StatementId="share-invoke",
        Action="lambda:InvokeFunction",
        Principal=OTHER_ACCOUNT,
    )
    invoked = other.invoke(FunctionName=arn, Payload=b'{"from": "other"}')
    assert invoked["Payload"].read() == b'{"from": "other"}'
    assert client_error(other.get_function, FunctionName=arn)[0] == "AccessDeniedException"
    lambda_client.add_permission(
        FunctionName=name,
        StatementId="share-get",
        Action="lambda:GetFunction",
        Principal=OTHER_ACCOUNT,
    )
    assert other.get_function(FunctionName=arn)["Configuration"]["FunctionArn"] == arn
    assert client_error(other.delete_function, FunctionName=arn)[0] == ("AccessDeniedException")
    assert (
        client_error(  # a policy is managed only by its own account
            lambda: other.remove_permission(FunctionName=arn, StatementId="share-get")
        )[0]
        == "AccessDeniedException"
    )


def test_the_role_must_be_of_the_functions_account(lambda_client: LambdaClient) -> None:
    foreign = f"arn:aws:iam::{OTHER_ACCOUNT}:role/lambda-role"
    code, message, status = client_error(create, lambda_client, "reach-role", foreign)
    assert (code, status) == ("AccessDeniedException", 403)
    assert f"iam:PassRole on resource: {foreign}" in message
    assert client_error(create, lambda_client, "reach-role", "r1")[0] == (
        "ValidationException"  # the model's pattern
    )
    assert client_error(lambda_client.get_function, FunctionName="reach-role")[0] == (
        "ResourceNotFoundException"
    )


def test_names_longer_than_64_characters(lambda_client: LambdaClient) -> None:
    long_name = "a" * 65
    assert client_error(create, lambda_client, long_name) == (
        "InvalidParameterValueException",
        f"1 validation error detected: Value '{long_name}' at 'functionName' failed to "
        "satisfy constraint: Member must have length less than or equal to 64",
        400,
    )
    dotted = "no.such.function"  # a name reads may use, though no function can have it
    assert client_error(lambda_client.get_function, FunctionName=dotted)[0] == (
        "ResourceNotFoundException"
    )
    assert client_error(lambda_client.get_function, FunctionName=long_name) == (
        "ResourceNotFoundException",
        f"Function not found: arn:aws:lambda:us-east-1:{ACCOUNT}:function:{long_name}",
        404,
    )


def test_an_alias_made_from_another_account_is_named_by_the_functions_arn(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function()
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"
    lambda_client.add_permission(
        FunctionName=name,
        StatementId="share-alias",
        Action="lambda:CreateAlias",
        Principal=OTHER_ACCOUNT,
    )
    other = client_for(lambda_client.meta.endpoint_url, OTHER_ACCOUNT)
    alias: Any = {"FunctionName": arn, "Name": "live", "FunctionVersion": "$LATEST"}
    assert other.create_alias(**alias)["AliasArn"] == f"{arn}:live"
    assert client_error(other.create_alias, **alias) == (
        "ResourceConflictException",
        f"Alias already exists: {arn}:live",  # the function's account, not the caller's
        409,
    )
