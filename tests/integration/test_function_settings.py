"""A function's further settings through boto3 against a real server: recursion control
(Put/GetFunctionRecursionConfig), runtime management (Put/GetRuntimeManagementConfig),
EphemeralStorage, and code signing configs (Create/Get/Update/Delete/ListCodeSigningConfigs,
ListFunctionsByCodeSigningConfig, Put/Get/DeleteFunctionCodeSigningConfig) with
UntrustedArtifactOnDeployment applied to deployments."""

from __future__ import annotations

import io
import json
import zipfile
from typing import TYPE_CHECKING, Literal

import boto3
import pytest

from lambdaport.testing.server import Server
from tests.conftest import MakeFunction
from tests.helpers import ACCOUNT, REGION, ROLE, client_error, client_options, wait_active

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

PROFILE = f"arn:aws:signer:{REGION}:{ACCOUNT}:/signing-profiles/lambdaport_tests/a1b2c3d4e5"
RUNTIME_VERSION = f"arn:aws:lambda:{REGION}::runtime:" + "ab" * 32
ENV_PRINTER = (
    "import os\n"
    "def handler(event, context):\n"
    "    return {k: os.environ.get(k) for k in event['names']}\n"
)


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


# -- recursion ---------------------------------------------------------------------------------


def test_recursion_config_defaults_to_terminate_and_is_kept(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    lam = lambda_client
    name = make_function()
    assert lam.get_function_recursion_config(FunctionName=name)["RecursiveLoop"] == "Terminate"
    put = lam.put_function_recursion_config(FunctionName=name, RecursiveLoop="Allow")
    assert put["RecursiveLoop"] == "Allow"
    assert lam.get_function_recursion_config(FunctionName=name)["RecursiveLoop"] == "Allow"
    code, _, status = client_error(
        lam.put_function_recursion_config, FunctionName=name, RecursiveLoop="Sometimes"
    )
    assert (code, status) == ("ValidationException", 400)
    code, message, status = client_error(
        lam.get_function_recursion_config, FunctionName="fn-nowhere"
    )
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert "fn-nowhere" in message


# -- runtime management ------------------------------------------------------------------------


def test_runtime_management_config_modes(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    lam = lambda_client
    name = make_function()
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    got = lam.get_runtime_management_config(FunctionName=name)
    assert got["UpdateRuntimeOn"] == "Auto"
    assert got["FunctionArn"] == arn
    assert "RuntimeVersionArn" not in got
    put = lam.put_runtime_management_config(FunctionName=name, UpdateRuntimeOn="FunctionUpdate")
    assert put["UpdateRuntimeOn"] == "FunctionUpdate"
    manual = lam.put_runtime_management_config(
        FunctionName=name, UpdateRuntimeOn="Manual", RuntimeVersionArn=RUNTIME_VERSION
    )
    assert manual["RuntimeVersionArn"] == RUNTIME_VERSION
    got = lam.get_runtime_management_config(FunctionName=name, Qualifier="$LATEST")
    assert (got["UpdateRuntimeOn"], got["RuntimeVersionArn"]) == ("Manual", RUNTIME_VERSION)
    config = lam.get_function_configuration(FunctionName=name)
    assert config["RuntimeVersionConfig"]["RuntimeVersionArn"] == RUNTIME_VERSION
    # A published version keeps $LATEST's and has its own from then on.
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.put_runtime_management_config(FunctionName=name, UpdateRuntimeOn="Auto")
    pinned = lam.get_runtime_management_config(FunctionName=name, Qualifier=version)
    assert pinned["UpdateRuntimeOn"] == "Manual"
    assert pinned["FunctionArn"] == f"{arn}:{version}"
    assert lam.get_runtime_management_config(FunctionName=name)["UpdateRuntimeOn"] == "Auto"
    # The function still runs: lambdaport runs the installed runtime whatever the mode.
    assert (
        json.loads(
            lam.invoke(FunctionName=name, Qualifier=version, Payload=b"{}")["Payload"].read()
        )
        == {}
    )


@pytest.mark.parametrize(
    ("mode", "runtime_version", "says"),
    [
        ("Manual", None, "RuntimeVersionArn is required"),
        ("Auto", RUNTIME_VERSION, "only be specified when UpdateRuntimeOn is Manual"),
        ("Manual", "arn:aws:lambda:eu-west-1::runtime:" + "ab" * 32, "is not valid"),
        ("Manual", f"arn:aws:lambda:{REGION}::runtime:not-a-digest", "is not valid"),
    ],
)
def test_runtime_management_config_is_checked(
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    mode: str,
    runtime_version: str | None,
    says: str,
) -> None:
    name = make_function()
    extra = {} if runtime_version is None else {"RuntimeVersionArn": runtime_version}
    code, message, status = client_error(
        lambda_client.put_runtime_management_config,
        FunctionName=name,
        UpdateRuntimeOn=mode,
        **extra,
    )
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert says in message


def test_runtime_management_config_of_a_missing_version(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function()
    code, message, status = client_error(
        lambda_client.get_runtime_management_config, FunctionName=name, Qualifier="7"
    )
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert message.endswith(f"function:{name}:7")


# -- the Runtime API ---------------------------------------------------------------------------

REACH_RUNTIME_API = """
import os, socket

def handler(event, context):
    address = os.environ["AWS_LAMBDA_RUNTIME_API"]
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5):
        return address
"""


def test_a_managed_runtime_has_aws_lambda_runtime_api(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function(REACH_RUNTIME_API)
    address = json.loads(lambda_client.invoke(FunctionName=name)["Payload"].read())
    host, _, port = address.rpartition(":")
    assert host == "127.0.0.1" and port.isdigit()


# -- ephemeral storage ---------------------------------------------------------------------------


def test_ephemeral_storage_is_kept_reported_and_checked(
    server: Server, lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    lam = lambda_client
    name = make_function(EphemeralStorage={"Size": 2048})
    assert lam.get_function_configuration(FunctionName=name)["EphemeralStorage"] == {"Size": 2048}
    updated = lam.update_function_configuration(FunctionName=name, EphemeralStorage={"Size": 10240})
    assert updated["EphemeralStorage"] == {"Size": 10240}
    wait_active(lam, name)
    details = lam.get_function(FunctionName=name)["Configuration"]
    assert details["EphemeralStorage"] == {"Size": 10240}
    unchecked = boto3.client(
        "lambda", **client_options(server.endpoint, parameter_validation=False)
    )  # the server's own checks, not botocore's
    for size in (511, 10241):
        code, message, status = client_error(
            unchecked.update_function_configuration,
            FunctionName=name,
            EphemeralStorage={"Size": size},
        )
        assert (code, status) == ("ValidationException", 400)
        assert "ephemeralStorage.size" in message


def test_ephemeral_storage_defaults_to_512(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function()
    config = lambda_client.get_function_configuration(FunctionName=name)
    assert config["EphemeralStorage"] == {"Size": 512}


# -- code signing --------------------------------------------------------------------------------


def test_code_signing_config_crud(lambda_client: LambdaClient) -> None:
    lam = lambda_client
    created = lam.create_code_signing_config(
        Description="tests",
        AllowedPublishers={"SigningProfileVersionArns": [PROFILE]},
        CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Enforce"},
    )["CodeSigningConfig"]
    arn, config_id = created["CodeSigningConfigArn"], created["CodeSigningConfigId"]
    assert arn == f"arn:aws:lambda:{REGION}:{ACCOUNT}:code-signing-config:{config_id}"
    assert config_id.startswith("csc-") and len(config_id) == 21
    assert created["AllowedPublishers"] == {"SigningProfileVersionArns": [PROFILE]}
    assert created["CodeSigningPolicies"] == {"UntrustedArtifactOnDeployment": "Enforce"}
    assert created["Description"] == "tests"
    assert lam.get_code_signing_config(CodeSigningConfigArn=arn)["CodeSigningConfig"] == created
    updated = lam.update_code_signing_config(
        CodeSigningConfigArn=arn,
        CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Warn"},
    )["CodeSigningConfig"]
    assert updated["CodeSigningPolicies"] == {"UntrustedArtifactOnDeployment": "Warn"}
    assert updated["AllowedPublishers"] == created["AllowedPublishers"]  # kept
    listed = lam.list_code_signing_configs()["CodeSigningConfigs"]
    assert arn in [config["CodeSigningConfigArn"] for config in listed]
    lam.delete_code_signing_config(CodeSigningConfigArn=arn)
    code, _, status = client_error(lam.get_code_signing_config, CodeSigningConfigArn=arn)
    assert (code, status) == ("ResourceNotFoundException", 404)


def test_code_signing_config_defaults_to_warn(lambda_client: LambdaClient) -> None:
    created = lambda_client.create_code_signing_config(
        AllowedPublishers={"SigningProfileVersionArns": [PROFILE]}
    )["CodeSigningConfig"]
    assert created["CodeSigningPolicies"] == {"UntrustedArtifactOnDeployment": "Warn"}
    lambda_client.delete_code_signing_config(CodeSigningConfigArn=created["CodeSigningConfigArn"])


@pytest.mark.parametrize(
    "profile",
    [
        f"arn:aws:iam::{ACCOUNT}:role/not-a-signing-profile",
        f"arn:aws:signer:{REGION}:{ACCOUNT}:/signing-profiles/lambdaport_tests",
    ],
)
def test_code_signing_config_takes_signing_profile_versions_only(
    lambda_client: LambdaClient, profile: str
) -> None:
    code, message, status = client_error(
        lambda_client.create_code_signing_config,
        AllowedPublishers={"SigningProfileVersionArns": [profile]},
    )
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert profile in message


def _signing_config(lam: LambdaClient, policy: Literal["Warn", "Enforce"]) -> str:
    return lam.create_code_signing_config(
        AllowedPublishers={"SigningProfileVersionArns": [PROFILE]},
        CodeSigningPolicies={"UntrustedArtifactOnDeployment": policy},
    )["CodeSigningConfig"]["CodeSigningConfigArn"]


def test_a_functions_code_signing_config(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    lam = lambda_client
    arn = _signing_config(lam, "Warn")
    name = make_function()
    assert lam.get_function_code_signing_config(FunctionName=name)["CodeSigningConfigArn"] == ""
    put = lam.put_function_code_signing_config(FunctionName=name, CodeSigningConfigArn=arn)
    assert put == {**put, "CodeSigningConfigArn": arn, "FunctionName": name}
    got = lam.get_function_code_signing_config(FunctionName=name)
    assert got["CodeSigningConfigArn"] == arn
    function_arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    listed = lam.list_functions_by_code_signing_config(CodeSigningConfigArn=arn)
    assert listed["FunctionArns"] == [function_arn]
    # In use: it cannot be deleted.
    code, message, status = client_error(lam.delete_code_signing_config, CodeSigningConfigArn=arn)
    assert (code, status) == ("ResourceConflictException", 409)
    assert function_arn in message
    # Warn: code that cannot be verified is deployed.
    lam.update_function_code(FunctionName=name, ZipFile=_zip("def handler(e, c):\n    return 7\n"))
    wait_active(lam, name)
    assert lam.invoke(FunctionName=name)["Payload"].read() == b"7"
    lam.delete_function_code_signing_config(FunctionName=name)
    assert lam.get_function_code_signing_config(FunctionName=name)["CodeSigningConfigArn"] == ""
    assert lam.list_functions_by_code_signing_config(CodeSigningConfigArn=arn)["FunctionArns"] == []
    lam.delete_code_signing_config(CodeSigningConfigArn=arn)


def test_enforce_refuses_code_that_cannot_be_verified(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    lam = lambda_client
    arn = _signing_config(lam, "Enforce")
    name = make_function()
    lam.put_function_code_signing_config(FunctionName=name, CodeSigningConfigArn=arn)
    code, message, status = client_error(
        lam.update_function_code,
        FunctionName=name,
        ZipFile=_zip("def handler(e, c):\n    return 1\n"),
    )
    assert (code, status) == ("CodeVerificationFailedException", 400)
    assert "Lambda cannot deploy the function" in message
    # The function kept its code.
    assert lam.invoke(FunctionName=name, Payload=b'{"a": 1}')["Payload"].read() == b'{"a": 1}'
    code, _, status = client_error(
        lam.create_function,
        FunctionName=f"{name}-signed",
        Runtime="python3.12",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": _zip("def handler(e, c):\n    return 1\n")},
        CodeSigningConfigArn=arn,
    )
    assert (code, status) == ("CodeVerificationFailedException", 400)
    lam.delete_function_code_signing_config(FunctionName=name)
    lam.delete_code_signing_config(CodeSigningConfigArn=arn)


def test_create_function_with_a_missing_code_signing_config(lambda_client: LambdaClient) -> None:
    missing = f"arn:aws:lambda:{REGION}:{ACCOUNT}:code-signing-config:csc-0123456789abcdefg"
    code, message, status = client_error(
        lambda_client.create_function,
        FunctionName="fn-unsigned",
        Runtime="python3.12",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": _zip("def handler(e, c):\n    return 1\n")},
        CodeSigningConfigArn=missing,
    )
    assert (code, status) == ("CodeSigningConfigNotFoundException", 404)
    assert missing in message
    code, _, status = client_error(
        lambda_client.put_function_code_signing_config,
        FunctionName="fn-unsigned",
        CodeSigningConfigArn=missing,
    )
    assert (code, status) == ("CodeSigningConfigNotFoundException", 404)


def test_create_function_with_a_warn_code_signing_config(lambda_client: LambdaClient) -> None:
    lam = lambda_client
    arn = _signing_config(lam, "Warn")
    name = "fn-signed-warn"
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": _zip(ENV_PRINTER)},
        CodeSigningConfigArn=arn,
    )
    try:
        wait_active(lam, name)
        assert (
            lam.get_function_code_signing_config(FunctionName=name)["CodeSigningConfigArn"] == arn
        )
    finally:
        lam.delete_function(FunctionName=name)
    lam.delete_code_signing_config(CodeSigningConfigArn=arn)
