"""REST API definitions in and out (``services/moto_tail/apigateway``): ``ImportRestApi``
and ``PutRestApi`` of OpenAPI 3 and Swagger 2 bodies (JSON or YAML) with API Gateway's
extensions become moto's resources, methods, integrations, models, validators, authorizers
and gateway responses, read back with botocore's shapes; ``GetExport`` gives them back."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import boto3
import orjson
import yaml

from lambdaport.testing.server import ServerProcess
from tests.helpers import REGION, client_error, client_options

LAMBDA_URI = (
    f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
    f"arn:aws:lambda:{REGION}:000000000000:function:items/invocations"
)

OPENAPI: dict[str, Any] = {
    "openapi": "3.0.1",
    "info": {"title": "items-api", "version": "1", "description": "imported"},
    "x-amazon-apigateway-binary-media-types": ["image/png"],
    "x-amazon-apigateway-request-validators": {
        "all": {"validateRequestBody": True, "validateRequestParameters": True}
    },
    "paths": {
        "/items": {
            "post": {
                "x-amazon-apigateway-request-validator": "all",
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Item"}}
                    }
                },
                "security": [{"token": []}, {"api_key": []}],
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "aws_proxy",
                    "httpMethod": "POST",
                    "uri": LAMBDA_URI,
                    "timeoutInMillis": 5000,
                },
            }
        },
        "/items/{id}": {
            "get": {
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "q", "in": "query", "required": True, "schema": {"type": "string"}},
                ],
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "requestTemplates": {"application/json": '{"statusCode": 200}'},
                    "responses": {
                        "default": {
                            "statusCode": "200",
                            "responseTemplates": {
                                "application/json": '{"id": "$input.params(\'id\')"}'
                            },
                        }
                    },
                },
            }
        },
    },
    "components": {
        "schemas": {
            "Item": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}},
            }
        },
        "securitySchemes": {
            "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"},
            "token": {
                "type": "apiKey",
                "name": "Authorization",
                "in": "header",
                "x-amazon-apigateway-authtype": "custom",
                "x-amazon-apigateway-authorizer": {
                    "type": "token",
                    "authorizerUri": LAMBDA_URI,
                    "authorizerResultTtlInSeconds": 60,
                },
            },
        },
    },
    "x-amazon-apigateway-gateway-responses": {
        "MISSING_AUTHENTICATION_TOKEN": {
            "statusCode": 404,
            "responseTemplates": {"application/json": '{"error": "no such route"}'},
        }
    },
}

SWAGGER = """
swagger: "2.0"
info: {title: swagger-api, version: "1"}
consumes: [application/json]
paths:
  /pets/{proxy+}:
    x-amazon-apigateway-any-method:
      parameters:
        - {name: proxy, in: path, required: true, type: string}
        - {name: body, in: body, schema: {$ref: "#/definitions/Pet"}}
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: ANY
        uri: http://127.0.0.1:9/{proxy}
        requestParameters: {integration.request.path.proxy: method.request.path.proxy}
definitions:
  Pet: {type: object, properties: {name: {type: string}}}
"""


def resources_by_path(apigateway: Any, api_id: str) -> dict[str, Any]:
    items = apigateway.get_resources(restApiId=api_id, embed=["methods"])["items"]
    return {item["path"]: item for item in items}


def test_openapi3_import_makes_every_part(apigateway: Any) -> None:
    api = apigateway.import_rest_api(body=orjson.dumps(OPENAPI))
    api_id = api["id"]
    assert api["name"] == "items-api"
    assert api["binaryMediaTypes"] == ["image/png"]
    resources = resources_by_path(apigateway, api_id)
    assert set(resources) == {"/", "/items", "/items/{id}"}

    validators = apigateway.get_request_validators(restApiId=api_id)["items"]
    assert [(v["name"], v["validateRequestBody"]) for v in validators] == [("all", True)]
    authorizers = apigateway.get_authorizers(restApiId=api_id)["items"]
    assert len(authorizers) == 1
    token = authorizers[0]
    assert (token["name"], token["type"], token["authorizerUri"]) == ("token", "TOKEN", LAMBDA_URI)
    assert token["identitySource"] == "method.request.header.Authorization"
    assert token["authorizerResultTtlInSeconds"] == 60
    models = {m["name"]: m for m in apigateway.get_models(restApiId=api_id)["items"]}
    assert json.loads(models["Item"]["schema"])["required"] == ["name"]

    post = apigateway.get_method(
        restApiId=api_id, resourceId=resources["/items"]["id"], httpMethod="POST"
    )
    assert post["authorizationType"] == "CUSTOM"
    assert post["authorizerId"] == token["id"]
    assert post["apiKeyRequired"] is True
    assert post["requestValidatorId"] == validators[0]["id"]
    assert post["requestModels"] == {"application/json": "Item"}
    assert post["methodIntegration"]["type"] == "AWS_PROXY"
    assert post["methodIntegration"]["uri"] == LAMBDA_URI
    assert int(post["methodIntegration"]["timeoutInMillis"]) == 5000

    get = apigateway.get_method(
        restApiId=api_id, resourceId=resources["/items/{id}"]["id"], httpMethod="GET"
    )
    assert get["requestParameters"] == {
        "method.request.path.id": True,
        "method.request.querystring.q": True,
    }
    response = apigateway.get_integration_response(
        restApiId=api_id,
        resourceId=resources["/items/{id}"]["id"],
        httpMethod="GET",
        statusCode="200",
    )
    assert response["responseTemplates"]["application/json"] == '{"id": "$input.params(\'id\')"}'
    gateway = apigateway.get_gateway_response(
        restApiId=api_id, responseType="MISSING_AUTHENTICATION_TOKEN"
    )
    assert gateway["statusCode"] == "404"


def test_swagger2_yaml_import(apigateway: Any) -> None:
    api = apigateway.import_rest_api(body=SWAGGER.encode())
    resources = resources_by_path(apigateway, api["id"])
    assert set(resources) == {"/", "/pets", "/pets/{proxy+}"}
    method = apigateway.get_method(
        restApiId=api["id"], resourceId=resources["/pets/{proxy+}"]["id"], httpMethod="ANY"
    )
    assert method["requestModels"] == {"application/json": "Pet"}
    integration = method["methodIntegration"]
    assert (integration["type"], integration["httpMethod"]) == ("HTTP_PROXY", "ANY")
    assert integration["requestParameters"] == {
        "integration.request.path.proxy": "method.request.path.proxy"
    }


def test_put_rest_api_merges_or_overwrites(apigateway: Any) -> None:
    api_id = apigateway.import_rest_api(body=orjson.dumps(OPENAPI))["id"]
    apigateway.put_rest_api(restApiId=api_id, mode="merge", body=SWAGGER.encode())
    merged = resources_by_path(apigateway, api_id)
    assert {"/items", "/items/{id}", "/pets/{proxy+}"} <= set(merged)

    apigateway.put_rest_api(restApiId=api_id, mode="overwrite", body=SWAGGER.encode())
    assert set(resources_by_path(apigateway, api_id)) == {"/", "/pets", "/pets/{proxy+}"}
    assert apigateway.get_authorizers(restApiId=api_id)["items"] == []


def test_bad_definitions_are_refused(apigateway: Any) -> None:
    code, message, status = client_error(apigateway.import_rest_api, body=b"{not: [valid")
    assert (code, status) == ("BadRequestException", 400)
    assert "OpenAPI" in message
    code, _, status = client_error(apigateway.import_rest_api, body=b'{"info": {"title": "x"}}')
    assert (code, status) == ("BadRequestException", 400)


def test_export_gives_the_definition_back(apigateway: Any) -> None:
    api_id = apigateway.import_rest_api(body=orjson.dumps(OPENAPI))["id"]
    deployment = apigateway.create_deployment(restApiId=api_id, stageName="dev")
    assert deployment["id"]

    exported = apigateway.get_export(
        restApiId=api_id, stageName="dev", exportType="oas30",
        parameters={"extensions": "integrations,authorizers"}, accepts="application/json",
    )  # fmt: skip
    assert exported["contentType"] == "application/json"
    document = json.loads(exported["body"].read())
    assert document["openapi"].startswith("3.")
    post = document["paths"]["/items"]["post"]
    assert post["x-amazon-apigateway-integration"]["uri"] == LAMBDA_URI
    assert post["x-amazon-apigateway-integration"]["type"] == "aws_proxy"
    assert {"token": []} in post["security"]
    schemes = document["components"]["securitySchemes"]
    assert schemes["token"]["x-amazon-apigateway-authorizer"]["authorizerUri"] == LAMBDA_URI

    swagger = apigateway.get_export(
        restApiId=api_id, stageName="dev", exportType="swagger", accepts="application/yaml"
    )
    document = yaml.safe_load(swagger["body"].read())
    assert document["swagger"] == "2.0"
    assert document["basePath"] == "/dev"
    assert "x-amazon-apigateway-integration" not in document["paths"]["/items"]["post"]

    # What was exported imports again, to the same resources.
    again = apigateway.import_rest_api(body=exported_again(apigateway, api_id))
    assert set(resources_by_path(apigateway, again["id"])) == {"/", "/items", "/items/{id}"}

    code, _, status = client_error(
        apigateway.get_export, restApiId=api_id, stageName="nope", exportType="oas30"
    )
    assert (code, status) == ("NotFoundException", 404)


def exported_again(apigateway: Any, api_id: str) -> bytes:
    answer = apigateway.get_export(
        restApiId=api_id, stageName="dev", exportType="oas30",
        parameters={"extensions": "apigateway"},
    )  # fmt: skip
    return bytes(answer["body"].read())


def test_an_import_survives_a_restart(tmp_path: Path) -> None:
    """Each call an import made is journaled: after a kill, the API is back as it was."""
    data_dir = tmp_path / "data"
    with ServerProcess(data_dir) as first:
        client = boto3.client("apigateway", **client_options(first.endpoint))
        api_id = client.import_rest_api(body=orjson.dumps(OPENAPI))["id"]
        before = resources_by_path(client, api_id)
        first.stop(signal.SIGKILL)
    with ServerProcess(data_dir) as second:
        client = boto3.client("apigateway", **client_options(second.endpoint))
        after = resources_by_path(client, api_id)
        assert {p: r["id"] for p, r in after.items()} == {p: r["id"] for p, r in before.items()}
        assert len(client.get_authorizers(restApiId=api_id)["items"]) == 1


def test_what_moto_drops_is_kept(apigateway: Any) -> None:
    api = apigateway.create_rest_api(name="binary", binaryMediaTypes=["image/png"])
    assert api["binaryMediaTypes"] == ["image/png"]
    updated = apigateway.update_rest_api(
        restApiId=api["id"],
        patchOperations=[
            {"op": "add", "path": "/binaryMediaTypes/application~1octet-stream"},
            {"op": "remove", "path": "/binaryMediaTypes/image~1png"},
        ],
    )
    assert updated["binaryMediaTypes"] == ["application/octet-stream"]
    authorizer = apigateway.create_authorizer(
        restApiId=api["id"], name="t", type="TOKEN", authorizerUri=LAMBDA_URI,
        identitySource="method.request.header.Authorization",
        identityValidationExpression="^Bearer .+$",
    )  # fmt: skip
    assert authorizer["identityValidationExpression"] == "^Bearer .+$"
    again = apigateway.get_authorizer(restApiId=api["id"], authorizerId=authorizer["id"])
    assert again["identityValidationExpression"] == "^Bearer .+$"
