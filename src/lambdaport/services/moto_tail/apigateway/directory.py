"""``RestApiDirectory``: moto's API Gateway state, read for the data plane.

What is read of moto's objects (``moto.apigateway.models``: ``apigateway_backends[account]
[region]`` with ``apis`` (``RestAPI``: ``resources``, ``stages``, ``authorizers``,
``request_validators``, ``models``, ``gateway_responses``, ``binaryMediaTypes``,
``api_key_source``), ``keys``, ``usage_plans``, ``usage_plan_keys``, ``base_path_mappings``;
``moto.cognitoidp.models.cognitoidp_backends`` for a pool's ``json_web_key``) is hook 9 of
``hooks`` and has its contract test. Reads run under the tail's lock (``MotoEngine.read``);
every API Gateway call that may change moto's state bumps the directory's revision from its
``capture`` (``hook()``, registered in ``app.py`` for each such operation), so between
changes a REST API is built once and served from this node's cache.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lambdaport.services.interfaces import (
    BasePathMapping,
    RestApi,
    RestApiKey,
    RestAuthorizer,
    RestGatewayResponse,
    RestIntegration,
    RestIntegrationResponse,
    RestMethod,
    RestModel,
    RestRequestValidator,
    RestResource,
    RestStage,
    UsageLimits,
    UserPoolKey,
)
from lambdaport.services.moto_tail.engine import MotoEngine
from lambdaport.services.moto_tail.journal import is_read_only
from lambdaport.services.moto_tail.operation_hooks import MotoResult, OperationHook
from lambdaport.services.moto_tail.protocol import MotoCall

DEFAULT_TIMEOUT_MS = 29_000
DEFAULT_AUTHORIZER_TTL = 300
_POOL_ARN = re.compile(r"arn:[\w-]+:cognito-idp:([\w-]+):(\d{12}):userpool/(.+)")


def changing_operations(operation_names: list[str]) -> list[str]:
    """The API Gateway operations after which a REST API may read differently."""
    return [name for name in operation_names if not is_read_only("apigateway", name)]


class RestApiDirectory:
    """The REST APIs moto holds, as ``services.interfaces.RestApis``."""

    def __init__(self, engine: MotoEngine) -> None:
        self._engine = engine
        self._revision = 0
        self._apis: dict[tuple[str, str, str], RestApi | None] = {}
        self._ids: frozenset[str] | None = None
        self._domains: frozenset[str] = frozenset()

    def hook(self) -> OperationHook[None]:
        """Registered for every changing API Gateway operation: the revision moves in the
        same hold of the lock as the call."""
        return OperationHook(capture=self._changed)

    def _changed(self, call: MotoCall, result: MotoResult) -> None:
        self.changed()

    def changed(self) -> None:
        """moto's API Gateway state may have changed: on moto's thread, under the lock
        (a hook's capture, or a call lambdaport runs itself, such as an import's)."""
        self._revision += 1
        self._apis = {}
        backends = _every_backend()
        self._ids = frozenset(api_id for _, _, b in backends for api_id in b.apis)
        self._domains = frozenset(name.lower() for _, _, b in backends for name in b.domain_names)

    async def load(self) -> None:
        """Read which REST APIs exist (at start, once moto's state is back)."""
        await self._engine.read(self.changed)

    def holds(self, api_id: str) -> bool | None:
        """Whether a REST API of this id exists (None: not known yet, before ``load``)."""
        ids = self._ids
        return None if ids is None else api_id in ids

    def api_ids(self) -> frozenset[str]:
        return self._ids or frozenset()

    def is_domain_name(self, host_name: str) -> bool:
        """Whether a host name is a custom domain name (``CreateDomainName``)."""
        return host_name in self._domains

    async def rest_api(self, account_id: str, region: str, api_id: str) -> RestApi | None:
        key = (account_id, region, api_id)
        if key in self._apis:
            return self._apis[key]
        revision = self._revision
        api = await self._engine.read(lambda: _read_api(account_id, region, api_id, revision))
        if revision == self._revision:
            self._apis[key] = api
        return api

    async def find_rest_api(self, api_id: str) -> RestApi | None:
        where = await self._engine.read(lambda: _locate_api(api_id))
        if where is None:
            return None
        return await self.rest_api(where[0], where[1], api_id)

    async def all_rest_apis(self) -> tuple[RestApi, ...]:
        where = await self._engine.read(
            lambda: [(a, r, api_id) for a, r, b in _every_backend() for api_id in b.apis]
        )
        found = [await self.rest_api(*place) for place in where]
        return tuple(api for api in found if api is not None)

    async def api_key(self, account_id: str, region: str, value: str) -> RestApiKey | None:
        return await self._engine.read(lambda: _read_api_key(account_id, region, value))

    async def base_path_mappings(self, domain_name: str) -> tuple[BasePathMapping, ...]:
        return await self._engine.read(lambda: _read_mappings(domain_name))

    async def user_pool_keys(self, user_pool_arn: str) -> tuple[UserPoolKey, ...]:
        return await self._engine.read(lambda: _read_pool_keys(user_pool_arn))


# -- on moto's thread, under the lock ---------------------------------------------------------


def _backends() -> Any:
    from moto.apigateway.models import apigateway_backends

    return apigateway_backends


def _backend(account_id: str, region: str) -> Any | None:
    """The region backend, never created by the read (``dict.get`` past BackendDict's)."""
    account = dict.get(_backends(), account_id)
    return None if account is None else dict.get(account, region)


def _every_backend() -> list[tuple[str, str, Any]]:
    return [
        (account_id, region, backend)
        for account_id, regions in dict.items(_backends())
        for region, backend in dict.items(regions)
    ]


def _locate_api(api_id: str) -> tuple[str, str] | None:
    for account_id, region, backend in _every_backend():
        if api_id in backend.apis:
            return account_id, region
    return None


def _read_api(account_id: str, region: str, api_id: str, revision: int) -> RestApi | None:
    backend = _backend(account_id, region)
    api = None if backend is None else backend.apis.get(api_id)
    if api is None:
        return None
    return RestApi(
        id=api.id,
        account_id=account_id,
        region=region,
        name=str(api.name or ""),
        resources=tuple(_resource(resource) for resource in list(api.resources.values())),
        stages={name: _stage(stage) for name, stage in api.stages.items()},
        authorizers={key: _authorizer(a) for key, a in api.authorizers.items()},
        request_validators={key: _validator(v) for key, v in api.request_validators.items()},
        models={
            name: RestModel(model.name, model.content_type, model.schema)
            for name, model in api.models.items()
        },
        gateway_responses={
            kind: RestGatewayResponse(
                kind,
                None if g.status_code is None else str(g.status_code),
                dict(g.response_parameters or {}),
                dict(g.response_templates or {}),
            )
            for kind, g in api.gateway_responses.items()
        },
        binary_media_types=tuple(api.binaryMediaTypes or ()),
        api_key_source=str(api.api_key_source or "HEADER"),
        revision=revision,
    )


def _validator(validator: Any) -> RestRequestValidator:
    return RestRequestValidator(
        validator.id,
        str(validator.name or ""),
        _true(validator.validate_request_body),
        _true(validator.validate_request_parameters),
    )


def _true(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def _resource(resource: Any) -> RestResource:
    return RestResource(
        id=resource.id,
        path=resource.get_path(),
        methods={verb: _method(m) for verb, m in resource.resource_methods.items()},
    )


def _method(method: Any) -> RestMethod:
    scopes = method.authorization_scopes or ()
    return RestMethod(
        http_method=method.http_method,
        authorization_type=str(method.authorization_type or "NONE"),
        authorizer_id=method.authorizer_id,
        authorization_scopes=tuple(scopes),
        api_key_required=_true(method.api_key_required),
        request_parameters={k: _true(v) for k, v in (method.request_parameters or {}).items()},
        request_models=dict(method.request_models or {}),
        request_validator_id=method.request_validator_id,
        integration=None if method.method_integration is None else _integration(method),
        method_responses={
            code: {k: _true(v) for k, v in (response.response_parameters or {}).items()}
            for code, response in method.method_responses.items()
        },
    )


def _integration(method: Any) -> RestIntegration:
    integration = method.method_integration
    timeout = integration.timeout_in_millis
    return RestIntegration(
        type=str(integration.integration_type),
        uri=str(integration.uri or ""),
        http_method=integration.http_method,
        request_templates=dict(integration.request_templates or {}),
        passthrough_behavior=str(integration.passthrough_behaviour or "WHEN_NO_MATCH"),
        timeout_ms=int(timeout) if timeout else DEFAULT_TIMEOUT_MS,
        request_parameters=dict(integration.request_parameters or {}),
        content_handling=integration.content_handling,
        responses=tuple(
            RestIntegrationResponse(
                status_code=str(response.status_code),
                selection_pattern=response.selection_pattern or None,
                response_templates=dict(response.response_templates or {}),
                response_parameters=dict(response.response_parameters or {}),
                content_handling=response.content_handling,
            )
            for response in (integration.integration_responses or {}).values()
        ),
    )


def _authorizer(authorizer: Any) -> RestAuthorizer:
    ttl = authorizer.authorizer_result_ttl
    return RestAuthorizer(
        id=str(authorizer.id),
        name=str(authorizer.name or ""),
        type=str(authorizer.type or "TOKEN"),
        uri=authorizer.authorizer_uri,
        identity_source=authorizer.identity_source,
        identity_validation_expression=authorizer.identity_validation_expression,
        ttl_seconds=DEFAULT_AUTHORIZER_TTL if ttl is None else int(ttl),
        provider_arns=tuple(authorizer.provider_arns or ()),
    )


def _stage(stage: Any) -> RestStage:
    variables: Mapping[str, Any] = stage.variables or {}
    return RestStage(
        str(stage.name), stage.deployment_id, {k: str(v) for k, v in variables.items()}
    )


def _read_api_key(account_id: str, region: str, value: str) -> RestApiKey | None:
    backend = _backend(account_id, region)
    if backend is None:
        return None
    for key in backend.keys.values():
        if key.value == value:
            limits = tuple(
                (str(stage.get("apiId")), str(stage.get("stage")), _limits(plan_id, plan))
                for plan_id, plan in backend.usage_plans.items()
                if key.id in backend.usage_plan_keys.get(plan_id, {})
                for stage in plan.api_stages
            )
            stages = frozenset((api_id, stage) for api_id, stage, _ in limits)
            return RestApiKey(key.id, key.value, _true(key.enabled), stages, limits)
    return None


def _limits(plan_id: str, plan: Any) -> UsageLimits:
    throttle: Mapping[str, Any] = plan.throttle or {}
    quota: Mapping[str, Any] = plan.quota or {}
    rate, burst, limit = throttle.get("rateLimit"), throttle.get("burstLimit"), quota.get("limit")
    return UsageLimits(
        plan_id,
        None if rate is None else float(rate),
        None if burst is None else int(burst),
        None if limit is None else int(limit),
        None if quota.get("period") is None else str(quota["period"]),
    )


def _read_mappings(domain_name: str) -> tuple[BasePathMapping, ...]:
    found: list[BasePathMapping] = []
    for account_id, region, backend in _every_backend():
        if domain_name not in backend.domain_names:
            continue
        for mapping in backend.base_path_mappings.get(domain_name, {}).values():
            found.append(
                BasePathMapping(
                    account_id,
                    region,
                    domain_name,
                    str(mapping.base_path),
                    str(mapping.rest_api_id),
                    mapping.stage,
                )
            )
    return tuple(found)


def _read_pool_keys(user_pool_arn: str) -> tuple[UserPoolKey, ...]:
    from moto.cognitoidp.models import cognitoidp_backends

    match = _POOL_ARN.fullmatch(user_pool_arn)
    if match is None:
        return ()
    region, account_id, pool_id = match.groups()
    account = dict.get(cognitoidp_backends, account_id)
    backend = None if account is None else dict.get(account, region)
    pool = None if backend is None else backend.user_pools.get(pool_id)
    if pool is None:
        return ()
    jwk = pool.json_web_key.as_dict(private=False)
    return (UserPoolKey(str(jwk.get("kid") or "dummy"), str(jwk["n"]), str(jwk["e"])),)
