"""HTTP APIs' data plane (apigatewayv2, ``ProtocolType`` HTTP): a request to
``{api-id}.execute-api.localhost/{stage}/...`` finds its stage and route (``routes``), is
authorized (``authorizers``), becomes the integration's event (payload 2.0 or 1.0) and the
function's answer an HTTP response
(https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).

Errors as API Gateway answers them: no stage or route 404 ``{"message":"Not Found"}``;
the function failing, refusing the invoke (no ``apigateway.amazonaws.com`` statement for
the route's ARN), throttled or answering malformed 500 ``{"message":"Internal Server
Error"}``; the integration's timeout (``TimeoutInMillis``, 30 s at most) 503
``{"message":"Service Unavailable"}``. CORS: the API's ``CorsConfiguration`` answers
preflights itself and adds its headers to every response. Every stage serves the API as it
is now, as a stage with ``AutoDeploy`` does (moto keeps no deployments).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from lambdaport.endpoint import CorsAnswer, CorsRequest
from lambdaport.errors import AwsError
from lambdaport.http_fronts.addressing import Addresses, FrontAddress
from lambdaport.http_fronts.api_model import HttpApi, HttpApiDirectory, HttpIntegration
from lambdaport.http_fronts.authorizers import (
    Authorized,
    AuthorizerFailed,
    Forbidden,
    IdentitySources,
    KeySets,
    LambdaAuthorizers,
    Unauthorized,
    authorize_jwt,
    function_of,
)
from lambdaport.http_fronts.exchange import FrontRequest, FrontResponse, json_answer
from lambdaport.http_fronts.payloads import (
    EventContext,
    MalformedResponse,
    encode_event,
    event_v1,
    event_v2,
    response_v1,
    response_v2,
)
from lambdaport.http_fronts.routes import (
    DEFAULT_ROUTE,
    RouteMatch,
    StagePath,
    select_route,
    stage_of,
)
from lambdaport.invoke.ids import new_request_id
from lambdaport.invoke.triggers import PushTriggers, TriggerSource, TriggerTimedOut

logger = logging.getLogger("lambdaport.http_fronts")

PRINCIPAL = "apigateway.amazonaws.com"
MAX_TIMEOUT_MS = 30000


def _answer(status: int, message: str, request_id: str) -> FrontResponse:
    return json_answer(status, {"message": message}, [("apigw-requestid", request_id)])


def not_found(request_id: str) -> FrontResponse:
    return _answer(404, "Not Found", request_id)


def internal_error(request_id: str) -> FrontResponse:
    return _answer(500, "Internal Server Error", request_id)


class HttpApiFront:
    def __init__(self, apis: HttpApiDirectory, triggers: PushTriggers, key_sets: KeySets) -> None:
        self._apis = apis
        self._triggers = triggers
        self._key_sets = key_sets
        self._lambda_authorizers = LambdaAuthorizers(triggers)

    async def _api(self, address: FrontAddress) -> HttpApi | None:
        api = await self._apis.api(address.ident)
        return api if api is not None and api.protocol_type == "HTTP" else None

    async def owns(self, address: FrontAddress) -> bool:
        return await self._api(address) is not None

    async def cors(self, address: FrontAddress, request: CorsRequest) -> CorsAnswer | None:
        api = await self._api(address)
        if api is None:
            return None
        return None if api.cors is None else api.cors.answer(request)

    async def index(self, addresses: Addresses) -> list[dict[str, Any]]:
        return [
            {
                "apiId": api.api_id,
                "name": api.name,
                "protocolType": api.protocol_type,
                "region": api.region,
                "stages": [
                    {
                        "stageName": stage,
                        "url": addresses.api_url(api.api_id, stage),
                        "pathUrl": addresses.api_url_path(api.api_id, stage),
                    }
                    for stage in sorted(api.stages)
                ],
                "routes": sorted(route.route_key for route in api.routes),
            }
            for api in await self._apis.apis()
            if api.protocol_type == "HTTP"
        ]

    async def serve(self, address: FrontAddress, request: FrontRequest) -> FrontResponse:
        request_id = new_request_id()
        api = await self._api(address)
        if api is None:
            return not_found(request_id)
        staged = stage_of(api, request.path)
        if staged is None:
            return not_found(request_id)
        match = select_route(api.routes, request.method, staged.path)
        if match is None or not match.route.target:
            return not_found(request_id)
        integration = api.integrations.get(match.route.target.removeprefix("integrations/"))
        if integration is None:
            return internal_error(request_id)
        response = await self._through(api, staged, match, integration, request, request_id)
        response.headers.append(("apigw-requestid", request_id))
        return response

    def _route_arn(self, api: HttpApi, staged: StagePath, match: RouteMatch, method: str) -> str:
        base = f"arn:aws:execute-api:{api.region}:{api.account_id}:{api.api_id}/{staged.stage.name}"
        if match.route.route_key == DEFAULT_ROUTE:
            return f"{base}/$default"
        return f"{base}/{method}{staged.path}"

    async def _authorize(
        self,
        api: HttpApi,
        match: RouteMatch,
        request: FrontRequest,
        context: EventContext,
        route_arn: str,
    ) -> Authorized | None:
        route = match.route
        if route.authorization_type in ("NONE", "AWS_IAM") or route.authorizer_id is None:
            return None
        authorizer = api.authorizers.get(route.authorizer_id)
        if authorizer is None:
            raise AuthorizerFailed("the route's authorizer does not exist")
        sources = IdentitySources(
            request,
            {"requestId": context.request_id, "stage": context.stage, "apiId": api.api_id},
            context.stage_variables,
        )
        if authorizer.authorizer_type == "JWT":
            return await authorize_jwt(authorizer, route, request, sources, self._key_sets)
        if authorizer.payload_format_version == "1.0":
            event: dict[str, Any] = {
                **event_v1(request, context),
                "type": "REQUEST",
                "methodArn": route_arn,
            }
        else:
            event = {**event_v2(request, context), "type": "REQUEST", "routeArn": route_arn}
            event.pop("body", None)
            event.pop("isBase64Encoded", None)
        return await self._lambda_authorizers.authorize(
            authorizer,
            account_id=api.account_id,
            region=api.region,
            api_id=api.api_id,
            route_arn=route_arn,
            sources=sources,
            event=event,
        )

    async def _through(
        self,
        api: HttpApi,
        staged: StagePath,
        match: RouteMatch,
        integration: HttpIntegration,
        request: FrontRequest,
        request_id: str,
    ) -> FrontResponse:
        route_arn = self._route_arn(api, staged, match, request.method)
        context = EventContext(
            account_id=api.account_id,
            api_id=api.api_id,
            request_id=request_id,
            route_key=match.route.route_key,
            stage=staged.stage.name,
            raw_path=staged.raw_path,
            path_parameters=match.path_parameters,
            stage_variables=staged.stage.stage_variables,
            resource=match.resource,
        )
        try:
            authorized = await self._authorize(api, match, request, context, route_arn)
        except Unauthorized:
            return _answer(401, "Unauthorized", request_id)
        except Forbidden:
            return _answer(403, "Forbidden", request_id)
        except AuthorizerFailed as failure:
            logger.info("HTTP API %s: authorizer failed: %s", api.api_id, failure)
            return internal_error(request_id)
        if authorized is not None:
            context = replace(context, authorizer=authorized.context)
        if integration.integration_type != "AWS_PROXY":
            logger.info(
                "HTTP API %s: integration type %s is not served",
                api.api_id,
                integration.integration_type,
            )
            return internal_error(request_id)
        v1 = integration.payload_format_version == "1.0"
        event = event_v1(request, context) if v1 else event_v2(request, context)
        source = TriggerSource.of(PRINCIPAL, route_arn, api.account_id, api.region)
        timeout = min(integration.timeout_ms, MAX_TIMEOUT_MS) / 1000
        target = function_of(integration.integration_uri)
        try:
            result = await self._triggers.call(source, target, encode_event(event), timeout=timeout)
        except TriggerTimedOut:
            return _answer(503, "Service Unavailable", request_id)
        except AwsError as refusal:
            logger.info(
                "HTTP API %s: the integration's invoke was refused: %s", api.api_id, refusal
            )
            return internal_error(request_id)
        if result.failed:
            return internal_error(request_id)
        try:
            return response_v1(result.payload) if v1 else response_v2(result.payload)
        except MalformedResponse as malformed:
            logger.info("HTTP API %s: malformed answer: %s", api.api_id, malformed)
            return internal_error(request_id)
