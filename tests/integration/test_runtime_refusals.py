"""Runtimes and packages lambdaport does not run: refused by CreateFunction, saying so."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.helpers import client_error

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient


def test_refused_runtimes_say_so(lambda_client: LambdaClient) -> None:
    for runtime in ("java21", "dotnet8", "ruby3.3"):
        code, message, status = client_error(
            lambda_client.create_function,
            FunctionName="refused",
            Runtime=runtime,
            Role="arn:aws:iam::123456789012:role/r",
            Handler="x.y",
            Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        )
        assert (code, status) == ("InvalidParameterValueException", 400)
        assert f"The runtime parameter of {runtime} is not supported by lambdaport" in message
        assert "nodejs22.x" in message


def test_container_images_are_refused(lambda_client: LambdaClient) -> None:
    code, message, status = client_error(
        lambda_client.create_function,
        FunctionName="image-function",
        PackageType="Image",
        Role="arn:aws:iam::123456789012:role/r",
        Code={"ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:latest"},
    )
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert message == "Container image functions are not supported by lambdaport."
