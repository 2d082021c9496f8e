"""API Gateway resources, through API Gateway's own API (its control plane is moto's,
extended by lambdaport): REST APIs (``AWS::ApiGateway::RestApi`` from an OpenAPI ``Body`` —
what SAM's ``Api`` events make — or built from ``Resource`` and ``Method`` resources, as CDK
does; ``Deployment``, ``Stage``), HTTP APIs and WebSocket APIs (``AWS::ApiGatewayV2::Api``
from a ``Body`` or quick-created, ``ProtocolType`` HTTP or WEBSOCKET with its
``RouteSelectionExpression``; ``Stage``, ``Integration``, ``IntegrationResponse``, ``Route``,
``RouteResponse``, ``Deployment``)."""

from __future__ import annotations

import uuid
from typing import Any

from lambdaport.services.cloudformation.providers.base import (
    Created,
    Provider,
    ResourceRequest,
    as_json,
    members_of,
    physical_name,
    tag_map,
    text,
)


def _lower(name: str) -> str:
    return name[:1].lower() + name[1:]


def _lower_keys(value: Any) -> Any:
    """CloudFormation's PascalCase members in API Gateway v1's camelCase."""
    if isinstance(value, dict):
        return {_lower(str(k)): _lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower_keys(v) for v in value]
    return value


class RestApi(Provider):
    types = ("AWS::ApiGateway::RestApi",)

    async def _body(self, request: ResourceRequest) -> bytes | None:
        props = request.properties
        if "Body" in props:
            return as_json(props["Body"]).encode()
        location = props.get("BodyS3Location")
        if location:
            answer = await self.call(
                request, "s3", "GetObject", Bucket=str(location["Bucket"]), Key=str(location["Key"])
            )
            return bytes(answer["Body"].read())
        return None

    async def create(self, request: ResourceRequest) -> Created:
        props = request.properties
        body = await self._body(request)
        if body is not None:
            params: dict[str, Any] = {"body": body}
            if "FailOnWarnings" in props:
                params["failOnWarnings"] = text(props["FailOnWarnings"]) == "true"
            if props.get("Parameters"):
                params["parameters"] = {str(k): str(v) for k, v in props["Parameters"].items()}
            api = await self.call(request, "apigateway", "ImportRestApi", **params)
            if props.get("Name") and props["Name"] != api.get("name"):
                await self._rename(request, api["id"], str(props["Name"]))
        else:
            params = {"name": str(props.get("Name") or physical_name(request, max_length=128))}
            if "Description" in props:
                params["description"] = str(props["Description"])
            if props.get("EndpointConfiguration"):
                params["endpointConfiguration"] = _lower_keys(props["EndpointConfiguration"])
            if props.get("BinaryMediaTypes"):
                params["binaryMediaTypes"] = list(props["BinaryMediaTypes"])
            tags = tag_map(props.get("Tags"))
            if tags:
                params["tags"] = tags
            api = await self.call(request, "apigateway", "CreateRestApi", **params)
        return await self._created(request, api["id"])

    async def _rename(self, request: ResourceRequest, api_id: str, name: str) -> None:
        await self.call(
            request,
            "apigateway",
            "UpdateRestApi",
            restApiId=api_id,
            patchOperations=[{"op": "replace", "path": "/name", "value": name}],
        )

    async def _created(self, request: ResourceRequest, api_id: str) -> Created:
        resources = await self.call(
            request, "apigateway", "GetResources", restApiId=api_id, limit=500
        )
        root = next((r["id"] for r in resources.get("items", []) if r.get("path") == "/"), "")
        return Created(api_id, {"RestApiId": api_id, "RootResourceId": root})

    async def update(self, request: ResourceRequest) -> Created:
        body = await self._body(request)
        api_id = request.physical_id
        if body is not None and (
            request.properties.get("Body") != request.previous.get("Body")
            or request.properties.get("BodyS3Location") != request.previous.get("BodyS3Location")
        ):
            await self.call(
                request, "apigateway", "PutRestApi", restApiId=api_id, mode="overwrite", body=body
            )
        name = request.properties.get("Name")
        if name and name != request.previous.get("Name"):
            await self._rename(request, api_id, str(name))
        return await self._created(request, api_id)

    async def delete(self, request: ResourceRequest) -> None:
        await self.attempt(request, "apigateway", "DeleteRestApi", restApiId=request.physical_id)


class Deployment(Provider):
    types = ("AWS::ApiGateway::Deployment",)
    immutable = True

    async def create(self, request: ResourceRequest) -> Created:
        props = request.properties
        params: dict[str, Any] = {"restApiId": str(props["RestApiId"])}
        if props.get("StageName"):
            params["stageName"] = str(props["StageName"])
        if props.get("Description"):
            params["description"] = str(props["Description"])
        deployment = await self.call(request, "apigateway", "CreateDeployment", **params)
        return Created(deployment["id"], {"DeploymentId": deployment["id"]})

    async def delete(self, request: ResourceRequest) -> None:
        api = str(request.properties["RestApiId"])
        if request.properties.get("StageName"):
            await self.attempt(
                request,
                "apigateway",
                "DeleteStage",
                restApiId=api,
                stageName=str(request.properties["StageName"]),
            )
        await self.attempt(
            request,
            "apigateway",
            "DeleteDeployment",
            restApiId=api,
            deploymentId=request.physical_id,
        )


class Stage(Provider):
    types = ("AWS::ApiGateway::Stage",)
    replacement = frozenset({"RestApiId", "StageName"})

    async def create(self, request: ResourceRequest) -> Created:
        props = request.properties
        params: dict[str, Any] = {
            "restApiId": str(props["RestApiId"]),
            "stageName": str(props["StageName"]),
            "deploymentId": str(props["DeploymentId"]),
        }
        if props.get("Description"):
            params["description"] = str(props["Description"])
        if props.get("Variables"):
            params["variables"] = {str(k): str(v) for k, v in props["Variables"].items()}
        if "TracingEnabled" in props:
            params["tracingEnabled"] = text(props["TracingEnabled"]) == "true"
        tags = tag_map(props.get("Tags"))
        if tags:
            params["tags"] = tags
        await self.call(request, "apigateway", "CreateStage", **params)
        return Created(str(props["StageName"]))

    async def update(self, request: ResourceRequest) -> Created:
        props, previous = request.properties, request.previous
        operations: list[dict[str, str]] = []
        if props.get("DeploymentId") != previous.get("DeploymentId"):
            operations.append(
                {"op": "replace", "path": "/deploymentId", "value": str(props["DeploymentId"])}
            )
        old_vars, new_vars = previous.get("Variables") or {}, props.get("Variables") or {}
        for key in old_vars.keys() - new_vars.keys():
            operations.append({"op": "remove", "path": f"/variables/{key}"})
        for key, value in new_vars.items():
            if old_vars.get(key) != value:
                operations.append(
                    {"op": "replace", "path": f"/variables/{key}", "value": str(value)}
                )
        if operations:
            await self.call(
                request,
                "apigateway",
                "UpdateStage",
                restApiId=str(props["RestApiId"]),
                stageName=request.physical_id,
                patchOperations=operations,
            )
        return Created(request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        await self.attempt(
            request,
            "apigateway",
            "DeleteStage",
            restApiId=str(request.properties["RestApiId"]),
            stageName=request.physical_id,
        )


class RestResource(Provider):
    types = ("AWS::ApiGateway::Resource",)
    immutable = True

    async def create(self, request: ResourceRequest) -> Created:
        props = request.properties
        resource = await self.call(
            request,
            "apigateway",
            "CreateResource",
            restApiId=str(props["RestApiId"]),
            parentId=str(props["ParentId"]),
            pathPart=str(props["PathPart"]),
        )
        return Created(resource["id"], {"ResourceId": resource["id"]})

    async def delete(self, request: ResourceRequest) -> None:
        await self.attempt(
            request,
            "apigateway",
            "DeleteResource",
            restApiId=str(request.properties["RestApiId"]),
            resourceId=request.physical_id,
        )


_INTEGRATION_SKIP = frozenset({"IntegrationResponses"})


class Method(Provider):
    types = ("AWS::ApiGateway::Method",)
    immutable = True

    async def create(self, request: ResourceRequest) -> Created:
        props = request.properties
        where = {
            "restApiId": str(props["RestApiId"]),
            "resourceId": str(props["ResourceId"]),
            "httpMethod": str(props["HttpMethod"]),
        }
        method: dict[str, Any] = {"authorizationType": str(props.get("AuthorizationType", "NONE"))}
        for key in ("AuthorizerId", "OperationName", "RequestValidatorId"):
            if key in props:
                method[_lower(key)] = str(props[key])
        if "ApiKeyRequired" in props:
            method["apiKeyRequired"] = text(props["ApiKeyRequired"]) == "true"
        if props.get("RequestParameters"):
            method["requestParameters"] = {
                k: text(v) == "true" for k, v in props["RequestParameters"].items()
            }
        if props.get("RequestModels"):
            method["requestModels"] = dict(props["RequestModels"])
        await self.call(request, "apigateway", "PutMethod", **where, **method)
        integration = props.get("Integration")
        if integration:
            params = {_lower(k): v for k, v in integration.items() if k not in _INTEGRATION_SKIP}
            if "integrationHttpMethod" in params:
                params["integrationHttpMethod"] = str(params["integrationHttpMethod"])
            await self.call(request, "apigateway", "PutIntegration", **where, **params)
            for response in integration.get("IntegrationResponses") or []:
                answer = {_lower(k): v for k, v in response.items()}
                answer["statusCode"] = str(answer.get("statusCode", "200"))
                await self.call(request, "apigateway", "PutIntegrationResponse", **where, **answer)
        for response in props.get("MethodResponses") or []:
            answer = {_lower(k): v for k, v in response.items()}
            answer["statusCode"] = str(answer.get("statusCode", "200"))
            if "responseParameters" in answer:
                answer["responseParameters"] = {
                    k: text(v) == "true" for k, v in answer["responseParameters"].items()
                }
            await self.call(request, "apigateway", "PutMethodResponse", **where, **answer)
        return Created(physical_name(request, max_length=128))

    async def delete(self, request: ResourceRequest) -> None:
        props = request.properties
        await self.attempt(
            request,
            "apigateway",
            "DeleteMethod",
            restApiId=str(props["RestApiId"]),
            resourceId=str(props["ResourceId"]),
            httpMethod=str(props["HttpMethod"]),
        )


class HttpApi(Provider):
    """An HTTP API; one given as an OpenAPI ``Body`` (SAM's ``HttpApi`` events) is made as
    its routes and integrations (moto's API Gateway v2 has no ``ImportApi``)."""

    types = ("AWS::ApiGatewayV2::Api",)

    async def create(self, request: ResourceRequest) -> Created:
        props = request.properties
        if "Body" in props:
            body = _document(props["Body"])
            name = str(
                props.get("Name")
                or body.get("info", {}).get("title")
                or physical_name(request, max_length=128)
            )
            api = await self.call(
                request, "apigatewayv2", "CreateApi", Name=name, ProtocolType="HTTP"
            )
            await self._routes(request, api["ApiId"], body)
        else:
            params = members_of(
                self.calls, "apigatewayv2", "CreateApi", request, props, skip=("Tags",)
            )
            params.setdefault("Name", physical_name(request, max_length=128))
            params.setdefault("ProtocolType", "HTTP")
            tags = tag_map(props.get("Tags"))
            if tags:
                params["Tags"] = tags
            api = await self.call(request, "apigatewayv2", "CreateApi", **params)
        return self._created(api)

    async def _routes(self, request: ResourceRequest, api_id: str, body: dict[str, Any]) -> None:
        for path, item in (body.get("paths") or {}).items():
            for method, operation in (item or {}).items():
                integration = (operation or {}).get("x-amazon-apigateway-integration")
                if not isinstance(integration, dict):
                    continue
                verb = "ANY" if method == "x-amazon-apigateway-any-method" else method.upper()
                key = "$default" if path == "/$default" else f"{verb} {path}"
                made = await self.call(
                    request,
                    "apigatewayv2",
                    "CreateIntegration",
                    ApiId=api_id,
                    IntegrationType=str(integration.get("type", "aws_proxy")).upper(),
                    IntegrationUri=str(integration.get("uri", "")),
                    IntegrationMethod=str(integration.get("httpMethod", "POST")),
                    PayloadFormatVersion=str(integration.get("payloadFormatVersion", "2.0")),
                )
                await self.call(
                    request,
                    "apigatewayv2",
                    "CreateRoute",
                    ApiId=api_id,
                    RouteKey=key,
                    Target=f"integrations/{made['IntegrationId']}",
                )

    def _created(self, api: dict[str, Any]) -> Created:
        return Created(
            api["ApiId"], {"ApiId": api["ApiId"], "ApiEndpoint": api.get("ApiEndpoint", "")}
        )

    async def update(self, request: ResourceRequest) -> Created:
        props, api_id = request.properties, request.physical_id
        if "Body" in props:
            if props["Body"] != request.previous.get("Body"):
                routes = await self.call(request, "apigatewayv2", "GetRoutes", ApiId=api_id)
                for route in routes.get("Items", []):
                    await self.attempt(
                        request,
                        "apigatewayv2",
                        "DeleteRoute",
                        ApiId=api_id,
                        RouteId=route["RouteId"],
                    )
                integrations = await self.call(
                    request, "apigatewayv2", "GetIntegrations", ApiId=api_id
                )
                for item in integrations.get("Items", []):
                    await self.attempt(
                        request,
                        "apigatewayv2",
                        "DeleteIntegration",
                        ApiId=api_id,
                        IntegrationId=item["IntegrationId"],
                    )
                await self._routes(request, api_id, _document(props["Body"]))
            api = await self.call(request, "apigatewayv2", "GetApi", ApiId=api_id)
        else:
            params = members_of(
                self.calls, "apigatewayv2", "UpdateApi", request, props, skip=("Tags",)
            )
            api = await self.call(request, "apigatewayv2", "UpdateApi", ApiId=api_id, **params)
        return self._created(api)

    async def delete(self, request: ResourceRequest) -> None:
        await self.attempt(request, "apigatewayv2", "DeleteApi", ApiId=request.physical_id)


def _document(body: Any) -> dict[str, Any]:
    if isinstance(body, str):
        import yaml

        loaded = yaml.safe_load(body)
        return loaded if isinstance(loaded, dict) else {}
    return dict(body) if isinstance(body, dict) else {}


class _V2Child(Provider):
    """A stage, integration or route of an HTTP API: made by ``Create<Kind>``."""

    kind = ""
    id_member = ""
    parents: tuple[str, ...] = ()  # the members naming it besides ApiId (a route response's)

    async def create(self, request: ResourceRequest) -> Created:
        params = members_of(
            self.calls,
            "apigatewayv2",
            f"Create{self.kind}",
            request,
            request.properties,
            skip=("Tags",),
        )
        answer = await self.call(request, "apigatewayv2", f"Create{self.kind}", **params)
        physical = str(answer.get(self.id_member) or request.properties.get("StageName", ""))
        return Created(physical, {f"{self.kind}Id": physical})

    async def update(self, request: ResourceRequest) -> Created:
        operation = f"Update{self.kind}"
        params = members_of(
            self.calls, "apigatewayv2", operation, request, request.properties, skip=("Tags",)
        )
        params[self.id_member or "StageName"] = request.physical_id
        await self.call(request, "apigatewayv2", operation, **params)
        return Created(request.physical_id, dict(request.attributes))

    async def delete(self, request: ResourceRequest) -> None:
        key = self.id_member or "StageName"
        parents = {name: str(request.properties[name]) for name in self.parents}
        await self.attempt(
            request,
            "apigatewayv2",
            f"Delete{self.kind}",
            ApiId=str(request.properties["ApiId"]),
            **parents,
            **{key: request.physical_id},
        )


class HttpStage(_V2Child):
    types = ("AWS::ApiGatewayV2::Stage",)
    replacement = frozenset({"ApiId", "StageName"})
    kind = "Stage"


class HttpIntegration(_V2Child):
    types = ("AWS::ApiGatewayV2::Integration",)
    replacement = frozenset({"ApiId"})
    kind = "Integration"
    id_member = "IntegrationId"


class HttpRoute(_V2Child):
    types = ("AWS::ApiGatewayV2::Route",)
    replacement = frozenset({"ApiId"})
    kind = "Route"
    id_member = "RouteId"


class HttpRouteResponse(_V2Child):
    """A WebSocket route's response (``$default``: the route is two-way); moto has no
    ``UpdateRouteResponse``, so any change replaces it."""

    types = ("AWS::ApiGatewayV2::RouteResponse",)
    replacement = frozenset(
        {"ApiId", "RouteId", "RouteResponseKey", "ModelSelectionExpression", "ResponseModels"}
    )
    kind = "RouteResponse"
    id_member = "RouteResponseId"
    parents = ("RouteId",)


class HttpIntegrationResponse(_V2Child):
    types = ("AWS::ApiGatewayV2::IntegrationResponse",)
    replacement = frozenset({"ApiId", "IntegrationId"})
    kind = "IntegrationResponse"
    id_member = "IntegrationResponseId"
    parents = ("IntegrationId",)


class HttpDeployment(Provider):
    """A deployment of an HTTP or WebSocket API: every stage serves its API as it is now
    (moto keeps no deployments, and lambdaport's stages behave as auto-deployed), so it is
    an id the template's stages may name."""

    types = ("AWS::ApiGatewayV2::Deployment",)
    replacement = frozenset({"ApiId"})

    async def create(self, request: ResourceRequest) -> Created:
        physical = uuid.uuid4().hex[:6]
        return Created(physical, {"DeploymentId": physical})

    async def update(self, request: ResourceRequest) -> Created:
        return Created(request.physical_id, dict(request.attributes))

    async def delete(self, request: ResourceRequest) -> None:
        return None


APIGATEWAY = (
    RestApi,
    Deployment,
    Stage,
    RestResource,
    Method,
    HttpApi,
    HttpStage,
    HttpIntegration,
    HttpRoute,
    HttpRouteResponse,
    HttpIntegrationResponse,
    HttpDeployment,
)
