"""REST API integrations other than the Lambda proxy (``http_fronts/rest``): Lambda custom
integrations with Velocity mapping templates (``$input``, ``$util``, ``$context``,
``$stageVariables``) and integration responses chosen by a regular expression on the error
message; MOCK integrations answering CORS preflights as the API configures them; HTTP_PROXY
and HTTP integrations to a loopback server; custom domain names by ``Host``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from lambdaport.testing.server import Server
from tests.conftest import MakeFunction
from tests.http_fronts.conftest import call
from tests.http_fronts.rest.apis import RestApiBuilder, allow_api, lambda_uri, url

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

REQUEST_TEMPLATE = """#set($body = $input.path('$'))
{
  "name": "$util.escapeJavaScript($body.name)",
  "first": $input.json('$.items[0]'),
  "id": "$input.params('id')",
  "q": "$util.urlDecode($input.params('q'))",
  "agent": "$input.params().header.get('user-agent')",
  "stage": "$context.stage",
  "resourcePath": "$context.resourcePath",
  "requestId": "$context.requestId",
  "color": "$stageVariables.color",
  "b64": "$util.base64Encode($body.name)",
  "raw": "$util.escapeJavaScript($input.body)"
}"""

RESPONSE_TEMPLATE = """#set($out = $input.path('$'))
{"greeting": "hello $util.escapeJavaScript($out.name)", "was": $input.json('$.seen')}"""

ERROR_TEMPLATE = """{"problem": "$input.path('$.errorMessage')"}"""

CUSTOM_FUNCTION = """
def handler(event, context):
    if event["name"] == "missing":
        raise LookupError("Not found: " + event["id"])
    if event["name"] == "broken":
        raise RuntimeError("something else")
    return {"name": event["name"], "seen": event}
"""


def custom_api(
    apigateway: Any, lambda_client: LambdaClient, make_function: MakeFunction
) -> RestApiBuilder:
    function = make_function(CUSTOM_FUNCTION)
    api = RestApiBuilder(apigateway)
    where = api.method("/things/{id}", "POST")
    apigateway.put_integration(
        **where, type="AWS", integrationHttpMethod="POST", uri=lambda_uri(function),
        requestTemplates={"application/json": REQUEST_TEMPLATE},
        passthroughBehavior="NEVER",
    )  # fmt: skip
    apigateway.put_method_response(**where, statusCode="200")
    apigateway.put_integration_response(
        **where, statusCode="200", selectionPattern="",
        responseTemplates={"application/json": RESPONSE_TEMPLATE},
        responseParameters={"method.response.header.x-stage": "'fixed'"},
    )  # fmt: skip
    apigateway.put_method_response(**where, statusCode="404")
    apigateway.put_integration_response(
        **where, statusCode="404", selectionPattern="Not found: .*",
        responseTemplates={"application/json": ERROR_TEMPLATE},
    )  # fmt: skip
    api.deploy("dev", {"color": "green"})
    allow_api(lambda_client, function, api.id)
    return api


def test_a_lambda_custom_integration_maps_both_ways(
    apigateway: Any, lambda_client: LambdaClient, make_function: MakeFunction, server: Server
) -> None:
    api = custom_api(apigateway, lambda_client, make_function)
    things = url(server.endpoint, api.id, "dev", "/things/7?q=a%20b")
    body = json.dumps({"name": 'say "hi"', "items": ["x", "y"]}).encode()
    headers = {"content-type": "application/json", "user-agent": "tester"}
    answer = call(things, "POST", body, headers)
    assert answer.status == 200, answer.body
    assert answer.header("x-stage") == "fixed"
    document = answer.json()
    assert document["greeting"] == 'hello say "hi"'
    seen = document["was"]
    assert seen["name"] == 'say "hi"'
    assert seen["first"] == "x"
    assert seen["id"] == "7"
    assert seen["q"] == "a b"
    assert seen["agent"] == "tester"
    assert (seen["stage"], seen["resourcePath"], seen["color"]) == ("dev", "/things/{id}", "green")
    assert seen["requestId"] == answer.header("x-amzn-requestid")
    assert seen["b64"] == "c2F5ICJoaSI="
    assert json.loads(seen["raw"]) == json.loads(body)

    missing = call(things, "POST", b'{"name": "missing", "items": []}', headers)
    assert (missing.status, missing.json()) == (404, {"problem": "Not found: 7"})
    # An error no pattern selects takes the default response (200 here, as in AWS).
    other = call(things, "POST", b'{"name": "broken", "items": []}', headers)
    assert other.status == 200
    # NEVER passes nothing through: a content type without a template is refused.
    text = call(things, "POST", b"plain", {"content-type": "text/plain"})
    assert (text.status, text.json()) == (415, {"message": "Unsupported Media Type"})


def test_mock_integrations_answer_cors_preflights(apigateway: Any, server: Server) -> None:
    api = RestApiBuilder(apigateway)
    where = api.method("/items", "OPTIONS")
    apigateway.put_integration(
        **where, type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'}
    )
    allowed = {
        "method.response.header.Access-Control-Allow-Origin": "'http://localhost:3000'",
        "method.response.header.Access-Control-Allow-Methods": "'GET,POST,OPTIONS'",
        "method.response.header.Access-Control-Allow-Headers": "'Content-Type,X-Api-Key'",
    }
    apigateway.put_method_response(
        **where, statusCode="200", responseParameters={name: False for name in allowed}
    )
    apigateway.put_integration_response(**where, statusCode="200", responseParameters=allowed)
    get = api.method("/items", "GET")
    apigateway.put_integration(
        **get, type="MOCK", requestTemplates={"application/json": '{"statusCode": 201}'}
    )
    apigateway.put_integration_response(
        **get, statusCode="201", selectionPattern="2\\d\\d",
        responseTemplates={"application/json": '{"mocked": true}'},
        responseParameters={"method.response.header.Access-Control-Allow-Origin": "'*'"},
    )  # fmt: skip
    api.deploy()
    items = url(server.endpoint, api.id, "dev", "/items")
    origin = "http://localhost:3000"
    preflight = call(
        items, "OPTIONS",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"},
    )  # fmt: skip
    assert preflight.status == 200, preflight.body
    assert preflight.header("access-control-allow-origin") == origin
    assert preflight.header("access-control-allow-methods") == "GET,POST,OPTIONS"
    assert preflight.header("access-control-allow-headers") == "Content-Type,X-Api-Key"
    actual = call(items, headers={"Origin": origin})
    assert (actual.status, actual.json()) == (201, {"mocked": True})
    assert actual.header("access-control-allow-origin") == "*"
    # No OPTIONS method: the preflight is refused as AWS refuses it.
    other = url(server.endpoint, api.id, "dev", "/elsewhere")
    refused = call(
        other, "OPTIONS", headers={"Origin": origin, "Access-Control-Request-Method": "GET"}
    )
    assert refused.status == 403
    assert refused.header("access-control-allow-origin") is None


def test_http_proxy_and_http_integrations(apigateway: Any, server: Server, backend: str) -> None:
    api = RestApiBuilder(apigateway)
    proxy = api.method("/pass/{proxy+}", "ANY")
    apigateway.put_integration(
        **proxy, type="HTTP_PROXY", integrationHttpMethod="ANY", uri=f"{backend}/up/{{proxy}}",
        requestParameters={"integration.request.path.proxy": "method.request.path.proxy"},
    )  # fmt: skip
    mapped = api.method("/mapped/{id}", "GET")
    apigateway.put_integration(
        **mapped, type="HTTP", integrationHttpMethod="POST", uri=f"{backend}/things/{{id}}",
        requestParameters={"integration.request.path.id": "method.request.path.id"},
        requestTemplates={"application/json": '{"asked": "$input.params(\'id\')"}'},
    )  # fmt: skip
    apigateway.put_integration_response(
        **mapped, statusCode="200", selectionPattern="",
        responseTemplates={"application/json": '{"backend said": $input.json(\'$.body\')}'},
    )  # fmt: skip
    apigateway.put_integration_response(
        **mapped, statusCode="400", selectionPattern="4\\d\\d",
        responseTemplates={"application/json": '{"refused": "$input.path(\'$.path\')"}'},
    )  # fmt: skip
    api.deploy()

    answer = call(
        url(server.endpoint, api.id, "dev", "/pass/a/b?x=1"), "PUT", b"payload",
        {"x-custom": "c1"},
    )  # fmt: skip
    assert answer.status == 200, answer.body
    assert answer.header("x-backend") == "yes"
    assert answer.json() == {
        "method": "PUT",
        "path": "/up/a/b?x=1",
        "header": "c1",
        "body": "payload",
    }

    transformed = call(url(server.endpoint, api.id, "dev", "/mapped/9"))
    assert transformed.status == 200, transformed.body
    assert json.loads(transformed.json()["backend said"]) == {"asked": "9"}
    teapot = call(url(server.endpoint, api.id, "dev", "/mapped/teapot"))
    assert (teapot.status, teapot.json()) == (400, {"refused": "/things/teapot"})


def test_custom_domain_names_by_host(
    apigateway: Any, server: Server, lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    api = RestApiBuilder(apigateway)
    where = api.method("/hello", "GET")
    apigateway.put_integration(
        **where, type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'}
    )
    template = '{"path": "$context.path", "stage": "$context.stage"}'
    apigateway.put_integration_response(
        **where, statusCode="200", responseTemplates={"application/json": template}
    )
    api.deploy("live")
    apigateway.create_domain_name(
        domainName="shop.localhost",
        regionalCertificateArn="arn:aws:acm:us-east-1:000000000000:certificate/x",
    )
    apigateway.create_base_path_mapping(
        domainName="shop.localhost", basePath="v1", restApiId=api.id, stage="live"
    )
    port = server.endpoint.rsplit(":", 1)[1]
    answer = call(f"http://shop.localhost:{port}/v1/hello")
    assert answer.status == 200, answer.body
    assert answer.json() == {"path": "/v1/hello", "stage": "live"}
    assert call(f"http://shop.localhost:{port}/v2/hello").status == 403
