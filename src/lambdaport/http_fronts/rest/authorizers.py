"""Authorizers of REST API methods: Lambda authorizers (TOKEN and REQUEST) and Cognito user
pool authorizers (COGNITO_USER_POOLS), as API Gateway runs them
(https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html).

A Lambda authorizer is invoked through ``invoke.triggers.PushTriggers`` as
``apigateway.amazonaws.com`` on behalf of ``arn:aws:execute-api:REGION:ACCOUNT:API/
authorizers/ID``. Its identity source missing (or not matching the TOKEN authorizer's
``identityValidationExpression``) is 401 ``Unauthorized`` without a call; an error
``Unauthorized`` from the function is 401; any other failure, or an answer without a policy,
is 500 ``{"message": null}``. The policy it returns is evaluated against the method ARN
(``policy``): an explicit deny is 403 "User is not authorized to access this resource with
an explicit deny", no allow 403 "User is not authorized to access this resource". Answers are
cached by identity for ``authorizerResultTtlInSeconds`` (default 300, 0 none) — and until the
API Gateway configuration changes, as a redeployment flushes AWS's cache — and the cached
policy is evaluated again for each request. A Cognito authorizer verifies the token
(``Authorization`` header) against the pool's keys and answers 401 ``Unauthorized`` when it
does not verify; the claims reach the function as ``requestContext.authorizer.claims``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from lambdaport.errors import AwsError
from lambdaport.http_fronts.rest import events, policy
from lambdaport.http_fronts.rest.functions import function_of
from lambdaport.http_fronts.rest.matching import Match
from lambdaport.http_fronts.rest.request import RequestFacts
from lambdaport.http_fronts.rest.responses import (
    ACCESS_DENIED,
    AUTHORIZER_CONFIGURATION_ERROR,
    AUTHORIZER_FAILURE,
    UNAUTHORIZED,
    GatewayError,
)
from lambdaport.http_fronts.rest.tokens import InvalidToken, verify
from lambdaport.invoke.triggers import PushTriggers, TriggerSource, TriggerTimedOut
from lambdaport.services.interfaces import RestApi, RestApis, RestAuthorizer

AUTHORIZER_TIMEOUT = 10.0  # seconds (the authorizer's own limit, below the integration's)
_CACHE_LIMIT = 10_000
_NOT_AUTHORIZED = "User is not authorized to access this resource"


@dataclass(frozen=True, slots=True)
class Authorization:
    """What an authorizer gives the request: ``requestContext.authorizer`` and, for an API
    whose key source is AUTHORIZER, the API key (``usageIdentifierKey``)."""

    context: Mapping[str, Any]
    usage_identifier_key: str | None = None


@dataclass(frozen=True, slots=True)
class _Answer:
    expires: float
    principal_id: Any
    policy: Mapping[str, Any]
    context: Mapping[str, Any]
    usage_identifier_key: str | None


def unauthorized() -> GatewayError:
    return GatewayError(UNAUTHORIZED, "Unauthorized")


def configuration_error() -> GatewayError:
    return GatewayError(AUTHORIZER_CONFIGURATION_ERROR, None)


class Authorizers:
    """Runs a method's authorizer (see the module docstring)."""

    def __init__(self, apis: RestApis, triggers: PushTriggers) -> None:
        self._apis = apis
        self._triggers = triggers
        self._cache: dict[tuple[str, int, str, tuple[str, ...]], _Answer] = {}

    async def authorize(
        self,
        api: RestApi,
        facts: RequestFacts,
        match: Match,
        stage_variables: Mapping[str, str],
    ) -> Authorization | None:
        method = match.method
        if method is None or method.authorization_type in ("NONE", "AWS_IAM"):
            return None
        authorizer = api.authorizers.get(method.authorizer_id or "")
        if authorizer is None:
            raise GatewayError(AUTHORIZER_CONFIGURATION_ERROR, None)
        if authorizer.type == "COGNITO_USER_POOLS":
            return await self._cognito(authorizer, facts, method.authorization_scopes)
        identity = _identity(authorizer, facts, match, stage_variables)
        key = (api.id, api.revision, authorizer.id, identity)
        answer = self._cache.get(key)
        if answer is None or answer.expires < time.monotonic():
            started = time.monotonic()
            answer = await self._call(api, authorizer, facts, match, stage_variables, identity)
            latency = int((time.monotonic() - started) * 1000)
            if authorizer.ttl_seconds > 0:
                if len(self._cache) >= _CACHE_LIMIT:
                    self._cache.clear()
                self._cache[key] = answer
        else:
            latency = 0
        decision = policy.evaluate(answer.policy, events.method_arn(api, facts))
        if decision is policy.Decision.EXPLICIT_DENY:
            raise GatewayError(ACCESS_DENIED, f"{_NOT_AUTHORIZED} with an explicit deny")
        if decision is policy.Decision.IMPLICIT_DENY:
            raise GatewayError(ACCESS_DENIED, _NOT_AUTHORIZED)
        context = {
            **answer.context,
            "principalId": answer.principal_id,
            "integrationLatency": latency,
        }
        return Authorization(context, answer.usage_identifier_key)

    async def _call(
        self,
        api: RestApi,
        authorizer: RestAuthorizer,
        facts: RequestFacts,
        match: Match,
        stage_variables: Mapping[str, str],
        identity: tuple[str, ...],
    ) -> _Answer:
        target = function_of(authorizer.uri or "", stage_variables)
        if target is None:
            raise configuration_error()
        if authorizer.type == "TOKEN":
            event = events.token_event(api, facts, identity[0])
        else:
            event = events.request_authorizer_event(
                api, facts, match.resource, match.path_parameters, stage_variables
            )
        source = TriggerSource.of(
            events.PRINCIPAL,
            f"arn:aws:execute-api:{api.region}:{api.account_id}:{api.id}/authorizers/{authorizer.id}",
            api.account_id,
            api.region,
        )
        try:
            result = await self._triggers.call(source, target, event, timeout=AUTHORIZER_TIMEOUT)
        except TriggerTimedOut:
            raise GatewayError(AUTHORIZER_FAILURE, None) from None
        except AwsError:
            raise configuration_error() from None
        failure = result.error()
        if failure is not None:
            if failure.error_message == "Unauthorized":
                raise unauthorized()
            raise configuration_error()
        try:
            answer = orjson.loads(result.payload)
        except orjson.JSONDecodeError:
            raise configuration_error() from None
        if not isinstance(answer, dict) or not policy.is_policy(answer.get("policyDocument")):
            raise configuration_error()
        context = answer.get("context") or {}
        if not isinstance(context, dict):
            raise configuration_error()
        key = answer.get("usageIdentifierKey")
        return _Answer(
            time.monotonic() + authorizer.ttl_seconds,
            answer.get("principalId"),
            answer["policyDocument"],
            context,
            None if key is None else str(key),
        )

    async def _cognito(
        self, authorizer: RestAuthorizer, facts: RequestFacts, scopes: tuple[str, ...]
    ) -> Authorization:
        source = authorizer.identity_source or "method.request.header.Authorization"
        token = _source_value(source.strip(), facts, None, {})
        if not token:
            raise unauthorized()
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        for pool_arn in authorizer.provider_arns:
            keys = await self._apis.user_pool_keys(pool_arn)
            if not keys:
                continue
            region, pool_id = pool_arn.split(":")[3], pool_arn.rsplit("/", 1)[-1]
            issuer = f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"
            try:
                claims = verify(token, keys, issuer)
            except InvalidToken:
                continue
            if scopes:
                granted = str(claims.get("scope", "")).split()
                if not any(scope in granted for scope in scopes):
                    raise unauthorized()
            return Authorization({"claims": {k: _claim(v) for k, v in claims.items()}})
        raise unauthorized()


def _claim(value: Any) -> str:
    """REST APIs give every claim as a string."""
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def _identity(
    authorizer: RestAuthorizer,
    facts: RequestFacts,
    match: Match,
    stage_variables: Mapping[str, str],
) -> tuple[str, ...]:
    """The identity-source values (the cache key); 401 when one is missing."""
    sources = [s.strip() for s in (authorizer.identity_source or "").split(",") if s.strip()]
    if authorizer.type == "TOKEN" and not sources:
        sources = ["method.request.header.Authorization"]
    values: list[str] = []
    for source in sources:
        value = _source_value(source, facts, match, stage_variables)
        if not value:
            raise unauthorized()
        values.append(value)
    expression = authorizer.identity_validation_expression
    if authorizer.type == "TOKEN" and expression and not re.fullmatch(expression, values[0]):
        raise unauthorized()
    return tuple(values)


def _source_value(
    source: str, facts: RequestFacts, match: Match | None, stage_variables: Mapping[str, str]
) -> str | None:
    kind, _, name = source.rpartition(".")
    if kind == "method.request.header":
        return facts.header(name)
    if kind == "method.request.querystring":
        return facts.query.get(name)
    if kind == "method.request.path" and match is not None:
        return match.path_parameters.get(name)
    if kind == "stageVariables":
        return stage_variables.get(name)
    if source.startswith("context."):
        return {"context.httpMethod": facts.request.method}.get(source)
    return None
