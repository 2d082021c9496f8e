"""The resource providers, each checked through the owning service's own API: Lambda
(inline and S3 code, versions, aliases, permissions, event invoke configs), IAM, DynamoDB
with a stream, Kinesis, EventBridge, Step Functions, SSM, Secrets Manager, KMS, Cognito and
CDK's metadata; and templates read from lambdaport's S3 by every URL style."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from lambdaport.testing.server import Server
from tests.helpers import client_error
from tests.services.cloudformation.conftest import Deploy, outputs, stack_name, wait

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

ROLE = "arn:aws:iam::000000000000:role/lambda-role"


def zipped(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


def test_lambda_resources(deploy: Deploy, aws_client: Callable[[str], Any]) -> None:
    s3 = aws_client("s3")
    bucket = f"code-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(
        Bucket=bucket,
        Key="app.zip",
        Body=zipped("def run(event, context):\n    return {'from': 's3', **event}\n"),
    )
    template = {
        "Resources": {
            "Inline": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "Role": ROLE,
                    "MemorySize": 256,
                    "Timeout": "10",
                    "Environment": {"Variables": {"GREETING": "hi"}},
                    "Code": {
                        "ZipFile": "import os\n"
                        "def handler(event, context):\n"
                        "    return os.environ['GREETING']\n"
                    },
                },
            },
            "FromS3": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "python3.12",
                    "Handler": "app.run",
                    "Role": ROLE,
                    "Code": {"S3Bucket": bucket, "S3Key": "app.zip"},
                },
            },
            "Version": {
                "Type": "AWS::Lambda::Version",
                "Properties": {"FunctionName": {"Ref": "FromS3"}},
            },
            "Live": {
                "Type": "AWS::Lambda::Alias",
                "Properties": {
                    "FunctionName": {"Ref": "FromS3"},
                    "FunctionVersion": {"Fn::GetAtt": ["Version", "Version"]},
                    "Name": "live",
                },
            },
            "AllowSns": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "FunctionName": {"Fn::GetAtt": ["Inline", "Arn"]},
                    "Action": "lambda:InvokeFunction",
                    "Principal": "sns.amazonaws.com",
                },
            },
            "Retries": {
                "Type": "AWS::Lambda::EventInvokeConfig",
                "Properties": {
                    "FunctionName": {"Ref": "Inline"},
                    "Qualifier": "$LATEST",
                    "MaximumRetryAttempts": 0,
                },
            },
        },
        "Outputs": {
            "Inline": {"Value": {"Ref": "Inline"}},
            "InlineArn": {"Value": {"Fn::GetAtt": ["Inline", "Arn"]}},
            "Version": {"Value": {"Fn::GetAtt": ["Version", "Version"]}},
            "VersionArn": {"Value": {"Ref": "Version"}},
            "Alias": {"Value": {"Ref": "Live"}},
        },
    }
    stack = deploy(template)
    values = outputs(stack)
    lam = aws_client("lambda")
    inline = lam.get_function_configuration(FunctionName=values["Inline"])
    assert (inline["MemorySize"], inline["Timeout"], inline["State"]) == (256, 10, "Active")
    assert inline["FunctionArn"] == values["InlineArn"]
    assert values["Inline"].startswith(f"{stack['StackName']}-Inline-")
    assert json.loads(lam.invoke(FunctionName=values["Inline"])["Payload"].read()) == "hi"
    assert values["Version"] == "1"
    assert values["VersionArn"].endswith(":1")
    result = lam.invoke(FunctionName=values["Alias"], Payload=b'{"x": 1}')
    assert json.loads(result["Payload"].read()) == {"from": "s3", "x": 1}
    assert result["ExecutedVersion"] == "1"
    policy = json.loads(lam.get_policy(FunctionName=values["Inline"])["Policy"])
    assert [s["Principal"] for s in policy["Statement"]] == [{"Service": "sns.amazonaws.com"}]
    config = lam.get_function_event_invoke_config(FunctionName=values["Inline"])
    assert config["MaximumRetryAttempts"] == 0


def test_moto_served_resources(deploy: Deploy, aws_client: Callable[[str], Any]) -> None:
    suffix = uuid.uuid4().hex[:8]
    template = {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "states.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    },
                    "Policies": [
                        {
                            "PolicyName": "inline",
                            "PolicyDocument": {
                                "Version": "2012-10-17",
                                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
                            },
                        }
                    ],
                },
            },
            "Table": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                    "BillingMode": "PAY_PER_REQUEST",
                    "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
                },
            },
            "Stream": {"Type": "AWS::Kinesis::Stream", "Properties": {"ShardCount": 2}},
            "Rule": {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "EventPattern": {"source": ["app"]},
                    "Targets": [
                        {
                            "Id": "machine",
                            "Arn": {"Ref": "Machine"},
                            "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
                        }
                    ],
                },
            },
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Definition": {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}},
                },
            },
            "Setting": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Type": "String", "Value": "v1"},
            },
            "Secret": {
                "Type": "AWS::SecretsManager::Secret",
                "Properties": {
                    "GenerateSecretString": {
                        "SecretStringTemplate": '{"user": "app"}',
                        "GenerateStringKey": "password",
                        "PasswordLength": 16,
                    }
                },
            },
            "Key": {"Type": "AWS::KMS::Key", "Properties": {"Description": f"key {suffix}"}},
            "Pool": {
                "Type": "AWS::Cognito::UserPool",
                "Properties": {"UserPoolName": f"pool-{suffix}"},
            },
            "PoolClient": {
                "Type": "AWS::Cognito::UserPoolClient",
                "Properties": {"UserPoolId": {"Ref": "Pool"}},
            },
            "CDKMetadata": {
                "Type": "AWS::CDK::Metadata",
                "Properties": {"Analytics": "v2:deflate64:abc"},
            },
        },
        "Outputs": {
            "Role": {"Value": {"Ref": "Role"}},
            "RoleArn": {"Value": {"Fn::GetAtt": ["Role", "Arn"]}},
            "Table": {"Value": {"Ref": "Table"}},
            "TableStream": {"Value": {"Fn::GetAtt": ["Table", "StreamArn"]}},
            "Stream": {"Value": {"Ref": "Stream"}},
            "StreamArn": {"Value": {"Fn::GetAtt": ["Stream", "Arn"]}},
            "Rule": {"Value": {"Ref": "Rule"}},
            "Machine": {"Value": {"Ref": "Machine"}},
            "Setting": {"Value": {"Ref": "Setting"}},
            "Secret": {"Value": {"Ref": "Secret"}},
            "Key": {"Value": {"Ref": "Key"}},
            "KeyArn": {"Value": {"Fn::GetAtt": ["Key", "Arn"]}},
            "Pool": {"Value": {"Ref": "Pool"}},
            "PoolClient": {"Value": {"Ref": "PoolClient"}},
        },
    }
    stack = deploy(template, Capabilities=["CAPABILITY_IAM"])
    values = outputs(stack)
    iam = aws_client("iam")
    assert iam.get_role(RoleName=values["Role"])["Role"]["Arn"] == values["RoleArn"]
    assert iam.list_role_policies(RoleName=values["Role"])["PolicyNames"] == ["inline"]
    table = aws_client("dynamodb").describe_table(TableName=values["Table"])["Table"]
    assert table["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    assert table["LatestStreamArn"] == values["TableStream"]
    summary = aws_client("kinesis").describe_stream_summary(StreamName=values["Stream"])
    assert summary["StreamDescriptionSummary"]["OpenShardCount"] == 2
    assert summary["StreamDescriptionSummary"]["StreamARN"] == values["StreamArn"]
    events = aws_client("events")
    assert json.loads(events.describe_rule(Name=values["Rule"])["EventPattern"]) == {
        "source": ["app"]
    }
    targets = events.list_targets_by_rule(Rule=values["Rule"])["Targets"]
    assert [(t["Id"], t["Arn"]) for t in targets] == [("machine", values["Machine"])]
    assert (
        aws_client("stepfunctions").describe_state_machine(stateMachineArn=values["Machine"])[
            "roleArn"
        ]
        == values["RoleArn"]
    )
    assert aws_client("ssm").get_parameter(Name=values["Setting"])["Parameter"]["Value"] == "v1"
    secret = json.loads(
        aws_client("secretsmanager").get_secret_value(SecretId=values["Secret"])["SecretString"]
    )
    assert secret["user"] == "app" and len(secret["password"]) == 16
    key = aws_client("kms").describe_key(KeyId=values["Key"])["KeyMetadata"]
    assert (key["Arn"], key["Description"]) == (values["KeyArn"], f"key {suffix}")
    cognito = aws_client("cognito-idp")
    assert (
        cognito.describe_user_pool(UserPoolId=values["Pool"])["UserPool"]["Name"]
        == f"pool-{suffix}"
    )
    clients = cognito.list_user_pool_clients(UserPoolId=values["Pool"])["UserPoolClients"]
    assert [c["ClientId"] for c in clients] == [values["PoolClient"]]


def test_iam_needs_capabilities(cfn: CloudFormationClient) -> None:
    role = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}}
    body = json.dumps({"Resources": {"Role": role}})
    assert client_error(cfn.create_stack, StackName=stack_name(), TemplateBody=body) == (
        "InsufficientCapabilitiesException",
        "Requires capabilities : [CAPABILITY_IAM]",
        400,
    )
    named = json.dumps(
        {
            "Resources": {
                "Role": {
                    **role,
                    "Properties": {"RoleName": "named", "AssumeRolePolicyDocument": {}},
                }
            }
        }
    )
    assert client_error(
        cfn.create_stack,
        StackName=stack_name(),
        TemplateBody=named,
        Capabilities=["CAPABILITY_IAM"],
    ) == (
        "InsufficientCapabilitiesException",
        "Requires capabilities : [CAPABILITY_NAMED_IAM]",
        400,
    )


@pytest.mark.parametrize(
    "style",
    [
        "https://s3.amazonaws.com/{bucket}/{key}",
        "https://s3.us-east-1.amazonaws.com/{bucket}/{key}",
        "https://s3-us-east-1.amazonaws.com/{bucket}/{key}",
        "https://{bucket}.s3.amazonaws.com/{key}",
        "https://{bucket}.s3.us-east-1.amazonaws.com/{key}",
        "{endpoint}/{bucket}/{key}",
        "http://{bucket}.s3.localhost:{port}/{key}",
    ],
)
def test_template_url_styles(
    server: Server, cfn: CloudFormationClient, aws_client: Callable[[str], Any], style: str
) -> None:
    s3 = aws_client("s3")
    bucket = f"templates-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    key = "dir/stack template.yaml"
    s3.put_object(Bucket=bucket, Key=key, Body=b"Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n")
    port = server.endpoint.rsplit(":", 1)[1]
    url = style.format(
        bucket=bucket, key="dir/stack%20template.yaml", endpoint=server.endpoint, port=port
    )
    summary = cfn.get_template_summary(TemplateURL=url)
    assert summary["ResourceTypes"] == ["AWS::SNS::Topic"]
    name = stack_name()
    cfn.create_stack(StackName=name, TemplateURL=url)
    wait(cfn, "stack_create_complete", name)
    cfn.delete_stack(StackName=name)
    wait(cfn, "stack_delete_complete", name)
    missing = style.format(bucket=bucket, key="nope.yaml", endpoint=server.endpoint, port=port)
    code, message, _ = client_error(cfn.validate_template, TemplateURL=missing)
    assert code == "ValidationError" and message.startswith("S3 error: ")
    s3.delete_object(Bucket=bucket, Key=key)
    s3.delete_bucket(Bucket=bucket)


def test_nested_stacks(
    deploy: Deploy, cfn: CloudFormationClient, aws_client: Callable[[str], Any], server: Server
) -> None:
    s3 = aws_client("s3")
    bucket = f"nested-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    child = {
        "Parameters": {"Timeout": {"Type": "Number"}},
        "Resources": {
            "Queue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {"VisibilityTimeout": {"Ref": "Timeout"}},
            }
        },
        "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Queue", "Arn"]}}},
    }
    s3.put_object(Bucket=bucket, Key="child.json", Body=json.dumps(child).encode())
    parent = {
        "Resources": {
            "Child": {
                "Type": "AWS::CloudFormation::Stack",
                "Properties": {
                    "TemplateURL": f"https://s3.amazonaws.com/{bucket}/child.json",
                    "Parameters": {"Timeout": 77},
                },
            }
        },
        "Outputs": {"ChildArn": {"Value": {"Fn::GetAtt": ["Child", "Outputs.Arn"]}}},
    }
    stack = deploy(parent)
    arn = outputs(stack)["ChildArn"]
    child_id = cfn.describe_stack_resource(StackName=stack["StackName"], LogicalResourceId="Child")[
        "StackResourceDetail"
    ]["PhysicalResourceId"]
    described = cfn.describe_stacks(StackName=child_id)["Stacks"][0]
    assert described["StackStatus"] == "CREATE_COMPLETE"
    assert described["StackName"].startswith(f"{stack['StackName']}-Child-")
    sqs = aws_client("sqs")
    url = sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[1])["QueueUrl"]
    timeout = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
    assert timeout["Attributes"]["VisibilityTimeout"] == "77"
    cfn.delete_stack(StackName=stack["StackName"])
    wait(cfn, "stack_delete_complete", stack["StackName"])
    assert cfn.describe_stacks(StackName=child_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    assert url not in sqs.list_queues().get("QueueUrls", [])
    s3.delete_object(Bucket=bucket, Key="child.json")
    s3.delete_bucket(Bucket=bucket)


def test_function_url(deploy: Deploy, aws_client: Callable[[str], Any]) -> None:
    template = {
        "Resources": {
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "Role": ROLE,
                    "Code": {"ZipFile": "def handler(event, context):\n    return 'ok'\n"},
                },
            },
            "Url": {
                "Type": "AWS::Lambda::Url",
                "Properties": {
                    "TargetFunctionArn": {"Fn::GetAtt": ["Fn", "Arn"]},
                    "AuthType": "NONE",
                },
            },
        },
        "Outputs": {
            "Url": {"Value": {"Fn::GetAtt": ["Url", "FunctionUrl"]}},
            "Fn": {"Value": {"Ref": "Fn"}},
        },
    }
    values = outputs(deploy(template))
    config = aws_client("lambda").get_function_url_config(FunctionName=values["Fn"])
    assert config["FunctionUrl"] == values["Url"]
    assert config["AuthType"] == "NONE"


def test_rest_api_from_resources_and_methods(
    deploy: Deploy, aws_client: Callable[[str], Any]
) -> None:
    """A REST API built as CDK builds one: resources, methods, a deployment and a stage."""
    function = "arn:aws:lambda:us-east-1:000000000000:function:f"
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function}/invocations"
    template = {
        "Resources": {
            "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "built"}},
            "Items": {
                "Type": "AWS::ApiGateway::Resource",
                "Properties": {
                    "RestApiId": {"Ref": "Api"},
                    "ParentId": {"Fn::GetAtt": ["Api", "RootResourceId"]},
                    "PathPart": "items",
                },
            },
            "GetItems": {
                "Type": "AWS::ApiGateway::Method",
                "Properties": {
                    "RestApiId": {"Ref": "Api"},
                    "ResourceId": {"Ref": "Items"},
                    "HttpMethod": "GET",
                    "AuthorizationType": "NONE",
                    "Integration": {
                        "Type": "AWS_PROXY",
                        "IntegrationHttpMethod": "POST",
                        "Uri": uri,
                    },
                },
            },
            "Deployment": {
                "Type": "AWS::ApiGateway::Deployment",
                "DependsOn": "GetItems",
                "Properties": {"RestApiId": {"Ref": "Api"}},
            },
            "Stage": {
                "Type": "AWS::ApiGateway::Stage",
                "Properties": {
                    "RestApiId": {"Ref": "Api"},
                    "DeploymentId": {"Ref": "Deployment"},
                    "StageName": "v1",
                    "Variables": {"mode": "test"},
                },
            },
        },
        "Outputs": {"Api": {"Value": {"Ref": "Api"}}, "Items": {"Value": {"Ref": "Items"}}},
    }
    values = outputs(deploy(template))
    rest = aws_client("apigateway")
    assert rest.get_rest_api(restApiId=values["Api"])["name"] == "built"
    paths = {r["path"] for r in rest.get_resources(restApiId=values["Api"])["items"]}
    assert paths == {"/", "/items"}
    method = rest.get_method(restApiId=values["Api"], resourceId=values["Items"], httpMethod="GET")
    assert method["methodIntegration"]["uri"] == uri
    stage = rest.get_stage(restApiId=values["Api"], stageName="v1")
    assert stage["variables"] == {"mode": "test"}


def test_bucket_configurations_and_repository(
    deploy: Deploy, aws_client: Callable[[str], Any]
) -> None:
    """What CDK's bootstrap stack asks of a bucket (encryption, public access block,
    lifecycle, versioning) and its ECR repository."""
    template = {
        "Resources": {
            "Assets": {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "VersioningConfiguration": {"Status": "Enabled"},
                    "BucketEncryption": {
                        "ServerSideEncryptionConfiguration": [
                            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                        ]
                    },
                    "PublicAccessBlockConfiguration": {
                        "BlockPublicAcls": True,
                        "BlockPublicPolicy": "true",
                        "IgnorePublicAcls": True,
                        "RestrictPublicBuckets": True,
                    },
                    "LifecycleConfiguration": {
                        "Rules": [
                            {
                                "Id": "CleanupOldVersions",
                                "Status": "Enabled",
                                "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
                            }
                        ]
                    },
                },
            },
            "Images": {
                "Type": "AWS::ECR::Repository",
                "Properties": {"ImageTagMutability": "IMMUTABLE"},
            },
        },
        "Outputs": {
            "Bucket": {"Value": {"Ref": "Assets"}},
            "Repository": {"Value": {"Ref": "Images"}},
            "RepositoryUri": {"Value": {"Fn::GetAtt": ["Images", "RepositoryUri"]}},
        },
    }
    values = outputs(deploy(template))
    s3 = aws_client("s3")
    bucket = values["Bucket"]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    lifecycle = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert [(r["ID"], r["NoncurrentVersionExpiration"]["NoncurrentDays"]) for r in lifecycle] == [
        ("CleanupOldVersions", 30)
    ]
    repositories = aws_client("ecr").describe_repositories(repositoryNames=[values["Repository"]])
    (repository,) = repositories["repositories"]
    assert repository["imageTagMutability"] == "IMMUTABLE"
    assert repository["repositoryUri"] == values["RepositoryUri"]


def test_vpc_resources(deploy: Deploy, aws_client: Callable[[str], Any]) -> None:
    template = {
        "Resources": {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.9.0.0/16"}},
            "Subnet": {
                "Type": "AWS::EC2::Subnet",
                "Properties": {
                    "VpcId": {"Ref": "Vpc"},
                    "CidrBlock": {"Fn::Select": [0, {"Fn::Cidr": ["10.9.0.0/16", 2, 8]}]},
                    "AvailabilityZone": {"Fn::Select": [0, {"Fn::GetAZs": ""}]},
                },
            },
            "Group": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {
                    "GroupDescription": "functions",
                    "VpcId": {"Ref": "Vpc"},
                    "SecurityGroupIngress": [
                        {
                            "IpProtocol": "tcp",
                            "FromPort": 443,
                            "ToPort": 443,
                            "CidrIp": "10.9.0.0/16",
                        }
                    ],
                },
            },
            "Gateway": {"Type": "AWS::EC2::InternetGateway"},
            "Attach": {
                "Type": "AWS::EC2::VPCGatewayAttachment",
                "Properties": {"VpcId": {"Ref": "Vpc"}, "InternetGatewayId": {"Ref": "Gateway"}},
            },
            "Table": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}},
            "Out": {
                "Type": "AWS::EC2::Route",
                "DependsOn": "Attach",
                "Properties": {
                    "RouteTableId": {"Ref": "Table"},
                    "DestinationCidrBlock": "0.0.0.0/0",
                    "GatewayId": {"Ref": "Gateway"},
                },
            },
            "Association": {
                "Type": "AWS::EC2::SubnetRouteTableAssociation",
                "Properties": {"RouteTableId": {"Ref": "Table"}, "SubnetId": {"Ref": "Subnet"}},
            },
        },
        "Outputs": {
            "Vpc": {"Value": {"Ref": "Vpc"}},
            "Subnet": {"Value": {"Ref": "Subnet"}},
            "Group": {"Value": {"Ref": "Group"}},
            "Default": {"Value": {"Fn::GetAtt": ["Vpc", "DefaultSecurityGroup"]}},
        },
    }
    values = outputs(deploy(template))
    ec2 = aws_client("ec2")
    (subnet,) = ec2.describe_subnets(SubnetIds=[values["Subnet"]])["Subnets"]
    assert (subnet["VpcId"], subnet["CidrBlock"], subnet["AvailabilityZone"]) == (
        values["Vpc"],
        "10.9.0.0/24",
        "us-east-1a",
    )
    (group,) = ec2.describe_security_groups(GroupIds=[values["Group"]])["SecurityGroups"]
    assert [(p["FromPort"], p["IpRanges"][0]["CidrIp"]) for p in group["IpPermissions"]] == [
        (443, "10.9.0.0/16")
    ]
    assert values["Default"].startswith("sg-")
