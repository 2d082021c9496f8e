"""``ImportRestApi`` and ``PutRestApi``: an OpenAPI 3 or Swagger 2 definition (JSON or YAML)
with API Gateway's extensions, made into a REST API
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions.html).

moto imports only part of OpenAPI 3 and refuses Swagger 2, so lambdaport answers both
operations itself (a ``before`` hook): the definition becomes the control-plane calls a
client would make — ``CreateRestApi``, ``CreateModel`` (``components.schemas`` /
``definitions``), ``CreateRequestValidator`` (``x-amazon-apigateway-request-validators``),
``CreateAuthorizer`` (security schemes with ``x-amazon-apigateway-authorizer``),
``CreateResource`` for every path part, ``PutMethod`` (security: authorizers, API keys,
``awsSigv4``; parameters; request models; validators), ``PutMethodResponse``,
``PutIntegration`` and ``PutIntegrationResponse`` (``x-amazon-apigateway-integration``),
``PutGatewayResponse`` (``x-amazon-apigateway-gateway-responses``) — each run and
journaled by moto (``control``), and the answer is ``GetRestApi``'s. ``PutRestApi`` with
``mode=overwrite`` first deletes the API's resources, models, validators and authorizers;
``merge`` adds to them. Unlike API Gateway the import is not atomic: a call moto refuses
midway leaves what was made before it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
import yaml

from lambdaport.errors import AwsError
from lambdaport.protocol.base import HttpResponse
from lambdaport.request import RequestContext
from lambdaport.services.moto_tail.apigateway.control import ControlCalls
from lambdaport.services.moto_tail.apigateway.directory import RestApiDirectory
from lambdaport.services.moto_tail.apigateway.fixes import binary_patches
from lambdaport.services.moto_tail.engine import MotoEngine
from lambdaport.services.moto_tail.operation_hooks import OperationHook
from lambdaport.services.moto_tail.protocol import MotoCall

VERBS = {
    "get": "GET",
    "put": "PUT",
    "post": "POST",
    "delete": "DELETE",
    "options": "OPTIONS",
    "head": "HEAD",
    "patch": "PATCH",
    "x-amazon-apigateway-any-method": "ANY",
}
_LOCATIONS = {"path": "path", "query": "querystring", "header": "header"}


def bad_request(message: str) -> AwsError:
    return AwsError("BadRequestException", message, 400)


def parse_definition(body: bytes) -> dict[str, Any]:
    """The definition (JSON, else YAML); 400 when it is neither or not OpenAPI/Swagger."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        try:
            document = yaml.safe_load(body)
        except yaml.YAMLError:
            raise bad_request("Invalid OpenAPI input.") from None
    if not isinstance(document, dict) or not ("openapi" in document or "swagger" in document):
        raise bad_request(
            "Invalid OpenAPI input: the definition names no 'openapi' or 'swagger' version."
        )
    if not isinstance(document.get("paths", {}), dict):
        raise bad_request("Invalid OpenAPI input: 'paths' is not an object.")
    return document


class RestApiImport:
    """The ``ImportRestApi`` and ``PutRestApi`` hooks (see the module docstring)."""

    def __init__(self, engine: MotoEngine, directory: RestApiDirectory) -> None:
        self._engine = engine
        self._directory = directory

    def import_hook(self) -> OperationHook[None]:
        return OperationHook(before=self.import_api)

    def put_hook(self) -> OperationHook[None]:
        return OperationHook(before=self.put_api)

    async def import_api(self, call: MotoCall, ctx: RequestContext) -> HttpResponse:
        document = parse_definition(_body(call))
        control = ControlCalls(self._engine, self._directory, call, ctx)
        info = document.get("info") or {}
        params: dict[str, Any] = {"name": str(info.get("title") or "imported")}
        if info.get("description"):
            params["description"] = str(info["description"])
        settings = _api_settings(document, call.params.get("parameters") or {})
        kinds = settings.pop("binaryMediaTypes", [])
        params.update(settings)
        api = await control.call("CreateRestApi", params)
        if kinds:
            patches = binary_patches(kinds)
            await control.call(
                "UpdateRestApi", {"restApiId": api["id"], "patchOperations": patches}
            )
        await Definition(control, api["id"], document).apply(api["rootResourceId"])
        return await _answer(control, api["id"], 201)

    async def put_api(self, call: MotoCall, ctx: RequestContext) -> HttpResponse:
        document = parse_definition(_body(call))
        control = ControlCalls(self._engine, self._directory, call, ctx)
        api_id = str(call.params["restApiId"])
        api = await control.call("GetRestApi", {"restApiId": api_id})
        if str(call.params.get("mode") or "merge") == "overwrite":
            await _clear(control, api_id)
        settings = _api_settings(document, call.params.get("parameters") or {})
        known = api.get("binaryMediaTypes") or ()
        patches = binary_patches(
            [kind for kind in settings.get("binaryMediaTypes", ()) if kind not in known]
        )
        if "apiKeySource" in settings:
            patches.append(
                {"op": "replace", "path": "/apiKeySource", "value": settings["apiKeySource"]}
            )
        if patches:
            await control.call("UpdateRestApi", {"restApiId": api_id, "patchOperations": patches})
        await Definition(control, api_id, document).apply(str(api["rootResourceId"]))
        return await _answer(control, api_id, 200)


def _body(call: MotoCall) -> bytes:
    body = call.params.get("body")
    if isinstance(body, str):
        return body.encode("utf-8")
    return bytes(body or b"")


async def _answer(control: ControlCalls, api_id: str, status: int) -> HttpResponse:
    api = await control.call("GetRestApi", {"restApiId": api_id})
    return HttpResponse(status, [("content-type", "application/json")], orjson.dumps(api))


def _api_settings(document: Mapping[str, Any], parameters: Mapping[str, str]) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    binary = document.get("x-amazon-apigateway-binary-media-types")
    if isinstance(binary, list) and binary:
        settings["binaryMediaTypes"] = [str(kind) for kind in binary]
    source = document.get("x-amazon-apigateway-api-key-source")
    if source in ("HEADER", "AUTHORIZER"):
        settings["apiKeySource"] = source
    policy = document.get("x-amazon-apigateway-policy")
    if isinstance(policy, dict):
        settings["policy"] = orjson.dumps(policy).decode()
    types = parameters.get("endpointConfigurationTypes")
    endpoint = document.get("x-amazon-apigateway-endpoint-configuration")
    if types:
        settings["endpointConfiguration"] = {"types": [types]}
    elif isinstance(endpoint, dict) and endpoint.get("types"):
        settings["endpointConfiguration"] = {"types": list(endpoint["types"])}
    return settings


async def _clear(control: ControlCalls, api_id: str) -> None:
    """``mode=overwrite``: what the definition will define again is deleted first."""
    resources = await control.call("GetResources", {"restApiId": api_id, "limit": 500})
    deepest_first = sorted(
        resources.get("item") or (), key=lambda r: -str(r.get("path", "/")).count("/")
    )
    for resource in deepest_first:  # moto deletes a resource alone, not its children
        if resource.get("parentId"):
            await control.call(
                "DeleteResource", {"restApiId": api_id, "resourceId": resource["id"]}
            )
    remaining = await control.call("GetResources", {"restApiId": api_id, "limit": 500})
    for resource in remaining.get("item") or ():
        for verb in resource.get("resourceMethods") or {}:
            await control.call(
                "DeleteMethod",
                {"restApiId": api_id, "resourceId": resource["id"], "httpMethod": verb},
            )
    for kind, listing, key in (
        ("Model", "GetModels", "modelName"),
        ("RequestValidator", "GetRequestValidators", "requestValidatorId"),
        ("Authorizer", "GetAuthorizers", "authorizerId"),
    ):
        found = await control.call(listing, {"restApiId": api_id})
        for item in found.get("item") or ():
            ident = item["name"] if kind == "Model" else item["id"]
            await control.call(f"Delete{kind}", {"restApiId": api_id, key: ident})


class Definition:
    """One definition applied to one API."""

    def __init__(self, control: ControlCalls, api_id: str, document: Mapping[str, Any]) -> None:
        self._control = control
        self._api_id = api_id
        self._document = document
        self._swagger = "swagger" in document
        self._validators: dict[str, str] = {}
        self._authorizers: dict[str, tuple[str, str]] = {}  # scheme -> (id, type)
        self._api_keys: set[str] = set()
        self._iam: set[str] = set()
        self._resources: dict[str, str] = {}
        self._listed: dict[str, str] | None = None

    def _schemes(self) -> Mapping[str, Any]:
        if self._swagger:
            return self._document.get("securityDefinitions") or {}
        return (self._document.get("components") or {}).get("securitySchemes") or {}

    def _schemas(self) -> Mapping[str, Any]:
        if self._swagger:
            return self._document.get("definitions") or {}
        return (self._document.get("components") or {}).get("schemas") or {}

    async def apply(self, root_id: str) -> None:
        self._resources["/"] = root_id
        await self._models()
        await self._request_validators()
        await self._security()
        for path in sorted(self._document.get("paths") or {}):
            item = self._document["paths"][path]
            if not isinstance(item, dict):
                continue
            resource_id = await self._resource(path)
            shared = item.get("parameters") or []
            for key, operation in item.items():
                verb = VERBS.get(key.lower())
                if verb is not None and isinstance(operation, dict):
                    await self._method(resource_id, verb, operation, shared)
        await self._gateway_responses()

    async def _models(self) -> None:
        for name, schema in self._schemas().items():
            await self._control.call(
                "CreateModel",
                {
                    "restApiId": self._api_id,
                    "name": name,
                    "schema": orjson.dumps(_model_schema(schema, self._swagger)).decode(),
                    "contentType": "application/json",
                },
            )

    async def _request_validators(self) -> None:
        validators = self._document.get("x-amazon-apigateway-request-validators") or {}
        for name, settings in validators.items():
            created = await self._control.call(
                "CreateRequestValidator",
                {
                    "restApiId": self._api_id,
                    "name": name,
                    "validateRequestBody": bool(settings.get("validateRequestBody")),
                    "validateRequestParameters": bool(settings.get("validateRequestParameters")),
                },
            )
            self._validators[name] = created["id"]

    async def _security(self) -> None:
        for name, scheme in self._schemes().items():
            if not isinstance(scheme, dict):
                continue
            authorizer = scheme.get("x-amazon-apigateway-authorizer")
            if isinstance(authorizer, dict):
                await self._authorizer(name, scheme, authorizer)
            elif str(scheme.get("x-amazon-apigateway-authtype", "")).lower() == "awssigv4":
                self._iam.add(name)
            elif scheme.get("type") == "apiKey":
                self._api_keys.add(name)

    async def _authorizer(
        self, name: str, scheme: Mapping[str, Any], authorizer: Mapping[str, Any]
    ) -> None:
        kind = str(authorizer.get("type", "token")).upper()
        params: dict[str, Any] = {"restApiId": self._api_id, "name": name, "type": kind}
        if authorizer.get("authorizerUri"):
            params["authorizerUri"] = authorizer["authorizerUri"]
        if authorizer.get("authorizerCredentials"):
            params["authorizerCredentials"] = authorizer["authorizerCredentials"]
        if "authorizerResultTtlInSeconds" in authorizer:
            params["authorizerResultTtlInSeconds"] = int(authorizer["authorizerResultTtlInSeconds"])
        source = authorizer.get("identitySource")
        if not source and scheme.get("in") == "header" and scheme.get("name"):
            source = f"method.request.header.{scheme['name']}"
        if source:
            params["identitySource"] = source
        if authorizer.get("identityValidationExpression"):
            params["identityValidationExpression"] = authorizer["identityValidationExpression"]
        if authorizer.get("providerARNs"):
            params["providerARNs"] = list(authorizer["providerARNs"])
        created = await self._control.call("CreateAuthorizer", params)
        authorization = "COGNITO_USER_POOLS" if kind == "COGNITO_USER_POOLS" else "CUSTOM"
        self._authorizers[name] = (created["id"], authorization)

    async def _resource(self, path: str) -> str:
        """The resource of ``path``, its missing ancestors created first."""
        known = self._resources.get(path)
        if known is not None:
            return known
        parent_path, _, part = path.rstrip("/").rpartition("/")
        parent = await self._resource(parent_path or "/")
        existing = await self._existing(path)
        if existing is None:
            created = await self._control.call(
                "CreateResource",
                {"restApiId": self._api_id, "parentId": parent, "pathPart": part},
            )
            existing = created["id"]
        self._resources[path] = existing
        return existing

    async def _existing(self, path: str) -> str | None:
        """A resource the API already has (``PutRestApi`` in ``merge`` mode)."""
        if self._listed is None:
            listed = await self._control.call(
                "GetResources", {"restApiId": self._api_id, "limit": 500}
            )
            self._listed = {str(r["path"]): str(r["id"]) for r in listed.get("item") or ()}
        return self._listed.get(path)

    async def _method(
        self, resource_id: str, verb: str, operation: Mapping[str, Any], shared: list[Any]
    ) -> None:
        params: dict[str, Any] = {
            "restApiId": self._api_id,
            "resourceId": resource_id,
            "httpMethod": verb,
            "authorizationType": "NONE",
        }
        params.update(self._security_of(operation))
        parameters = _request_parameters([*shared, *(operation.get("parameters") or [])])
        if parameters:
            params["requestParameters"] = parameters
        models = self._request_models(operation)
        if models:
            params["requestModels"] = models
        validator = operation.get(
            "x-amazon-apigateway-request-validator",
            self._document.get("x-amazon-apigateway-request-validator"),
        )
        if validator in self._validators:
            params["requestValidatorId"] = self._validators[validator]
        if operation.get("operationId"):
            params["operationName"] = str(operation["operationId"])
        await self._control.call("PutMethod", params)
        where = {"restApiId": self._api_id, "resourceId": resource_id, "httpMethod": verb}
        await self._method_responses(where, operation.get("responses") or {})
        integration = operation.get("x-amazon-apigateway-integration")
        if isinstance(integration, dict):
            await self._integration(where, integration)

    def _security_of(self, operation: Mapping[str, Any]) -> dict[str, Any]:
        """A method's authorization members from its (or the definition's) security."""
        params: dict[str, Any] = {}
        security = operation.get("security", self._document.get("security")) or []
        for requirement in security:
            for scheme, scopes in (requirement or {}).items():
                if scheme in self._authorizers:
                    params["authorizerId"], params["authorizationType"] = self._authorizers[scheme]
                    if scopes:
                        params["authorizationScopes"] = list(scopes)
                elif scheme in self._iam:
                    params["authorizationType"] = "AWS_IAM"
                elif scheme in self._api_keys:
                    params["apiKeyRequired"] = True
        return params

    async def _method_responses(
        self, where: Mapping[str, Any], responses: Mapping[str, Any]
    ) -> None:
        for code, response in responses.items():
            if not str(code).isdigit():
                continue
            headers = (response or {}).get("headers") or {}
            await self._control.call(
                "PutMethodResponse",
                {
                    **where,
                    "statusCode": str(code),
                    "responseParameters": {f"method.response.header.{h}": False for h in headers},
                },
            )

    def _request_models(self, operation: Mapping[str, Any]) -> dict[str, str]:
        models: dict[str, str] = {}
        if self._swagger:
            kinds = (
                operation.get("consumes") or self._document.get("consumes") or ["application/json"]
            )
            for parameter in operation.get("parameters") or ():
                if isinstance(parameter, dict) and parameter.get("in") == "body":
                    name = _ref_name((parameter.get("schema") or {}).get("$ref"))
                    if name:
                        models.update({kind: name for kind in kinds})
            return models
        content = (operation.get("requestBody") or {}).get("content") or {}
        for kind, media in content.items():
            name = _ref_name(((media or {}).get("schema") or {}).get("$ref"))
            if name:
                models[kind] = name
        return models

    async def _integration(self, where: Mapping[str, Any], integration: Mapping[str, Any]) -> None:
        params: dict[str, Any] = {**where, "type": str(integration.get("type", "")).upper()}
        for member, name in (
            ("uri", "uri"),
            ("httpMethod", "integrationHttpMethod"),
            ("credentials", "credentials"),
            ("requestTemplates", "requestTemplates"),
            ("requestParameters", "requestParameters"),
            ("passthroughBehavior", "passthroughBehavior"),
            ("contentHandling", "contentHandling"),
            ("cacheNamespace", "cacheNamespace"),
            ("cacheKeyParameters", "cacheKeyParameters"),
            ("connectionType", "connectionType"),
            ("connectionId", "connectionId"),
        ):
            if integration.get(member) is not None:
                params[name] = integration[member]
        if integration.get("passthroughBehavior"):
            params["passthroughBehavior"] = str(integration["passthroughBehavior"]).upper()
        if integration.get("timeoutInMillis") is not None:
            params["timeoutInMillis"] = int(integration["timeoutInMillis"])
        await self._control.call("PutIntegration", params)
        for pattern, response in (integration.get("responses") or {}).items():
            if not isinstance(response, dict):
                continue
            answer: dict[str, Any] = {**where, "statusCode": str(response.get("statusCode", 200))}
            if pattern != "default":
                answer["selectionPattern"] = str(pattern)
            for member in ("responseTemplates", "responseParameters", "contentHandling"):
                if response.get(member) is not None:
                    answer[member] = response[member]
            await self._control.call("PutIntegrationResponse", answer)

    async def _gateway_responses(self) -> None:
        responses = self._document.get("x-amazon-apigateway-gateway-responses") or {}
        for kind, response in responses.items():
            if not isinstance(response, dict):
                continue
            params: dict[str, Any] = {"restApiId": self._api_id, "responseType": kind}
            if response.get("statusCode") is not None:
                params["statusCode"] = str(response["statusCode"])
            for member in ("responseParameters", "responseTemplates"):
                if response.get(member):
                    params[member] = dict(response[member])
            await self._control.call("PutGatewayResponse", params)


def _ref_name(ref: Any) -> str | None:
    if not isinstance(ref, str) or "/" not in ref:
        return None
    return ref.rsplit("/", 1)[1]


def _request_parameters(parameters: list[Any]) -> dict[str, bool]:
    found: dict[str, bool] = {}
    for parameter in parameters:
        if not isinstance(parameter, dict):
            continue
        location = _LOCATIONS.get(str(parameter.get("in")))
        if location is None or not parameter.get("name"):
            continue
        required = bool(parameter.get("required")) or location == "path"
        found[f"method.request.{location}.{parameter['name']}"] = required
    return found


def _model_schema(schema: Any, swagger: bool) -> Any:
    """A definition's schema as an API Gateway model (draft 4; references to other models
    as API Gateway writes them)."""
    if isinstance(schema, dict):
        converted = {}
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str):
                converted[key] = value  # kept as written
            else:
                converted[key] = _model_schema(value, swagger)
        return converted
    if isinstance(schema, list):
        return [_model_schema(item, swagger) for item in schema]
    return schema
