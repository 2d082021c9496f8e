"""Custom resources through a real Python function written as cfn-response users write
them (inline ``ZipFile`` code importing ``cfnresponse``): AWS's request for Create, Update
and Delete, ``Data`` read by ``Fn::GetAtt``, a new physical id replacing the old one, FAILED
answers and silence failing the stack with AWS's reasons, and SNS-backed custom resources."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from aws_lambda_powertools.utilities.parser.models import (
    CloudFormationCustomResourceCreateModel,
    CloudFormationCustomResourceDeleteModel,
    CloudFormationCustomResourceUpdateModel,
)

from tests.helpers import json_lines
from tests.services.cloudformation.conftest import Deploy, events_of, outputs, wait

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

# Records every request, then answers as its properties say.
HANDLER = """
import json
import os

import cfnresponse


def handler(event, context):
    with open(os.environ["RECORD_TO"], "a") as out:
        out.write(json.dumps(event) + "\\n")
    props = event["ResourceProperties"]
    if props.get("Answer") == "none" and event["RequestType"] != "Delete":
        return
    status = cfnresponse.FAILED if props.get("Answer") == "fail" else cfnresponse.SUCCESS
    if event["RequestType"] == "Delete":
        status = cfnresponse.SUCCESS
    physical = "thing-" + props.get("Generation", "1")
    data = {"Echo": props.get("Value", ""), "Type": event["RequestType"]}
    cfnresponse.send(event, context, status, data, physical, reason=props.get("Reason"))
"""


def template(record_to: Path, **properties: Any) -> dict[str, Any]:
    return {
        "Resources": {
            "Provider": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "Role": "arn:aws:iam::000000000000:role/custom",
                    "Environment": {"Variables": {"RECORD_TO": str(record_to)}},
                    "Code": {"ZipFile": HANDLER},
                },
            },
            "Thing": {
                "Type": "Custom::Thing",
                "Properties": {"ServiceToken": {"Fn::GetAtt": ["Provider", "Arn"]}, **properties},
            },
        },
        "Outputs": {
            "Echo": {"Value": {"Fn::GetAtt": ["Thing", "Echo"]}},
            "Type": {"Value": {"Fn::GetAtt": ["Thing", "Type"]}},
            "Ref": {"Value": {"Ref": "Thing"}},
        },
    }


def test_create_update_replace_delete(
    deploy: Deploy, cfn: CloudFormationClient, tmp_path: Path
) -> None:
    record = tmp_path / "requests.jsonl"
    stack = deploy(template(record, Value=5, Flag=True, Nested={"List": [1, "two"]}))
    name, stack_id = stack["StackName"], stack["StackId"]
    assert outputs(stack) == {"Echo": "5", "Type": "Create", "Ref": "thing-1"}
    (create,) = json_lines(record)
    assert create["RequestType"] == "Create"
    assert create["ResourceType"] == "Custom::Thing"
    assert create["LogicalResourceId"] == "Thing"
    assert create["StackId"] == stack_id
    assert create["ServiceToken"].endswith(":function:" + create["ServiceToken"].rsplit(":", 1)[1])
    # Every property as a string, ServiceToken included.
    assert create["ResourceProperties"] == {
        "ServiceToken": create["ServiceToken"],
        "Value": "5",
        "Flag": "true",
        "Nested": {"List": ["1", "two"]},
    }
    assert create["ResponseURL"].startswith("http://127.0.0.1:")
    assert "PhysicalResourceId" not in create and "OldResourceProperties" not in create
    # powertools' models, an independent reading of AWS's request, take it as it is.
    CloudFormationCustomResourceCreateModel.model_validate(create)

    # Update in place: the same physical id comes back.
    cfn.update_stack(StackName=name, TemplateBody=json.dumps(template(record, Value=6)))
    wait(cfn, "stack_update_complete", name)
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert outputs(stack) == {"Echo": "6", "Type": "Update", "Ref": "thing-1"}
    update = json_lines(record)[1]
    assert update["RequestType"] == "Update"
    assert update["PhysicalResourceId"] == "thing-1"
    assert update["OldResourceProperties"]["Value"] == "5"
    assert update["ResourceProperties"]["Value"] == "6"
    CloudFormationCustomResourceUpdateModel.model_validate(update)
    assert len(json_lines(record)) == 2

    # A new physical id replaces the resource: the old one gets its Delete in the cleanup.
    cfn.update_stack(
        StackName=name, TemplateBody=json.dumps(template(record, Value=7, Generation="2"))
    )
    wait(cfn, "stack_update_complete", name)
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert outputs(stack)["Ref"] == "thing-2"
    kinds = [(r["RequestType"], r.get("PhysicalResourceId")) for r in json_lines(record)]
    assert kinds[2:] == [("Update", "thing-1"), ("Delete", "thing-1")]

    cfn.delete_stack(StackName=name)
    wait(cfn, "stack_delete_complete", name)
    delete = json_lines(record)[-1]
    assert (delete["RequestType"], delete["PhysicalResourceId"]) == ("Delete", "thing-2")
    CloudFormationCustomResourceDeleteModel.model_validate(delete)


def test_a_failed_answer_fails_the_stack(
    deploy: Deploy, cfn: CloudFormationClient, tmp_path: Path
) -> None:
    record = tmp_path / "requests.jsonl"
    stack = deploy(
        template(record, Answer="fail", Reason="the thing is broken"), expect="ROLLBACK_COMPLETE"
    )
    failed = [
        reason
        for logical, status, reason in events_of(cfn, stack["StackName"])
        if (logical, status) == ("Thing", "CREATE_FAILED")
    ]
    request_id = json_lines(record)[0]["RequestId"]
    assert failed == [
        "Received response status [FAILED] from custom resource. Message returned: "
        f"the thing is broken (RequestId: {request_id})"
    ]
    # The rollback tells the provider to delete what it named.
    assert [(r["RequestType"], r.get("PhysicalResourceId")) for r in json_lines(record)] == [
        ("Create", None),
        ("Delete", "thing-1"),
    ]


def test_no_answer_times_out(deploy: Deploy, cfn: CloudFormationClient, tmp_path: Path) -> None:
    record = tmp_path / "requests.jsonl"
    stack = deploy(template(record, Answer="none", ServiceTimeout=1), expect="ROLLBACK_COMPLETE")
    failed = [
        reason
        for logical, status, reason in events_of(cfn, stack["StackName"])
        if (logical, status) == ("Thing", "CREATE_FAILED")
    ]
    request_id = json_lines(record)[0]["RequestId"]
    assert len(failed) == 1
    assert failed[0].startswith(
        "CloudFormation did not receive a response from your Custom Resource. Please check "
        f"your logs for requestId [{request_id}]."
    )


def test_sns_backed_custom_resource(
    deploy: Deploy, cfn: CloudFormationClient, tmp_path: Path, aws_client: Callable[[str], Any]
) -> None:
    record = tmp_path / "requests.jsonl"
    source = HANDLER.replace(
        "def handler(event, context):\n",
        "def handler(event, context):\n"
        '    event = json.loads(event["Records"][0]["Sns"]["Message"])\n',
    )
    body = template(record, Value="via sns")
    resources = body["Resources"]
    resources["Provider"]["Properties"]["Code"]["ZipFile"] = source
    resources["Topic"] = {"Type": "AWS::SNS::Topic"}
    resources["ToProvider"] = {
        "Type": "AWS::SNS::Subscription",
        "Properties": {
            "TopicArn": {"Ref": "Topic"},
            "Protocol": "lambda",
            "Endpoint": {"Fn::GetAtt": ["Provider", "Arn"]},
        },
    }
    resources["AllowSns"] = {
        "Type": "AWS::Lambda::Permission",
        "Properties": {
            "FunctionName": {"Ref": "Provider"},
            "Action": "lambda:InvokeFunction",
            "Principal": "sns.amazonaws.com",
            "SourceArn": {"Ref": "Topic"},
        },
    }
    resources["Thing"]["Properties"]["ServiceToken"] = {"Ref": "Topic"}
    resources["Thing"]["DependsOn"] = ["ToProvider", "AllowSns"]
    stack = deploy(body)
    assert outputs(stack)["Echo"] == "via sns"
    (create,) = json_lines(record)
    assert create["ServiceToken"].startswith("arn:aws:sns:us-east-1:000000000000:")


# As CDK's provider framework (and its CustomResourceProvider handlers) answer: an https
# request built from the ResponseURL's host name and path alone, scheme and port dropped.
NODE_HANDLER = """
const https = require("https");
exports.handler = async (event) => {
  const body = JSON.stringify({
    Status: "SUCCESS", Reason: "ok", PhysicalResourceId: "node-thing",
    StackId: event.StackId, RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId, Data: {Said: event.RequestType},
  });
  const url = new URL(event.ResponseURL);
  await new Promise((resolve, reject) => {
    const request = https.request({
      hostname: url.hostname, path: url.pathname + url.search, method: "PUT",
      headers: {"content-type": "", "content-length": Buffer.byteLength(body)},
    }, (response) => {
      response.resume();
      response.statusCode >= 400 ? reject(new Error(`HTTP ${response.statusCode}`)) : resolve();
    });
    request.on("error", reject);
    request.end(body);
  });
};
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_a_node_provider_answering_over_https_without_a_port(
    deploy: Deploy, cfn: CloudFormationClient
) -> None:
    stack = deploy(
        {
            "Resources": {
                "Provider": {
                    "Type": "AWS::Lambda::Function",
                    "Properties": {
                        "Runtime": "nodejs20.x",
                        "Handler": "index.handler",
                        "Role": "arn:aws:iam::000000000000:role/custom",
                        "Code": {"ZipFile": NODE_HANDLER},
                    },
                },
                "Thing": {
                    "Type": "Custom::Thing",
                    "Properties": {"ServiceToken": {"Fn::GetAtt": ["Provider", "Arn"]}},
                },
            },
            "Outputs": {
                "Said": {"Value": {"Fn::GetAtt": ["Thing", "Said"]}},
                "Ref": {"Value": {"Ref": "Thing"}},
            },
        }
    )
    assert outputs(stack) == {"Said": "Create", "Ref": "node-thing"}
    cfn.delete_stack(StackName=stack["StackName"])
    wait(cfn, "stack_delete_complete", stack["StackName"])
