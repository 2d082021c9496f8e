"""HTTP APIs (apigatewayv2, moto's control plane) answering plain HTTP: stages and route
selection, Lambda proxy integrations with payload 2.0 and 1.0 (checked against powertools'
``APIGatewayProxyEventV2Model`` and ``APIGatewayProxyEventModel``), 2.0's response
inference, cookies and binary bodies, CORS, AWS's 404/500/503, the path form, the index,
and an API surviving a restart."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING

from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayProxyEventModel,
    APIGatewayProxyEventV2Model,
)

from lambdaport.testing.inprocess import InProcessServer
from lambdaport.testing.server import Server
from tests.conftest import MakeFunction
from tests.helpers import ECHO, client_for, create_function
from tests.http_fronts.apis import allow_api, apigw, http_api
from tests.http_fronts.conftest import call

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

ANSWER = """
import base64, json, os, time
def handler(event, context):
    query = event.get("queryStringParameters") or {}
    kind = query.get("kind", "event")
    if kind == "event":
        return event
    if kind == "wrapped":
        return {"statusCode": 200, "body": json.dumps(event)}
    if kind == "string":
        return "plain words"
    if kind == "full":
        return {"statusCode": 201, "headers": {"x-made": "yes"},
                "cookies": ["one=1", "two=2"], "body": "made"}
    if kind == "v1":
        return {"statusCode": 202, "headers": {"x-one": "a"},
                "multiValueHeaders": {"x-many": ["b", "c"]}, "body": "v1 body"}
    if kind == "binary":
        return {"statusCode": 200, "headers": {"content-type": "image/png"},
                "isBase64Encoded": True, "body": base64.b64encode(bytes(range(256))).decode()}
    if kind == "fail":
        raise RuntimeError("asked to fail")
    if kind == "hold":
        deadline = time.monotonic() + 60
        while not os.path.exists(query["until"]) and time.monotonic() < deadline:
            time.sleep(0.01)
        return "held"
    return {"statusCode": "bad"}
"""


def test_routes_and_the_2_0_event(
    server: Server, lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function(ANSWER)
    api = http_api(
        server.endpoint,
        server.port,
        name,
        ["GET /items/{id}", "GET /items/special", "ANY /{proxy+}", "POST /items/{id}", "$default"],
        lambda_client=lambda_client,
    )
    answer = call(
        api.url() + "items/42?kind=event&a=1&a=2",
        headers={"Cookie": "c=1; d=2", "User-Agent": "tests"},
    )
    assert answer.status == 200, answer.body
    event = answer.json()
    APIGatewayProxyEventV2Model.model_validate(event)
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "GET /items/{id}"
    assert event["pathParameters"] == {"id": "42"}
    assert event["rawPath"] == "/items/42"
    assert event["queryStringParameters"] == {"kind": "event", "a": "1,2"}
    assert event["cookies"] == ["c=1", "d=2"]
    assert event["requestContext"]["stage"] == "$default"
    assert event["requestContext"]["apiId"] == api.api_id
    assert event["requestContext"]["domainName"] == f"{api.api_id}.execute-api.localhost"
    assert event["requestContext"]["http"]["userAgent"] == "tests"
    assert answer.header("apigw-requestid") == event["requestContext"]["requestId"]

    def route_of(method: str, path: str) -> tuple[str, object]:
        got = call(api.url() + path, method).json()
        return got["routeKey"], got.get("pathParameters")

    assert route_of("GET", "items/special") == ("GET /items/special", None)
    assert route_of("POST", "items/7") == ("POST /items/{id}", {"id": "7"})
    assert route_of("DELETE", "items/7") == ("ANY /{proxy+}", {"proxy": "items/7"})
    assert route_of("GET", "a/b/c") == ("ANY /{proxy+}", {"proxy": "a/b/c"})
    assert route_of("GET", "") == ("$default", None)


def test_named_stages_and_stage_variables(
    server: Server, lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function(ANSWER)
    api = http_api(
        server.endpoint,
        server.port,
        name,
        ["GET /hello"],
        stages=("prod",),
        stage_variables={"color": "blue"},
        lambda_client=lambda_client,
    )
    event = call(api.url("prod") + "hello").json()
    assert event["requestContext"]["stage"] == "prod"
    assert event["rawPath"] == "/prod/hello"
    assert event["stageVariables"] == {"color": "blue"}
    missing = call(api.url() + "hello")  # no $default stage
    assert (missing.status, missing.json()) == (404, {"message": "Not Found"})
    assert call(api.url("prod") + "other").status == 404  # no such route


def test_payload_1_0(
    server: Server, lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function(ANSWER)
    api = http_api(
        server.endpoint,
        server.port,
        name,
        ["ANY /things/{id}"],
        payload="1.0",
        lambda_client=lambda_client,
    )
    answer = call(
        api.url() + "things/9?kind=wrapped&a=1&a=2",
        "POST",
        b"text body",
        {"Content-Type": "text/plain", "X-Rep": "one"},
    )
    event = answer.json()
    APIGatewayProxyEventModel.model_validate(event)
    assert event["version"] == "1.0"
    assert event["resource"] == "/things/{id}"
    assert event["httpMethod"] == "POST"
    assert event["pathParameters"] == {"id": "9"}
    assert event["queryStringParameters"] == {"kind": "wrapped", "a": "2"}
    assert event["multiValueQueryStringParameters"] == {"kind": ["wrapped"], "a": ["1", "2"]}
    assert event["multiValueHeaders"]["x-rep"] == ["one"]
    assert event["body"] == "text body"
    assert event["stageVariables"] is None
    answer = call(api.url() + "things/9?kind=v1")
    assert (answer.status, answer.body) == (202, b"v1 body")
    assert answer.header("x-one") == "a"
    assert answer.all("x-many") == ["b", "c"]
    # 1.0 has no inference: a bare value is a malformed answer.
    assert call(api.url() + "things/9?kind=string").status == 500


def test_2_0_answers(
    server: Server, lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function(ANSWER)
    api = http_api(server.endpoint, server.port, name, lambda_client=lambda_client)
    answer = call(api.url() + "?kind=string")
    assert (answer.status, answer.header("content-type"), answer.body) == (
        200,
        "application/json",
        b"plain words",
    )
    answer = call(api.url() + "?kind=full")
    assert (answer.status, answer.body, answer.header("x-made")) == (201, b"made", "yes")
    assert answer.all("set-cookie") == ["one=1", "two=2"]
    answer = call(api.url() + "?kind=binary")
    assert answer.body == bytes(range(256))
    data = bytes(range(256))
    event = call(api.url() + "?kind=event", "PUT", data, {"Content-Type": "image/png"}).json()
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == data


def test_errors(
    server: Server, lambda_client: LambdaClient, make_function: MakeFunction, tmp_path: Path
) -> None:
    name = make_function(ANSWER, Timeout=30)
    api = http_api(
        server.endpoint,
        server.port,
        name,
        ["GET /known"],
        timeout_ms=300,
        lambda_client=lambda_client,
    )
    unknown = call(api.url() + "unknown")
    assert (unknown.status, unknown.json()) == (404, {"message": "Not Found"})
    for kind in ("fail", "malformed"):
        answer = call(api.url() + f"known?kind={kind}")
        assert (answer.status, answer.json()) == (500, {"message": "Internal Server Error"}), kind
    until = tmp_path / "release"
    held = call(api.url() + f"known?kind=hold&until={until}")
    until.touch()
    assert (held.status, held.json()) == (503, {"message": "Service Unavailable"})
    no_api = call(f"http://nosuchapi.execute-api.localhost:{server.port}/")
    assert no_api.status == 404


def test_no_permission_is_500(
    server: Server, lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function(ANSWER)
    api = http_api(server.endpoint, server.port, name)
    answer = call(api.url())
    assert (answer.status, answer.json()) == (500, {"message": "Internal Server Error"})
    # A statement for another route's ARN does not open this one.
    allow_api(lambda_client, name, api.api_id, "*/GET/other")
    assert call(api.url() + "x").status == 500
    allow_api(lambda_client, name, api.api_id, "*/$default")
    assert call(api.url() + "x").status == 200


def test_cors_answered_by_the_gateway(
    server: Server, lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function(ANSWER)
    api = http_api(
        server.endpoint,
        server.port,
        name,
        ["GET /data"],
        cors={
            "AllowOrigins": ["http://localhost:5173"],
            "AllowMethods": ["GET"],
            "AllowHeaders": ["authorization"],
            "ExposeHeaders": ["x-made"],
            "MaxAge": 600,
        },
        lambda_client=lambda_client,
    )
    preflight = call(
        api.url() + "data",
        "OPTIONS",
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.status == 200
    assert preflight.header("access-control-allow-origin") == "http://localhost:5173"
    assert preflight.header("access-control-allow-methods") == "GET"
    assert preflight.header("access-control-max-age") == "600"
    actual = call(api.url() + "data?kind=full", headers={"Origin": "http://localhost:5173"})
    assert actual.header("access-control-allow-origin") == "http://localhost:5173"
    assert actual.header("access-control-expose-headers") == "x-made"
    other = call(api.url() + "data?kind=full", headers={"Origin": "http://localhost:9999"})
    assert other.header("access-control-allow-origin") is None


def test_changes_apply_at_once_and_addresses(
    server: Server, lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function(ANSWER)
    api = http_api(server.endpoint, server.port, name, ["GET /one"], lambda_client=lambda_client)
    assert call(api.url() + "two").status == 404
    apigw(server.endpoint).create_route(
        ApiId=api.api_id, RouteKey="GET /two", Target=f"integrations/{api.integration_id}"
    )
    assert call(api.url() + "two?kind=event").json()["routeKey"] == "GET /two"
    path_form = call(f"{server.endpoint}/_aws/execute-api/{api.api_id}/two?kind=event").json()
    assert path_form["rawPath"] == "/two"
    localstack = f"{api.api_id}.execute-api.localhost.localstack.cloud:{server.port}"
    assert call(f"http://{localstack}/one?kind=event").json()["routeKey"] == "GET /one"
    aws_host = f"{api.api_id}.execute-api.us-east-1.amazonaws.com:{server.port}"
    assert call(f"http://{aws_host}/one?kind=event").status == 200
    described = apigw(server.endpoint).get_api(ApiId=api.api_id)
    assert described["ApiEndpoint"] == api.url().rstrip("/")  # the address that works here
    listed = apigw(server.endpoint).get_apis()["Items"]
    assert api.url().rstrip("/") in [a["ApiEndpoint"] for a in listed]
    index = call(f"{server.endpoint}/_lambdaport/http").json()
    entry = next(a for a in index["httpApis"] if a["apiId"] == api.api_id)
    assert entry["stages"][0]["url"] == api.url()
    assert entry["routes"] == ["GET /one", "GET /two"]
    apigw(server.endpoint).delete_api(ApiId=api.api_id)
    assert call(api.url() + "one").status == 404


def test_api_survives_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with InProcessServer(data) as first:
        client = client_for(first.endpoint)
        name = create_function(client, ECHO)
        api = http_api(first.endpoint, first.port, name, ["GET /kept"], lambda_client=client)
    with InProcessServer(data) as second:
        answer = call(f"http://{api.api_id}.execute-api.localhost:{second.port}/kept")
        assert answer.status == 200
        assert answer.json()["routeKey"] == "GET /kept"
