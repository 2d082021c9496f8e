"""Stacks through boto3 against a real server: what a stack makes is visible through the
owning service's own API (a queue, topic, bucket and log group lambdaport serves), stacks
are described, listed and deleted as AWS does, with boto3's waiters unchanged."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tests.helpers import client_error
from tests.services.cloudformation.conftest import (
    Deploy,
    events_of,
    outputs,
    stack_name,
    wait,
)

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

MESSAGING = """
AWSTemplateFormatVersion: 2010-09-09
Description: a queue, a topic sending to it, a bucket and a log group
Parameters:
  Retention:
    Type: Number
    Default: 7
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 45
  Topic:
    Type: AWS::SNS::Topic
  ToQueue:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref Topic
      Protocol: sqs
      Endpoint: !GetAtt Queue.Arn
      RawMessageDelivery: true
  Bucket:
    Type: AWS::S3::Bucket
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub /app/${AWS::StackName}
      RetentionInDays: !Ref Retention
Outputs:
  QueueUrl:
    Value: !Ref Queue
  QueueArn:
    Value: !GetAtt Queue.Arn
  TopicArn:
    Value: !Ref Topic
  Bucket:
    Value: !Ref Bucket
  BucketArn:
    Value: !GetAtt Bucket.Arn
"""


def test_resources_are_the_owning_services_own(
    deploy: Deploy, cfn: CloudFormationClient, aws_client: Callable[[str], Any]
) -> None:
    stack = deploy(MESSAGING)
    name = stack["StackName"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["Description"] == "a queue, a topic sending to it, a bucket and a log group"
    values = outputs(stack)

    sqs, sns, s3, logs = (aws_client(s) for s in ("sqs", "sns", "s3", "logs"))
    attributes = sqs.get_queue_attributes(QueueUrl=values["QueueUrl"], AttributeNames=["All"])[
        "Attributes"
    ]
    assert attributes["VisibilityTimeout"] == "45"
    assert attributes["QueueArn"] == values["QueueArn"]
    assert values["QueueUrl"].rsplit("/", 1)[1].startswith(f"{name}-Queue-")
    assert sns.get_topic_attributes(TopicArn=values["TopicArn"])["Attributes"]["TopicArn"]
    assert values["Bucket"] in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert values["BucketArn"] == f"arn:aws:s3:::{values['Bucket']}"
    groups = logs.describe_log_groups(logGroupNamePrefix=f"/app/{name}")["logGroups"]
    assert [(g["logGroupName"], g["retentionInDays"]) for g in groups] == [(f"/app/{name}", 7)]

    # The subscription the stack made delivers: SNS publishes to the stack's queue.
    sns.publish(TopicArn=values["TopicArn"], Message="through the stack")
    received = sqs.receive_message(QueueUrl=values["QueueUrl"], WaitTimeSeconds=10)
    assert [m["Body"] for m in received["Messages"]] == ["through the stack"]

    resources = cfn.describe_stack_resources(StackName=name)["StackResources"]
    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
    assert physical["Queue"] == values["QueueUrl"]
    assert physical["Bucket"] == values["Bucket"]
    assert {r["ResourceStatus"] for r in resources} == {"CREATE_COMPLETE"}
    detail = cfn.describe_stack_resource(StackName=name, LogicalResourceId="Topic")
    assert detail["StackResourceDetail"]["PhysicalResourceId"] == values["TopicArn"]
    by_physical = cfn.describe_stack_resources(PhysicalResourceId=values["Bucket"])
    assert [r["LogicalResourceId"] for r in by_physical["StackResources"]] == ["Bucket"]

    cfn.delete_stack(StackName=name)
    wait(cfn, "stack_delete_complete", name)
    assert values["QueueUrl"] not in sqs.list_queues().get("QueueUrls", [])
    assert values["Bucket"] not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert logs.describe_log_groups(logGroupNamePrefix=f"/app/{name}")["logGroups"] == []
    code, _, _ = client_error(sns.get_topic_attributes, TopicArn=values["TopicArn"])
    assert code == "NotFound"


def test_events_follow_aws_sequence(deploy: Deploy, cfn: CloudFormationClient) -> None:
    template = {
        "Resources": {
            "First": {"Type": "AWS::SQS::Queue"},
            "Second": {"Type": "AWS::SQS::Queue", "DependsOn": "First"},
        }
    }
    stack = deploy(template)
    name = stack["StackName"]
    events = events_of(cfn, name)
    assert events[0] == (name, "CREATE_IN_PROGRESS", "User Initiated")
    assert events[-1][:2] == (name, "CREATE_COMPLETE")
    first = [status for logical, status, _ in events if logical == "First"]
    assert first == ["CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS", "CREATE_COMPLETE"]
    assert ("First", "CREATE_IN_PROGRESS", "Resource creation Initiated") in events
    # DependsOn: Second starts only after First completed.
    order = [(logical, status) for logical, status, _ in events]
    assert order.index(("First", "CREATE_COMPLETE")) < order.index(("Second", "CREATE_IN_PROGRESS"))

    cfn.delete_stack(StackName=name)
    wait(cfn, "stack_delete_complete", name)
    events = events_of(cfn, stack["StackId"])
    order = [(logical, status) for logical, status, _ in events]
    # Deleted in reverse: Second before First.
    assert order.index(("Second", "DELETE_COMPLETE")) < order.index(("First", "DELETE_IN_PROGRESS"))
    assert order[-1] == (name, "DELETE_COMPLETE")


def test_describe_list_and_templates(deploy: Deploy, cfn: CloudFormationClient) -> None:
    body = "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n"
    stack = deploy(body, Tags=[{"Key": "team", "Value": "blue"}])
    name, stack_id = stack["StackName"], stack["StackId"]
    assert stack["Tags"] == [{"Key": "team", "Value": "blue"}]
    assert stack_id.startswith("arn:aws:cloudformation:us-east-1:000000000000:stack/" + name + "/")
    assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackName"] == name
    assert name in [s["StackName"] for s in cfn.describe_stacks()["Stacks"]]
    template: Any = cfn.get_template(StackName=name)["TemplateBody"]  # YAML: the text as given
    assert template == body
    summaries = cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]
    assert [(s["LogicalResourceId"], s["ResourceType"]) for s in summaries] == [
        ("Q", "AWS::SQS::Queue")
    ]
    cfn.delete_stack(StackName=name)
    wait(cfn, "stack_delete_complete", name)
    # A deleted stack: gone by name, still described by id, listed as DELETE_COMPLETE.
    code, message, status = client_error(cfn.describe_stacks, StackName=name)
    assert (code, message, status) == (
        "ValidationError",
        f"Stack with id {name} does not exist",
        400,
    )
    assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    listed = cfn.list_stacks(StackStatusFilter=["DELETE_COMPLETE"])["StackSummaries"]
    assert stack_id in [s["StackId"] for s in listed]
    assert name not in [s["StackName"] for s in cfn.describe_stacks()["Stacks"]]


def test_stack_errors_are_aws_errors(deploy: Deploy, cfn: CloudFormationClient) -> None:
    stack = deploy({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}})
    name = stack["StackName"]
    body = json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}})
    assert client_error(cfn.create_stack, StackName=name, TemplateBody=body) == (
        "AlreadyExistsException",
        f"Stack [{name}] already exists",
        400,
    )
    assert client_error(cfn.update_stack, StackName=name, TemplateBody=body) == (
        "ValidationError",
        "No updates are to be performed.",
        400,
    )
    missing = stack_name()
    assert client_error(cfn.describe_stack_events, StackName=missing) == (
        "ValidationError",
        f"Stack with id {missing} does not exist",
        400,
    )
    code, message, _ = client_error(cfn.create_stack, StackName="9bad", TemplateBody=body)
    assert code == "ValidationError" and "stackName" in message
    # Deleting a stack that does not exist succeeds, as in AWS.
    cfn.delete_stack(StackName=missing)


def test_termination_protection(deploy: Deploy, cfn: CloudFormationClient) -> None:
    stack = deploy(
        {"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}, EnableTerminationProtection=True
    )
    name = stack["StackName"]
    assert stack["EnableTerminationProtection"] is True
    assert client_error(cfn.delete_stack, StackName=name) == (
        "ValidationError",
        f"Stack [{name}] cannot be deleted while TerminationProtection is enabled",
        400,
    )
    cfn.update_termination_protection(StackName=name, EnableTerminationProtection=False)
    cfn.delete_stack(StackName=name)
    wait(cfn, "stack_delete_complete", name)


def test_deletion_and_update_replace_policies(
    deploy: Deploy, cfn: CloudFormationClient, aws_client: Callable[[str], Any]
) -> None:
    name = stack_name()

    def template(queue_name: str) -> str:
        return json.dumps(
            {
                "Resources": {
                    "Kept": {"Type": "AWS::SQS::Queue", "DeletionPolicy": "Retain"},
                    "Renamed": {
                        "Type": "AWS::SQS::Queue",
                        "UpdateReplacePolicy": "Retain",
                        "Properties": {"QueueName": queue_name},
                    },
                },
                "Outputs": {"Kept": {"Value": {"Ref": "Kept"}}},
            }
        )

    stack = deploy(template(f"{name}-first"), name=name)
    kept = outputs(stack)["Kept"]
    sqs = aws_client("sqs")
    first = sqs.get_queue_url(QueueName=f"{name}-first")["QueueUrl"]
    # A new QueueName replaces the queue; UpdateReplacePolicy keeps the old one.
    cfn.update_stack(StackName=name, TemplateBody=template(f"{name}-second"))
    wait(cfn, "stack_update_complete", name)
    second = sqs.get_queue_url(QueueName=f"{name}-second")["QueueUrl"]
    physical = cfn.describe_stack_resource(StackName=name, LogicalResourceId="Renamed")
    assert physical["StackResourceDetail"]["PhysicalResourceId"] == second
    assert first in sqs.list_queues(QueueNamePrefix=name)["QueueUrls"]
    statuses = [(logical, status) for logical, status, _ in events_of(cfn, name)]
    assert ("Renamed", "DELETE_SKIPPED") in statuses
    # DeletionPolicy Retain: the stack goes, the queue stays.
    cfn.delete_stack(StackName=name)
    wait(cfn, "stack_delete_complete", name)
    remaining = sqs.list_queues(QueueNamePrefix=name).get("QueueUrls", [])
    assert sorted(remaining) == sorted([kept, first])
    assert ("Kept", "DELETE_SKIPPED") in [
        (logical, status) for logical, status, _ in events_of(cfn, stack["StackId"])
    ]
    for url in remaining:
        sqs.delete_queue(QueueUrl=url)
