"""AWS (Coral) style validation messages, driven by Lambda's model."""

from __future__ import annotations

import warnings

import orjson
import pytest

from lambdaport.errors import AwsError
from lambdaport.protocol import JsonProtocol, RestJsonProtocol, load_service_model
from lambdaport.protocol.base import HttpRequest
from lambdaport.protocol.validation import compile_java_pattern
from tests.protocol.helpers import create_function_body, lambda_request

FUNCTIONS = "/2015-03-31/functions"


@pytest.fixture(scope="module")
def lam() -> RestJsonProtocol:
    return RestJsonProtocol(load_service_model("lambda"))


def _validation_message(protocol: RestJsonProtocol, body: dict[str, object]) -> str:
    with pytest.raises(AwsError) as caught:
        protocol.parse(lambda_request("POST", FUNCTIONS, body))
    assert caught.value.code == "ValidationException"
    assert caught.value.status == 400
    return caught.value.message


def test_enum_violation_lists_the_enum(lam: RestJsonProtocol) -> None:
    message = _validation_message(lam, create_function_body(Runtime="python3.99"))

    enum = load_service_model("lambda").shape_for("Runtime").enum
    assert message == (
        "1 validation error detected: Value 'python3.99' at 'runtime' failed to satisfy "
        f"constraint: Member must satisfy enum value set: [{', '.join(enum)}]"
    )


def test_missing_required_member_is_null(lam: RestJsonProtocol) -> None:
    message = _validation_message(lam, create_function_body(FunctionName=None))

    assert message == (
        "1 validation error detected: Value null at 'functionName' failed to satisfy "
        "constraint: Member must not be null"
    )


def test_length_and_value_bounds(lam: RestJsonProtocol) -> None:
    message = _validation_message(lam, create_function_body(Description="d" * 257, MemorySize=100))

    assert message.startswith("2 validation errors detected: ")
    assert (
        "Value '" + "d" * 257 + "' at 'description' failed to satisfy constraint: "
        "Member must have length less than or equal to 256" in message
    )
    assert (
        "Value '100' at 'memorySize' failed to satisfy constraint: "
        "Member must have value greater than or equal to 128" in message
    )
    assert "; Value" in message


def test_pattern_violation_quotes_the_model_pattern(lam: RestJsonProtocol) -> None:
    message = _validation_message(lam, create_function_body(Role="not-a-role"))

    pattern = load_service_model("lambda").shape_for("RoleArn").metadata["pattern"]
    assert message == (
        "1 validation error detected: Value 'not-a-role' at 'role' failed to satisfy "
        f"constraint: Member must satisfy regular expression pattern: {pattern}"
    )


def test_nested_member_paths_are_lower_camel_case(lam: RestJsonProtocol) -> None:
    subnets = [f"subnet-{i}" for i in range(17)]
    message = _validation_message(
        lam, create_function_body(VpcConfig={"SubnetIds": subnets}, Timeout=0)
    )

    assert (
        "at 'vpcConfig.subnetIds' failed to satisfy constraint: Member must have length "
        "less than or equal to 16" in message
    )
    assert (
        "Value '0' at 'timeout' failed to satisfy constraint: Member must have value "
        "greater than or equal to 1" in message
    )


def test_list_elements_are_named_by_position(lam: RestJsonProtocol) -> None:
    message = _validation_message(lam, create_function_body(Architectures=["sparc"]))

    assert "Value 'sparc' at 'architectures.1.member' failed to satisfy constraint" in message


def test_uri_members_are_validated_too(lam: RestJsonProtocol) -> None:
    with pytest.raises(AwsError) as caught:
        lam.parse(lambda_request("GET", f"{FUNCTIONS}/bad%20name"))

    assert caught.value.code == "ValidationException"
    assert (
        "at 'functionName' failed to satisfy constraint: Member must satisfy regular "
        "expression pattern" in caught.value.message
    )


def test_validation_can_be_skipped_per_call(lam: RestJsonProtocol) -> None:
    request = lambda_request("POST", FUNCTIONS, create_function_body(Runtime="python3.99"))

    name, params = lam.parse(request, validate=False)

    assert name == "CreateFunction"
    assert params["Runtime"] == "python3.99"


def test_wrong_json_type_is_a_serialization_error(lam: RestJsonProtocol) -> None:
    with pytest.raises(AwsError) as caught:
        lam.parse(lambda_request("POST", FUNCTIONS, create_function_body(MemorySize="big")))

    assert caught.value.code == "SerializationException"
    assert caught.value.status == 400


def test_java_only_patterns_are_skipped_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert compile_java_pattern(r"[\p{L}\p{Z}]+") is None
        assert compile_java_pattern(r"[a-z&&[^b]]+") is None
        assert compile_java_pattern(r"[[a-z]--b]") is None
    compiled = compile_java_pattern(r"[a-zA-Z0-9-_]+")
    assert compiled is not None
    assert compiled.fullmatch("my-function_1") is not None


def _create_log_group(protocol: JsonProtocol, name: str) -> AwsError | None:
    request = HttpRequest(
        "POST",
        "/",
        "",
        {"x-amz-target": "Logs_20140328.CreateLogGroup"},
        orjson.dumps({"logGroupName": name}),
    )
    try:
        protocol.parse(request)
    except AwsError as error:
        return error
    return None


def test_validation_error_code_is_the_services_own() -> None:
    model = load_service_model("logs")
    default = _create_log_group(JsonProtocol(model), "bad name!")
    logs = JsonProtocol(model, validation_error_code="InvalidParameterException")
    renamed = _create_log_group(logs, "bad name!")

    assert default is not None and renamed is not None
    assert (default.code, renamed.code) == ("ValidationException", "InvalidParameterException")
    assert renamed.message == default.message
    assert renamed.message.startswith("1 validation error detected: Value 'bad name!' at ")
    assert renamed.status == 400
    # a name that passed (and is remembered) does not let a bad one through afterwards
    assert _create_log_group(logs, "good-name") is None
    assert _create_log_group(logs, "good-name") is None
    assert _create_log_group(logs, "bad name!") is not None
