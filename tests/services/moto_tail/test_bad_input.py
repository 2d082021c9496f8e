"""Bad input to the services moto serves gets AWS's error, never a 500 or a traceback.

The sweep sends every tail service, through the session's real server, an operation it does
not have and a real operation without its required members; the answers must be client
errors in the service's own wire format (botocore reads the code) without a traceback.
Requests whose body is not JSON, XML or a form are refused as their service refuses them.
"""

from __future__ import annotations

import pytest

from lambdaport.app import OWN_SERVICES
from lambdaport.services.moto_tail.catalog import MOTO_APPS
from lambdaport.testing.server import Server
from tests.services.moto_tail.probes import FORM, Answer, Probe, Service, send, shows_traceback

# How each kind of service words a request the model refuses (see moto_tail/protocol.py).
REFUSALS = {"ValidationException", "ValidationError", "MissingParameter", "InvalidInput"}
REFUSALS |= {"InvalidArgument"}


def tail_services() -> list[str]:
    return sorted(name for name in MOTO_APPS if name not in OWN_SERVICES)


def assert_readable_client_error(answer: Answer) -> None:
    assert 400 <= answer.status < 500, (answer.status, answer.body[:300])
    assert answer.code, f"botocore cannot read the error: {answer.body[:300]!r}"
    assert not shows_traceback(answer.body), answer.body[:300]


@pytest.mark.parametrize("name", tail_services())
def test_unknown_operation_is_a_client_error(server: Server, name: str) -> None:
    service = Service(name)

    answer = send(server.endpoint, service.unknown_operation(), service.protocol)

    assert_readable_client_error(answer)
    if service.protocol == "json":
        assert (answer.status, answer.code) == (400, "UnknownOperationException")
    elif service.protocol in ("query", "ec2"):
        assert (answer.status, answer.code) == (400, "InvalidAction")
        assert "LambdaportNoSuchOperation" in answer.message


@pytest.mark.parametrize("name", tail_services())
def test_missing_required_members_are_refused(server: Server, name: str) -> None:
    service = Service(name)
    operation, incomplete = service.operation_with_required_input()

    answer = send(server.endpoint, service.call(operation, b""), service.protocol)

    assert not shows_traceback(answer.body), answer.body[:300]
    if not incomplete:  # the URI carries every required member: a whole request
        assert answer.status < 500 or answer.code == "NotImplementedException", answer.body
        return
    assert_readable_client_error(answer)
    assert (answer.status, answer.code in REFUSALS) == (400, True), answer.body[:300]


def test_a_missing_member_is_named_as_dynamodb_names_it(server: Server) -> None:
    service = Service("dynamodb")

    answer = send(server.endpoint, service.call("DeleteTable", b"{}"), service.protocol)

    assert (answer.status, answer.code) == (400, "ValidationException")
    assert answer.message == (
        "1 validation error detected: Value null at 'tableName' failed to satisfy "
        "constraint: Member must not be null"
    )


@pytest.mark.parametrize(
    ("name", "operation"),
    [
        ("dynamodb", "CreateTable"),
        ("kms", "CreateKey"),
        ("ssm", "PutParameter"),
        ("secretsmanager", "CreateSecret"),
        ("stepfunctions", "CreateStateMachine"),
        ("cloudwatch", "ListMetrics"),
    ],
)
@pytest.mark.parametrize("body", [b"{not json", b'["a", "list"]', b'"text"', b"\xff\xfe"])
def test_json_that_is_not_an_object_is_a_serialization_error(
    server: Server, name: str, operation: str, body: bytes
) -> None:
    service = Service(name)

    answer = send(server.endpoint, service.call(operation, body), service.protocol)

    assert (answer.status, answer.code) == (400, "SerializationException"), answer.body
    assert not shows_traceback(answer.body)


def test_a_member_of_the_wrong_type_is_a_serialization_error(server: Server) -> None:
    service = Service("dynamodb")
    probe = service.call("DescribeTable", b'{"TableName": ["not", "a", "string"]}')

    answer = send(server.endpoint, probe, service.protocol)

    assert (answer.status, answer.code) == (400, "SerializationException")


@pytest.mark.parametrize(
    ("name", "operation"),
    [("apigatewayv2", "CreateApi"), ("appsync", "CreateGraphqlApi"), ("efs", "CreateFileSystem")],
)
def test_rest_json_body_that_is_not_json_is_refused(
    server: Server, name: str, operation: str
) -> None:
    service = Service(name)

    answer = send(server.endpoint, service.call(operation, b"{not json"), service.protocol)

    assert_readable_client_error(answer)
    assert answer.status == 400
    assert answer.code in ("SerializationException", "BadRequestException"), answer.body


@pytest.mark.parametrize(
    ("name", "operation"),
    [("route53", "CreateHostedZone"), ("cloudfront", "CreateDistribution")],
)
def test_xml_body_that_is_not_xml_is_malformed_input(
    server: Server, name: str, operation: str
) -> None:
    service = Service(name)
    probe = service.call(operation, b"<CreateHostedZoneRequest><Name>unclosed")

    answer = send(server.endpoint, probe, service.protocol)

    assert (answer.status, answer.code) == (400, "MalformedInput")
    assert answer.body.startswith(b'<?xml version="1.0" encoding="UTF-8"?><ErrorResponse')


def test_query_body_that_is_not_text_is_malformed(server: Server) -> None:
    service = Service("iam")
    form = b"Action=CreateRole&Version=2010-05-08&RoleName=\xff\xfe"
    probe = Probe("POST", "/", {**service.auth, "content-type": FORM}, form)

    answer = send(server.endpoint, probe, service.protocol)

    assert (answer.status, answer.code) == (400, "MalformedQueryString")


def test_query_services_name_the_refused_member(server: Server) -> None:
    service = Service("iam")
    probe = service.call("GetRole", b"&RoleName=not%20a%20role%20name")

    answer = send(server.endpoint, probe, service.protocol)

    assert (answer.status, answer.code) == (400, "ValidationError")
    assert answer.message.startswith(
        "1 validation error detected: Value 'not a role name' at 'roleName' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: "
    )


def test_cloudwatch_query_answers_a_missing_member_with_missing_parameter(
    server: Server,
) -> None:
    service = Service("cloudwatch")
    form = b"Action=GetMetricStatistics&Version=2010-08-01&Namespace=app"
    probe = Probe("POST", "/", {**service.auth, "content-type": FORM}, form)

    answer = send(server.endpoint, probe, "query")

    assert (answer.status, answer.code) == (400, "MissingParameter")
    assert answer.message == "The request must contain the parameter MetricName"
