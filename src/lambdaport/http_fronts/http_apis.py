"""HTTP APIs' data plane (apigatewayv2, ``ProtocolType`` HTTP): a request to
``{api-id}.execute-api.localhost/{stage}/...`` finds its stage and route (``routes``), is
authorized (``authorizers``), becomes the integration's event (payload 2.0 or 1.0) and the
function's answer an HTTP response
(https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).

Integrations: ``AWS_PROXY`` to a Lambda function (payload 2.0 or 1.0); ``HTTP_PROXY`` to a
public URL (``{proxy}`` and the route's other path variables substituted, the method the
integration's or the request's, the query string passed on, the backend's answer as it
is). What cannot work here is a 500 with the reason in the log: private integrations
(``ConnectionType`` VPC_LINK: no VPC is reachable) and AWS service integrations
(``IntegrationSubtype``). The integration's ``requestParameters`` and ``responseParameters``
are applied (``parameter_mapping``). A route's ``AuthorizationType`` AWS_IAM wants a SigV4
signature for ``execute-api`` (``signatures``): unsigned 403 ``Forbidden``, forged 403 with
AWS's words; its signer is the event's ``authorizer.iam`` (2.0) or ``identity`` (1.0).

A custom domain name (apigatewayv2 ``CreateDomainName``) reaches an API's stage by its API
mappings: the longest ``ApiMappingKey`` that begins the path, the rest of the path routed
(the event's ``rawPath`` keeps the key, as AWS's does).

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
from urllib.parse import unquote, urlsplit, urlunsplit

from lambdaport.endpoint import CorsAnswer, CorsRequest
from lambdaport.errors import AwsError
from lambdaport.http_fronts import http_backend
from lambdaport.http_fronts.addressing import Addresses, FrontAddress
from lambdaport.http_fronts.api_model import ApiMapping, HttpApi, HttpApiDirectory, HttpIntegration
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
from lambdaport.http_fronts.parameter_mapping import (
    MappedRequest,
    MappingSources,
    context_variables,
    map_request,
    map_response,
)
from lambdaport.http_fronts.payloads import (
    EventContext,
    MalformedResponse,
    encode_event,
    event_v1,
    event_v2,
    request_time,
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
from lambdaport.http_fronts.signatures import (
    SIGNATURE_MISMATCH,
    iam_authorizer,
    iam_identity,
    is_signed,
    signer_of,
)
from lambdaport.invoke.ids import new_request_id
from lambdaport.invoke.triggers import PushTriggers, TriggerSource, TriggerTimedOut
from lambdaport.protocol.signing import SignatureError

logger = logging.getLogger("lambdaport.http_fronts")

PRINCIPAL = "apigateway.amazonaws.com"
MAX_TIMEOUT_MS = 30000


def _answer(status: int, message: str, request_id: str) -> FrontResponse:
    return json_answer(status, {"message": message}, [("apigw-requestid", request_id)])


def _iam_authorized(request: FrontRequest) -> Authorized:
    """An AWS_IAM route's caller: the request's SigV4 signer (service ``execute-api``);
    unsigned 403 ``Forbidden``, a signature that does not verify 403 with AWS's words."""
    if not is_signed(request.headers, request.raw_query):
        raise _IamRefused("Forbidden")
    try:
        signer = signer_of(
            request.method, request.raw_path, request.raw_query, request.headers, request.body
        )
    except SignatureError:
        raise _IamRefused(SIGNATURE_MISMATCH) from None
    return Authorized(iam_authorizer(signer), identity=iam_identity(signer))


class _IamRefused(Exception):
    """403 for an AWS_IAM route, in AWS's words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _GatewayAnswer(Exception):
    """The gateway answers itself (the integration did not): no response mapping."""

    def __init__(self, response: FrontResponse) -> None:
        super().__init__(response.status)
        self.response = response


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

    async def _mapped(self, address: FrontAddress) -> tuple[HttpApi, StagePath] | None:
        """A custom domain name's request: the API and stage its API mapping names."""
        path = unquote(address.path.split("?", 1)[0]) or "/"
        best: tuple[int, ApiMapping, str] | None = None
        for mapping in await self._apis.api_mappings(address.ident):
            key = mapping.key.strip("/")
            if not key:
                rest, length = path, 0
            elif path == f"/{key}" or path.startswith(f"/{key}/"):
                rest, length = path[len(key) + 1 :] or "/", len(key) + 1
            else:
                continue
            if best is None or length > best[0]:
                best = (length, mapping, rest)
        if best is None:
            return None
        _, mapping, rest = best
        api = await self._apis.api(mapping.api_id)
        if api is None or api.protocol_type != "HTTP" or mapping.stage not in api.stages:
            return None
        return api, StagePath(api.stages[mapping.stage], rest, path)

    async def _located(
        self, address: FrontAddress, path: str
    ) -> tuple[HttpApi, StagePath | None] | None:
        """The API an address names and the stage its path does (None: no such stage)."""
        if address.custom_domain:
            return await self._mapped(address)
        api = await self._api(address)
        return None if api is None else (api, stage_of(api, path))

    async def owns(self, address: FrontAddress) -> bool:
        if address.custom_domain:
            return self._apis.is_domain_name(address.ident)
        return await self._api(address) is not None

    async def cors(self, address: FrontAddress, request: CorsRequest) -> CorsAnswer | None:
        located = await self._located(address, address.path)
        if located is None:
            return None
        api = located[0]
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
        located = await self._located(address, request.path)
        if located is None:
            return not_found(request_id)
        api, staged = located
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
        if route.authorization_type == "AWS_IAM":
            return _iam_authorized(request)
        if route.authorization_type == "NONE" or route.authorizer_id is None:
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
        except _IamRefused as refusal:
            return _answer(403, refusal.message, request_id)
        except Forbidden:
            return _answer(403, "Forbidden", request_id)
        except AuthorizerFailed as failure:
            logger.info("HTTP API %s: authorizer failed: %s", api.api_id, failure)
            return internal_error(request_id)
        if authorized is not None and authorized.identity is not None:  # AWS_IAM
            context = replace(context, identity=authorized.identity)
            if integration.payload_format_version != "1.0":
                context = replace(context, authorizer=authorized.context)
        elif authorized is not None:
            context = replace(context, authorizer=authorized.context)
        sources = _sources(api, request, staged, match, context, authorized)
        mapped = map_request(integration.request_parameters, sources)
        try:
            if integration.integration_type == "HTTP_PROXY":
                response = await self._http_proxy(api, integration, mapped, sources, request_id)
            elif integration.integration_type == "AWS_PROXY":
                response = await self._lambda(
                    api, integration, mapped, context, route_arn, request_id
                )
            else:
                logger.warning(
                    "HTTP API %s: integration type %s is not served here",
                    api.api_id,
                    integration.integration_type,
                )
                return internal_error(request_id)
        except _GatewayAnswer as answer:
            return answer.response
        return map_response(integration.response_parameters, response, sources)

    async def _lambda(
        self,
        api: HttpApi,
        integration: HttpIntegration,
        mapped: MappedRequest,
        context: EventContext,
        route_arn: str,
        request_id: str,
    ) -> FrontResponse:
        if integration.integration_subtype:
            logger.warning(
                "HTTP API %s: AWS service integrations (%s) are not served here; only Lambda "
                "functions (AWS_PROXY without a subtype) and HTTP_PROXY are",
                api.api_id,
                integration.integration_subtype,
            )
            raise _GatewayAnswer(internal_error(request_id))
        if mapped.path is not None:
            context = replace(context, raw_path=mapped.path)
        request = mapped.request
        v1 = integration.payload_format_version == "1.0"
        event = event_v1(request, context) if v1 else event_v2(request, context)
        source = TriggerSource.of(PRINCIPAL, route_arn, api.account_id, api.region)
        timeout = min(integration.timeout_ms, MAX_TIMEOUT_MS) / 1000
        target = function_of(integration.integration_uri)
        try:
            result = await self._triggers.call(source, target, encode_event(event), timeout=timeout)
        except TriggerTimedOut:
            raise _GatewayAnswer(_answer(503, "Service Unavailable", request_id)) from None
        except AwsError as refusal:
            logger.info(
                "HTTP API %s: the integration's invoke was refused: %s", api.api_id, refusal
            )
            raise _GatewayAnswer(internal_error(request_id)) from None
        if result.failed:
            raise _GatewayAnswer(internal_error(request_id))
        try:
            return response_v1(result.payload) if v1 else response_v2(result.payload)
        except MalformedResponse as malformed:
            logger.info("HTTP API %s: malformed answer: %s", api.api_id, malformed)
            raise _GatewayAnswer(internal_error(request_id)) from None

    async def _http_proxy(
        self,
        api: HttpApi,
        integration: HttpIntegration,
        mapped: MappedRequest,
        sources: MappingSources,
        request_id: str,
    ) -> FrontResponse:
        if integration.connection_type == "VPC_LINK":
            logger.warning(
                "HTTP API %s: integration %s is private (VPC_LINK to %s): no VPC can be "
                "reached from here; use an INTERNET integration to a URL this host reaches",
                api.api_id,
                integration.integration_id,
                integration.integration_uri,
            )
            raise _GatewayAnswer(internal_error(request_id))
        request = mapped.request
        url = _backend_url(integration.integration_uri, sources, mapped.path)
        if request.raw_query:
            url += ("&" if "?" in url else "?") + request.raw_query
        verb = integration.integration_method or request.method
        if verb == "ANY":
            verb = request.method
        headers = http_backend.forwarded(request.headers)
        headers.append(("x-forwarded-for", request.source_ip))
        headers.append(("x-forwarded-proto", "http"))
        timeout = min(integration.timeout_ms, MAX_TIMEOUT_MS) / 1000
        try:
            answer = await http_backend.send(verb, url, headers, request.body, timeout)
        except TimeoutError:
            raise _GatewayAnswer(_answer(503, "Service Unavailable", request_id)) from None
        except http_backend.BackendUnreachable as error:
            logger.info("HTTP API %s: the HTTP backend %s failed: %s", api.api_id, url, error)
            raise _GatewayAnswer(internal_error(request_id)) from None
        kept = [(k, v) for k, v in answer.headers if k.lower() not in _HOP_BY_HOP]
        return FrontResponse(answer.status, kept, answer.body)


_HOP_BY_HOP = frozenset({"transfer-encoding", "connection", "keep-alive", "content-length"})


def _backend_url(uri: str, sources: MappingSources, path: str | None) -> str:
    """An HTTP_PROXY integration's URL: the route's path variables (``{proxy}`` for a
    greedy one) and stage variables put in; an overwritten path replaces the URL's."""
    url = uri
    for name, value in sources.path_parameters.items():
        url = url.replace(f"{{{name}+}}", value).replace(f"{{{name}}}", value)
    for name, value in sources.stage_variables.items():
        url = url.replace(f"${{stageVariables.{name}}}", value)
    if path is not None:
        parts = urlsplit(url)
        url = urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
    return url


def _sources(
    api: HttpApi,
    request: FrontRequest,
    staged: StagePath,
    match: RouteMatch,
    context: EventContext,
    authorized: Authorized | None,
) -> MappingSources:
    variables = {
        "accountId": api.account_id,
        "apiId": api.api_id,
        "domainName": request.domain,
        "domainPrefix": request.domain.split(".", 1)[0],
        "httpMethod": request.method,
        "path": staged.raw_path,
        "protocol": request.protocol,
        "requestId": context.request_id,
        "extendedRequestId": context.request_id,
        "requestTime": request_time(request.time_epoch_ms),
        "requestTimeEpoch": request.time_epoch_ms,
        "routeKey": match.route.route_key,
        "stage": staged.stage.name,
        "identity": {"sourceIp": request.source_ip, "userAgent": request.user_agent},
    }
    return MappingSources(
        request=request,
        path=staged.path,
        path_parameters=match.path_parameters,
        context=context_variables(variables, None if authorized is None else authorized.context),
        stage_variables=staged.stage.stage_variables,
    )
