"""SAM CLI against lambdaport: ``sam build`` then ``sam deploy`` (``--resolve-s3`` and
``--s3-bucket``) of ``sam init``'s Python hello-world and of an app with S3 and SQS events
writing to a DynamoDB table; the API answers, the triggers fire, ``sam remote invoke`` and
``sam logs`` work, ``sam delete`` leaves nothing behind."""

from __future__ import annotations

import json
import re
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lambdaport.testing.server import Server
from tests.helpers import wait_for
from tests.tools.conftest import copy_app, run, tool_env

pytestmark = [pytest.mark.tools, pytest.mark.timeout(1500)]


def deploy_args(stack: str, *where: str) -> list[str]:
    return [
        "deploy",
        "--stack-name",
        stack,
        *where,
        "--capabilities",
        "CAPABILITY_IAM",
        "--no-confirm-changeset",
        "--no-progressbar",
    ]


def outputs_of(aws: Any, stack: str) -> dict[str, str]:
    described = aws("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    assert described["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE"), described
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def gone(call: Any, **kwargs: Any) -> bool:
    try:
        call(**kwargs)
    except ClientError:
        return True
    return False


def test_hello_world(server: Server, sam: Path, aws: Any, tmp_path: Path, stack_name: str) -> None:
    app = copy_app("hello", tmp_path)
    env = tool_env(server)
    run([sam, "build"], app, env)
    assert (app / ".aws-sam" / "build" / "HelloWorldFunction" / "app.py").exists()
    deployed = run([sam, *deploy_args(stack_name, "--resolve-s3")], app, env)
    assert f"Successfully created/updated stack - {stack_name}" in deployed.stdout

    outputs = outputs_of(aws, stack_name)
    # The Output is AWS's URL; the same API and stage answer on lambdaport's port.
    match = re.fullmatch(
        r"https://(\w+)\.execute-api\.us-east-1\.amazonaws\.com/Prod/hello/",
        outputs["HelloWorldApi"],
    )
    assert match is not None, outputs
    url = f"{server.endpoint}/_aws/execute-api/{match.group(1)}/Prod/hello"
    with urllib.request.urlopen(url, timeout=60) as answer:
        assert answer.status == 200
        assert json.loads(answer.read()) == {"message": "hello world"}

    invoked = run(
        [sam, "remote", "invoke", "--stack-name", stack_name, "--event", '{"path": "/remote"}'],
        app,
        env,
    )
    assert json.loads(invoked.stdout.strip().splitlines()[-1]) == {
        "statusCode": 200,
        "body": json.dumps({"message": "hello world"}),
    }

    def logged() -> str | None:
        lines = run([sam, "logs", "--stack-name", stack_name], app, env).stdout
        return lines if "hello world for /remote" in lines else None

    lines = wait_for(logged, 120, "sam logs to show the remote invocation")
    assert "hello world for /hello" in lines  # the API's request too

    function = outputs["HelloWorldFunction"].rsplit(":", 1)[1]
    role = outputs["HelloWorldFunctionIamRole"].rsplit("/", 1)[1]
    bucket = aws("cloudformation").describe_stack_resource(
        StackName="aws-sam-cli-managed-default", LogicalResourceId="SamCliSourceBucket"
    )["StackResourceDetail"]["PhysicalResourceId"]
    assert aws("s3").list_objects_v2(Bucket=bucket).get("KeyCount", 0) > 0

    run([sam, "delete", "--stack-name", stack_name, "--no-prompts"], app, env)
    assert gone(aws("cloudformation").describe_stacks, StackName=stack_name)
    assert gone(aws("lambda").get_function, FunctionName=function)
    assert gone(aws("iam").get_role, RoleName=role)
    assert gone(aws("apigateway").get_rest_api, restApiId=match.group(1))
    # sam delete removes the stack's artifacts, not the managed stack (as on AWS).
    assert aws("s3").list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0


def test_s3_and_sqs_events_into_a_table(
    server: Server, sam: Path, aws: Any, tmp_path: Path, stack_name: str
) -> None:
    app = copy_app("triggers", tmp_path)
    env = tool_env(server)
    artifacts = f"artifacts-{uuid.uuid4().hex[:8]}"
    aws("s3").create_bucket(Bucket=artifacts)
    run([sam, "build"], app, env)
    run([sam, *deploy_args(stack_name, "--s3-bucket", artifacts)], app, env)
    outputs = outputs_of(aws, stack_name)

    aws("s3").put_object(Bucket=outputs["Bucket"], Key="photo.jpg", Body=b"...")
    aws("sqs").send_message(QueueUrl=outputs["QueueUrl"], MessageBody="order-42")
    table = outputs["Table"]

    def seen() -> dict[str, str] | None:
        items = aws("dynamodb").scan(TableName=table)["Items"]
        found = {item["id"]["S"]: item["by"]["S"] for item in items}
        return found if len(found) >= 2 else None

    found = wait_for(seen, 120, "both triggers to write to the table")
    assert set(found) == {"s3:photo.jpg", "sqs:order-42"}
    assert "-OnUpload-" in found["s3:photo.jpg"] and "-OnOrder-" in found["sqs:order-42"]

    aws("s3").delete_object(Bucket=outputs["Bucket"], Key="photo.jpg")  # as AWS: empty first
    run(
        [sam, "delete", "--stack-name", stack_name, "--no-prompts", "--s3-bucket", artifacts],
        app,
        env,
    )
    assert gone(aws("cloudformation").describe_stacks, StackName=stack_name)
    assert gone(aws("dynamodb").describe_table, TableName=table)
    assert gone(aws("sqs").get_queue_attributes, QueueUrl=outputs["QueueUrl"])
    assert gone(aws("s3").head_bucket, Bucket=outputs["Bucket"])
    names = [f["FunctionName"] for f in aws("lambda").list_functions()["Functions"]]
    assert not [n for n in names if n.startswith(f"{stack_name}-")]
    assert aws("s3").list_objects_v2(Bucket=artifacts).get("KeyCount", 0) == 0
