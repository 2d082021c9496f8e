"""CDK against lambdaport: ``cdk bootstrap`` (the bootstrap stack: staging bucket, ECR
repository, SSM version parameter, IAM roles), ``cdk deploy`` of a TypeScript app with a
function fed by a queue (an event source mapping) and notified by a bucket (CDK's
``Custom::S3BucketNotifications``), a custom resource through CDK's provider framework and
the bucket's ``autoDeleteObjects`` (``Custom::S3AutoDeleteObjects``), then ``cdk destroy``.
CDK's CLI reads ``AWS_ENDPOINT_URL`` itself (and uses S3's path style for a loopback one)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lambdaport.testing.server import Server
from tests.helpers import wait_for
from tests.tools.conftest import copy_app, run, tool_env

pytestmark = [pytest.mark.tools, pytest.mark.timeout(1500)]
ENVIRONMENT = "aws://000000000000/us-east-1"


def test_bootstrap_deploy_destroy(
    server: Server, node_modules: Path, aws: Any, tmp_path: Path, stack_name: str
) -> None:
    app = copy_app("cdk", tmp_path)
    (app / "node_modules").symlink_to(node_modules)
    env = tool_env(server, CDK_STACK_NAME=stack_name)
    cdk = node_modules / ".bin" / "cdk"

    run([cdk, "bootstrap", ENVIRONMENT, "--no-notices"], app, env)
    ssm = aws("ssm").get_parameter(Name="/cdk-bootstrap/hnb659fds/version")["Parameter"]
    assert int(ssm["Value"]) >= 6
    staging = "cdk-hnb659fds-assets-000000000000-us-east-1"
    aws("s3").head_bucket(Bucket=staging)
    aws("ecr").describe_repositories(
        repositoryNames=["cdk-hnb659fds-container-assets-000000000000-us-east-1"]
    )

    run(
        [
            cdk,
            "deploy",
            "--require-approval",
            "never",
            "--no-notices",
            "--outputs-file",
            "out.json",
        ],
        app,
        env,
    )
    outputs = json.loads((app / "out.json").read_text())[stack_name]
    assert outputs["GreetingText"] == "hello cdk"  # the provider framework's answer's Data
    worker = outputs["WorkerName"]
    assert aws("s3").list_objects_v2(Bucket=staging).get("KeyCount", 0) > 0  # the assets

    aws("sqs").send_message(QueueUrl=outputs["QueueUrl"], MessageBody="order-7")
    aws("s3").put_object(Bucket=outputs["BucketName"], Key="report.csv", Body=b"a,b\n")
    logs = aws("logs")

    def delivered() -> list[str] | None:
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{worker}")["events"]
        except ClientError:
            return None
        messages = [e["message"] for e in events]
        wanted = ("order order-7", "uploaded report.csv")
        return messages if all(any(w in m for m in messages) for w in wanted) else None

    wait_for(delivered, 120, "the queue's and the bucket's events to reach the worker")

    run([cdk, "destroy", "--force", "--no-notices"], app, env)
    with pytest.raises(ClientError):
        aws("cloudformation").describe_stacks(StackName=stack_name)
    with pytest.raises(ClientError):  # emptied by autoDeleteObjects, then deleted
        aws("s3").head_bucket(Bucket=outputs["BucketName"])
    with pytest.raises(ClientError):
        aws("lambda").get_function(FunctionName=worker)
    mappings = aws("lambda").list_event_source_mappings()["EventSourceMappings"]
    assert not [m for m in mappings if m["FunctionArn"].endswith(f":{worker}")]
