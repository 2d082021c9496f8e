"""Lambda API answers checked against AWS's: the codes, statuses, messages and ARNs real AWS
gives (LocalStack's snapshots recorded against AWS, botocore's model, AWS's documentation)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

import botocore.session
import pytest

from lambdaport.lambda_.validation import DEPRECATED_RUNTIMES
from lambdaport.testing.server import zip_files
from tests.conftest import MakeFunction
from tests.helpers import ACCOUNT, ROLE, client_error

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

CODE = {"ZipFile": zip_files({"app.py": "def handler(e, c):\n    return e\n"})}


def create(client: LambdaClient, **overrides: object) -> object:
    params: dict[str, object] = {
        "FunctionName": "answers-fn",
        "Runtime": "python3.12",
        "Role": ROLE,
        "Handler": "app.handler",
        "Code": CODE,
        **overrides,
    }
    given = {k: v for k, v in params.items() if v is not None}  # None: left out
    return client.create_function(**given)  # type: ignore[arg-type]


def arn_of(name: str, qualifier: str | None = None) -> str:
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"
    return arn if qualifier is None else f"{arn}:{qualifier}"


def test_an_unknown_runtime_lists_the_runtimes_of_botocores_model(
    lambda_client: LambdaClient,
) -> None:
    model = botocore.session.get_session().get_service_model("lambda")
    accepted = [
        r for r in model.shape_for("Runtime").metadata["enum"] if r not in DEPRECATED_RUNTIMES
    ]
    for runtime in ("python3.99", "PYTHON3.12"):
        code, message, status = client_error(create, lambda_client, Runtime=runtime)
        assert (code, status) == ("InvalidParameterValueException", 400)
        assert message == (
            f"Value {runtime} at 'runtime' failed to satisfy constraint: Member must satisfy "
            f"enum value set: [{', '.join(accepted)}] or be a valid ARN"
        )
    code, message, _ = client_error(create, lambda_client, Runtime="python3.7")
    assert code == "InvalidParameterValueException"
    assert "is no longer supported for creating or updating AWS Lambda functions" in message
    code, message, _ = client_error(create, lambda_client, Runtime="ruby3.4")
    assert code == "InvalidParameterValueException"
    assert "ruby3.4 is not supported by lambdaport" in message
    mandatory = (
        "InvalidParameterValueException",
        "Runtime and Handler are mandatory parameters for functions created with deployment "
        "packages.",
        400,
    )
    assert client_error(create, lambda_client, Runtime=None) == mandatory
    assert client_error(create, lambda_client, Handler=None) == mandatory


def test_layers_that_do_not_exist_are_refused(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    layer = f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:shared:1"
    code, message, status = client_error(create, lambda_client, Layers=[layer])
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert message == f"Layer version {layer} does not exist."
    name = make_function()
    code, _, _ = client_error(
        lambda_client.update_function_configuration, FunctionName=name, Layers=[layer]
    )
    assert code == "InvalidParameterValueException"
    assert lambda_client.update_function_configuration(FunctionName=name, Layers=[])


def test_tags_as_aws_limits_them(lambda_client: LambdaClient, make_function: MakeFunction) -> None:
    name = make_function()
    arn = arn_of(name)
    assert client_error(lambda_client.tag_resource, Resource=arn, Tags={}) == (
        "InvalidParameterValueException",
        "An error occurred and the request cannot be processed.",
        400,
    )
    lambda_client.publish_version(FunctionName=name)
    for qualified in (arn_of(name, "1"), arn_of(name, "$LATEST")):
        assert client_error(lambda_client.tag_resource, Resource=qualified, Tags={"a": "b"})[1] == (
            "Tags on function aliases and versions are not supported. Please specify a function "
            "ARN."
        )
    lambda_client.tag_resource(Resource=arn, Tags={f"k{i}": "v" for i in range(50)})
    assert client_error(lambda_client.tag_resource, Resource=arn, Tags={"one": "more"}) == (
        "InvalidParameterValueException",
        "Number of tags exceeds resource tag limit.",
        400,
    )
    too_many = {f"k{i}": "v" for i in range(51)}
    assert client_error(create, lambda_client, Tags=too_many)[1] == (
        "Number of tags exceeds resource tag limit."
    )


def test_reserved_concurrency_is_for_functions_only(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function()
    for qualified in (arn_of(name, "$LATEST"), f"{name}:1"):
        code, message, status = client_error(
            lambda_client.put_function_concurrency,
            FunctionName=qualified,
            ReservedConcurrentExecutions=1,
        )
        assert (code, status) == ("InvalidParameterValueException", 400)
        assert message.startswith("This operation is permitted on Lambda functions only.")
    assert "ReservedConcurrentExecutions" not in lambda_client.get_function_concurrency(
        FunctionName=name
    )
    assert client_error(
        lambda_client.put_function_concurrency,
        FunctionName="answers-nope",
        ReservedConcurrentExecutions=1,
    ) == ("ResourceNotFoundException", f"Function not found: {arn_of('answers-nope')}:$LATEST", 404)


@pytest.mark.parametrize(
    "principal", ["invalid.nonaws.com", "arn:aws:s3:::bucket", "someone", "12345"]
)
def test_add_permission_refuses_what_is_not_a_principal(
    lambda_client: LambdaClient, make_function: MakeFunction, principal: str
) -> None:
    name = make_function()
    assert client_error(
        lambda_client.add_permission,
        FunctionName=name,
        StatementId="p",
        Action="lambda:InvokeFunction",
        Principal=principal,
    ) == (
        "InvalidParameterValueException",
        "The provided principal was invalid. Please check the principal and try again.",
        400,
    )


def test_policy_operations_answer_as_aws(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function()
    missing = "answers-nope"
    assert client_error(lambda_client.get_policy, FunctionName=missing)[1] == (
        "The resource you requested does not exist."
    )
    assert client_error(lambda_client.get_policy, FunctionName=name, Qualifier="7")[1] == (
        "The resource you requested does not exist."
    )
    assert (
        client_error(lambda_client.remove_permission, FunctionName=missing, StatementId="s")[1]
        == f"No policy found for: {arn_of(missing)}"
    )
    assert client_error(lambda_client.remove_permission, FunctionName=name, StatementId="s")[1] == (
        "No policy is associated with the given resource."
    )

    def add(**extra: Any) -> object:
        return lambda_client.add_permission(
            FunctionName=name,
            StatementId="s",
            Action="lambda:InvokeFunction",
            Principal="sns.amazonaws.com",
            **extra,
        )

    assert client_error(add, Qualifier="nope") == (
        "ResourceNotFoundException",
        f"Cannot find alias arn: {arn_of(name, 'nope')}",
        404,
    )
    assert client_error(add, Qualifier="7")[1] == f"Function not found: {arn_of(name, '7')}"
    assert client_error(add, RevisionId="stale") == (
        "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API "
        "to retrieve the latest Revision Id",
        412,
    )
    revision = lambda_client.get_function(FunctionName=name)["Configuration"]["RevisionId"]
    add(RevisionId=revision)  # the function's RevisionId is the policy's
    assert lambda_client.get_policy(FunctionName=name)["RevisionId"] == revision


def test_delete_function_qualifiers(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function()
    lambda_client.delete_function(FunctionName=name, Qualifier="1233")  # no such version: 204
    assert client_error(lambda_client.delete_function, FunctionName=name, Qualifier="live") == (
        "InvalidParameterValueException",
        "Deletion of aliases is not currently supported.",
        400,
    )
    assert client_error(lambda_client.delete_function, FunctionName=f"{name}:$LATEST")[1] == (
        "$LATEST version cannot be deleted without deleting the function."
    )
    lambda_client.get_function(FunctionName=name)
    lambda_client.delete_function(FunctionName=name)
    assert client_error(lambda_client.delete_function, FunctionName=name, Qualifier="1233") == (
        "ResourceNotFoundException",
        f"Function not found: {arn_of(name)}",
        404,
    )


def test_function_arns_name_the_reference_as_asked(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function()
    version = lambda_client.publish_version(FunctionName=name)["Version"]
    alias = lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    expected = {
        None: arn_of(name),
        "$LATEST": arn_of(name, "$LATEST"),
        version: arn_of(name, version),
        "live": alias["AliasArn"],
    }
    for qualifier, arn in expected.items():
        extra = {} if qualifier is None else {"Qualifier": qualifier}
        got = lambda_client.get_function(FunctionName=name, **extra)["Configuration"]
        assert got["FunctionArn"] == arn
        config = lambda_client.get_function_configuration(FunctionName=name, **extra)
        assert config["FunctionArn"] == arn
    assert (
        lambda_client.get_function(FunctionName=alias["AliasArn"])["Configuration"]["Version"]
        == version
    )
    versions = lambda_client.list_versions_by_function(FunctionName=name)["Versions"]
    assert [v["FunctionArn"] for v in versions] == [arn_of(name, "$LATEST"), arn_of(name, "1")]
    assert (
        client_error(lambda_client.get_function, FunctionName="answers-nope", Qualifier="$LATEST")[
            1
        ]
        == f"Function not found: {arn_of('answers-nope', '$LATEST')}"
    )
    assert client_error(lambda_client.invoke, FunctionName="answers-nope")[1] == (
        f"Function not found: {arn_of('answers-nope', '$LATEST')}"
    )


def test_create_with_publish_answers_the_published_version(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = "answers-published"
    created = create(lambda_client, FunctionName=name, Publish=True)
    try:
        assert isinstance(created, dict)
        assert created["Version"] == "1"
        assert created["FunctionArn"] == arn_of(name)  # as AWS answers it: unqualified
        assert created["State"] == "Pending" and "LastUpdateStatus" not in created
        assert lambda_client.get_function(FunctionName=name, Qualifier="1")
    finally:
        lambda_client.delete_function(FunctionName=name)


def test_only_synchronous_invokes_name_the_executed_version(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function()
    types: tuple[tuple[Literal["Event", "DryRun"], int], ...] = (("Event", 202), ("DryRun", 204))
    for invocation_type, status in types:
        response = lambda_client.invoke(FunctionName=name, InvocationType=invocation_type)
        assert response["StatusCode"] == status
        assert "x-amz-executed-version" not in response["ResponseMetadata"]["HTTPHeaders"]
        assert "ExecutedVersion" not in response
    assert lambda_client.invoke(FunctionName=name)["ExecutedVersion"] == "$LATEST"


def test_update_in_progress_says_why(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function()
    updated = lambda_client.update_function_configuration(FunctionName=name, Timeout=5)
    assert updated["LastUpdateStatus"] == "InProgress"
    assert (updated["LastUpdateStatusReason"], updated["LastUpdateStatusReasonCode"]) == (
        "The function is being created.",
        "Creating",
    )
    assert re.fullmatch(r"[0-9a-f-]{36}", updated["RevisionId"])


def test_architectures_and_logging_config_are_reported_as_set(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function(Architectures=["arm64"], LoggingConfig={"LogFormat": "JSON"})
    config = lambda_client.get_function_configuration(FunctionName=name)
    assert config["Architectures"] == ["arm64"]
    assert config["LoggingConfig"] == {
        "LogFormat": "JSON",
        "ApplicationLogLevel": "INFO",
        "SystemLogLevel": "INFO",
        "LogGroup": f"/aws/lambda/{name}",
    }
    lambda_client.get_waiter("function_updated_v2").wait(FunctionName=name)
    partial = lambda_client.update_function_configuration(
        FunctionName=name, LoggingConfig={"ApplicationLogLevel": "DEBUG"}
    )
    assert partial["LoggingConfig"]["ApplicationLogLevel"] == "DEBUG"
    assert partial["LoggingConfig"]["SystemLogLevel"] == "INFO"
    lambda_client.get_waiter("function_updated_v2").wait(FunctionName=name)
    text = lambda_client.update_function_configuration(
        FunctionName=name, LoggingConfig={"LogFormat": "Text", "LogGroup": "shared"}
    )
    assert text["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "shared"}
    assert client_error(
        lambda_client.update_function_code, FunctionName=name, ImageUri="repo/image:1"
    ) == (
        "InvalidParameterValueException",
        "Please don't provide ImageUri when updating a function with packageType Zip.",
        400,
    )


def test_alias_parameters_are_checked_before_the_function(lambda_client: LambdaClient) -> None:
    assert (
        client_error(
            lambda_client.create_alias,
            FunctionName="answers-nope",
            Name="live",
            FunctionVersion="$LATEST",
            RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}},
        )[1]
        == "$LATEST is not supported for an alias pointing to more than 1 version"
    )
    assert (
        client_error(
            lambda_client.create_alias,
            FunctionName="answers-nope",
            Name="live",
            FunctionVersion="1",
        )[1]
        == f"Function not found: {arn_of('answers-nope')}"
    )
