"""Change sets as ``aws cloudformation deploy``, SAM and CDK use them: CREATE and UPDATE
types, resource-level changes in AWS's shape, execution, no-change failures; and the AWS
CLI's ``deploy`` itself (first deploy, update, nothing to deploy, a failing template)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lambdaport.testing.server import Server
from tests.helpers import aws, client_error
from tests.services.cloudformation.conftest import events_of, settled, stack_name, wait

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

WAIT: Any = {"Delay": 0.2, "MaxAttempts": 300}


def queue_template(timeout: int, *, name: str | None = None, topic: bool = False) -> str:
    properties: dict[str, Any] = {"VisibilityTimeout": timeout}
    if name is not None:
        properties["QueueName"] = name
    resources: dict[str, Any] = {"Queue": {"Type": "AWS::SQS::Queue", "Properties": properties}}
    if topic:
        resources["Topic"] = {"Type": "AWS::SNS::Topic"}
    else:
        resources["Old"] = {"Type": "AWS::SNS::Topic"}
    return json.dumps({"Resources": resources})


def changes_of(cfn: CloudFormationClient, stack: str, change_set: str) -> list[dict[str, Any]]:
    described = cfn.describe_change_set(StackName=stack, ChangeSetName=change_set)
    return [dict(c["ResourceChange"]) for c in described["Changes"]]


def test_create_then_update_through_change_sets(cfn: CloudFormationClient) -> None:
    name = stack_name()
    created = cfn.create_change_set(
        StackName=name,
        ChangeSetName="first",
        ChangeSetType="CREATE",
        TemplateBody=queue_template(30),
    )
    assert created["StackId"].split("/")[1] == name
    cfn.get_waiter("change_set_create_complete").wait(
        StackName=name, ChangeSetName="first", WaiterConfig=WAIT
    )
    # The stack waits in review, with no resources.
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "REVIEW_IN_PROGRESS"
    described = cfn.describe_change_set(StackName=name, ChangeSetName="first")
    assert (described["Status"], described["ExecutionStatus"]) == ("CREATE_COMPLETE", "AVAILABLE")
    assert described["ChangeSetId"] == created["Id"]
    assert sorted(
        (c["Action"], c["LogicalResourceId"], c["ResourceType"])
        for c in changes_of(cfn, name, "first")
    ) == [("Add", "Old", "AWS::SNS::Topic"), ("Add", "Queue", "AWS::SQS::Queue")]
    summaries = cfn.list_change_sets(StackName=name)["Summaries"]
    assert [s["ChangeSetName"] for s in summaries] == ["first"]

    cfn.execute_change_set(StackName=name, ChangeSetName="first")
    wait(cfn, "stack_create_complete", name)
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["ChangeSetId"] == created["Id"]
    queue = cfn.describe_stack_resource(StackName=name, LogicalResourceId="Queue")
    queue_url = queue["StackResourceDetail"]["PhysicalResourceId"]

    # An UPDATE change set: a property changed in place, a name that replaces, an addition
    # and a removal.
    cfn.create_change_set(
        StackName=name,
        ChangeSetName="second",
        TemplateBody=queue_template(60, topic=True),
    )
    cfn.get_waiter("change_set_create_complete").wait(
        StackName=name, ChangeSetName="second", WaiterConfig=WAIT
    )
    changes = {c["LogicalResourceId"]: c for c in changes_of(cfn, name, "second")}
    assert changes["Queue"]["Action"] == "Modify"
    assert changes["Queue"]["Replacement"] == "False"
    assert changes["Queue"]["PhysicalResourceId"] == queue_url
    assert changes["Queue"]["Scope"] == ["Properties"]
    (detail,) = changes["Queue"]["Details"]
    assert detail["Target"] == {
        "Attribute": "Properties",
        "Name": "VisibilityTimeout",
        "RequiresRecreation": "Never",
    }
    assert changes["Topic"]["Action"] == "Add"
    assert changes["Old"]["Action"] == "Remove"
    cfn.create_change_set(
        StackName=name,
        ChangeSetName="rename",
        TemplateBody=queue_template(60, name=f"{name}-renamed", topic=True),
    )
    rename = {c["LogicalResourceId"]: c for c in changes_of(cfn, name, "rename")}
    assert rename["Queue"]["Replacement"] == "True"
    assert rename["Queue"]["Details"][0]["Target"]["RequiresRecreation"] == "Always"
    cfn.delete_change_set(StackName=name, ChangeSetName="rename")
    assert client_error(cfn.describe_change_set, StackName=name, ChangeSetName="rename")[:1] == (
        "ChangeSetNotFound",
    )

    second = cfn.describe_change_set(StackName=name, ChangeSetName="second")["ChangeSetId"]
    cfn.execute_change_set(ChangeSetName=second)  # by its ARN alone
    wait(cfn, "stack_update_complete", name)
    resources = {
        r["LogicalResourceId"]
        for r in cfn.describe_stack_resources(StackName=name)["StackResources"]
    }
    assert resources == {"Queue", "Topic"}
    own = [status for logical, status, _ in events_of(cfn, name) if logical == name]
    assert own[-3:] == [
        "UPDATE_IN_PROGRESS",
        "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_COMPLETE",
    ]
    executed = cfn.describe_change_set(StackName=name, ChangeSetName="second")
    assert executed["ExecutionStatus"] == "EXECUTE_COMPLETE"

    # Nothing changed: the change set fails with AWS's reason, and cannot be executed.
    cfn.create_change_set(
        StackName=name, ChangeSetName="same", TemplateBody=queue_template(60, topic=True)
    )
    same = cfn.describe_change_set(StackName=name, ChangeSetName="same")
    assert (same["Status"], same["ExecutionStatus"]) == ("FAILED", "UNAVAILABLE")
    assert same["StatusReason"] == (
        "The submitted information didn't contain changes. Submit different information to "
        "create a change set."
    )
    code, _, _ = client_error(cfn.execute_change_set, StackName=name, ChangeSetName="same")
    assert code == "InvalidChangeSetStatus"
    cfn.delete_stack(StackName=name)
    wait(cfn, "stack_delete_complete", name)


def test_aws_cloudformation_deploy(
    server: Server, tmp_path: Path, cfn: CloudFormationClient
) -> None:
    name = stack_name()
    template = tmp_path / "template.yaml"
    template.write_text(
        "Parameters:\n  Timeout:\n    Type: Number\n    Default: 30\n"
        "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n"
        "    Properties:\n      VisibilityTimeout: !Ref Timeout\n"
        "Outputs:\n  Url:\n    Value: !Ref Queue\n"
    )
    deploy = ("cloudformation", "deploy", "--stack-name", name, "--template-file", str(template))
    first = aws(server.endpoint, *deploy, timeout=120)
    assert first.returncode == 0, first.stderr
    assert f"Successfully created/updated stack - {name}" in first.stdout
    # The CLI names its change sets after the clock's second, and two deploys in one second
    # would clash (AWS answers AlreadyExistsException too): clear the ones a deploy leaves.
    clear_change_sets(cfn, name)
    again = aws(server.endpoint, *deploy, "--no-fail-on-empty-changeset", timeout=120)
    assert again.returncode == 0, again.stderr
    assert f"No changes to deploy. Stack {name} is up to date" in again.stdout + again.stderr
    clear_change_sets(cfn, name)
    update = aws(server.endpoint, *deploy, "--parameter-overrides", "Timeout=90", timeout=120)
    assert update.returncode == 0, update.stderr
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    assert stack["Parameters"] == [{"ParameterKey": "Timeout", "ParameterValue": "90"}]

    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n"
        "    Properties:\n      VisibilityTimeout: 30\n"
        "  Clash:\n    Type: AWS::SQS::Queue\n    DependsOn: Queue\n"
        "    Properties:\n      QueueName: !GetAtt Queue.QueueName\n      DelaySeconds: 9\n"
    )
    other = stack_name()
    failed = aws(
        server.endpoint,
        "cloudformation",
        "deploy",
        "--stack-name",
        other,
        "--template-file",
        str(broken),
        timeout=120,
    )
    assert failed.returncode != 0
    assert "Failed to create/update the stack" in failed.stderr
    assert settled(cfn, other) == "ROLLBACK_COMPLETE"
    for made in (name, other):
        cfn.delete_stack(StackName=made)
        wait(cfn, "stack_delete_complete", made)


def clear_change_sets(cfn: CloudFormationClient, stack: str) -> None:
    for summary in cfn.list_change_sets(StackName=stack)["Summaries"]:
        cfn.delete_change_set(StackName=stack, ChangeSetName=summary["ChangeSetName"])
