"""Protocols word refusals as their service does: EC2's protocol and errors, Route 53's error
envelope and codes, EC2-style missing parameters; and no input makes a parser fail with
anything but AWS's error."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.awsrequest import HeadersDict
from botocore.parsers import create_parser

from lambdaport.errors import AwsError
from lambdaport.protocol import (
    Ec2Protocol,
    JsonProtocol,
    QueryProtocol,
    RestJsonProtocol,
    RestXmlProtocol,
    load_service_model,
)
from lambdaport.protocol.base import HttpRequest, HttpResponse
from lambdaport.protocol.scalars import parse_timestamp

FORM = {"content-type": "application/x-www-form-urlencoded"}


def form(body: str) -> HttpRequest:
    return HttpRequest("POST", "/", "", FORM, body.encode())


def botocore_error(protocol: str, response: HttpResponse) -> dict[str, Any]:
    headers = HeadersDict()
    for name, value in response.headers:
        headers[name] = value
    no_shape: Any = None
    parsed = create_parser(protocol).parse(
        {"status_code": response.status, "headers": headers, "body": response.body}, no_shape
    )
    return dict(parsed)


@pytest.fixture(scope="module")
def ec2() -> Ec2Protocol:
    return Ec2Protocol(load_service_model("ec2"))


def test_ec2_names_members_by_query_name_and_never_wraps_list_items(ec2: Ec2Protocol) -> None:
    body = (
        "Action=DescribeInstances&Version=2016-11-15&InstanceId.1=i-1&InstanceId.2=i-2"
        "&Filter.1.Name=tag:app&Filter.1.Value.1=web&DryRun=false"
    )
    assert ec2.parse(form(body)) == (
        "DescribeInstances",
        {
            "InstanceIds": ["i-1", "i-2"],
            "Filters": [{"Name": "tag:app", "Values": ["web"]}],
            "DryRun": False,
        },
    )


def test_ec2_answers_missing_parameters_and_unknown_actions_as_ec2(ec2: Ec2Protocol) -> None:
    with pytest.raises(AwsError) as missing:
        ec2.parse(form("Action=RunInstances&Version=2016-11-15&MaxCount=1"))
    with pytest.raises(AwsError) as unknown:
        ec2.parse(form("Action=LaunchRocket&Version=2016-11-15"))

    assert (missing.value.code, missing.value.message) == (
        "MissingParameter",
        "The request must contain the parameter MinCount",
    )
    assert (unknown.value.code, unknown.value.status) == ("InvalidAction", 400)
    assert unknown.value.message == "The action LaunchRocket is not valid for this web service."


def test_ec2_does_not_enforce_its_models_lengths_and_patterns(ec2: Ec2Protocol) -> None:
    # The model's pattern for a placement group ARN has a "^" in its middle: it matches
    # nothing, and EC2 does not check it.
    body = (
        "Action=CreateCapacityReservation&Version=2016-11-15&InstanceType=t3.micro"
        "&InstancePlatform=Linux/UNIX&InstanceCount=1"
        "&PlacementGroupArn=arn:aws:ec2:us-east-1:123456789012:placement-group/pg"
    )
    assert ec2.parse(form(body))[0] == "CreateCapacityReservation"


def test_ec2_errors_read_back_in_botocore(ec2: Ec2Protocol) -> None:
    error = AwsError("InvalidInstanceID.NotFound", "The instance ID 'i-1' does not exist", 400)

    parsed = botocore_error("ec2", ec2.serialize_error(None, error, "req-1"))

    assert parsed["Error"] == {
        "Code": "InvalidInstanceID.NotFound",
        "Message": "The instance ID 'i-1' does not exist",
    }
    assert parsed["ResponseMetadata"]["RequestId"] == "req-1"


def test_route53_refuses_in_its_own_words_and_envelope() -> None:
    route53 = RestXmlProtocol(
        load_service_model("route53"),
        validation_error_code="InvalidInput",
        malformed_xml_code="MalformedInput",
    )
    with pytest.raises(AwsError) as invalid:
        route53.parse(HttpRequest("GET", "/2013-04-01/hostedzone/" + "Z" * 40, "", {}, b""))
    with pytest.raises(AwsError) as malformed:
        route53.parse(HttpRequest("POST", "/2013-04-01/hostedzone", "", {}, b"<Create"))

    assert invalid.value.code == "InvalidInput"
    assert "Member must have length less than or equal to 32" in invalid.value.message
    assert malformed.value.code == "MalformedInput"
    response = route53.serialize_error(None, invalid.value, "req-2")
    assert b"<ErrorResponse xmlns=" in response.body and b"<Type>Sender</Type>" in response.body
    assert botocore_error("rest-xml", response)["Error"]["Code"] == "InvalidInput"


def test_s3_keeps_its_own_error_document() -> None:
    s3 = RestXmlProtocol(load_service_model("s3"))
    response = s3.serialize_error(None, AwsError("NoSuchBucket", "gone", 404), "r")
    assert response.body.startswith(b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>')


def test_query_services_can_answer_missing_members_ec2s_way() -> None:
    sdb = QueryProtocol(
        load_service_model("sdb"),
        validation_error_code="ValidationError",
        missing_parameter_code="MissingParameter",
    )
    with pytest.raises(AwsError) as raised:
        sdb.parse(form("Action=CreateDomain&Version=2009-04-15"))
    assert (raised.value.code, raised.value.message) == (
        "MissingParameter",
        "The request must contain the parameter DomainName",
    )


@pytest.mark.parametrize("seconds", [1e20, -1e20, float("inf"), float("nan")])
def test_timestamps_out_of_range_are_serialization_errors(seconds: float) -> None:
    with pytest.raises(AwsError) as raised:
        parse_timestamp(seconds)
    assert raised.value.code == "SerializationException"


def test_a_huge_epoch_in_a_json_body_is_refused() -> None:
    cloudtrail = JsonProtocol(load_service_model("cloudtrail"))
    target = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"
    request = HttpRequest("POST", "/", "", {"x-amz-target": target}, b'{"StartTime": 1e20}')
    with pytest.raises(AwsError) as raised:
        cloudtrail.parse(request)
    assert raised.value.code == "SerializationException"


def test_json_documents_in_strings_are_not_length_checked() -> None:
    # networkmanager's PolicyDocument is a ``jsonvalue`` string: any JSON value is valid.
    manager = load_service_model("networkmanager")
    operation = manager.operation_model("PutResourcePolicy")
    protocol = RestJsonProtocol(manager)
    path = operation.http["requestUri"].replace("{ResourceArn}", "arn")
    body = b'{"PolicyDocument": ["a", "list"]}'
    name, params = protocol.parse(HttpRequest("POST", path, "", {}, body))
    assert (name, params["PolicyDocument"]) == ("PutResourcePolicy", ["a", "list"])
