"""What moto cannot answer is answered as AWS would, through boto3 and a real server:
validation before moto (in each service's own words), operations moto lacks (501), a crash
inside moto (InternalFailure, the traceback in the server's log only), and the clients the
gateway names by a signing name they share with another."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from lambdaport.testing.server import Server
from tests.helpers import client_options, wait_for
from tests.services.moto_tail.conftest import AwsClient

WORKSPACES_WEB = "arn:aws:workspaces-web:us-east-1:000000000000"
PORTAL = f"{WORKSPACES_WEB}:portal/0f6b4d5e-1111-2222-3333-444455556666"
SETTINGS = f"{WORKSPACES_WEB}:browserSettings/0f6b4d5e-9999-8888-7777-666655554444"


def unvalidated(server: Server, service: str) -> Any:
    """A boto3 client that sends what it is given (no client-side parameter validation)."""
    options = client_options(server.endpoint, parameter_validation=False)
    return boto3.client(service, **options)  # type: ignore[call-overload]


def error_of(raised: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    response = raised.value.response
    error = response["Error"]
    return response["ResponseMetadata"]["HTTPStatusCode"], error["Code"], error["Message"]


def test_ec2_answers_a_missing_parameter_as_ec2(server: Server) -> None:
    with pytest.raises(ClientError) as raised:
        unvalidated(server, "ec2").run_instances(MaxCount=1)
    assert error_of(raised) == (
        400,
        "MissingParameter",
        "The request must contain the parameter MinCount",
    )


def test_route53_refuses_a_long_id_with_invalid_input(server: Server) -> None:
    with pytest.raises(ClientError) as raised:
        unvalidated(server, "route53").get_hosted_zone(Id="Z" * 40)
    status, code, message = error_of(raised)
    assert (status, code) == (400, "InvalidInput")
    assert message.endswith(
        "at 'id' failed to satisfy constraint: Member must have length less than or equal to 32"
    )


def test_an_empty_name_is_refused_before_moto(server: Server) -> None:
    with pytest.raises(ClientError) as raised:
        unvalidated(server, "iam").get_role(RoleName="")
    assert error_of(raised) == (
        400,
        "ValidationError",
        "2 validation errors detected: Value '' at 'roleName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; Value '' at 'roleName' failed "
        "to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
    )


def test_an_operation_moto_has_no_route_for_is_not_implemented(aws: AwsClient) -> None:
    with pytest.raises(ClientError) as raised:
        aws("account").get_account_information()
    status, code, message = error_of(raised)
    assert (status, code) == (501, "NotImplementedException")
    assert "account GetAccountInformation" in message


def test_a_crash_inside_moto_is_an_internal_failure_with_the_traceback_in_the_log(
    server: Server, aws: AwsClient
) -> None:
    # moto looks the browser settings up with a plain dict index: KeyError for a missing one.
    with pytest.raises(ClientError) as raised:
        aws("workspaces-web").associate_browser_settings(
            portalArn=PORTAL, browserSettingsArn=SETTINGS
        )
    assert error_of(raised) == (
        500,
        "InternalFailure",
        "The request processing has failed; see lambdaport's log.",
    )

    def crash_logged() -> str | None:
        marker = "moto failed on workspaces-web AssociateBrowserSettings"
        log = server.log()
        return log.split(marker, 1)[1] if marker in log else None

    logged = wait_for(crash_logged, timeout=10, what="the crash in the server log")
    assert "Traceback (most recent call last)" in logged


@pytest.mark.parametrize(
    ("service", "operation", "result_key"),
    [
        ("mediastore-data", "list_items", "Items"),
        ("bedrock-agentcore-control", "list_agent_runtimes", "agentRuntimes"),
        ("elb", "describe_load_balancers", "LoadBalancerDescriptions"),
    ],
)
def test_clients_sharing_a_signing_name_reach_their_own_moto_app(
    aws: AwsClient, service: str, operation: str, result_key: str
) -> None:
    result = getattr(aws(service), operation)()
    assert isinstance(result[result_key], list)


def test_a_sibling_moto_does_not_serve_is_not_implemented(aws: AwsClient) -> None:
    with pytest.raises(ClientError) as raised:
        aws("bedrock-agent-runtime").list_sessions()
    assert error_of(raised) == (
        501,
        "NotImplementedException",
        "lambdaport does not serve the AWS service 'bedrock-agent-runtime' yet.",
    )
