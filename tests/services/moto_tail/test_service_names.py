"""The gateway names services as botocore does, and the tail mounts the right moto app."""

from __future__ import annotations

import pytest

from lambdaport.gateway.identity import identify
from lambdaport.gateway.service_names import (
    QUERY_API_VERSIONS,
    SIGNING_NAME_SERVICES,
    TARGET_PREFIX_SERVICES,
)
from lambdaport.services.moto_tail.catalog import MOTO_APPS, SHARED_SIGNING_NAMES
from tests.services.moto_tail.botocore_tables import (
    ServiceMetadata,
    load_metadata,
    moto_host_index,
    query_api_versions,
    shared_signing_names,
    signing_name_services,
    target_prefix_services,
)

# Clients moto's URL index matches by host although moto does not implement their API.
NOT_MOUNTED = frozenset(
    {
        "cloudhsm",
        "connectcampaignsv2",
        "connectscheduling",
        "greengrassv2",
        "kinesis-video-media",
        "kinesis-video-signaling",
        "kinesis-video-webrtc-storage",
        "kinesisanalytics",
        "lambda",
        "lambda-core",
        "lambda-microvms",
        "lambda-web",
        "pinpoint-email",
        "resiliencehubv2",
        "s3files",
        "s3outposts",
        "simpledbv2",
    }
)
# Clients moto's server finds by a special case rather than by host.
SPECIAL_CASES = {
    "budgets": "budgets",
    "devops-agent": "devopsagent",
    "dsql": "dsql",
    "kinesis-video-archived-media": "kinesisvideoarchivedmedia",
    "s3control": "s3control",
    "s3vectors": "s3vectors",
    "sesv2": "sesv2",
}


@pytest.fixture(scope="module")
def metadata() -> list[ServiceMetadata]:
    return load_metadata()


def test_signing_name_table_matches_botocore(metadata: list[ServiceMetadata]) -> None:
    assert dict(SIGNING_NAME_SERVICES) == signing_name_services(metadata)


def test_target_prefix_table_matches_botocore(metadata: list[ServiceMetadata]) -> None:
    assert dict(TARGET_PREFIX_SERVICES) == target_prefix_services(metadata)


def test_query_version_table_matches_botocore(metadata: list[ServiceMetadata]) -> None:
    assert dict(QUERY_API_VERSIONS) == query_api_versions(metadata)


def test_catalog_matches_moto_url_index(metadata: list[ServiceMetadata]) -> None:
    expected = {k: v for k, v in moto_host_index(metadata).items() if k not in NOT_MOUNTED}
    expected.update(SPECIAL_CASES)
    assert dict(MOTO_APPS) == dict(sorted(expected.items()))


def test_shared_signing_names_match_botocore(metadata: list[ServiceMetadata]) -> None:
    derived = shared_signing_names(metadata, MOTO_APPS, SIGNING_NAME_SERVICES)
    assert dict(SHARED_SIGNING_NAMES) == dict(sorted(derived.items()))


def test_catalog_apps_are_moto_modules() -> None:
    from moto.backends import list_of_moto_modules

    modules = set(list_of_moto_modules())
    assert set(MOTO_APPS.values()) <= modules
    assert "awslambda" not in MOTO_APPS.values()


def scoped(service: str, region: str = "us-east-1", key: str = "test") -> dict[str, str]:
    credential = f"{key}/20260101/{region}/{service}/aws4_request"
    return {"authorization": f"AWS4-HMAC-SHA256 Credential={credential}, Signature=0"}


@pytest.mark.parametrize(
    ("path", "headers", "service"),
    [
        ("/", {**scoped("dynamodb"), "x-amz-target": "DynamoDB_20120810.PutItem"}, "dynamodb"),
        (
            "/",
            {**scoped("dynamodb"), "x-amz-target": "DynamoDBStreams_20120810.DescribeStream"},
            "dynamodbstreams",
        ),
        ("/", {"x-amz-target": "AWSCognitoIdentityProviderService.SignUp"}, "cognito-idp"),
        ("/", {"x-amz-target": "AWSCognitoIdentityService.GetId"}, "cognito-identity"),
        ("/", {"x-amz-target": "DynamoDB_20120810.GetItem"}, "dynamodb"),
        (
            "/",
            {**scoped("states"), "x-amz-target": "AWSStepFunctions.ListStateMachines"},
            "stepfunctions",
        ),
        ("/", {**scoped("events"), "x-amz-target": "AWSEvents.PutEvents"}, "events"),
        ("/", scoped("sts"), "sts"),
        ("/", scoped("monitoring"), "cloudwatch"),
        ("/", scoped("elasticloadbalancing"), "elbv2"),
        ("/v2/apis", scoped("apigateway"), "apigatewayv2"),
        ("/restapis", scoped("apigateway"), "apigateway"),
        ("/v2/email/identities", scoped("ses"), "sesv2"),
        ("/v20180820/configuration/publicAccessBlock", scoped("s3"), "s3control"),
        ("/bucket/key", scoped("s3"), "s3"),
        ("/@connections/abc", scoped("execute-api"), "apigatewaymanagementapi"),
        ("/", {**scoped("sqs"), "x-amz-target": "AmazonSQS.SendMessage"}, "sqs"),
        ("/2015-03-31/functions", scoped("lambda"), "lambda"),
    ],
)
def test_identify_names_the_client(path: str, headers: dict[str, str], service: str) -> None:
    assert identify(path, "", headers, "us-east-1").service == service
