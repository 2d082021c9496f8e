"""IAM policies without a ``Version`` (SAM's policy templates expand to them) are accepted
as IAM accepts them; moto alone refuses them."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest

from lambdaport.testing.server import Server
from tests.helpers import client_error, client_options

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
STATEMENT = [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}]


@pytest.fixture
def iam(server: Server) -> Any:
    return boto3.Session().client("iam", **client_options(server.endpoint))


def test_unversioned_inline_and_managed_policies_are_accepted(iam: Any) -> None:
    role = f"role-{uuid.uuid4().hex[:8]}"
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(
        RoleName=role, PolicyName="crud", PolicyDocument=json.dumps({"Statement": STATEMENT})
    )
    kept = iam.get_role_policy(RoleName=role, PolicyName="crud")["PolicyDocument"]
    assert kept["Statement"] == STATEMENT
    arn = iam.create_policy(
        PolicyName=f"p-{uuid.uuid4().hex[:8]}",
        PolicyDocument=json.dumps({"Statement": STATEMENT}),
    )["Policy"]["Arn"]
    version = iam.create_policy_version(
        PolicyArn=arn,
        PolicyDocument=json.dumps({"Statement": [{**STATEMENT[0], "Action": "s3:GetObject"}]}),
        SetAsDefault=True,
    )["PolicyVersion"]["VersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]
    assert document["Document"]["Statement"][0]["Action"] == "s3:GetObject"
    iam.delete_role_policy(RoleName=role, PolicyName="crud")
    iam.delete_role(RoleName=role)


def test_a_malformed_document_is_still_refused(iam: Any) -> None:
    role = f"role-{uuid.uuid4().hex[:8]}"
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST))
    code, message, status = client_error(
        iam.put_role_policy, RoleName=role, PolicyName="bad", PolicyDocument="not json"
    )
    assert (code, status) == ("MalformedPolicyDocument", 400), message
    code, _, _ = client_error(
        iam.put_role_policy,
        RoleName=role,
        PolicyName="bad",
        PolicyDocument=json.dumps({"Version": "2012-10-17"}),
    )
    assert code == "MalformedPolicyDocument"
    iam.delete_role(RoleName=role)
