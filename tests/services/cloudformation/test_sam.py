"""The SAM transform through aws-sam-translator: a SAM template's function (with Globals,
an S3 event and an SNS event), its bucket and simple table become lambdaport's own function,
role, permissions, notification, subscription and DynamoDB table, and the events reach it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lambdaport.testing.aws import wait_drained
from lambdaport.testing.server import Server
from tests.helpers import aws, client_error, wait_for
from tests.services.cloudformation.conftest import Deploy, outputs, stack_name, wait

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

SAM = """
AWSTemplateFormatVersion: 2010-09-09
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Timeout: 12
    Runtime: python3.12
Resources:
  Uploads:
    Type: AWS::S3::Bucket
  Alerts:
    Type: AWS::SNS::Topic
  Items:
    Type: AWS::Serverless::SimpleTable
  Handler:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      Environment:
        Variables:
          RECORD_TO: RECORD_PATH
      InlineCode: |
        import json, os
        def handler(event, context):
            with open(os.environ["RECORD_TO"], "a") as out:
                record = event["Records"][0]
                source = record.get("EventSource") or record.get("eventSource")
                out.write(json.dumps(source) + "\\n")
      Events:
        Upload:
          Type: S3
          Properties:
            Bucket: !Ref Uploads
            Events: s3:ObjectCreated:*
        Alert:
          Type: SNS
          Properties:
            Topic: !Ref Alerts
Outputs:
  Function:
    Value: !Ref Handler
  Bucket:
    Value: !Ref Uploads
  Topic:
    Value: !Ref Alerts
  Table:
    Value: !Ref Items
"""


def test_sam_application(
    deploy: Deploy,
    cfn: CloudFormationClient,
    aws_client: Callable[[str], Any],
    server: Server,
    tmp_path: Path,
) -> None:
    record = tmp_path / "events.jsonl"
    stack = deploy(
        SAM.replace("RECORD_PATH", str(record)),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    values = outputs(stack)
    lam = aws_client("lambda")
    function = lam.get_function_configuration(FunctionName=values["Function"])
    assert (function["Timeout"], function["Runtime"]) == (12, "python3.12")
    role = function["Role"].rsplit("/", 1)[1]
    assert aws_client("iam").get_role(RoleName=role)["Role"]["Arn"] == function["Role"]
    assert (
        aws_client("dynamodb").describe_table(TableName=values["Table"])["Table"]["TableStatus"]
        == "ACTIVE"
    )
    processed: Any = cfn.get_template(StackName=stack["StackName"], TemplateStage="Processed")[
        "TemplateBody"
    ]
    types = {r["Type"] for r in processed["Resources"].values()}
    assert {
        "AWS::Lambda::Function",
        "AWS::IAM::Role",
        "AWS::Lambda::Permission",
        "AWS::SNS::Subscription",
        "AWS::DynamoDB::Table",
    } <= types
    original: Any = cfn.get_template(StackName=stack["StackName"])["TemplateBody"]
    assert "AWS::Serverless::Function" in original

    aws_client("s3").put_object(Bucket=values["Bucket"], Key="a.txt", Body=b"x")
    aws_client("sns").publish(TopicArn=values["Topic"], Message="alert")
    wait_drained(server.endpoint, 60)
    seen = wait_for(
        lambda: (
            sorted(json.loads(line) for line in record.read_text().splitlines())
            if record.exists() and len(record.read_text().splitlines()) >= 2
            else None
        ),
        30,
    )
    assert seen == ["aws:s3", "aws:sns"]


def test_sam_needs_auto_expand_and_reports_translator_errors(cfn: CloudFormationClient) -> None:
    head = "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n"
    body = (
        f"{head}    Type: AWS::Serverless::Function\n    Properties:\n"
        "      Runtime: python3.12\n      Handler: index.handler\n      InlineCode: x\n"
    )
    assert client_error(
        cfn.create_stack, StackName=stack_name(), TemplateBody=body, Capabilities=["CAPABILITY_IAM"]
    ) == (
        "InsufficientCapabilitiesException",
        "Requires capabilities : [CAPABILITY_AUTO_EXPAND]",
        400,
    )
    broken = f"{head}    Type: AWS::Serverless::Function\n    Properties:\n      Handler: x.y\n"
    code, message, status = client_error(cfn.validate_template, TemplateBody=broken)
    assert (code, status) == ("ValidationError", 400)
    assert message.startswith(
        "Transform AWS::Serverless-2016-10-31 failed with: Invalid Serverless Application "
        "Specification document."
    )


def test_sam_with_aws_cloudformation_deploy(
    server: Server, cfn: CloudFormationClient, tmp_path: Path, aws_client: Callable[[str], Any]
) -> None:
    name = stack_name()
    template = tmp_path / "sam.yaml"
    template.write_text(SAM.replace("RECORD_PATH", str(tmp_path / "events.jsonl")))
    result = aws(
        server.endpoint,
        "cloudformation",
        "deploy",
        "--stack-name",
        name,
        "--template-file",
        str(template),
        "--capabilities",
        "CAPABILITY_IAM",
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    aws_client("lambda").get_function(FunctionName=outputs(stack)["Function"])
    cfn.delete_stack(StackName=name)
    wait(cfn, "stack_delete_complete", name)


API = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        def handler(event, context):
            return {"statusCode": 200, "body": "hello"}
      Events:
        Rest:
          Type: Api
          Properties:
            Path: /hello
            Method: get
        Http:
          Type: HttpApi
          Properties:
            Path: /hi
            Method: get
Outputs:
  RestApi:
    Value: !Ref ServerlessRestApi
  HttpApi:
    Value: !Ref ServerlessHttpApi
"""


def test_sam_api_events_make_the_apis(deploy: Deploy, aws_client: Callable[[str], Any]) -> None:
    """SAM's ``Api`` and ``HttpApi`` events: the REST API (from its OpenAPI body) with its
    deployment and ``Prod`` stage, and the HTTP API with its ``$default`` stage, in API
    Gateway's own control plane."""
    stack = deploy(API, Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
    values = outputs(stack)
    rest = aws_client("apigateway")
    resources = rest.get_resources(restApiId=values["RestApi"])["items"]
    assert "/hello" in {r["path"] for r in resources}
    hello = next(r for r in resources if r["path"] == "/hello")
    integration = rest.get_integration(
        restApiId=values["RestApi"], resourceId=hello["id"], httpMethod="GET"
    )
    assert integration["type"] == "AWS_PROXY"
    assert ":function:" in integration["uri"]
    # SAM's deployment names a stage "Stage" beside "Prod", as on AWS.
    stages = rest.get_stages(restApiId=values["RestApi"])["item"]
    assert sorted(s["stageName"] for s in stages) == ["Prod", "Stage"]
    http = aws_client("apigatewayv2")
    routes = http.get_routes(ApiId=values["HttpApi"])["Items"]
    assert "GET /hi" in {r["RouteKey"] for r in routes}
    assert "$default" in {s["StageName"] for s in http.get_stages(ApiId=values["HttpApi"])["Items"]}


SQS_EVENT = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::SQS::Queue
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Environment:
        Variables:
          RECORD_TO: RECORD_PATH
      InlineCode: |
        import json, os
        def handler(event, context):
            with open(os.environ["RECORD_TO"], "a") as out:
                for record in event["Records"]:
                    out.write(json.dumps(record["body"]) + "\\n")
      Events:
        Queue:
          Type: SQS
          Properties:
            Queue: !GetAtt Orders.Arn
            BatchSize: 5
Outputs:
  Queue:
    Value: !Ref Orders
  Function:
    Value: !Ref Worker
"""


def test_sam_sqs_event_makes_an_event_source_mapping(
    deploy: Deploy, aws_client: Callable[[str], Any], tmp_path: Path
) -> None:
    record = tmp_path / "bodies.jsonl"
    stack = deploy(
        SQS_EVENT.replace("RECORD_PATH", str(record)),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    values = outputs(stack)
    mappings = aws_client("lambda").list_event_source_mappings(FunctionName=values["Function"])
    (mapping,) = mappings["EventSourceMappings"]
    assert mapping["BatchSize"] == 5
    aws_client("sqs").send_message(QueueUrl=values["Queue"], MessageBody="order 7")
    lines = wait_for(lambda: record.read_text().splitlines() if record.exists() else None, 30)
    assert [json.loads(line) for line in lines] == ["order 7"]
