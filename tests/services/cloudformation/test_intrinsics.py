"""Every intrinsic function and pseudo parameter, evaluated by a real stack: YAML short forms
and JSON long forms, in resource properties and outputs."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tests.helpers import client_error, wait_for
from tests.services.cloudformation.conftest import Deploy, outputs

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

TEMPLATE = """
AWSTemplateFormatVersion: 2010-09-09
Transform: AWS::LanguageExtensions
Parameters:
  Env:
    Type: String
    AllowedValues: [dev, prod]
    Default: dev
  Sizes:
    Type: CommaDelimitedList
    Default: "small,medium,large"
  Count:
    Type: Number
    Default: 3
Mappings:
  Regions:
    us-east-1:
      Ami: ami-east
    eu-west-1:
      Ami: ami-west
Conditions:
  IsDev: !Equals [!Ref Env, dev]
  IsProd: !Not [!Condition IsDev]
  DevAndThree: !And [!Condition IsDev, !Equals [!Ref Count, 3]]
  ProdOrThree: !Or [!Condition IsProd, !Equals [!Ref Count, "3"]]
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Join ["-", [!Ref "AWS::StackName", !Select [1, !Ref Sizes], q]]
      Tags:
        - Key: env
          Value: !If [IsDev, development, production]
  ProdOnly:
    Type: AWS::SQS::Queue
    Condition: IsProd
Outputs:
  Join: {Value: !Join [":", [a, b, c]]}
  Select: {Value: !Select [2, !Ref Sizes]}
  Split: {Value: !Select [1, !Split [",", "x,y,z"]]}
  Sub: {Value: !Sub "${AWS::StackName}/${Env}/${Queue.QueueName}/${!Literal}"}
  SubMap:
    Value: !Sub
      - "${Greeting}, ${Who}"
      - Greeting: hello
        Who: !Ref Env
  If: {Value: !If [IsDev, yes-dev, no-dev]}
  And: {Value: !If [DevAndThree, "true", "false"]}
  Or: {Value: !If [ProdOrThree, "true", "false"]}
  FindInMap: {Value: !FindInMap [Regions, !Ref "AWS::Region", Ami]}
  FindInMapDefault: {Value: !FindInMap [Regions, nowhere, Ami, {DefaultValue: fallback}]}
  Base64: {Value: !Base64 "hello cfn"}
  Cidr: {Value: !Join [",", !Cidr ["10.0.0.0/16", 3, 8]]}
  GetAZs: {Value: !Join [",", !GetAZs ""]}
  FirstAZ: {Value: !Select [0, !GetAZs {Ref: "AWS::Region"}]}
  Length: {Value: !Length [a, b, c, d]}
  ToJsonString: {Value: !ToJsonString {b: [1, 2], a: x}}
  GetAttArn: {Value: !GetAtt Queue.Arn}
  GetAttList: {Value: !GetAtt [Queue, QueueName]}
  Ref: {Value: !Ref Queue}
  Account: {Value: !Ref "AWS::AccountId"}
  Partition: {Value: !Sub "${AWS::Partition}.${AWS::URLSuffix}"}
  StackId: {Value: !Ref "AWS::StackId"}
  NoValue:
    Value: !Join ["", [!If [IsProd, prod, !Ref "AWS::NoValue"], "-end"]]
  OnlyInProd:
    Condition: IsProd
    Value: never
"""


def test_every_intrinsic_function(deploy: Deploy, aws_client: Callable[[str], Any]) -> None:
    stack = deploy(TEMPLATE)
    name = stack["StackName"]
    values = outputs(stack)
    queue_name = f"{name}-medium-q"
    assert values["Join"] == "a:b:c"
    assert values["Select"] == "large"
    assert values["Split"] == "y"
    assert values["Sub"] == f"{name}/dev/{queue_name}/${{Literal}}"
    assert values["SubMap"] == "hello, dev"
    assert values["If"] == "yes-dev"
    assert values["And"] == "true"
    assert values["Or"] == "true"
    assert values["FindInMap"] == "ami-east"
    assert values["FindInMapDefault"] == "fallback"
    assert base64.b64decode(values["Base64"]) == b"hello cfn"
    assert values["Cidr"] == "10.0.0.0/24,10.0.1.0/24,10.0.2.0/24"
    assert values["GetAZs"] == "us-east-1a,us-east-1b,us-east-1c"
    assert values["FirstAZ"] == "us-east-1a"
    assert values["Length"] == "4"
    assert json.loads(values["ToJsonString"]) == {"b": [1, 2], "a": "x"}
    assert values["GetAttArn"] == f"arn:aws:sqs:us-east-1:000000000000:{queue_name}"
    assert values["GetAttList"] == queue_name
    assert values["Ref"].endswith(f"/000000000000/{queue_name}")
    assert values["Account"] == "000000000000"
    assert values["Partition"] == "aws.amazonaws.com"
    assert values["StackId"] == stack["StackId"]
    assert values["NoValue"] == "-end"
    assert "OnlyInProd" not in values
    # Conditions decide which resources exist; Fn::If chose the tag's value.
    sqs = aws_client("sqs")
    urls = sqs.list_queues(QueueNamePrefix=name).get("QueueUrls", [])
    assert [url.rsplit("/", 1)[1] for url in urls] == [queue_name]
    assert sqs.list_queue_tags(QueueUrl=urls[0])["Tags"] == {"env": "development"}


def test_parameters_and_conditions_choose_resources(
    deploy: Deploy, aws_client: Callable[[str], Any]
) -> None:
    stack = deploy(TEMPLATE, Parameters=[{"ParameterKey": "Env", "ParameterValue": "prod"}])
    values = outputs(stack)
    assert values["If"] == "no-dev"
    assert values["NoValue"] == "prod-end"
    assert values["OnlyInProd"] == "never"
    assert values["And"] == "false"
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert parameters == {"Env": "prod", "Sizes": "small,medium,large", "Count": "3"}
    urls = aws_client("sqs").list_queues(QueueNamePrefix=stack["StackName"])["QueueUrls"]
    assert len(urls) == 2


def test_ssm_parameter_types_and_imports(
    deploy: Deploy, aws_client: Callable[[str], Any], cfn: CloudFormationClient
) -> None:
    ssm = aws_client("ssm")
    ssm.put_parameter(Name="/cfn-test/greeting", Value="hi from ssm", Type="String", Overwrite=True)
    exporter = deploy(
        {
            "Resources": {"Q": {"Type": "AWS::SQS::Queue"}},
            "Outputs": {
                "Arn": {
                    "Value": {"Fn::GetAtt": ["Q", "Arn"]},
                    "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-arn"}},
                }
            },
        }
    )
    export = f"{exporter['StackName']}-arn"
    importer = deploy(
        {
            "Parameters": {
                "Greeting": {
                    "Type": "AWS::SSM::Parameter::Value<String>",
                    "Default": "/cfn-test/greeting",
                }
            },
            "Resources": {
                "P": {
                    "Type": "AWS::SSM::Parameter",
                    "Properties": {"Type": "String", "Value": {"Fn::ImportValue": export}},
                }
            },
            "Outputs": {
                "Greeting": {"Value": {"Ref": "Greeting"}},
                "Imported": {"Value": {"Fn::GetAtt": ["P", "Value"]}},
            },
        }
    )
    values = outputs(importer)
    assert values["Greeting"] == "hi from ssm"
    assert values["Imported"] == outputs(exporter)["Arn"]
    (parameter,) = importer["Parameters"]
    assert parameter["ResolvedValue"] == "hi from ssm"
    assert parameter["ParameterValue"] == "/cfn-test/greeting"
    listed = {e["Name"]: e["Value"] for e in cfn.list_exports()["Exports"]}
    assert listed[export] == outputs(exporter)["Arn"]
    assert cfn.list_imports(ExportName=export)["Imports"] == [importer["StackName"]]
    # An export in use keeps its stack: the delete fails with AWS's reason.
    cfn.delete_stack(StackName=exporter["StackName"])

    def failed() -> str | None:
        described = cfn.describe_stacks(StackName=exporter["StackName"])["Stacks"][0]
        done = described["StackStatus"] == "DELETE_FAILED"
        return described.get("StackStatusReason", "") if done else None

    assert wait_for(failed, 60) == (
        f"Export {export} cannot be deleted as it is in use by {importer['StackName']}"
    )


def test_bad_values_are_validation_errors(cfn: CloudFormationClient) -> None:
    def refused(template: dict[str, Any] | str, **extra: Any) -> tuple[str, str, int]:
        body = template if isinstance(template, str) else json.dumps(template)
        return client_error(cfn.create_stack, StackName="bad-values", TemplateBody=body, **extra)

    queue = {"Type": "AWS::SQS::Queue"}
    assert refused(
        {
            "Parameters": {"Env": {"Type": "String", "AllowedValues": ["a"]}},
            "Resources": {"Q": queue},
        },
        Parameters=[{"ParameterKey": "Env", "ParameterValue": "b"}],
    ) == ("ValidationError", "Parameter 'Env' must be one of AllowedValues", 400)
    assert refused({"Parameters": {"Env": {"Type": "String"}}, "Resources": {"Q": queue}}) == (
        "ValidationError",
        "Parameters: [Env] must have values",
        400,
    )
    assert refused(
        {"Resources": {"Q": queue}}, Parameters=[{"ParameterKey": "Nope", "ParameterValue": "x"}]
    ) == ("ValidationError", "Parameters: [Nope] do not exist in the template", 400)
    assert refused(
        {
            "Resources": {
                "Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Ref": "Missing"}}}
            }
        }
    ) == (
        "ValidationError",
        "Template format error: Unresolved resource dependencies [Missing] in the Resources "
        "block of the template",
        400,
    )
    assert refused(
        {
            "Resources": {
                "A": {"Type": "AWS::SQS::Queue", "DependsOn": "B"},
                "B": {"Type": "AWS::SQS::Queue", "DependsOn": "A"},
            }
        }
    ) == ("ValidationError", "Circular dependency between resources: [A, B]", 400)
    assert refused({"Conditions": {"C": {"Fn::Equals": ["a"]}}, "Resources": {"Q": queue}}) == (
        "ValidationError",
        "Template error: Fn::Equals requires a list argument with two elements",
        400,
    )
