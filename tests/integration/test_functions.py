"""The function lifecycle through boto3 against a real server."""

from __future__ import annotations

import io
import urllib.request
import zipfile
from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError, ParamValidationError

from lambdaport.testing.server import zip_files
from tests.conftest import MakeFunction
from tests.helpers import ROLE

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    error = excinfo.value.response["Error"]
    status = excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]
    return error["Code"], error["Message"], status


def test_create_returns_pending_then_active(lambda_client: LambdaClient) -> None:
    created = lambda_client.create_function(
        FunctionName="lifecycle-fn",
        Runtime="python3.12",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": zip_files({"app.py": "def handler(e, c):\n    return 1\n"})},
        Description="first",
        Timeout=10,
        MemorySize=256,
        Environment={"Variables": {"COLOR": "blue"}},
        Tags={"team": "core"},
    )
    try:
        assert created["State"] == "Pending"
        assert created["FunctionArn"] == (
            "arn:aws:lambda:us-east-1:000000000000:function:lifecycle-fn"
        )
        assert created["Version"] == "$LATEST"
        assert created["CodeSize"] > 0 and len(created["CodeSha256"]) == 44
        lambda_client.get_waiter("function_active_v2").wait(FunctionName="lifecycle-fn")
        config = lambda_client.get_function_configuration(FunctionName="lifecycle-fn")
        assert config["State"] == "Active"
        assert config["LastUpdateStatus"] == "Successful"
        assert config["Environment"] == {"Variables": {"COLOR": "blue"}}
        assert (config["Timeout"], config["MemorySize"], config["Runtime"]) == (
            10,
            256,
            "python3.12",
        )
        full = lambda_client.get_function(FunctionName="lifecycle-fn")
        assert full["Tags"] == {"team": "core"}
        assert "X-Amz-Expires=600&" in full["Code"]["Location"]  # presigned, as on AWS
        with urllib.request.urlopen(full["Code"]["Location"]) as response:
            names = zipfile.ZipFile(io.BytesIO(response.read())).namelist()
        assert names == ["app.py"]
    finally:
        lambda_client.delete_function(FunctionName="lifecycle-fn")
    with pytest.raises(ClientError) as excinfo:
        lambda_client.get_function(FunctionName="lifecycle-fn")
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        "Function not found: arn:aws:lambda:us-east-1:000000000000:function:lifecycle-fn",
        404,
    )


def test_duplicate_create_conflicts(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function()
    with pytest.raises(ClientError) as excinfo:
        lambda_client.create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": zip_files({"app.py": ""})},
        )
    assert error_of(excinfo) == (
        "ResourceConflictException",
        f"Function already exist: {name}",
        409,
    )


@pytest.mark.parametrize(
    ("overrides", "code", "message_part"),
    [
        ({"Runtime": "python3.7"}, "InvalidParameterValueException", "no longer supported"),
        ({"Runtime": "java21"}, "InvalidParameterValueException", "not supported"),
        ({"Timeout": 901}, "ValidationException", "less than or equal to 900"),
        ({"MemorySize": 10241}, "ValidationException", "less than or equal to 10240"),
        (
            {"Environment": {"Variables": {"AWS_REGION": "x"}}},
            "InvalidParameterValueException",
            "reserved keys",
        ),
        (
            {"Environment": {"Variables": {"BIG": "x" * 5000}}},
            "InvalidParameterValueException",
            "exceeded the 4KB limit",
        ),
        ({"Code": {"ZipFile": b"not a zip"}}, "InvalidParameterValueException", "unzip"),
    ],
)
def test_create_validation(
    lambda_client: LambdaClient,
    overrides: dict[str, object],
    code: str,
    message_part: str,
) -> None:
    params: dict[str, object] = {
        "FunctionName": "invalid-fn",
        "Runtime": "python3.11",
        "Role": ROLE,
        "Handler": "app.handler",
        "Code": {"ZipFile": zip_files({"app.py": ""})},
        **overrides,
    }
    with pytest.raises(ClientError) as excinfo:
        lambda_client.create_function(**params)  # type: ignore[arg-type]
    got_code, message, status = error_of(excinfo)
    assert (got_code, status) == (code, 400)
    assert message_part in message


def test_client_side_validation_still_applies(lambda_client: LambdaClient) -> None:
    with pytest.raises(ParamValidationError):
        lambda_client.create_function(
            FunctionName="x", Runtime="python3.11", Role=ROLE, Handler="a.b", Code={}, Timeout=0
        )


def test_zip_path_traversal_is_refused(lambda_client: LambdaClient) -> None:
    with pytest.raises(ClientError) as excinfo:
        lambda_client.create_function(
            FunctionName="traversal-fn",
            Runtime="python3.11",
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": zip_files({"../../evil.py": "x = 1\n", "app.py": ""})},
        )
    code, message, _ = error_of(excinfo)
    assert code == "InvalidParameterValueException" and "outside" in message


def test_zip_link_escaping_is_refused(lambda_client: LambdaClient) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("escape")
        info.external_attr = 0o120777 << 16
        archive.writestr(info, "../../../../etc/passwd")
        archive.writestr("app.py", "")
    with pytest.raises(ClientError) as excinfo:
        lambda_client.create_function(
            FunctionName="link-fn",
            Runtime="python3.11",
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": buffer.getvalue()},
        )
    code, message, _ = error_of(excinfo)
    assert code == "InvalidParameterValueException" and "link" in message


def test_update_code_and_configuration(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function("def handler(e, c):\n    return 'one'\n")
    before = lambda_client.get_function_configuration(FunctionName=name)
    updated = lambda_client.update_function_code(
        FunctionName=name, ZipFile=zip_files({"app.py": "def handler(e, c):\n    return 'two'\n"})
    )
    assert updated["LastUpdateStatus"] == "InProgress"
    assert updated["CodeSha256"] != before["CodeSha256"]
    assert updated["RevisionId"] != before["RevisionId"]
    lambda_client.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert lambda_client.invoke(FunctionName=name)["Payload"].read() == b'"two"'
    config = lambda_client.update_function_configuration(
        FunctionName=name, Timeout=30, Environment={"Variables": {"AB": "1"}}, Description="d"
    )
    assert (config["Timeout"], config["Description"]) == (30, "d")
    lambda_client.get_waiter("function_updated_v2").wait(FunctionName=name)
    with pytest.raises(ClientError) as excinfo:
        lambda_client.update_function_configuration(
            FunctionName=name, Timeout=5, RevisionId="stale"
        )
    assert error_of(excinfo)[0] == "PreconditionFailedException"


def test_list_functions_paginates(lambda_client: LambdaClient, make_function: MakeFunction) -> None:
    names = {make_function() for _ in range(5)}
    seen: list[str] = []
    pages = 0
    for page in lambda_client.get_paginator("list_functions").paginate(
        PaginationConfig={"PageSize": 2}
    ):
        pages += 1
        seen.extend(f["FunctionName"] for f in page["Functions"])
    assert names <= set(seen)
    assert len(seen) == len(set(seen))
    assert pages >= 3


def test_names_and_arns_are_accepted(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function()
    arn = f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    for reference in (name, arn, f"000000000000:function:{name}", f"{arn}:$LATEST"):
        config = lambda_client.get_function_configuration(FunctionName=reference)
        assert config["FunctionName"] == name
    with pytest.raises(ClientError) as excinfo:
        lambda_client.get_function_configuration(FunctionName=f"{name}:1", Qualifier="2")
    assert error_of(excinfo)[0] == "InvalidParameterValueException"


def test_account_from_access_key(
    server_endpoint_clients: tuple[LambdaClient, LambdaClient],
) -> None:
    mine, other = server_endpoint_clients
    mine.create_function(
        FunctionName="account-fn",
        Runtime="python3.11",
        Role="arn:aws:iam::111122223333:role/lambda-role",
        Handler="app.handler",
        Code={"ZipFile": zip_files({"app.py": ""})},
    )
    try:
        arn = mine.get_function_configuration(FunctionName="account-fn")["FunctionArn"]
        assert ":111122223333:" in arn
        with pytest.raises(ClientError):
            other.get_function_configuration(FunctionName="account-fn")
    finally:
        mine.delete_function(FunctionName="account-fn")


@pytest.fixture
def server_endpoint_clients(lambda_client: LambdaClient) -> tuple[LambdaClient, LambdaClient]:
    from tests.helpers import client_for

    endpoint = lambda_client.meta.endpoint_url
    return client_for(endpoint, "111122223333"), client_for(endpoint, "test")


def test_account_settings_and_concurrency(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function()
    before = lambda_client.get_account_settings()["AccountLimit"]
    assert before["ConcurrentExecutions"] == 1000
    lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=5)
    assert (
        lambda_client.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"]
        == 5
    )
    after = lambda_client.get_account_settings()["AccountLimit"]
    assert after["UnreservedConcurrentExecutions"] == before["UnreservedConcurrentExecutions"] - 5
    with pytest.raises(ClientError) as excinfo:
        lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=950)
    assert error_of(excinfo)[0] == "InvalidParameterValueException"
    lambda_client.delete_function_concurrency(FunctionName=name)
    assert "ReservedConcurrentExecutions" not in lambda_client.get_function_concurrency(
        FunctionName=name
    )


def test_tags(lambda_client: LambdaClient, make_function: MakeFunction) -> None:
    name = make_function()
    arn = lambda_client.get_function_configuration(FunctionName=name)["FunctionArn"]
    lambda_client.tag_resource(Resource=arn, Tags={"a": "1", "b": "2"})
    lambda_client.untag_resource(Resource=arn, TagKeys=["a"])
    assert lambda_client.list_tags(Resource=arn)["Tags"] == {"b": "2"}
