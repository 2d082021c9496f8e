"""Function URLs (D.31): the control plane in botocore's shapes with AWS's validation, and
the data plane through plain HTTP: the resource-policy statements AWS requires, the 2.0
event (checked against powertools' ``LambdaFunctionUrlModel``), response inference,
cookies, binary bodies, errors, CORS, aliases, the path form and the index."""

from __future__ import annotations

import base64
import json
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from aws_lambda_powertools.utilities.parser.models import LambdaFunctionUrlModel

from lambdaport.testing.server import Server
from tests.conftest import MakeFunction
from tests.helpers import client_error
from tests.http_fronts.conftest import allow_url, call

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

ANSWER = """
import base64, json
def handler(event, context):
    kind = (event.get("queryStringParameters") or {}).get("kind", "event")
    if kind == "event":
        return event
    if kind == "string":
        return "plain words"
    if kind == "object":
        return {"a": 1}
    if kind == "full":
        return {"statusCode": 201, "headers": {"x-made": "yes", "content-type": "text/plain"},
                "cookies": ["one=1; Path=/", "two=2"], "body": "made"}
    if kind == "binary":
        return {"statusCode": 200, "headers": {"content-type": "image/png"},
                "isBase64Encoded": True, "body": base64.b64encode(bytes(range(256))).decode()}
    if kind == "fail":
        raise ValueError("asked to fail")
    if kind == "malformed":
        return {"statusCode": "teapot"}
    return None
"""
URL_PATTERN = re.compile(r"^http://[a-z0-9]{32}\.lambda-url\.us-east-1\.localhost:\d+/$")


@pytest.fixture
def url_function(lambda_client: LambdaClient, make_function: MakeFunction) -> tuple[str, str]:
    """A function whose URL (NONE) anyone may call: (name, URL)."""
    name = make_function(ANSWER)
    url = lambda_client.create_function_url_config(FunctionName=name, AuthType="NONE")
    allow_url(lambda_client, name)
    return name, url["FunctionUrl"]


# -- the control plane --------------------------------------------------------------------


def test_create_get_update_list_delete(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function()
    created = lambda_client.create_function_url_config(
        FunctionName=name,
        AuthType="AWS_IAM",
        Cors={"AllowOrigins": ["http://localhost:3000"], "AllowMethods": ["GET"], "MaxAge": 60},
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert URL_PATTERN.match(created["FunctionUrl"])
    assert created["FunctionArn"].endswith(f":function:{name}")
    assert created["AuthType"] == "AWS_IAM"
    assert created["InvokeMode"] == "BUFFERED"
    assert created["Cors"] == {
        "AllowOrigins": ["http://localhost:3000"],
        "AllowMethods": ["GET"],
        "MaxAge": 60,
    }
    got = lambda_client.get_function_url_config(FunctionName=name)
    assert got["FunctionUrl"] == created["FunctionUrl"]
    assert got["CreationTime"] == created["CreationTime"] == got["LastModifiedTime"]
    updated = lambda_client.update_function_url_config(
        FunctionName=name, AuthType="NONE", Cors={"AllowHeaders": ["x-one"]}
    )
    assert updated["AuthType"] == "NONE"
    assert updated["Cors"]["AllowOrigins"] == ["http://localhost:3000"]  # kept
    assert updated["Cors"]["AllowHeaders"] == ["x-one"]
    assert updated["LastModifiedTime"] >= updated["CreationTime"]
    listed = lambda_client.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"]
    assert [c["FunctionUrl"] for c in listed] == [created["FunctionUrl"]]
    lambda_client.delete_function_url_config(FunctionName=name)
    code, _, status = client_error(lambda_client.get_function_url_config, FunctionName=name)
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert lambda_client.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"] == []


def test_validation_and_conflicts(lambda_client: LambdaClient, make_function: MakeFunction) -> None:
    name = make_function()
    lambda_client.create_function_url_config(FunctionName=name, AuthType="NONE")
    code, message, status = client_error(
        lambda_client.create_function_url_config, FunctionName=name, AuthType="NONE"
    )
    assert (code, status) == ("ResourceConflictException", 409)
    assert "FunctionUrlConfig exists" in message
    # A numbered version is no URL qualifier (botocore's pattern), an unknown alias 404.
    code, _, status = client_error(
        lambda_client.create_function_url_config, FunctionName=name, Qualifier="1", AuthType="NONE"
    )
    assert (code, status) == ("ValidationException", 400)
    code, _, status = client_error(
        lambda_client.create_function_url_config,
        FunctionName=name,
        Qualifier="nope",
        AuthType="NONE",
    )
    assert (code, status) == ("ResourceNotFoundException", 404)
    code, _, status = client_error(
        lambda_client.create_function_url_config,
        FunctionName="no-such-function",
        AuthType="NONE",
    )
    assert (code, status) == ("ResourceNotFoundException", 404)
    code, _, status = client_error(
        lambda_client.update_function_url_config,
        FunctionName=name,
        Cors={"AllowMethods": ["FETCH"]},
    )
    assert (code, status) == ("InvalidParameterValueException", 400)
    code, _, status = client_error(
        lambda_client.create_function_url_config,
        FunctionName=make_function(),
        AuthType="SOMETIMES",
    )
    assert (code, status) == ("ValidationException", 400)


def test_alias_url_and_deleting_the_function(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function(ANSWER)
    version = lambda_client.publish_version(FunctionName=name)["Version"]
    lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    url = lambda_client.create_function_url_config(
        FunctionName=name, Qualifier="live", AuthType="NONE"
    )
    assert url["FunctionArn"].endswith(f":function:{name}:live")
    # The alias's own policy governs its URL: the function's statements do not open it.
    allow_url(lambda_client, name)
    assert call(url["FunctionUrl"]).status == 403
    allow_url(lambda_client, name, Qualifier="live")
    answer = call(url["FunctionUrl"] + "?kind=object")
    assert (answer.status, answer.json()) == (200, {"a": 1})
    lambda_client.delete_function(FunctionName=name)
    assert call(url["FunctionUrl"]).status == 404


# -- the resource policy ------------------------------------------------------------------


def test_none_needs_both_statements(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function(ANSWER)
    url = lambda_client.create_function_url_config(FunctionName=name, AuthType="NONE")
    answer = call(url["FunctionUrl"])
    assert (answer.status, answer.json()) == (403, {"Message": "Forbidden"})
    assert answer.header("x-amzn-errortype") == "AccessDeniedException"
    lambda_client.add_permission(
        FunctionName=name,
        StatementId="url",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    assert call(url["FunctionUrl"]).status == 403  # lambda:InvokeFunction is missing
    lambda_client.add_permission(
        FunctionName=name,
        StatementId="invoke",
        Action="lambda:InvokeFunction",
        Principal="*",
        InvokedViaFunctionUrl=True,
    )
    assert call(url["FunctionUrl"]).status == 200
    # A statement for the other AuthType does not open it.
    lambda_client.remove_permission(FunctionName=name, StatementId="url")
    lambda_client.add_permission(
        FunctionName=name,
        StatementId="iam-url",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="AWS_IAM",
    )
    assert call(url["FunctionUrl"]).status == 403


def test_the_url_statement_does_not_open_the_invoke_api(
    server: Server, url_function: tuple[str, str]
) -> None:
    """The InvokedViaFunctionUrl statement lets URL requests in, not another account's
    Invoke."""
    from tests.helpers import client_for

    other = client_for(server.endpoint, "111122223333")
    name, _ = url_function
    arn = f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    code, _, status = client_error(other.invoke, FunctionName=arn)
    assert (code, status) == ("AccessDeniedException", 403)


# -- the event ------------------------------------------------------------------------------


def test_event_is_payload_2_0(url_function: tuple[str, str]) -> None:
    _, url = url_function
    answer = call(
        url + "some/path?kind=event&multi=1&multi=2&empty=",
        "POST",
        b'{"hello": "world"}',
        {
            "Content-Type": "application/json",
            "Cookie": "a=1; b=2",
            "X-Custom": "value",
            "User-Agent": "tests/1.0",
        },
    )
    assert answer.status == 200, answer.body
    event = answer.json()
    LambdaFunctionUrlModel.model_validate(event)
    assert event["version"] == "2.0"
    assert event["routeKey"] == "$default"
    assert event["rawPath"] == "/some/path"
    assert event["rawQueryString"] == "kind=event&multi=1&multi=2&empty="
    assert event["queryStringParameters"] == {"kind": "event", "multi": "1,2", "empty": ""}
    assert event["cookies"] == ["a=1", "b=2"]
    assert "cookie" not in event["headers"]
    assert event["headers"]["x-custom"] == "value"
    assert event["body"] == '{"hello": "world"}'
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    host = urlsplit(url).hostname
    assert context["domainName"] == host
    assert context["apiId"] == context["domainPrefix"] == host.split(".")[0]  # type: ignore[union-attr]
    assert context["http"] == {
        "method": "POST",
        "path": "/some/path",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "tests/1.0",
    }
    assert context["stage"] == "$default"
    assert "authorizer" not in context  # AuthType NONE
    assert answer.header("x-amzn-requestid") == context["requestId"]


def test_binary_request_body_is_base64(url_function: tuple[str, str]) -> None:
    _, url = url_function
    data = bytes(range(256))
    answer = call(url + "?kind=event", "PUT", data, {"Content-Type": "application/octet-stream"})
    event = answer.json()
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == data


# -- the answer ---------------------------------------------------------------------------


def test_response_inference_and_cookies(url_function: tuple[str, str]) -> None:
    _, url = url_function
    answer = call(url + "?kind=object")
    assert (answer.status, answer.header("content-type"), answer.json()) == (
        200,
        "application/json",
        {"a": 1},
    )
    answer = call(url + "?kind=string")
    assert (answer.status, answer.body) == (200, b"plain words")
    answer = call(url + "?kind=full")
    assert (answer.status, answer.body) == (201, b"made")
    assert answer.header("x-made") == "yes"
    assert answer.all("set-cookie") == ["one=1; Path=/", "two=2"]
    answer = call(url + "?kind=binary")
    assert (answer.status, answer.header("content-type")) == (200, "image/png")
    assert answer.body == bytes(range(256))


def test_function_errors_are_502(url_function: tuple[str, str]) -> None:
    _, url = url_function
    for kind in ("fail", "malformed"):
        answer = call(url + f"?kind={kind}")
        assert (answer.status, answer.body) == (502, b"Internal Server Error"), kind


def test_unknown_url_is_404(server: Server) -> None:
    answer = call(f"http://{'x' * 32}.lambda-url.us-east-1.localhost:{server.port}/")
    assert answer.status == 404


# -- addresses ------------------------------------------------------------------------------


def test_path_form_and_localstack_host(server: Server, url_function: tuple[str, str]) -> None:
    _, url = url_function
    url_id = urlsplit(url).hostname.split(".")[0]  # type: ignore[union-attr]
    answer = call(f"{server.endpoint}/_aws/lambda-url/{url_id}/deep/path?kind=event")
    assert answer.status == 200
    assert answer.json()["rawPath"] == "/deep/path"
    host = f"{url_id}.lambda-url.us-east-1.localhost.localstack.cloud:{server.port}"
    answer = call(f"http://{host}/?kind=event")
    assert answer.json()["requestContext"]["domainName"] == host.split(":")[0]


def test_index_lists_the_url(server: Server, url_function: tuple[str, str]) -> None:
    name, url = url_function
    index = call(f"{server.endpoint}/_lambdaport/http").json()
    entry = next(u for u in index["functionUrls"] if u["url"] == url)
    assert entry["functionArn"].endswith(f":function:{name}")
    assert call(entry["pathUrl"] + "?kind=object").json() == {"a": 1}


# -- CORS -----------------------------------------------------------------------------------


def test_cors_answered_by_the_url(lambda_client: LambdaClient, make_function: MakeFunction) -> None:
    name = make_function(ANSWER)
    url = lambda_client.create_function_url_config(
        FunctionName=name,
        AuthType="NONE",
        Cors={
            "AllowOrigins": ["http://localhost:3000"],
            "AllowMethods": ["GET", "POST"],
            "AllowHeaders": ["x-custom"],
            "ExposeHeaders": ["x-made"],
            "MaxAge": 300,
        },
    )["FunctionUrl"]
    allow_url(lambda_client, name)
    preflight = call(
        url,
        "OPTIONS",
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-custom",
        },
    )
    assert preflight.status == 200
    assert preflight.header("access-control-allow-origin") == "http://localhost:3000"
    assert preflight.header("access-control-allow-methods") == "GET,POST"
    assert preflight.header("access-control-allow-headers") == "x-custom"
    assert preflight.header("access-control-max-age") == "300"
    actual = call(url + "?kind=full", headers={"Origin": "http://localhost:3000"})
    assert actual.status == 201
    assert actual.header("access-control-allow-origin") == "http://localhost:3000"
    assert actual.header("access-control-expose-headers") == "x-made"
    other = call(url + "?kind=full", headers={"Origin": "http://localhost:4000"})
    assert other.status == 201
    assert other.header("access-control-allow-origin") is None
    refused = call(
        url,
        "OPTIONS",
        headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "DELETE"},
    )
    assert refused.header("access-control-allow-origin") is None


def test_event_is_json_for_the_function(url_function: tuple[str, str]) -> None:
    """The body a function sees is the request's bytes, whatever they look like."""
    _, url = url_function
    answer = call(url + "?kind=event", "POST", b"not json {", {"Content-Type": "text/plain"})
    assert json.loads(answer.body)["body"] == "not json {"
