"""``GetExport``: a deployed REST API as an OpenAPI 3 (``oas30``) or Swagger 2 (``swagger``)
definition, JSON or YAML (``accepts``), with API Gateway's extensions when asked
(``parameters.extensions``: ``integrations`` or ``apigateway`` adds
``x-amazon-apigateway-integration``, ``authorizers`` the authorizers)
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-export-api.html).
moto's own export is a Swagger skeleton, so lambdaport answers the operation (a ``before``
hook) from the directory's read of moto's state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
import yaml

from lambdaport.errors import AwsError
from lambdaport.protocol.base import HttpResponse
from lambdaport.request import RequestContext
from lambdaport.services.interfaces import RestApi, RestAuthorizer, RestIntegration, RestMethod
from lambdaport.services.moto_tail.apigateway.directory import RestApiDirectory
from lambdaport.services.moto_tail.apigateway.openapi import VERBS
from lambdaport.services.moto_tail.operation_hooks import OperationHook
from lambdaport.services.moto_tail.protocol import MotoCall

_VERB_KEYS = {verb: key for key, verb in VERBS.items()}
_LOCATIONS = {"path": "path", "querystring": "query", "header": "header"}


class RestApiExport:
    def __init__(self, directory: RestApiDirectory) -> None:
        self._directory = directory

    def hook(self) -> OperationHook[None]:
        return OperationHook(before=self.export)

    async def export(self, call: MotoCall, ctx: RequestContext) -> HttpResponse:
        api_id = str(call.params["restApiId"])
        api = await self._directory.rest_api(ctx.account_id, ctx.region, api_id)
        if api is None:
            raise AwsError(
                "NotFoundException",
                f"Invalid API identifier specified {ctx.account_id}:{api_id}",
                404,
            )
        stage = str(call.params["stageName"])
        if stage not in api.stages:
            raise AwsError("NotFoundException", "Invalid stage identifier specified", 404)
        kind = str(call.params["exportType"]).lower()
        if kind not in ("oas30", "swagger"):
            raise AwsError("BadRequestException", f"No API exporter for type '{kind}'", 400)
        extensions = str((call.params.get("parameters") or {}).get("extensions", ""))
        wanted = {part.strip() for part in extensions.split(",") if part.strip()}
        document = export_document(api, stage, kind == "swagger", wanted)
        accepts = str(call.params.get("accepts") or "application/json")
        if "yaml" in accepts:
            body = yaml.safe_dump(document, sort_keys=False).encode()
            content_type, suffix = "application/yaml", "yaml"
        else:
            body = orjson.dumps(document, option=orjson.OPT_INDENT_2)
            content_type, suffix = "application/json", "json"
        filename = f"{kind}_{api.id}_{stage}.{suffix}"
        return HttpResponse(
            200,
            [
                ("content-type", content_type),
                ("content-disposition", f'attachment; filename="{filename}"'),
            ],
            body,
        )


def export_document(api: RestApi, stage: str, swagger: bool, wanted: set[str]) -> dict[str, Any]:
    integrations = bool(wanted & {"integrations", "apigateway"})
    authorizers = bool(wanted & {"authorizers", "apigateway"})
    host = f"{api.id}.execute-api.{api.region}.amazonaws.com"
    document: dict[str, Any]
    if swagger:
        document = {
            "swagger": "2.0",
            "info": {"title": api.name, "version": "1.0"},
            "host": host,
            "basePath": f"/{stage}",
            "schemes": ["https"],
        }
    else:
        document = {
            "openapi": "3.0.1",
            "info": {"title": api.name, "version": "1.0"},
            "servers": [
                {
                    "url": f"https://{host}/{{basePath}}",
                    "variables": {"basePath": {"default": stage}},
                }
            ],
        }
    paths: dict[str, Any] = {}
    for resource in sorted(api.resources, key=lambda r: r.path):
        if not resource.methods:
            continue
        paths[resource.path] = {
            _VERB_KEYS.get(verb, verb.lower()): _operation(api, method, swagger, integrations)
            for verb, method in sorted(resource.methods.items())
        }
    document["paths"] = paths
    schemas = {name: orjson.loads(m.schema) for name, m in api.models.items() if m.schema}
    schemes = {a.name: _scheme(a, authorizers) for a in api.authorizers.values()}
    if any(m.api_key_required for r in api.resources for m in r.methods.values()):
        schemes["api_key"] = {"type": "apiKey", "name": "x-api-key", "in": "header"}
    document.update(_definitions(swagger, schemas, schemes))
    if api.binary_media_types:
        document["x-amazon-apigateway-binary-media-types"] = list(api.binary_media_types)
    if "apigateway" in wanted:
        document.update(_api_extensions(api))
    return document


def _definitions(
    swagger: bool, schemas: Mapping[str, Any], schemes: Mapping[str, Any]
) -> dict[str, Any]:
    if swagger:
        found = {"securityDefinitions": schemes, "definitions": schemas}
        return {key: dict(value) for key, value in found.items() if value}
    components = {"schemas": schemas, "securitySchemes": schemes}
    present = {key: dict(value) for key, value in components.items() if value}
    return {"components": present} if present else {}


def _api_extensions(api: RestApi) -> dict[str, Any]:
    extensions: dict[str, Any] = {}
    validators = {
        v.name: {
            "validateRequestBody": v.validate_body,
            "validateRequestParameters": v.validate_parameters,
        }
        for v in api.request_validators.values()
    }
    if validators:
        extensions["x-amazon-apigateway-request-validators"] = validators
    responses: dict[str, Any] = {}
    for g in api.gateway_responses.values():
        entry: dict[str, Any] = {}
        if g.status_code:
            entry["statusCode"] = g.status_code
        if g.response_parameters:
            entry["responseParameters"] = dict(g.response_parameters)
        if g.response_templates:
            entry["responseTemplates"] = dict(g.response_templates)
        responses[g.response_type] = entry
    if responses:
        extensions["x-amazon-apigateway-gateway-responses"] = responses
    return extensions


def _operation(
    api: RestApi, method: RestMethod, swagger: bool, integrations: bool
) -> dict[str, Any]:
    operation: dict[str, Any] = {}
    parameters = [
        {
            "name": name.split(".", 3)[3],
            "in": _LOCATIONS.get(name.split(".")[2], "query"),
            "required": required,
            **({"type": "string"} if swagger else {"schema": {"type": "string"}}),
        }
        for name, required in method.request_parameters.items()
        if name.count(".") >= 3
    ]
    if parameters:
        operation["parameters"] = parameters
    if method.request_models:
        if swagger:
            name = next(iter(method.request_models.values()))
            operation.setdefault("parameters", []).append(
                {"in": "body", "name": name, "required": True,
                 "schema": {"$ref": f"#/definitions/{name}"}}
            )  # fmt: skip
        else:
            operation["requestBody"] = {
                "content": {
                    kind: {"schema": {"$ref": f"#/components/schemas/{name}"}}
                    for kind, name in method.request_models.items()
                },
                "required": True,
            }
    operation["responses"] = {
        code: {"description": f"{code} response"} for code in sorted(method.method_responses)
    } or {"200": {"description": "200 response"}}
    security: list[dict[str, list[str]]] = []
    authorizer = api.authorizers.get(method.authorizer_id or "")
    if authorizer is not None and method.authorization_type in ("CUSTOM", "COGNITO_USER_POOLS"):
        security.append({authorizer.name: list(method.authorization_scopes)})
    if method.api_key_required:
        security.append({"api_key": []})
    if security:
        operation["security"] = security
    if method.request_validator_id in api.request_validators:
        operation["x-amazon-apigateway-request-validator"] = api.request_validators[
            method.request_validator_id or ""
        ].name
    if integrations and method.integration is not None:
        operation["x-amazon-apigateway-integration"] = _integration(method.integration)
    return operation


def _integration(integration: RestIntegration) -> dict[str, Any]:
    document: dict[str, Any] = {"type": integration.type.lower()}
    if integration.uri:
        document["uri"] = integration.uri
    if integration.http_method:
        document["httpMethod"] = integration.http_method
    if integration.request_templates:
        document["requestTemplates"] = dict(integration.request_templates)
    if integration.request_parameters:
        document["requestParameters"] = dict(integration.request_parameters)
    document["passthroughBehavior"] = integration.passthrough_behavior.lower()
    document["timeoutInMillis"] = integration.timeout_ms
    if integration.content_handling:
        document["contentHandling"] = integration.content_handling
    responses: dict[str, Any] = {}
    for response in integration.responses:
        entry: dict[str, Any] = {"statusCode": response.status_code}
        if response.response_templates:
            entry["responseTemplates"] = dict(response.response_templates)
        if response.response_parameters:
            entry["responseParameters"] = dict(response.response_parameters)
        responses[response.selection_pattern or "default"] = entry
    if responses:
        document["responses"] = responses
    return document


def _scheme(authorizer: RestAuthorizer, extensions: bool) -> Mapping[str, Any]:
    source = authorizer.identity_source or "method.request.header.Authorization"
    header = source.split(",")[0].strip().rsplit(".", 1)[-1]
    scheme: dict[str, Any] = {"type": "apiKey", "name": header, "in": "header"}
    kind = authorizer.type.lower()
    scheme["x-amazon-apigateway-authtype"] = (
        "cognito_user_pools" if kind == "cognito_user_pools" else "custom"
    )
    if extensions:
        settings: dict[str, Any] = {"type": kind}
        if authorizer.uri:
            settings["authorizerUri"] = authorizer.uri
        if authorizer.provider_arns:
            settings["providerARNs"] = list(authorizer.provider_arns)
        settings["authorizerResultTtlInSeconds"] = authorizer.ttl_seconds
        if authorizer.identity_source and kind == "request":
            settings["identitySource"] = authorizer.identity_source
        if authorizer.identity_validation_expression:
            settings["identityValidationExpression"] = authorizer.identity_validation_expression
        scheme["x-amazon-apigateway-authorizer"] = settings
    return scheme
