"""Put/Update/Get/Delete/ListFunctionEventInvokeConfig(s) through boto3: what is kept, what a
Put overwrites, qualifiers, deleting the function, and the checks the model cannot make."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from tests.helpers import Recorders, client_error, create_function

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient


def test_event_invoke_config_crud(lambda_client: LambdaClient, recorders: Recorders) -> None:
    lam = lambda_client
    fn, other = recorders(), recorders()
    put = lam.put_function_event_invoke_config(FunctionName=fn.name, MaximumRetryAttempts=1)
    assert put["FunctionArn"] == f"{fn.arn}:$LATEST"
    assert put["MaximumRetryAttempts"] == 1
    assert put["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {}}
    assert put["LastModified"].year >= 2024
    updated = lam.update_function_event_invoke_config(
        FunctionName=fn.name,
        MaximumEventAgeInSeconds=120,
        DestinationConfig={"OnSuccess": {"Destination": other.arn}},
    )
    assert updated["MaximumRetryAttempts"] == 1  # kept
    assert updated["MaximumEventAgeInSeconds"] == 120
    assert updated["DestinationConfig"]["OnSuccess"] == {"Destination": other.arn}
    got = lam.get_function_event_invoke_config(FunctionName=fn.name)
    assert got["DestinationConfig"] == updated["DestinationConfig"]
    # Put overwrites: members not given are gone.
    again = lam.put_function_event_invoke_config(FunctionName=fn.name, MaximumEventAgeInSeconds=60)
    assert "MaximumRetryAttempts" not in again
    assert again["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {}}
    version = lam.publish_version(FunctionName=fn.name)["Version"]
    lam.put_function_event_invoke_config(
        FunctionName=fn.name, Qualifier=version, MaximumRetryAttempts=2
    )
    listed = lam.list_function_event_invoke_configs(FunctionName=fn.name)
    arns = [config["FunctionArn"] for config in listed["FunctionEventInvokeConfigs"]]
    assert sorted(arns) == sorted([f"{fn.arn}:$LATEST", f"{fn.arn}:{version}"])
    lam.delete_function_event_invoke_config(FunctionName=fn.name, Qualifier=version)
    with pytest.raises(ClientError) as gone:
        lam.get_function_event_invoke_config(FunctionName=fn.name, Qualifier=version)
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert "doesn't have an EventInvokeConfig" in gone.value.response["Error"]["Message"]


def test_deleting_a_function_deletes_its_configs(lambda_client: LambdaClient) -> None:
    lam = lambda_client
    name = create_function(lam)
    lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    lam.delete_function(FunctionName=name)
    create_function(lam, name=name)
    try:
        with pytest.raises(ClientError) as missing:
            lam.get_function_event_invoke_config(FunctionName=name)
        assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    finally:
        lam.delete_function(FunctionName=name)


def test_event_invoke_config_validation(lambda_client: LambdaClient, recorders: Recorders) -> None:
    lam = lambda_client
    fn = recorders()  # botocore checks only minimums; the maximums are the server's to check

    def error_of(call: Callable[[], object]) -> tuple[str, int]:
        with pytest.raises(ClientError) as caught:
            call()
        response = caught.value.response
        return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]

    assert error_of(
        lambda: lam.put_function_event_invoke_config(FunctionName=fn.name, MaximumRetryAttempts=3)
    ) == ("ValidationException", 400)
    assert error_of(
        lambda: lam.put_function_event_invoke_config(
            FunctionName=fn.name, MaximumEventAgeInSeconds=21601
        )
    ) == ("ValidationException", 400)
    assert error_of(
        lambda: lam.put_function_event_invoke_config(
            FunctionName=fn.name,
            DestinationConfig={"OnSuccess": {"Destination": "arn:aws:s3:::bucket"}},
        )
    ) == ("InvalidParameterValueException", 400)
    assert error_of(
        lambda: lam.put_function_event_invoke_config(
            FunctionName=fn.name, DestinationConfig={"OnFailure": {"Destination": "not-an-arn"}}
        )
    ) == ("ValidationException", 400)  # the model's pattern
    dynamodb = "arn:aws:dynamodb:us-east-1:000000000000:table/nope"
    assert error_of(
        lambda: lam.put_function_event_invoke_config(
            FunctionName=fn.name, DestinationConfig={"OnFailure": {"Destination": dynamodb}}
        )
    ) == ("InvalidParameterValueException", 400)
    assert error_of(lambda: lam.put_function_event_invoke_config(FunctionName=fn.name)) == (
        "InvalidParameterValueException",
        400,
    )
    assert error_of(
        lambda: lam.put_function_event_invoke_config(
            FunctionName=fn.name, Qualifier="nope", MaximumRetryAttempts=1
        )
    ) == ("ResourceNotFoundException", 404)
    assert error_of(lambda: lam.get_function_event_invoke_config(FunctionName=fn.name)) == (
        "ResourceNotFoundException",
        404,
    )
    assert error_of(
        lambda: lam.update_function_event_invoke_config(
            FunctionName=fn.name, MaximumRetryAttempts=1
        )
    ) == ("ResourceNotFoundException", 404)
    s3_failure = lam.put_function_event_invoke_config(
        FunctionName=fn.name,
        DestinationConfig={"OnFailure": {"Destination": "arn:aws:s3:::bucket"}},
    )
    assert s3_failure["DestinationConfig"]["OnFailure"] == {"Destination": "arn:aws:s3:::bucket"}


def test_event_invoke_config_answers_as_aws(
    lambda_client: LambdaClient, recorders: Recorders
) -> None:
    lam = lambda_client
    fn, other = recorders(), recorders()
    missing = "eic-nope"
    assert client_error(lam.put_function_event_invoke_config, FunctionName=missing) == (
        "InvalidParameterValueException",  # the parameters are checked before the function
        "You must specify at least one of error handling or destination setting.",
        400,
    )
    for name, qualifier in ((missing, None), (fn.name, "nope")):
        extra = {} if qualifier is None else {"Qualifier": qualifier}
        writers: tuple[Callable[..., object], ...] = (
            lam.put_function_event_invoke_config,
            lam.update_function_event_invoke_config,
        )
        for write in writers:
            assert client_error(write, FunctionName=name, MaximumRetryAttempts=1, **extra) == (
                "ResourceNotFoundException",
                "The function doesn't exist.",
                404,
            )
    no_config = f"The function {fn.arn.replace(fn.name, missing)}:$LATEST doesn't have an "
    readers: tuple[Callable[..., object], ...] = (
        lam.get_function_event_invoke_config,
        lam.delete_function_event_invoke_config,
    )
    for read in readers:
        assert client_error(read, FunctionName=missing)[1] == no_config + "EventInvokeConfig"
    assert client_error(lam.list_function_event_invoke_configs, FunctionName=missing)[1] == (
        "The function doesn't exist."
    )

    def destination(arn: str, member: str = "OnSuccess") -> tuple[str, str, int]:
        return client_error(
            lam.put_function_event_invoke_config,
            FunctionName=fn.name,
            DestinationConfig={member: {"Destination": arn}},
        )

    nowhere = fn.arn.replace(fn.name, missing)
    assert destination(nowhere) == (
        "InvalidParameterValueException",
        f"The destination ARN {nowhere} is invalid.",
        400,
    )
    for itself in (fn.arn, f"{fn.arn}:$LATEST"):
        assert destination(itself, "OnFailure")[1] == (
            "You can't specify the function as a destination for itself."
        )
    iam = fn.arn.replace(":lambda:", ":iam:")
    assert destination(iam)[1] == (
        f"The provided destination config DestinationConfig(onSuccess=OnSuccess(destination="
        f"{iam}), onFailure=null) is invalid."
    )
    assert destination("arn:aws:s3:::bucket")[0] == "InvalidParameterValueException"
    accepted = lam.put_function_event_invoke_config(
        FunctionName=fn.name, DestinationConfig={"OnSuccess": {"Destination": other.arn}}
    )
    assert accepted["DestinationConfig"]["OnSuccess"] == {"Destination": other.arn}
