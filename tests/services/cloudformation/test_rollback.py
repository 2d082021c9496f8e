"""Failures roll back as AWS does: a resource the service refuses fails the stack with the
service's message, what was made is deleted, and the events follow AWS's sequence."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tests.services.cloudformation.conftest import Deploy, events_of, outputs, stack_name, wait

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient


# The second queue's name is taken by the first: SQS refuses it (different attributes).
def clashing(name: str) -> dict[str, Any]:
    return {
        "Resources": {
            "Good": {
                "Type": "AWS::SQS::Queue",
                "Properties": {"QueueName": f"{name}-taken", "VisibilityTimeout": 10},
            },
            "Bad": {
                "Type": "AWS::SQS::Queue",
                "DependsOn": "Good",
                "Properties": {"QueueName": f"{name}-taken", "VisibilityTimeout": 20},
            },
        }
    }


def test_a_failed_create_rolls_back(
    deploy: Deploy, cfn: CloudFormationClient, aws_client: Callable[[str], Any]
) -> None:
    stack = deploy(clashing("rb"), name="rollback-create", expect="ROLLBACK_COMPLETE")
    name = stack["StackName"]
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    events = events_of(cfn, name)
    statuses = [(logical, status) for logical, status, _ in events]
    bad = [
        reason
        for logical, status, reason in events
        if (logical, status) == ("Bad", "CREATE_FAILED")
    ]
    assert len(bad) == 1 and "already exists" in bad[0]
    assert statuses[0] == (name, "CREATE_IN_PROGRESS")
    assert (name, "ROLLBACK_IN_PROGRESS") in statuses
    rollback = next(
        reason for logical, status, reason in events if status == "ROLLBACK_IN_PROGRESS"
    )
    assert (
        rollback == "The following resource(s) failed to create: [Bad]. Rollback requested by user."
    )
    assert statuses.index(("Good", "DELETE_COMPLETE")) > statuses.index(
        (name, "ROLLBACK_IN_PROGRESS")
    )
    assert statuses[-1] == (name, "ROLLBACK_COMPLETE")
    assert aws_client("sqs").list_queues(QueueNamePrefix="rb-taken").get("QueueUrls", []) == []
    # boto3's create waiter fails at once on a rolled-back stack (its failure state).
    try:
        cfn.get_waiter("stack_create_complete").wait(StackName=name)
    except Exception as error:
        assert "ROLLBACK_COMPLETE" in str(error)
    else:
        raise AssertionError("the create waiter succeeded on a rolled-back stack")


def test_disable_rollback_keeps_what_was_made(
    deploy: Deploy, cfn: CloudFormationClient, aws_client: Callable[[str], Any]
) -> None:
    deploy(clashing("keep"), expect="CREATE_FAILED", DisableRollback=True)
    assert len(aws_client("sqs").list_queues(QueueNamePrefix="keep-taken")["QueueUrls"]) == 1


def test_a_failed_update_rolls_back(
    deploy: Deploy, cfn: CloudFormationClient, aws_client: Callable[[str], Any]
) -> None:
    template = {
        "Resources": {"Kept": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 30}}},
        "Outputs": {"Url": {"Value": {"Ref": "Kept"}}},
    }
    stack = deploy(template)
    name = stack["StackName"]
    url = outputs(stack)["Url"]
    sqs = aws_client("sqs")
    updated = {
        "Resources": {
            "Kept": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 60}},
            "Added": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": f"{name}-added"}},
            "Broken": {
                "Type": "AWS::SQS::Queue",
                "DependsOn": ["Added", "Kept"],
                "Properties": {"QueueName": f"{name}-added", "DelaySeconds": 5},
            },
        },
        "Outputs": {"Url": {"Value": {"Ref": "Kept"}}},
    }
    cfn.update_stack(StackName=name, TemplateBody=json.dumps(updated))
    wait(cfn, "stack_rollback_complete", name)  # boto3's waiter for an update's rollback
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    statuses = [(logical, status) for logical, status, _ in events_of(cfn, name)]
    sequence = [s for logical, s in statuses if logical == name]
    assert sequence[-4:] == [
        "UPDATE_IN_PROGRESS",
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE",
    ]
    # The queue the update changed has its old attribute back; the one it added is gone.
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
    assert attributes["Attributes"]["VisibilityTimeout"] == "30"
    assert sqs.list_queues(QueueNamePrefix=f"{name}-added").get("QueueUrls", []) == []
    assert [
        r["LogicalResourceId"]
        for r in cfn.describe_stack_resources(StackName=name)["StackResources"]
    ] == ["Kept"]
    assert cfn.get_template(StackName=name)["TemplateBody"] == template  # botocore parses JSON


def test_an_unknown_resource_type_fails_with_a_reason(
    deploy: Deploy, cfn: CloudFormationClient
) -> None:
    stack = deploy(
        {"Resources": {"Thing": {"Type": "AWS::GameLift::Fleet", "Properties": {}}}},
        expect="ROLLBACK_COMPLETE",
    )
    reasons = [
        r for logical, status, r in events_of(cfn, stack["StackName"]) if status == "CREATE_FAILED"
    ]
    assert reasons == [
        "lambdaport has no provider for resource type AWS::GameLift::Fleet: it cannot be "
        "created here (see docs/architecture.md, CloudFormation)"
    ]
    from tests.helpers import client_error

    assert client_error(
        cfn.create_stack,
        StackName="unknown-types",
        TemplateBody=json.dumps({"Resources": {"T": {"Type": "Made::Up::Thing"}}}),
    ) == (
        "ValidationError",
        "Template format error: Unrecognized resource types: [Made::Up::Thing]",
        400,
    )


def test_a_resource_that_failed_half_way_is_deleted(
    deploy: Deploy, cfn: CloudFormationClient, aws_client: Callable[[str], Any]
) -> None:
    """The bucket is made, then S3 refuses its notification (no such function): the failed
    resource's reason is S3's, and the rollback deletes the bucket it made."""
    bucket = f"half-{stack_name()}"
    missing = "arn:aws:lambda:us-east-1:000000000000:function:does-not-exist"
    template = {
        "Resources": {
            "Bucket": {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "BucketName": bucket,
                    "NotificationConfiguration": {
                        "LambdaConfigurations": [
                            {"Event": "s3:ObjectCreated:*", "Function": missing}
                        ]
                    },
                },
            }
        }
    }
    stack = deploy(template, expect="ROLLBACK_COMPLETE")
    events = events_of(cfn, stack["StackName"])
    (reason,) = [r for logical, status, r in events if status == "CREATE_FAILED"]
    assert "Unable to validate the following destination configurations" in reason
    assert ("Bucket", "DELETE_COMPLETE", "") in events
    assert bucket not in [b["Name"] for b in aws_client("s3").list_buckets()["Buckets"]]
