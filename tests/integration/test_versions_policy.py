"""Versions, aliases with weighted routing, and resource-based policies."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from lambdaport.testing.server import zip_files
from tests.conftest import MakeFunction
from tests.helpers import client_error

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

SOURCE = "def handler(e, c):\n    return {{'v': '{tag}', 'version': c.function_version}}\n"


def publish(client: LambdaClient, name: str, tag: str) -> str:
    client.update_function_code(
        FunctionName=name, ZipFile=zip_files({"app.py": SOURCE.format(tag=tag)})
    )
    client.get_waiter("function_updated_v2").wait(FunctionName=name)
    return client.publish_version(FunctionName=name, Description=tag)["Version"]


def two_versions(client: LambdaClient, make_function: MakeFunction) -> tuple[str, str, str]:
    """A function with versions 1 (tag "a") and 2 (tag "b"): its name and both numbers."""
    name = make_function(SOURCE.format(tag="a"))
    return name, client.publish_version(FunctionName=name)["Version"], publish(client, name, "b")


def test_versions_are_frozen(lambda_client: LambdaClient, make_function: MakeFunction) -> None:
    name = make_function(SOURCE.format(tag="a"))
    v1 = lambda_client.publish_version(FunctionName=name)["Version"]
    assert v1 == "1"
    assert lambda_client.publish_version(FunctionName=name)["Version"] == "1"  # nothing changed
    v2 = publish(lambda_client, name, "b")
    assert v2 == "2"
    versions = lambda_client.list_versions_by_function(FunctionName=name)["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1", "2"]
    out1 = json.loads(lambda_client.invoke(FunctionName=name, Qualifier="1")["Payload"].read())
    assert out1 == {"v": "a", "version": "1"}
    response = lambda_client.invoke(FunctionName=f"{name}:2")
    assert response["ExecutedVersion"] == "2"
    assert json.loads(response["Payload"].read()) == {"v": "b", "version": "2"}
    lambda_client.delete_function(FunctionName=name, Qualifier="1")
    with pytest.raises(ClientError) as excinfo:
        lambda_client.invoke(FunctionName=name, Qualifier="1")
    assert excinfo.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert publish(lambda_client, name, "c") == "3"  # numbers are never reused


def test_aliases_and_weighted_routing(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name, v1, v2 = two_versions(lambda_client, make_function)
    alias = lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion=v1)
    assert alias["AliasArn"].endswith(f":function:{name}:live")
    out = lambda_client.invoke(FunctionName=name, Qualifier="live")
    assert out["ExecutedVersion"] == "1"
    lambda_client.update_alias(
        FunctionName=name,
        Name="live",
        RoutingConfig={"AdditionalVersionWeights": {v2: 0.5}},
    )
    executed = {
        lambda_client.invoke(FunctionName=f"{name}:live")["ExecutedVersion"] for _ in range(40)
    }
    assert executed == {"1", "2"}
    got = lambda_client.get_alias(FunctionName=name, Name="live")
    assert got["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.5}}
    assert [a["Name"] for a in lambda_client.list_aliases(FunctionName=name)["Aliases"]] == ["live"]
    with pytest.raises(ClientError) as excinfo:
        lambda_client.delete_function(FunctionName=name, Qualifier=v1)
    assert excinfo.value.response["Error"]["Code"] == "ResourceConflictException"
    lambda_client.delete_alias(FunctionName=name, Name="live")
    with pytest.raises(ClientError) as excinfo:
        lambda_client.get_alias(FunctionName=name, Name="live")
    assert excinfo.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_policy_statements_as_aws_writes_them(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function()
    arn = f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    added = lambda_client.add_permission(
        FunctionName=name,
        StatementId="s3-invoke",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::my-bucket",
        SourceAccount="000000000000",
    )
    assert json.loads(added["Statement"]) == {
        "Sid": "s3-invoke",
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": arn,
        "Condition": {
            "StringEquals": {"AWS:SourceAccount": "000000000000"},
            "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::my-bucket"},
        },
    }
    lambda_client.add_permission(
        FunctionName=name,
        StatementId="alexa",
        Action="lambda:InvokeFunction",
        Principal="alexa-appkit.amazon.com",
        EventSourceToken="amzn1.ask.skill.123",
    )
    lambda_client.add_permission(
        FunctionName=name,
        StatementId="url",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    lambda_client.add_permission(
        FunctionName=name,
        StatementId="org",
        Action="lambda:InvokeFunction",
        Principal="*",
        PrincipalOrgID="o-abcdefghij",
    )
    lambda_client.add_permission(
        FunctionName=name,
        StatementId="acct",
        Action="lambda:GetFunction",
        Principal="111122223333",
    )
    policy = lambda_client.get_policy(FunctionName=name)
    document = json.loads(policy["Policy"])
    assert document["Version"] == "2012-10-17" and document["Id"] == "default"
    by_sid = {s["Sid"]: s for s in document["Statement"]}
    assert by_sid["alexa"]["Condition"] == {
        "StringEquals": {"lambda:EventSourceToken": "amzn1.ask.skill.123"}
    }
    assert by_sid["url"]["Condition"] == {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}
    assert by_sid["url"]["Principal"] == "*"
    assert by_sid["org"]["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}}
    assert by_sid["acct"]["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    with pytest.raises(ClientError) as excinfo:
        lambda_client.add_permission(
            FunctionName=name, StatementId="alexa", Action="lambda:*", Principal="*"
        )
    assert excinfo.value.response["Error"]["Code"] == "ResourceConflictException"
    assert "already exists" in excinfo.value.response["Error"]["Message"]
    lambda_client.remove_permission(FunctionName=name, StatementId="alexa")
    remaining = json.loads(lambda_client.get_policy(FunctionName=name)["Policy"])["Statement"]
    assert "alexa" not in {s["Sid"] for s in remaining}
    with pytest.raises(ClientError) as excinfo:
        lambda_client.remove_permission(FunctionName=name, StatementId="alexa")
    assert excinfo.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        lambda_client.add_permission(
            FunctionName=name,
            StatementId="rev",
            Action="lambda:InvokeFunction",
            Principal="sns.amazonaws.com",
            RevisionId="not-current",
        )
    assert excinfo.value.response["Error"]["Code"] == "PreconditionFailedException"


def test_qualified_policy_and_missing_policy(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function()
    with pytest.raises(ClientError) as excinfo:
        lambda_client.get_policy(FunctionName=name)
    assert excinfo.value.response["Error"]["Code"] == "ResourceNotFoundException"
    lambda_client.publish_version(FunctionName=name)
    added = lambda_client.add_permission(
        FunctionName=name,
        Qualifier="1",
        StatementId="sns",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
    )
    assert json.loads(added["Statement"])["Resource"].endswith(f":function:{name}:1")
    with pytest.raises(ClientError):
        lambda_client.get_policy(FunctionName=name)
    assert lambda_client.get_policy(FunctionName=name, Qualifier="1")["RevisionId"]


def test_alias_routing_is_refused_as_aws_refuses_it(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name, v1, v2 = two_versions(lambda_client, make_function)
    arn = f"arn:aws:lambda:us-east-1:000000000000:function:{name}"

    def create(version: str, weights: dict[str, float]) -> tuple[str, str, int]:
        return client_error(
            lambda_client.create_alias,
            FunctionName=name,
            Name="routed",
            FunctionVersion=version,
            RoutingConfig={"AdditionalVersionWeights": weights},
        )

    assert create("$LATEST", {v1: 0.5}) == (
        "InvalidParameterValueException",
        "$LATEST is not supported for an alias pointing to more than 1 version",
        400,
    )
    assert create(v1, {v1: 0.5, v2: 0.2})[1] == (
        "Number of items in AdditionalVersionWeights cannot be greater than 1"
    )
    assert create(v1, {v1: 0.5})[1] == (
        f"Invalid function version {v1}. Function version {v1} is already included in routing "
        "configuration."
    )
    assert create(v1, {"7": 0.5}) == (
        "ResourceNotFoundException",
        f"Function not found: {arn}:7",
        404,
    )
    lambda_client.create_alias(FunctionName=name, Name="plain", FunctionVersion="$LATEST")
    assert client_error(
        lambda_client.update_alias,
        FunctionName=name,
        Name="plain",
        RoutingConfig={"AdditionalVersionWeights": {v2: 0.5}},
    )[1] == ("$LATEST is not supported for an alias pointing to more than 1 version")
    assert client_error(lambda_client.update_alias, FunctionName=name, Name="nope") == (
        "ResourceNotFoundException",
        f"Alias not found: {arn}:nope",
        404,
    )
    assert lambda_client.get_alias(FunctionName=name, Name="plain")["FunctionVersion"] == "$LATEST"
