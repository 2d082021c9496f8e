"""REST APIs' Lambda proxy integrations (``http_fronts/rest``), driven with plain HTTP: the
resource tree with path parameters, ``{proxy+}`` and ``ANY``; the exact 1.0 event (checked
against powertools' ``APIGatewayProxyEventModel``); binary media types; the function's
answer, malformed answers (502), integration timeouts (504), a function API Gateway may not
invoke (500) and API Gateway's own refusals (403)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventModel

from lambdaport.testing.server import Server
from tests.conftest import MakeFunction
from tests.helpers import ACCOUNT, HOLD_UNTIL_FILE, REGION
from tests.http_fronts.conftest import call
from tests.http_fronts.rest.apis import (
    ECHO_EVENT,
    RestApiBuilder,
    allow_api,
    path_url,
    url,
)

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient


@pytest.fixture
def echo_api(
    apigateway: Any, lambda_client: LambdaClient, make_function: MakeFunction
) -> RestApiBuilder:
    function = make_function(ECHO_EVENT)
    api = RestApiBuilder(apigateway, binaryMediaTypes=["image/png"])
    api.proxy("/items/{id}", function, "GET")
    api.proxy("/{proxy+}", function)
    api.proxy("/", function, "GET")
    api.deploy("dev", {"color": "blue"})
    allow_api(lambda_client, function, api.id)
    return api


def test_the_proxy_event_is_api_gateways(echo_api: RestApiBuilder, server: Server) -> None:
    answer = call(
        url(server.endpoint, echo_api.id, "dev", "/items/42?a=1&a=2&b=x%20y"),
        headers={"X-Rep": "first", "User-Agent": "curl/8.0", "Accept": "application/json"},
    )
    assert answer.status == 200, answer.body
    assert answer.header("x-single") == "one"
    assert answer.all("x-multi") == ["a", "b"]
    event = answer.json()
    model = APIGatewayProxyEventModel.model_validate(event)
    assert model.resource == "/items/{id}"
    assert event["path"] == "/items/42"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"id": "42"}
    assert event["queryStringParameters"] == {"a": "2", "b": "x y"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x y"]}
    assert event["headers"]["x-rep"] == "first"
    assert event["multiValueHeaders"]["x-rep"] == ["first"]
    assert event["stageVariables"] == {"color": "blue"}
    assert event["body"] is None and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["requestId"] == answer.header("x-amzn-requestid")
    assert context["extendedRequestId"] == answer.header("x-amz-apigw-id")
    assert context["path"] == "/dev/items/42"
    assert (context["stage"], context["apiId"], context["accountId"]) == (
        "dev",
        echo_api.id,
        ACCOUNT,
    )
    assert context["resourcePath"] == "/items/{id}"
    assert context["domainName"] == f"{echo_api.id}.execute-api.localhost"
    assert context["domainPrefix"] == echo_api.id
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"] == "curl/8.0"
    assert context["protocol"] == "HTTP/1.1"
    assert isinstance(context["requestTimeEpoch"], int)


def test_greedy_paths_any_method_and_the_path_form(
    echo_api: RestApiBuilder, server: Server
) -> None:
    answer = call(
        path_url(server.endpoint, echo_api.id, "dev", "/a/b/c"),
        "POST",
        b'{"k": "v"}',
        {"content-type": "application/json"},
    )
    assert answer.status == 200, answer.body
    event = answer.json()
    APIGatewayProxyEventModel.model_validate(event)
    assert event["resource"] == "/{proxy+}"
    assert event["pathParameters"] == {"proxy": "a/b/c"}
    assert event["httpMethod"] == "POST"
    assert event["body"] == '{"k": "v"}'
    # The literal resource wins over the greedy one; its other verbs fall to nothing.
    assert call(url(server.endpoint, echo_api.id, "dev", "/items/9")).json()["resource"] == (
        "/items/{id}"
    )
    root = call(url(server.endpoint, echo_api.id, "dev", "/")).json()
    assert (root["resource"], root["path"], root["pathParameters"]) == ("/", "/", None)


def test_binary_media_types_are_base64(
    apigateway: Any, lambda_client: LambdaClient, make_function: MakeFunction, server: Server
) -> None:
    function = make_function(
        """
import base64

def handler(event, context):
    data = base64.b64decode(event["body"]) if event["isBase64Encoded"] else b""
    return {"statusCode": 200, "headers": {"content-type": "image/png"},
            "body": base64.b64encode(data[::-1]).decode(), "isBase64Encoded": True}
"""
    )
    api = RestApiBuilder(apigateway, binaryMediaTypes=["image/png"])
    api.proxy("/img", function, "POST")
    api.deploy()
    allow_api(lambda_client, function, api.id)
    data = bytes(range(256))
    img = url(server.endpoint, api.id, "dev", "/img")
    headers = {"content-type": "image/png", "accept": "image/png"}
    answer = call(img, "POST", data, headers)
    assert answer.status == 200, answer.body
    assert answer.body == data[::-1]
    assert answer.header("content-type") == "image/png"
    # Without a binary Accept the base64 text is the body, as API Gateway sends it.
    text = call(img, "POST", data, {"content-type": "image/png", "accept": "text/plain"})
    assert text.body == base64.b64encode(data[::-1])


@pytest.mark.parametrize(
    "answer",
    [
        '{"statusCode": 200, "body": {"not": "a string"}}',
        '{"statusCode": "abc"}',
        '{"body": "no status"}',
        '"a bare string"',
        '{"statusCode": 200, "surprise": 1}',
    ],
)
def test_a_malformed_proxy_answer_is_502(
    answer: str,
    apigateway: Any,
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    server: Server,
) -> None:
    function = make_function(
        f"import json\n\ndef handler(event, context):\n    return json.loads({answer!r})\n"
    )
    api = RestApiBuilder(apigateway)
    api.proxy("/x", function, "GET")
    api.deploy()
    allow_api(lambda_client, function, api.id)
    response = call(url(server.endpoint, api.id, "dev", "/x"))
    assert (response.status, response.json()) == (502, {"message": "Internal server error"})


def test_a_failing_function_is_502(
    apigateway: Any, lambda_client: LambdaClient, make_function: MakeFunction, server: Server
) -> None:
    function = make_function("def handler(event, context):\n    raise ValueError('boom')\n")
    api = RestApiBuilder(apigateway)
    api.proxy("/x", function, "GET")
    api.deploy()
    allow_api(lambda_client, function, api.id)
    response = call(url(server.endpoint, api.id, "dev", "/x"))
    assert (response.status, response.json()) == (502, {"message": "Internal server error"})
    assert response.header("x-amzn-errortype") == "InternalServerErrorException"


def test_without_permission_for_api_gateway_it_is_500(
    apigateway: Any, make_function: MakeFunction, server: Server
) -> None:
    function = make_function(ECHO_EVENT)
    api = RestApiBuilder(apigateway)
    api.proxy("/x", function, "GET")
    api.deploy()
    response = call(url(server.endpoint, api.id, "dev", "/x"))
    assert (response.status, response.json()) == (500, {"message": "Internal server error"})


def test_the_integration_timeout_is_504(
    apigateway: Any,
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    server: Server,
    tmp_path: Path,
) -> None:
    release = tmp_path / "release"
    source = HOLD_UNTIL_FILE.replace('event["until"]', f"{str(release)!r}").replace(
        '"started" in event', "False"
    )
    function = make_function(source, Timeout=60)
    api = RestApiBuilder(apigateway)
    api.proxy("/slow", function, "GET", timeoutInMillis=50)
    api.deploy()
    allow_api(lambda_client, function, api.id)
    try:
        response = call(url(server.endpoint, api.id, "dev", "/slow"))
        assert (response.status, response.json()) == (
            504,
            {"message": "Endpoint request timed out"},
        )
    finally:
        release.touch()


def test_api_gateways_own_refusals(
    echo_api: RestApiBuilder, server: Server, apigateway: Any
) -> None:
    missing = call(url(server.endpoint, echo_api.id, "dev", "/items/1/deeper"), "DELETE")
    assert missing.status == 200  # the greedy resource takes it
    only_get = call(url(server.endpoint, echo_api.id, "dev", "/items/1"), "DELETE")
    assert (only_get.status, only_get.json()) == (403, {"message": "Missing Authentication Token"})
    assert only_get.header("x-amzn-errortype") == "MissingAuthenticationTokenException"
    stage = call(url(server.endpoint, echo_api.id, "nostage", "/items/1"))
    assert (stage.status, stage.json()) == (403, {"message": "Forbidden"})
    # A gateway response customises the answer.
    apigateway.put_gateway_response(
        restApiId=echo_api.id,
        responseType="MISSING_AUTHENTICATION_TOKEN",
        statusCode="404",
        responseParameters={"gatewayresponse.header.x-why": "'no route'"},
        responseTemplates={"application/json": '{"error": $context.error.messageString}'},
    )
    custom = call(url(server.endpoint, echo_api.id, "dev", "/items/1"), "DELETE")
    assert (custom.status, custom.json()) == (404, {"error": "Missing Authentication Token"})
    assert custom.header("x-why") == "no route"


def test_the_index_lists_rest_api_stages(echo_api: RestApiBuilder, server: Server) -> None:
    index = call(f"{server.endpoint}/_lambdaport/http").json()
    entries = [e for e in index["restApis"] if e["restApiId"] == echo_api.id]
    assert [(e["stage"], e["region"]) for e in entries] == [("dev", REGION)]
    assert call(entries[0]["url"] + "items/5").json()["pathParameters"] == {"id": "5"}
    assert call(entries[0]["pathUrl"] + "items/6").json()["pathParameters"] == {"id": "6"}


def test_a_new_method_is_served_at_once(
    echo_api: RestApiBuilder,
    server: Server,
    make_function: MakeFunction,
    lambda_client: LambdaClient,
) -> None:
    other = make_function(
        "def handler(event, context):\n    return {'statusCode': 201, 'body': 'made'}\n"
    )
    allow_api(lambda_client, other, echo_api.id)
    echo_api.proxy("/items/{id}", other, "PUT")
    answer = call(url(server.endpoint, echo_api.id, "dev", "/items/3"), "PUT")
    assert (answer.status, answer.body) == (201, b"made")
