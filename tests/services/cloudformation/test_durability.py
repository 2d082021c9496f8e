"""Stacks survive a restart (``kill -9``): their status, resources, outputs, exports and
events come back, the stack can be updated and deleted (its resources with it), and a stack
whose operation the kill interrupted is settled as failed, as AWS words nothing of it."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import boto3

from lambdaport.testing.server import ServerProcess
from tests.helpers import client_options, wait_for
from tests.services.cloudformation.conftest import cfn_client, events_of, outputs, wait

TEMPLATE = {
    "Resources": {
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 20}},
        "Setting": {
            "Type": "AWS::SSM::Parameter",
            "Properties": {"Name": "/durable/setting", "Type": "String", "Value": "one"},
        },
    },
    "Outputs": {
        "Url": {"Value": {"Ref": "Queue"}, "Export": {"Name": "durable-url"}},
    },
}
WAITING = {
    "Resources": {
        "Provider": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Runtime": "python3.12",
                "Handler": "index.handler",
                "Role": "arn:aws:iam::000000000000:role/r",
                "Code": {"ZipFile": "def handler(event, context):\n    return None\n"},
            },
        },
        "NeverAnswered": {
            "Type": "Custom::Silent",
            "Properties": {"ServiceToken": {"Fn::GetAtt": ["Provider", "Arn"]}},
        },
    }
}


def test_stacks_survive_kill_9(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = ServerProcess(data_dir)
    server.start()
    try:
        cfn = cfn_client(server.endpoint)
        cfn.create_stack(StackName="durable", TemplateBody=json.dumps(TEMPLATE))
        wait(cfn, "stack_create_complete", "durable")
        before = cfn.describe_stacks(StackName="durable")["Stacks"][0]
        events = events_of(cfn, "durable")
        cfn.create_stack(StackName="interrupted", TemplateBody=json.dumps(WAITING))

        def waiting_for_answer() -> bool:
            resources = cfn.describe_stack_resources(StackName="interrupted")["StackResources"]
            return any(r["LogicalResourceId"] == "NeverAnswered" for r in resources)

        wait_for(waiting_for_answer, 60)
        server.stop(signal.SIGKILL)
    finally:
        server.stop()

    with ServerProcess(data_dir) as again:
        cfn = cfn_client(again.endpoint)
        after = cfn.describe_stacks(StackName="durable")["Stacks"][0]
        assert after["StackId"] == before["StackId"]
        assert after["StackStatus"] == "CREATE_COMPLETE"
        assert outputs(after) == outputs(before)
        assert events_of(cfn, "durable") == events
        assert {e["Name"] for e in cfn.list_exports()["Exports"]} == {"durable-url"}
        interrupted = cfn.describe_stacks(StackName="interrupted")["Stacks"][0]
        assert interrupted["StackStatus"] == "CREATE_FAILED"
        assert interrupted["StackStatusReason"] == (
            "lambdaport stopped while this operation was in progress"
        )

        ssm = boto3.client("ssm", **client_options(again.endpoint))
        updated = json.loads(json.dumps(TEMPLATE))
        updated["Resources"]["Setting"]["Properties"]["Value"] = "two"
        cfn.update_stack(StackName="durable", TemplateBody=json.dumps(updated))
        wait(cfn, "stack_update_complete", "durable")
        assert ssm.get_parameter(Name="/durable/setting")["Parameter"]["Value"] == "two"

        cfn.delete_stack(StackName="durable")
        wait(cfn, "stack_delete_complete", "durable")
        sqs = boto3.client("sqs", **client_options(again.endpoint))
        assert sqs.list_queues().get("QueueUrls", []) == []
        assert ssm.get_parameters(Names=["/durable/setting"])["InvalidParameters"] == [
            "/durable/setting"
        ]
        # The interrupted stack deletes what it made (its function).
        cfn.delete_stack(StackName="interrupted")
        wait(cfn, "stack_delete_complete", "interrupted")
        functions = boto3.client("lambda", **client_options(again.endpoint)).list_functions()
        assert functions["Functions"] == []
