"""The Serverless Framework v3 against lambdaport: ``serverless deploy`` of a Python function
fed by an SQS queue of the service's own resources, then ``serverless remove``. v3 talks to
AWS through the AWS SDK for JavaScript v2, which reads no ``AWS_ENDPOINT_URL``: the app's
10-line local plugin (``apps/serverless/lambdaport-endpoint.js``) hands the SDK the endpoint,
as a user pointing v3 at any local endpoint must."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lambdaport.testing.server import Server
from tests.helpers import wait_for
from tests.tools.conftest import copy_app, run, tool_env

pytestmark = [pytest.mark.tools, pytest.mark.timeout(1500)]


def test_deploy_and_remove(server: Server, node_modules: Path, aws: Any, tmp_path: Path) -> None:
    app = copy_app("serverless", tmp_path)
    (app / "node_modules").symlink_to(node_modules)
    env = tool_env(server)
    sls = node_modules / ".bin" / "serverless"
    deployed = run([sls, "deploy"], app, env)
    assert "Service deployed to stack lambdaport-sls-dev" in deployed.stdout + deployed.stderr

    function = "lambdaport-sls-dev-hello"
    aws("lambda").get_function(FunctionName=function)
    queue = aws("cloudformation").describe_stack_resource(
        StackName="lambdaport-sls-dev", LogicalResourceId="Jobs"
    )["StackResourceDetail"]["PhysicalResourceId"]
    aws("sqs").send_message(QueueUrl=queue, MessageBody="sls-1")

    def logged() -> bool:
        try:
            events = aws("logs").filter_log_events(logGroupName=f"/aws/lambda/{function}")
        except ClientError:
            return False
        return any("job sls-1" in e["message"] for e in events["events"])

    wait_for(logged, 120, "the queue's message to reach the function")

    run([sls, "remove"], app, env)
    with pytest.raises(ClientError):
        aws("cloudformation").describe_stacks(StackName="lambdaport-sls-dev")
    with pytest.raises(ClientError):
        aws("lambda").get_function(FunctionName=function)
