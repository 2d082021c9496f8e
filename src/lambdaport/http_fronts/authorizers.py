"""HTTP API authorizers
(https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-access-control.html).

- JWT: the token from the identity source (``$request.header.Authorization``, a ``Bearer``
  prefix dropped) verified against the issuer's key set (RS256), its ``iss``, ``exp`` and
  ``nbf``, ``aud`` (or an access token's ``client_id``) among the audiences, and the route's
  scopes in ``scope``. The key set is the issuer's (``KeySets``: a Cognito user pool's from
  the service that serves Cognito, any other from ``{issuer}/.well-known/openid-configuration``).
  Missing or invalid: 401 ``{"message":"Unauthorized"}``; scopes missing: 403.
- Lambda (REQUEST): the identity sources must all be present (else 401), the function is
  called as ``apigateway.amazonaws.com`` for the authorizer's ARN with the 2.0 or 1.0
  authorizer event, its answer read as a simple response (``isAuthorized``) or an IAM
  policy evaluated against the route's ARN; cached by the identity sources' values for
  ``AuthorizerResultTtlInSeconds``. Refused: 403 ``{"message":"Forbidden"}``; the function
  failing or not invocable: 500.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import fnmatch
import hashlib
import logging
import time
import urllib.request
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from lambdaport.errors import AwsError
from lambdaport.http_fronts.api_model import HttpAuthorizer, HttpRoute
from lambdaport.http_fronts.exchange import FrontRequest
from lambdaport.invoke.triggers import PushTriggers, TriggerSource

logger = logging.getLogger("lambdaport.http_fronts")

PRINCIPAL = "apigateway.amazonaws.com"
KEY_SET_TTL_S = 300.0
# A Cognito user pool's issuer: https://cognito-idp.{region}.amazonaws.com/{pool id}
COGNITO_ISSUER = "https://cognito-idp."

# The key sets of Cognito user pools (the service serving Cognito knows them).
CognitoKeys = Callable[[str], Awaitable[Sequence[Mapping[str, Any]]]]


class Unauthorized(Exception):
    """401: no identity, or one that does not verify."""


class Forbidden(Exception):
    """403: the identity is known and refused."""


class AuthorizerFailed(Exception):
    """500: the authorizer could not decide (its function failed)."""


@dataclass(frozen=True, slots=True)
class Authorized:
    """What the integration's event carries as ``requestContext.authorizer``."""

    context: Mapping[str, Any]  # {"jwt": {...}}, {"lambda": {...}} or {"iam": {...}} (2.0)
    principal_id: str | None = None
    identity: Mapping[str, Any] | None = None  # 1.0's requestContext.identity (AWS_IAM)


def _b64url(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise Unauthorized("not base64url") from None


class KeySets:
    """JWKS by issuer, fetched once per ``KEY_SET_TTL_S``."""

    def __init__(self, cognito: CognitoKeys | None = None) -> None:
        self._cognito = cognito
        self._cache: dict[str, tuple[float, Sequence[Mapping[str, Any]]]] = {}

    async def keys(self, issuer: str) -> Sequence[Mapping[str, Any]]:
        cached = self._cache.get(issuer)
        now = time.monotonic()
        if cached is not None and now - cached[0] < KEY_SET_TTL_S:
            return cached[1]
        if issuer.startswith(COGNITO_ISSUER) and self._cognito is not None:
            keys = await self._cognito(issuer)
        else:
            keys = await asyncio.to_thread(_fetch_keys, issuer)
        self._cache[issuer] = (now, keys)
        return keys


def _fetch_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return orjson.loads(response.read())


def _fetch_keys(issuer: str) -> Sequence[Mapping[str, Any]]:
    try:
        discovery = _fetch_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
        jwks = _fetch_json(str(discovery["jwks_uri"]))
        return list(jwks.get("keys") or [])
    except Exception as failure:
        logger.info("no key set for issuer %s: %s", issuer, failure)
        return []


def _verify_signature(token: str, keys: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3:
        raise Unauthorized("not a JWT")
    try:
        header = orjson.loads(_b64url(parts[0]))
        claims = orjson.loads(_b64url(parts[1]))
    except orjson.JSONDecodeError:
        raise Unauthorized("not a JWT") from None
    if not isinstance(header, dict) or not isinstance(claims, dict) or header.get("alg") != "RS256":
        raise Unauthorized("only RS256 tokens")
    kid = header.get("kid")
    candidates = [k for k in keys if k.get("kty") == "RSA" and (kid is None or k.get("kid") == kid)]
    signed = f"{parts[0]}.{parts[1]}".encode("ascii")
    signature = _b64url(parts[2])
    for key in candidates:
        numbers = rsa.RSAPublicNumbers(
            int.from_bytes(_b64url(str(key["e"])), "big"),
            int.from_bytes(_b64url(str(key["n"])), "big"),
        )
        try:
            numbers.public_key().verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            continue
        return claims
    raise Unauthorized("signature")


def _bearer(value: str) -> str:
    text = value.strip()
    return text[7:].strip() if text.lower().startswith("bearer ") else text


def _claims_strings(claims: Mapping[str, Any]) -> dict[str, str]:
    """As API Gateway passes them: every claim a string (lists as ``[a b]``)."""
    out: dict[str, str] = {}
    for key, value in claims.items():
        if isinstance(value, list):
            out[key] = "[" + " ".join(str(v) for v in value) + "]"
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = str(value)
    return out


async def authorize_jwt(
    authorizer: HttpAuthorizer,
    route: HttpRoute,
    request: FrontRequest,
    sources: IdentitySources,
    key_sets: KeySets,
) -> Authorized:
    values = sources.values(authorizer.identity_source or ("$request.header.Authorization",))
    if values is None or not values[0]:
        raise Unauthorized("no token")
    token = _bearer(values[0])
    issuer = authorizer.jwt_issuer or ""
    claims = _verify_signature(token, await key_sets.keys(issuer))
    now = time.time()
    if claims.get("iss") != issuer:
        raise Unauthorized("issuer")
    if "exp" in claims and float(claims["exp"]) <= now:
        raise Unauthorized("expired")
    if "nbf" in claims and float(claims["nbf"]) > now:
        raise Unauthorized("not yet valid")
    audiences = claims.get("aud")
    given = [audiences] if isinstance(audiences, str) else list(audiences or [])
    if "client_id" in claims and not given:
        given = [str(claims["client_id"])]
    if authorizer.jwt_audience and not set(given) & set(authorizer.jwt_audience):
        raise Unauthorized("audience")
    scopes = str(claims.get("scope") or "").split()
    if route.authorization_scopes and not set(scopes) & set(route.authorization_scopes):
        raise Forbidden("scopes")
    return Authorized({"jwt": {"claims": _claims_strings(claims), "scopes": scopes or None}})


# -- identity sources -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IdentitySources:
    """Where ``$request.header.X``, ``$request.querystring.X``, ``$context.X`` and
    ``$stageVariables.X`` are read from."""

    request: FrontRequest
    context: Mapping[str, str]
    stage_variables: Mapping[str, str]

    def value(self, source: str) -> str | None:
        if source.startswith("$request.header."):
            return self.request.header(source[len("$request.header.") :].lower())
        if source.startswith("$request.querystring."):
            name = source[len("$request.querystring.") :]
            found = [v for k, v in self.request.query_pairs() if k == name]
            return ",".join(found) if found else None
        if source.startswith("$context."):
            return self.context.get(source[len("$context.") :])
        if source.startswith("$stageVariables."):
            return self.stage_variables.get(source[len("$stageVariables.") :])
        return None

    def values(self, sources: Sequence[str]) -> list[str] | None:
        """Every source's value; None when one is missing or empty."""
        found = [self.value(source.strip()) for source in sources]
        if any(not value for value in found):
            return None
        return [value for value in found if value]


# -- Lambda authorizers -----------------------------------------------------------------


def function_of(uri: str) -> str:
    """A Lambda integration's or authorizer's function ARN, from its ARN or its
    ``arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations``."""
    marker = "/functions/"
    if ":apigateway:" in uri and marker in uri:
        return uri.split(marker, 1)[1].rsplit("/invocations", 1)[0]
    return uri


def _policy_allows(policy: Any, route_arn: str) -> bool:
    if not isinstance(policy, Mapping):
        raise AuthorizerFailed("policyDocument is not an object")
    statements = policy.get("Statement") or []
    if isinstance(statements, Mapping):
        statements = [statements]
    allowed = False
    for statement in statements:
        if not isinstance(statement, Mapping):
            continue
        actions = statement.get("Action") or []
        actions = [actions] if isinstance(actions, str) else list(actions)
        if not any(fnmatch.fnmatchcase("execute-api:Invoke", str(a)) for a in actions):
            continue
        resources = statement.get("Resource") or []
        resources = [resources] if isinstance(resources, str) else list(resources)
        if not any(fnmatch.fnmatchcase(route_arn, str(r)) for r in resources):
            continue
        if statement.get("Effect") == "Deny":
            return False
        if statement.get("Effect") == "Allow":
            allowed = True
    return allowed


class LambdaAuthorizers:
    """REQUEST authorizers' calls, and their cache (by authorizer and identity values)."""

    def __init__(self, triggers: PushTriggers) -> None:
        self._triggers = triggers
        self._cache: dict[tuple[str, str], tuple[float, Any]] = {}

    async def authorize(
        self,
        authorizer: HttpAuthorizer,
        *,
        account_id: str,
        region: str,
        api_id: str,
        route_arn: str,
        sources: IdentitySources,
        event: dict[str, Any],
    ) -> Authorized:
        values: list[str] = []
        if authorizer.identity_source:
            found = sources.values(authorizer.identity_source)
            if found is None:
                raise Unauthorized("identity source missing")
            values = found
        key = (authorizer.authorizer_id, hashlib.sha256(orjson.dumps(values)).hexdigest())
        ttl = authorizer.result_ttl_seconds if authorizer.identity_source else 0
        cached = self._cache.get(key) if ttl > 0 else None
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            answer = cached[1]
        else:
            answer = await self._call(authorizer, account_id, region, api_id, values, event)
            if ttl > 0:
                self._cache[key] = (now + ttl, answer)
        return self._decide(authorizer, answer, route_arn)

    async def _call(
        self,
        authorizer: HttpAuthorizer,
        account_id: str,
        region: str,
        api_id: str,
        values: list[str],
        event: dict[str, Any],
    ) -> Any:
        api_arn = f"arn:aws:execute-api:{region}:{account_id}:{api_id}"
        source_arn = f"{api_arn}/authorizers/{authorizer.authorizer_id}"
        if authorizer.payload_format_version == "1.0":
            event = {
                **event,
                "identitySource": ",".join(values),
                "authorizationToken": ",".join(values),
            }
        else:
            event = {**event, "identitySource": values}
        source = TriggerSource.of(PRINCIPAL, source_arn, account_id, region)
        target = function_of(authorizer.authorizer_uri or "")
        try:
            result = await self._triggers.call(source, target, orjson.dumps(event), timeout=10.0)
        except AwsError as refusal:
            raise AuthorizerFailed(str(refusal)) from refusal
        except Exception as failure:  # TriggerTimedOut
            raise AuthorizerFailed(str(failure)) from failure
        if result.failed:
            raise AuthorizerFailed("the authorizer function failed")
        try:
            return orjson.loads(result.payload)
        except orjson.JSONDecodeError:
            raise AuthorizerFailed("the authorizer's answer is not JSON") from None

    @staticmethod
    def _decide(authorizer: HttpAuthorizer, answer: Any, route_arn: str) -> Authorized:
        if not isinstance(answer, Mapping):
            raise AuthorizerFailed("the authorizer's answer is not an object")
        context = answer.get("context") or {}
        if not isinstance(context, Mapping):
            raise AuthorizerFailed("context is not an object")
        if authorizer.simple_responses and authorizer.payload_format_version == "2.0":
            if answer.get("isAuthorized") is not True:
                raise Forbidden("isAuthorized is not true")
            return Authorized({"lambda": dict(context)})
        if not _policy_allows(answer.get("policyDocument"), route_arn):
            raise Forbidden("the policy does not allow the route")
        principal = answer.get("principalId")
        principal_id = None if principal is None else str(principal)
        if authorizer.payload_format_version == "1.0":
            return Authorized({**context, "principalId": principal_id}, principal_id)
        return Authorized({"lambda": dict(context)}, principal_id)
