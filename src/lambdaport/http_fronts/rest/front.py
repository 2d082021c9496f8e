"""``RestApiFront``: a REST API stage's data plane (API Gateway REST APIs, payload 1.0).

A request to a stage goes, as in API Gateway: the API and stage (an unknown stage is 403
``Forbidden``), the resource and method (``matching``; none is 403 ``Missing
Authentication Token``), the method's authorizer (``authorizers``), its API key
(``x-api-key``, or the authorizer's ``usageIdentifierKey`` when the API's key source is
AUTHORIZER: missing, unknown, disabled or in no usage plan of the stage is 403
``Forbidden``), its request validator (``validation``), then its integration
(``integrations``). What the gateway answers itself is a gateway response (``responses``),
customised as the API says. The API is read from moto's control plane through
``services.interfaces.RestApis``; its resource tree is built once per revision.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any
from urllib.parse import unquote

import orjson

from lambdaport.endpoint import CorsAnswer, CorsRequest
from lambdaport.errors import AwsError
from lambdaport.http_fronts.addressing import Addresses, FrontAddress
from lambdaport.http_fronts.exchange import FrontRequest, FrontResponse
from lambdaport.http_fronts.rest import events
from lambdaport.http_fronts.rest.authorizers import Authorization, Authorizers
from lambdaport.http_fronts.rest.integrations import Call, Integrations, internal_error
from lambdaport.http_fronts.rest.matching import Match, ResourceTree
from lambdaport.http_fronts.rest.request import RequestFacts, RestRequest
from lambdaport.http_fronts.rest.responses import (
    DEFAULT_4XX,
    INVALID_API_KEY,
    INVALID_SIGNATURE,
    MISSING_AUTHENTICATION_TOKEN,
    GatewayError,
    gateway_response,
)
from lambdaport.http_fronts.rest.usage import UsageMeter
from lambdaport.http_fronts.rest.validation import validate
from lambdaport.http_fronts.signatures import SIGNATURE_MISMATCH, is_signed, signer_of
from lambdaport.invoke.triggers import PushTriggers
from lambdaport.protocol.base import HttpResponse
from lambdaport.protocol.signing import SignatureError
from lambdaport.services.interfaces import BasePathMapping, RestApi, RestApis

logger = logging.getLogger("lambdaport.http_fronts.rest")


class RestApiFront:
    def __init__(self, apis: RestApis, triggers: PushTriggers) -> None:
        self._apis = apis
        self._authorizers = Authorizers(apis, triggers)
        self._integrations = Integrations(triggers)
        self._trees: dict[str, tuple[int, ResourceTree]] = {}
        self._usage = UsageMeter()

    async def find(self, api_id: str) -> RestApi | None:
        """The REST API of an id (whichever account and region holds it)."""
        return await self._apis.find_rest_api(api_id)

    async def serve(self, request: RestRequest, api: RestApi | None = None) -> HttpResponse:
        """The answer to ``request``; ``api`` when the caller already read it."""
        facts = RequestFacts(request)
        if api is None:
            api = await self._apis.find_rest_api(request.api_id)
        if api is None:
            return gateway_response(GatewayError(DEFAULT_4XX, "Forbidden"), {}, facts.ids)
        try:
            return await self._serve(api, facts)
        except GatewayError as error:
            return gateway_response(error, api.gateway_responses, facts.ids)

    async def _serve(self, api: RestApi, facts: RequestFacts) -> HttpResponse:
        request = facts.request
        stage = api.stages.get(request.stage)
        if stage is None:
            raise GatewayError(DEFAULT_4XX, "Forbidden")
        match = self._tree(api).match(request.path, request.method)
        if match is None or match.method is None:
            raise GatewayError(MISSING_AUTHENTICATION_TOKEN, "Missing Authentication Token")
        method = match.method
        variables = stage.variables
        authorization = await self._authorizers.authorize(api, facts, match, variables)
        identity = await self._api_key(api, facts, match, authorization)
        if method.authorization_type == "AWS_IAM":
            signer = iam_caller(facts)
            identity.access_key, identity.account_id = signer
        validate(api, facts, match)
        integration = method.integration
        if integration is None:
            raise internal_error()
        call = Call(
            api,
            facts,
            match,
            method,
            integration,
            variables,
            identity,
            None if authorization is None else authorization.context,
        )
        return await self._integrations.run(call)

    def _tree(self, api: RestApi) -> ResourceTree:
        cached = self._trees.get(api.id)
        if cached is not None and cached[0] == api.revision:
            return cached[1]
        tree = ResourceTree(api.resources)
        self._trees[api.id] = (api.revision, tree)
        return tree

    async def _api_key(
        self,
        api: RestApi,
        facts: RequestFacts,
        match: Match,
        authorization: Authorization | None,
    ) -> events.Identity:
        identity = events.Identity()
        value = facts.header("x-api-key")
        if api.api_key_source == "AUTHORIZER":
            value = None if authorization is None else authorization.usage_identifier_key
        if value:
            identity.api_key = value
        assert match.method is not None
        if not match.method.api_key_required:
            return identity
        forbidden = GatewayError(INVALID_API_KEY, "Forbidden")
        if not value:
            raise forbidden
        key = await self._apis.api_key(api.account_id, api.region, value)
        if key is None or not key.enabled or (api.id, facts.request.stage) not in key.stages:
            raise forbidden
        for api_id, stage, limits in key.limits:
            if (api_id, stage) == (api.id, facts.request.stage):
                self._usage.take(key.id, limits)
        identity.api_key_id = key.id
        return identity


def iam_caller(facts: RequestFacts) -> tuple[str, str]:
    """An AWS_IAM method's caller: the access key and account of the request's SigV4
    signature (service ``execute-api``). None: 403 ``Missing Authentication Token``; a
    signature that does not verify: 403 ``InvalidSignatureException``."""
    request = facts.request
    if not is_signed(request.headers, request.query):
        raise GatewayError(MISSING_AUTHENTICATION_TOKEN, "Missing Authentication Token")
    try:
        signer = signer_of(
            request.method,
            request.raw_path or request.stage_path,
            request.query,
            request.headers,
            request.body,
        )
    except SignatureError:
        raise GatewayError(INVALID_SIGNATURE, SIGNATURE_MISMATCH) from None
    return signer.access_key, signer.account_id


def mapped_request(
    request: RestRequest, mappings: tuple[BasePathMapping, ...]
) -> RestRequest | None:
    """A request to a custom domain name as a request to the stage its base path maps to
    (the longest base path that prefixes the path; ``(none)`` maps the whole domain)."""
    best: tuple[int, BasePathMapping, str] | None = None
    path = request.path or "/"
    for mapping in mappings:
        if mapping.base_path in ("(none)", ""):
            rest, length = path, 0
        else:
            prefix = "/" + mapping.base_path.strip("/")
            if path != prefix and not path.startswith(prefix + "/"):
                continue
            rest, length = path[len(prefix) :] or "/", len(prefix)
        if best is None or length > best[0]:
            best = (length, mapping, rest)
    if best is None or best[1].stage is None:
        return None
    _, mapping, rest = best
    return replace(
        request, api_id=mapping.rest_api_id, stage=mapping.stage or "", path=rest,
        stage_path=unquote(path),
    )  # fmt: skip


class RestFront:
    """REST APIs as one of ``HttpFronts``' ``execute-api`` fronts: the stage is the path's
    first segment; preflights are answered by the API's own ``OPTIONS`` method (CORS as the
    API configures it, usually a MOCK integration), every other response carries only the
    headers its integration gave."""

    def __init__(self, apis: RestApis, data_plane: RestApiFront) -> None:
        self._apis = apis
        self._data_plane = data_plane

    async def owns(self, address: FrontAddress) -> bool:
        if address.custom_domain:
            return True
        held = self._apis.holds(address.ident)
        return True if held is None else held

    async def _request(self, address: FrontAddress, request: FrontRequest) -> RestRequest | None:
        """The request to an API's stage (by a custom domain name's base path mappings)."""
        addressed = rest_request(address, request)
        if not address.custom_domain:
            return addressed
        mappings = await self._apis.base_path_mappings(address.ident)
        as_path = replace(addressed, path=address.path)
        return mapped_request(as_path, mappings)

    async def index(self, addresses: Addresses) -> list[dict[str, Any]]:
        return [
            {
                "restApiId": api.id,
                "name": api.name,
                "accountId": api.account_id,
                "region": api.region,
                "stage": stage,
                "url": addresses.api_url(api.id, stage),
                "pathUrl": addresses.api_url_path(api.id, stage),
            }
            for api in await self._apis.all_rest_apis()
            for stage in sorted(api.stages)
        ]

    async def serve(self, address: FrontAddress, request: FrontRequest) -> FrontResponse:
        addressed = await self._request(address, request)
        if addressed is None:
            forbidden = gateway_response(GatewayError(DEFAULT_4XX, "Forbidden"), {}, ())
            return FrontResponse(forbidden.status, forbidden.headers, forbidden.body)
        response = await self._data_plane.serve(addressed)
        return FrontResponse(response.status, list(response.headers), response.body)

    async def cors(self, address: FrontAddress, request: CorsRequest) -> CorsAnswer | None:
        if not request.preflight:
            return CorsAnswer(())
        headers = [("origin", request.origin), ("access-control-request-method", request.method)]
        if request.headers:
            headers.append(("access-control-request-headers", ",".join(request.headers)))
        asked = FrontRequest(
            method="OPTIONS",
            raw_path=address.path,
            path=unquote(address.path),
            raw_query="",
            headers=tuple(headers),
            body=b"",
            source_ip="127.0.0.1",
            protocol="HTTP/1.1",
            time_epoch_ms=0,
            domain=address.domain,
        )
        preflight = await self._request(address, asked)
        if preflight is None:
            return CorsAnswer(refusal=AwsError("ForbiddenException", "Forbidden", 403))
        response = await self._data_plane.serve(preflight)
        if response.status >= 300:
            try:
                message = orjson.loads(response.body).get("message")
            except (orjson.JSONDecodeError, AttributeError):
                message = None
            kind = dict((k.lower(), v) for k, v in response.headers).get("x-amzn-errortype")
            return CorsAnswer(
                refusal=AwsError(kind or "ForbiddenException", message, response.status)
            )
        return CorsAnswer(
            tuple((k, v) for k, v in response.headers if k.lower().startswith("access-control-"))
        )


def _stage_and_path(raw_path: str) -> tuple[str, str]:
    """``/dev/items/42`` → (``dev``, ``/items/42``)."""
    parts = raw_path.lstrip("/").split("/", 1)
    return unquote(parts[0]), "/" + (parts[1] if len(parts) == 2 else "")


def rest_request(address: FrontAddress, request: FrontRequest) -> RestRequest:
    stage, path = _stage_and_path(address.path)
    return RestRequest(
        api_id=address.ident,
        stage=stage,
        method=request.method,
        path=path,
        stage_path=unquote(address.path),
        query=request.raw_query,
        headers=request.headers,
        body=request.body,
        source_ip=request.source_ip,
        domain_name=request.domain,
        protocol=request.protocol,
        raw_path=request.raw_path,
    )
