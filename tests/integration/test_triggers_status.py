"""The README's "What works and what does not yet" table is ``lambdaport.triggers_status``
exactly, lists every service row of the product, and each row's claim holds: a working trigger
has its module (delivering through ``invoke/triggers``) and its tests, a control-plane row is
served by the moto tail, a row waiting for a Lambda operation gets 501 for it from a real
server."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from lambdaport.app import OWN_SERVICES
from lambdaport.services.moto_tail.catalog import MOTO_APPS
from lambdaport.triggers_status import TRIGGERS, State, markdown_table

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

ROOT = Path(__file__).resolve().parents[2]
HEADING = "### What works and what does not yet"

# The product's service rows, in order: a row dropped from the code fails here.
PRODUCT_ROWS = (
    "Alexa",
    "Amazon MSK and self-managed Apache Kafka",
    "Amazon API Gateway (REST APIs)",
    "Amazon API Gateway (HTTP and WebSocket APIs)",
    "AWS CloudFormation",
    "Amazon CloudFront (Lambda@Edge)",
    "Amazon CloudWatch Logs",
    "AWS CodeCommit",
    "AWS CodePipeline",
    "Amazon Cognito",
    "AWS Config",
    "Amazon Connect",
    "Amazon DynamoDB (Streams)",
    "Amazon EFS",
    "Elastic Load Balancing (Application Load Balancer)",
    "AWS IoT",
    "Amazon Kinesis Data Streams",
    "Amazon Data Firehose",
    "Amazon Lex",
    "Amazon MQ",
    "Amazon SES",
    "Amazon SNS",
    "Amazon SQS",
    "Amazon S3",
    "Amazon S3 Batch Operations",
    "AWS Secrets Manager",
    "Amazon VPC Lattice",
    "AWS X-Ray",
    "Lambda function URLs",
    "Amazon EventBridge",
)

# Where each working trigger is tested through a real server.
WORKING_TESTS = {
    "AWS CloudFormation": "tests/services/cloudformation/test_custom_resources.py",
    "Amazon CloudWatch Logs": "tests/services/logs/test_subscriptions.py",
    "Amazon SNS": "tests/services/sns/test_lambda.py",
    "Amazon SQS": "tests/esm/test_sqs.py",
    "Amazon Kinesis Data Streams": "tests/esm/test_kinesis.py",
    "Amazon DynamoDB (Streams)": "tests/esm/test_dynamodb.py",
    "Amazon S3": "tests/services/s3/test_notifications.py",
    "Lambda function URLs": "tests/http_fronts/test_function_urls.py",
    "Amazon API Gateway (REST APIs)": "tests/http_fronts/rest/test_proxy.py",
    "Amazon API Gateway (HTTP and WebSocket APIs)": "tests/http_fronts/test_http_apis.py",
}

# Arguments for each Lambda operation a row waits for (enough to get past validation).
WAITING_CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "CreateEventSourceMapping": (
        "create_event_source_mapping",
        {"FunctionName": "f", "EventSourceArn": "arn:aws:mq:us-east-1:000000000000:broker:b:b-1"},
    ),
}


def readme_table() -> str:
    text = (ROOT / "README.md").read_text()
    section = text[text.index(HEADING) + len(HEADING) :]
    section = section[: section.index("\n#")]
    return "".join(line + "\n" for line in section.splitlines() if line.startswith("|"))


def test_the_readme_table_is_the_code_s() -> None:
    assert readme_table() == markdown_table(), (
        "README.md's table differs from lambdaport.triggers_status: "
        "paste `python -m lambdaport.triggers_status` under " + HEADING
    )


def test_every_service_row_of_the_product_is_listed_once() -> None:
    assert tuple(t.service for t in TRIGGERS) == PRODUCT_ROWS


def test_a_working_trigger_has_its_module_and_its_tests() -> None:
    working = {t.service: t for t in TRIGGERS if t.state is State.WORKS}
    assert set(working) == set(WORKING_TESTS)
    for service, row in working.items():
        assert row.module is not None, service
        module = importlib.import_module(row.module)
        source = Path(str(module.__file__)).read_text()
        assert "PushTriggers" in source, f"{row.module} does not invoke through invoke/triggers"
        tests = (ROOT / WORKING_TESTS[service]).read_text()
        assert re.search(r"^def test_", tests, re.MULTILINE), WORKING_TESTS[service]
        assert all(client in OWN_SERVICES for client in row.clients), service


def test_a_control_plane_row_is_served_by_moto() -> None:
    for row in TRIGGERS:
        if row.state is State.CONTROL_PLANE:
            assert row.clients, row.service
            for client in row.clients:
                assert client in MOTO_APPS, f"{row.service}: moto does not serve {client}"
                assert client not in OWN_SERVICES, f"{row.service}: {client} is lambdaport's"
        else:
            assert row.module is not None or row.state is State.NOT_YET
            assert all(client in OWN_SERVICES for client in row.clients), row.service


@pytest.mark.parametrize("operation", sorted({t.operation for t in TRIGGERS if t.operation}))
def test_a_waiting_row_s_operation_is_not_implemented_yet(
    lambda_client: LambdaClient, operation: str
) -> None:
    """When the operation lands this fails: update the rows that wait for it."""
    method, kwargs = WAITING_CALLS[operation]
    with pytest.raises(lambda_client.exceptions.ClientError) as raised:
        getattr(lambda_client, method)(**kwargs)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert raised.value.response["Error"]["Code"] == "NotImplementedException"
    assert all(t.state is not State.WORKS for t in TRIGGERS if t.operation == operation)
