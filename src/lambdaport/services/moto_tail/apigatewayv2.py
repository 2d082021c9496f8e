"""API Gateway v2's control plane is moto's (``apigatewayv2``: APIs, routes, integrations,
authorizers, stages, CORS — durable through the journal like every moto service); its
data plane is lambdaport's (``http_fronts.http_apis``), which reads an API through
:class:`HttpApiCatalog`, this module's ``HttpApiDirectory``.

Why moto's: its apigatewayv2 answers every control-plane operation in botocore's shapes
and keeps it durable already; what the data plane needs of it is a read. The catalog reads
an API's objects under moto's lock (hook 10 of ``hooks``: ``apigatewayv2_backends[account]
[region].apis``, each object's ``to_json()`` — the wire members), turns them into the
typed records of ``http_fronts.api_model`` outside the lock, and keeps them until an
apigatewayv2 operation that may change state runs (an ``after`` hook registered for each,
``invalidate``), so a warm request never waits for moto's thread. The custom domain names
are re-read under the lock by the same hooks' ``capture`` (a Host is told to be one
without waiting: ``is_domain_name``); their API mappings are read when a request names one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson

from lambdaport.http_fronts.api_model import (
    ApiMapping,
    HttpApi,
    HttpAuthorizer,
    HttpIntegration,
    HttpRoute,
    HttpStage,
)
from lambdaport.http_fronts.cors import CorsRules
from lambdaport.protocol import load_service_model
from lambdaport.protocol.base import HttpResponse
from lambdaport.request import RequestContext
from lambdaport.services.moto_tail.engine import MotoEngine
from lambdaport.services.moto_tail.journal import is_read_only
from lambdaport.services.moto_tail.operation_hooks import MotoResult, OperationHook, OperationHooks
from lambdaport.services.moto_tail.protocol import MotoCall

CLIENT = "apigatewayv2"
# The operations whose answers name an API's ApiEndpoint.
ENDPOINT_OPERATIONS = ("CreateApi", "GetApi", "GetApis", "UpdateApi", "ImportApi", "ReimportApi")
# (account, region, the API's wire members with its objects') as read under the lock.
ApiDocument = tuple[str, str, dict[str, Any]]


def _documents(api_id: str | None) -> list[ApiDocument]:
    """Every API (or the one with ``api_id``) in moto's backends, as wire members (hook 10
    of ``hooks``; the lock is held). Creates no backend."""
    from moto.apigatewayv2.models import apigatewayv2_backends

    found: list[ApiDocument] = []
    for account_id, regions in dict.items(apigatewayv2_backends):
        for region, backend in dict.items(regions):
            apis = backend.apis if api_id is None else {api_id: backend.apis.get(api_id)}
            for api in apis.values():
                if api is None:
                    continue
                found.append(
                    (
                        account_id,
                        region,
                        {
                            "api": api.to_json(),
                            "routes": [
                                {
                                    **r.to_json(),
                                    "routeResponses": [
                                        rr.to_json() for rr in r.route_responses.values()
                                    ],
                                }
                                for r in api.routes.values()
                            ],
                            "integrations": [i.to_json() for i in api.integrations.values()],
                            "authorizers": [a.to_json() for a in api.authorizers.values()],
                            "stages": [s.to_json() for s in api.stages.values()],
                        },
                    )
                )
    return found


def _domain_names() -> frozenset[str]:
    """Every custom domain name in moto's backends (the lock is held)."""
    from moto.apigatewayv2.models import apigatewayv2_backends

    return frozenset(
        str(name).lower()
        for regions in dict.values(apigatewayv2_backends)
        for backend in dict.values(regions)
        for name in backend.domain_names
    )


def _api_mappings(domain_name: str) -> list[ApiMapping]:
    """A custom domain name's API mappings (the lock is held)."""
    from moto.apigatewayv2.models import apigatewayv2_backends

    return [
        ApiMapping(
            domain_name=domain_name,
            api_id=str(mapping.api_id),
            stage=str(mapping.stage),
            key=str(mapping.api_mapping_key or ""),
        )
        for regions in dict.values(apigatewayv2_backends)
        for backend in dict.values(regions)
        for mapping in backend.api_mappings.values()
        if str(mapping.domain_name).lower() == domain_name
    ]


def _mappings_deleted_first(call: MotoCall, ctx: RequestContext) -> Callable[..., None]:
    """``DeleteDomainName``: the domain's API mappings go first (on moto's thread, under
    the lock), as moto's own loop deletes from the dict it iterates and fails."""
    from moto.apigatewayv2.models import apigatewayv2_backends

    name = str(call.params.get("DomainName") or "")
    backend = apigatewayv2_backends[ctx.account_id][ctx.region]
    if name in backend.domain_names:
        for mapping_id, mapping in list(backend.api_mappings.items()):
            if mapping.domain_name == name:
                del backend.api_mappings[mapping_id]
    return lambda _call, _result: None


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _cors(given: Mapping[str, Any] | None) -> CorsRules | None:
    if not given:
        return None
    max_age = given.get("maxAge")
    return CorsRules(
        allow_origins=_strings(given.get("allowOrigins")),
        allow_methods=_strings(given.get("allowMethods")),
        allow_headers=_strings(given.get("allowHeaders")),
        expose_headers=_strings(given.get("exposeHeaders")),
        max_age=None if max_age is None else int(max_age),
        allow_credentials=bool(given.get("allowCredentials")),
    )


def _integration(wire: Mapping[str, Any]) -> HttpIntegration:
    responses = wire.get("responseParameters") or {}
    return HttpIntegration(
        integration_id=str(wire["integrationId"]),
        integration_type=str(wire.get("integrationType") or ""),
        integration_uri=str(wire.get("integrationUri") or ""),
        payload_format_version=str(wire.get("payloadFormatVersion") or "2.0"),
        timeout_ms=int(wire.get("timeoutInMillis") or 30000),
        integration_method=wire.get("integrationMethod"),
        connection_type=str(wire.get("connectionType") or "INTERNET"),
        integration_subtype=wire.get("integrationSubtype"),
        request_parameters={
            str(k): str(v) for k, v in (wire.get("requestParameters") or {}).items()
        },
        response_parameters={
            str(status): {str(k): str(v) for k, v in (mapped or {}).items()}
            for status, mapped in responses.items()
        },
    )


def _authorizer(wire: Mapping[str, Any]) -> HttpAuthorizer:
    jwt = wire.get("jwtConfiguration") or {}
    ttl = wire.get("authorizerResultTtlInSeconds")
    return HttpAuthorizer(
        authorizer_id=str(wire["authorizerId"]),
        name=str(wire.get("name") or ""),
        authorizer_type=str(wire.get("authorizerType") or ""),
        identity_source=_strings(wire.get("identitySource")),
        jwt_issuer=jwt.get("issuer"),
        jwt_audience=_strings(jwt.get("audience")),
        authorizer_uri=wire.get("authorizerUri"),
        payload_format_version=str(wire.get("authorizerPayloadFormatVersion") or "2.0"),
        simple_responses=bool(wire.get("enableSimpleResponses")),
        result_ttl_seconds=int(ttl or 0),
    )


def _route(wire: Mapping[str, Any]) -> HttpRoute:
    return HttpRoute(
        route_id=str(wire["routeId"]),
        route_key=str(wire.get("routeKey") or ""),
        target=wire.get("target"),
        authorization_type=str(wire.get("authorizationType") or "NONE"),
        authorizer_id=wire.get("authorizerId"),
        authorization_scopes=_strings(wire.get("authorizationScopes")),
        route_response_keys=tuple(
            str(response.get("routeResponseKey") or "")
            for response in wire.get("routeResponses") or ()
        ),
    )


def _stage(wire: Mapping[str, Any]) -> HttpStage:
    return HttpStage(
        name=str(wire["stageName"]),
        auto_deploy=bool(wire.get("autoDeploy")),
        stage_variables={str(k): str(v) for k, v in (wire.get("stageVariables") or {}).items()},
    )


def http_api(document: ApiDocument) -> HttpApi:
    account_id, region, wire = document
    api = wire["api"]
    return HttpApi(
        api_id=str(api["apiId"]),
        name=str(api.get("name") or ""),
        account_id=account_id,
        region=region,
        protocol_type=str(api.get("protocolType") or "HTTP"),
        routes=tuple(_route(r) for r in wire["routes"]),
        integrations={i.integration_id: i for i in map(_integration, wire["integrations"])},
        authorizers={a.authorizer_id: a for a in map(_authorizer, wire["authorizers"])},
        stages={s.name: s for s in map(_stage, wire["stages"])},
        cors=_cors(api.get("corsConfiguration")),
        route_selection_expression=str(api.get("routeSelectionExpression") or ""),
    )


class HttpApiCatalog:
    """moto's APIs as ``http_fronts.api_model.HttpApiDirectory`` (see the module)."""

    def __init__(self, engine: MotoEngine, api_endpoint: Callable[[str], str]) -> None:
        self._engine = engine
        self._api_endpoint = api_endpoint  # api id -> the address that reaches it here
        self._cache: dict[str, HttpApi] = {}
        # Ids moto has no HTTP API for (REST APIs' ids are asked here first): not asked
        # again until an apigatewayv2 write.
        self._missing: set[str] = set()
        self._generation = 0
        self._domains: frozenset[str] = frozenset()

    def register(self, hooks: OperationHooks) -> None:
        """An ``after`` hook on every apigatewayv2 operation that may change state (with a
        ``capture`` that re-reads the custom domain names)."""
        hook: OperationHook[None] = OperationHook(capture=self._capture, after=self._after)
        for operation in load_service_model(CLIENT).operation_names:
            if not is_read_only(CLIENT, operation):
                hooks.register(CLIENT, operation, hook)
        mappings_first: OperationHook[None] = OperationHook(prepare=_mappings_deleted_first)
        hooks.register(CLIENT, "DeleteDomainName", mappings_first)
        endpoint: OperationHook[None] = OperationHook(after=self._endpoint_here)
        for operation in ENDPOINT_OPERATIONS:
            hooks.register(CLIENT, operation, endpoint)

    async def load(self) -> None:
        """Read the custom domain names (at start, once moto's state is back)."""
        self._domains = await self._engine.read(_domain_names)

    def _capture(self, call: MotoCall, result: MotoResult) -> None:
        self._domains = _domain_names()

    def is_domain_name(self, host_name: str) -> bool:
        return host_name in self._domains

    async def api_mappings(self, domain_name: str) -> Sequence[ApiMapping]:
        return await self._engine.read(lambda: _api_mappings(domain_name))

    def invalidate(self) -> None:
        self._generation += 1
        self._cache.clear()
        self._missing.clear()

    async def _after(
        self, call: MotoCall, result: MotoResult, captured: None, ctx: RequestContext
    ) -> HttpResponse | None:
        self.invalidate()
        return None

    async def _endpoint_here(
        self, call: MotoCall, result: MotoResult, captured: None, ctx: RequestContext
    ) -> HttpResponse | None:
        """``ApiEndpoint`` as the address that works here, not AWS's (moto's) name."""
        if not result.ok:
            return None
        try:
            body = orjson.loads(result.response.body)
        except orjson.JSONDecodeError:
            return None
        items = body.get("items") if isinstance(body, dict) and "items" in body else [body]
        for item in items or []:
            if isinstance(item, dict) and "apiId" in item and "apiEndpoint" in item:
                item["apiEndpoint"] = self._api_endpoint(str(item["apiId"]))
        headers = [(k, v) for k, v in result.response.headers if k.lower() != "content-length"]
        return HttpResponse(result.status, headers, orjson.dumps(body))

    async def api(self, api_id: str) -> HttpApi | None:
        cached = self._cache.get(api_id)
        if cached is not None or api_id in self._missing:
            return cached
        generation = self._generation
        documents = await self._engine.read(lambda: _documents(api_id))
        if not documents:
            if generation == self._generation and len(self._missing) < 10_000:
                self._missing.add(api_id)
            return None
        api = http_api(documents[0])
        if generation == self._generation:
            self._cache[api_id] = api
        return api

    async def apis(self) -> Sequence[HttpApi]:
        documents = await self._engine.read(lambda: _documents(None))
        return [http_api(document) for document in documents]
