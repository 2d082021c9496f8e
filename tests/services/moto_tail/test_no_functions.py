"""moto never runs a function behind lambdaport's back.

Every moto path that would invoke Lambda is driven at a real lambdaport function that
appends a line to a file each time it runs. Afterwards the test invokes the function once
itself: the file must hold exactly that one line.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from mypy_boto3_lambda import LambdaClient

from tests.conftest import MakeFunction
from tests.services.moto_tail.conftest import AwsClient

SOURCE = """
import os


def handler(event, context):
    with open(os.environ["MARKER"], "a") as marker:
        marker.write("ran\\n")
    return {"ok": True}
"""


def test_moto_paths_to_lambda_run_nothing(
    aws: AwsClient, lambda_client: LambdaClient, make_function: MakeFunction, tmp_path: Path
) -> None:
    marker = tmp_path / "marker"
    name = make_function(SOURCE, Environment={"Variables": {"MARKER": str(marker)}})
    function_arn = lambda_client.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    suffix = uuid.uuid4().hex[:8]

    # EventBridge: a rule targeting the function; moto cannot deliver to Lambda.
    events = aws("events")
    events.put_rule(Name=f"rule-{suffix}", EventPattern=json.dumps({"source": ["app"]}))
    events.put_targets(Rule=f"rule-{suffix}", Targets=[{"Id": "fn", "Arn": function_arn}])
    with pytest.raises(ClientError) as raised:
        events.put_events(Entries=[{"Source": "app", "DetailType": "d", "Detail": "{}"}])
    assert raised.value.response["Error"]["Code"] == "NotImplementedException"

    # Secrets Manager rotation: moto's Lambda holds no functions.
    secrets = aws("secretsmanager")
    secrets.create_secret(Name=f"secret-{suffix}", SecretString="v")
    with pytest.raises(ClientError) as raised:
        secrets.rotate_secret(SecretId=f"secret-{suffix}", RotationLambdaARN=function_arn)
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"

    # Step Functions: executions are recorded, never run.
    sfn = aws("stepfunctions")
    definition = {
        "StartAt": "Call",
        "States": {"Call": {"Type": "Task", "Resource": function_arn, "End": True}},
    }
    machine = sfn.create_state_machine(
        name=f"machine-{suffix}",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::000000000000:role/sfn",
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"

    lambda_client.invoke(FunctionName=name, Payload=b"{}")
    assert marker.read_text() == "ran\n"
