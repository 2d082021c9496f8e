"""Lambda over rest-json: Invoke on the hot path, bodies, status codes and errors."""

from __future__ import annotations

import orjson
import pytest

from lambdaport.errors import AwsError, resource_not_found
from lambdaport.protocol import RestJsonProtocol, load_service_model
from tests.protocol.helpers import create_function_body, lambda_request

INVOKE = "/2015-03-31/functions/my-function/invocations"


@pytest.fixture(scope="module")
def lam() -> RestJsonProtocol:
    return RestJsonProtocol(load_service_model("lambda"))


def test_invoke_payload_is_raw_bytes_never_parsed(lam: RestJsonProtocol) -> None:
    request = lambda_request(
        "POST",
        INVOKE,
        b"{not json",
        query="Qualifier=live",
        headers={"x-amz-invocation-type": "Event", "x-amz-log-type": "Tail"},
    )

    assert lam.parse(request) == (
        "Invoke",
        {
            "FunctionName": "my-function",
            "Qualifier": "live",
            "InvocationType": "Event",
            "LogType": "Tail",
            "Payload": b"{not json",
        },
    )


def test_invoke_result_uses_status_member_headers_and_raw_payload(lam: RestJsonProtocol) -> None:
    response = lam.serialize(
        "Invoke",
        {
            "StatusCode": 202,
            "FunctionError": "Unhandled",
            "ExecutedVersion": "$LATEST",
            "Payload": b'{"errorMessage":"boom"}',
        },
    )

    assert response.status == 202
    assert ("X-Amz-Function-Error", "Unhandled") in response.headers
    assert ("X-Amz-Executed-Version", "$LATEST") in response.headers
    assert ("Content-Type", "application/json") in response.headers
    assert response.body == b'{"errorMessage":"boom"}'


def test_body_results_omit_none_and_use_model_status(lam: RestJsonProtocol) -> None:
    response = lam.serialize(
        "CreateAlias",
        {
            "AliasArn": "arn:aws:lambda:us-east-1:123456789012:function:f:live",
            "Name": "live",
            "FunctionVersion": "1",
            "Description": None,
        },
    )

    assert response.status == 201
    assert orjson.loads(response.body) == {
        "AliasArn": "arn:aws:lambda:us-east-1:123456789012:function:f:live",
        "Name": "live",
        "FunctionVersion": "1",
    }


def test_204_results_have_no_body(lam: RestJsonProtocol) -> None:
    response = lam.serialize("DeleteAlias", {})

    assert response.status == 204
    assert response.body == b""


def test_body_blobs_are_base64_in_and_out(lam: RestJsonProtocol) -> None:
    name, params = lam.parse(
        lambda_request("POST", "/2015-03-31/functions", create_function_body())
    )

    assert name == "CreateFunction"
    assert params["Code"] == {"ZipFile": b"PK\x03\x04"}


def test_malformed_json_body_is_lambdas_invalid_request_content(lam: RestJsonProtocol) -> None:
    with pytest.raises(AwsError) as caught:
        lam.parse(lambda_request("POST", "/2015-03-31/functions", b"{oops"))

    assert caught.value.code == "InvalidRequestContentException"
    assert caught.value.status == 400
    assert caught.value.message.startswith("Could not parse request body into json")


def test_empty_body_is_an_empty_object(lam: RestJsonProtocol) -> None:
    with pytest.raises(AwsError) as caught:
        lam.parse(lambda_request("POST", "/2015-03-31/functions", b""))

    assert caught.value.code == "ValidationException"
    assert caught.value.message.startswith("3 validation errors detected")


def test_error_uses_the_shapes_message_key(lam: RestJsonProtocol) -> None:
    not_found = lam.serialize_error("GetFunction", resource_not_found("Function not found: f"))
    invalid = lam.serialize_error(
        "CreateFunction", AwsError("InvalidParameterValueException", "bad", fields={"Type": "User"})
    )

    assert not_found.status == 404
    assert ("x-amzn-ErrorType", "ResourceNotFoundException") in not_found.headers
    assert orjson.loads(not_found.body) == {"Type": "User", "Message": "Function not found: f"}
    assert orjson.loads(invalid.body) == {"Type": "User", "message": "bad"}


def test_error_header_members_and_extra_headers(lam: RestJsonProtocol) -> None:
    error = AwsError(
        "TooManyRequestsException",
        "Rate exceeded",
        429,
        fields={
            "Type": "User",
            "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded",
            "retryAfterSeconds": 1,
        },
        headers={"X-Extra": "yes"},
    )

    response = lam.serialize_error("Invoke", error)

    assert response.status == 429
    assert ("Retry-After", "1") in response.headers
    assert ("X-Extra", "yes") in response.headers
    assert orjson.loads(response.body) == {
        "Type": "User",
        "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded",
        "message": "Rate exceeded",
    }


def test_unmodelled_error_defaults_to_lower_case_message(lam: RestJsonProtocol) -> None:
    response = lam.serialize_error(None, AwsError("UnknownOperationException", "nope", 404))

    assert response.status == 404
    assert orjson.loads(response.body) == {"message": "nope"}
