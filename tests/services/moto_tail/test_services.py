"""Smoke tests: moto-served services through boto3 and the AWS CLI against a real server."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from lambdaport.testing.inprocess import InProcessServer
from lambdaport.testing.server import Server
from tests.helpers import aws_json, cli_env, client_options
from tests.services.moto_tail.conftest import AwsClient


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def test_dynamodb_table_items_and_stream(aws: AwsClient) -> None:
    dynamodb = aws("dynamodb")
    table = unique("table")
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "a"}, "n": {"N": "1"}})
    item = dynamodb.get_item(TableName=table, Key={"pk": {"S": "a"}})["Item"]
    assert item == {"pk": {"S": "a"}, "n": {"N": "1"}}
    description = dynamodb.describe_table(TableName=table)["Table"]
    stream_arn = description["LatestStreamArn"]
    assert stream_arn.startswith(f"arn:aws:dynamodb:us-east-1:000000000000:table/{table}/stream/")
    streams = aws("dynamodbstreams")
    stream = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]
    assert stream["StreamStatus"] == "ENABLED"
    assert stream["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    shard = stream["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]
    assert [r["eventName"] for r in records] == ["INSERT"]


def test_dynamodb_errors_are_dynamodb_errors(aws: AwsClient) -> None:
    with pytest.raises(ClientError) as raised:
        aws("dynamodb").get_item(TableName=unique("missing"), Key={"pk": {"S": "a"}})
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_iam_create_role(aws: AwsClient) -> None:
    role = unique("role")
    created = aws("iam", account="111122223333").create_role(
        RoleName=role, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17"})
    )["Role"]
    assert created["Arn"] == f"arn:aws:iam::111122223333:role/{role}"
    assert aws("iam", account="111122223333").get_role(RoleName=role)["Role"]["RoleName"] == role
    with pytest.raises(ClientError):  # another account does not see it
        aws("iam").get_role(RoleName=role)


@pytest.mark.parametrize(
    ("key", "account"), [("444455556666", "444455556666"), ("test", "000000000000")]
)
def test_sts_caller_identity_account_from_access_key(
    aws: AwsClient, key: str, account: str
) -> None:
    assert aws("sts", account=key).get_caller_identity()["Account"] == account


def test_secrets_manager_create_and_get(aws: AwsClient) -> None:
    secrets = aws("secretsmanager", region="eu-west-1")
    name = unique("secret")
    arn = secrets.create_secret(Name=name, SecretString="s3cr3t")["ARN"]
    assert arn.startswith(f"arn:aws:secretsmanager:eu-west-1:000000000000:secret:{name}-")
    assert secrets.get_secret_value(SecretId=name)["SecretString"] == "s3cr3t"


def test_cognito_user_pool_and_unsigned_sign_up(aws: AwsClient) -> None:
    cognito = aws("cognito-idp")
    pool = cognito.create_user_pool(PoolName=unique("pool"))["UserPool"]
    assert pool["Id"].startswith("us-east-1_")
    client_id = cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="app")[
        "UserPoolClient"
    ]["ClientId"]
    # SignUp is unsigned: the gateway finds Cognito by its X-Amz-Target alone.
    signed_up = cognito.sign_up(ClientId=client_id, Username="ana", Password="Passw0rd!x")
    assert signed_up["UserConfirmed"] is False
    users = cognito.list_users(UserPoolId=pool["Id"])["Users"]
    assert [u["Username"] for u in users] == ["ana"]


def test_eventbridge_put_rule_and_events(aws: AwsClient) -> None:
    events = aws("events")
    rule = unique("rule")
    arn = events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["app.orders"]}))
    assert arn["RuleArn"] == f"arn:aws:events:us-east-1:000000000000:rule/{rule}"
    result = events.put_events(
        Entries=[{"Source": "app.orders", "DetailType": "created", "Detail": "{}"}]
    )
    assert result["FailedEntryCount"] == 0
    assert len(result["Entries"][0]["EventId"]) > 0


def test_kinesis_create_stream_and_put_record(aws: AwsClient) -> None:
    kinesis = aws("kinesis")
    stream = unique("stream")
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    put = kinesis.put_record(StreamName=stream, Data=b"hello", PartitionKey="p")
    iterator = kinesis.get_shard_iterator(
        StreamName=stream, ShardId=put["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = kinesis.get_records(ShardIterator=iterator)["Records"]
    assert [r["Data"] for r in records] == [b"hello"]


def test_step_functions_and_api_gateway_v2_are_told_apart(aws: AwsClient) -> None:
    machines = aws("stepfunctions").list_state_machines()["stateMachines"]
    assert isinstance(machines, list)
    api = aws("apigatewayv2").create_api(Name=unique("api"), ProtocolType="HTTP")
    assert aws("apigatewayv2").get_api(ApiId=api["ApiId"])["Name"] == api["Name"]
    rest = aws("apigateway").create_rest_api(name=unique("rest"))
    assert aws("apigateway").get_rest_api(restApiId=rest["id"])["name"] == rest["name"]


def test_operation_moto_lacks_is_not_implemented(aws: AwsClient) -> None:
    with pytest.raises(ClientError) as raised:
        aws("sts").decode_authorization_message(EncodedMessage="x")
    assert raised.value.response["Error"]["Code"] == "NotImplementedException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501


def test_service_nobody_serves_is_not_implemented(aws: AwsClient) -> None:
    with pytest.raises(ClientError) as raised:
        aws("appflow").list_flows()
    assert raised.value.response["Error"]["Code"] == "NotImplementedException"


def test_aws_cli_reaches_the_tail(server: Server, tmp_path: Path) -> None:
    env = cli_env(
        AWS_ACCESS_KEY_ID="777788889999",
        AWS_CONFIG_FILE=str(tmp_path / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"),
    )
    identity = aws_json(server.endpoint, "sts", "get-caller-identity", env=env)
    assert identity["Account"] == "777788889999"


def test_strict_auth_checks_tail_signatures_but_not_unsigned_operations(tmp_path: Path) -> None:
    with InProcessServer(tmp_path / "data", extra_args=("--strict-auth",)) as strict:

        def make(service: str, secret: str = "test") -> Any:
            options = {**client_options(strict.endpoint), "aws_secret_access_key": secret}
            return boto3.client(service, **options)  # type: ignore[call-overload]

        assert make("sts").get_caller_identity()["Account"] == "000000000000"
        with pytest.raises(ClientError) as raised:
            make("sts", secret="wrong").get_caller_identity()
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        cognito = make("cognito-idp")
        pool = cognito.create_user_pool(PoolName="strict")["UserPool"]["Id"]
        client_id = cognito.create_user_pool_client(UserPoolId=pool, ClientName="app")[
            "UserPoolClient"
        ]["ClientId"]
        unsigned = make("cognito-idp", secret="wrong")  # SignUp is sent unsigned anyway
        signed_up = unsigned.sign_up(ClientId=client_id, Username="u", Password="Passw0rd!x")
        assert signed_up["UserConfirmed"] is False
