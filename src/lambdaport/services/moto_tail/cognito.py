"""What lambdaport adds to moto's Cognito user pools: the PreSignUp trigger, the first of
the user-pool triggers (the others, and what a PreSignUp answer may ask for —
``autoConfirmUser``, ``autoVerifyEmail`` — come with the Cognito issue).

A hook on ``SignUp`` (``operation_hooks``, registered in ``app.py``): before moto creates the
user, it reads under moto's lock which pool the app client belongs to and that pool's
``LambdaConfig.PreSignUp`` (``user_pool_of_client``); when a function is set, it invokes it
synchronously through ``invoke.triggers.PushTriggers`` as ``cognito-idp.amazonaws.com`` on
behalf of the pool's ARN — outside the lock, so the function may call Cognito back
(``ListUsers``) — with the ``PreSignUp_SignUp`` event. A function that fails refuses the
sign-up as Cognito does: ``UserLambdaValidationException`` "PreSignUp failed with error
MESSAGE."; a function that cannot be invoked is ``UnexpectedLambdaException``, an answer that
is not a JSON object ``InvalidLambdaResponseException``
(https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-pre-sign-up.html).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from lambdaport.errors import AwsError
from lambdaport.invoke.triggers import PushTriggers, TriggerSource
from lambdaport.protocol.base import HttpResponse
from lambdaport.request import RequestContext
from lambdaport.services.moto_tail.engine import MotoEngine
from lambdaport.services.moto_tail.operation_hooks import OperationHook
from lambdaport.services.moto_tail.protocol import MotoCall

PRINCIPAL = "cognito-idp.amazonaws.com"


@dataclass(frozen=True, slots=True)
class UserPoolTriggers:
    """A user pool as its triggers need it: its id, ARN and ``LambdaConfig``."""

    pool_id: str
    arn: str
    lambda_config: Mapping[str, Any]


def user_pool_of_client(account_id: str, region: str, client_id: str) -> UserPoolTriggers | None:
    """The pool the app client belongs to, read from moto's backend (hook 8 of ``hooks``;
    the lock is held). Creates no backend: an account or region moto never saw has none."""
    from moto.cognitoidp.models import cognitoidp_backends

    account = dict.get(cognitoidp_backends, account_id)
    backend = None if account is None else dict.get(account, region)
    if backend is None:
        return None
    for pool in backend.user_pools.values():
        if client_id in pool.clients:
            config = pool.extended_config.get("LambdaConfig") or {}
            return UserPoolTriggers(pool.id, pool.arn, dict(config))
    return None


def user_pool_key_set(issuer: str) -> list[dict[str, Any]]:
    """The JSON web keys a user pool's tokens are signed with (hook 11 of ``hooks``: moto
    signs every pool's tokens with the key of ``cognitoidp/resources/jwks-private.json``
    and publishes ``jwks-public.json``); the issuer names the pool. What API Gateway's JWT
    authorizers verify a Cognito issuer's tokens against."""
    from moto.utilities.utils import load_resource

    keys = load_resource("cognitoidp/resources/jwks-public.json").get("keys") or []
    return [dict(key) for key in keys]


class PreSignUp:
    """The ``SignUp`` hook (see the module docstring)."""

    def __init__(self, engine: MotoEngine, triggers: PushTriggers) -> None:
        self._engine = engine
        self._triggers = triggers

    def hook(self) -> OperationHook[None]:
        return OperationHook(before=self.before)

    async def before(self, call: MotoCall, ctx: RequestContext) -> HttpResponse | None:
        client_id = str(call.params.get("ClientId", ""))
        pool = await self._engine.read(
            lambda: user_pool_of_client(ctx.account_id, ctx.region, client_id)
        )
        target = None if pool is None else pool.lambda_config.get("PreSignUp")
        if pool is None or not target:
            return None  # moto answers: an unknown client is its ResourceNotFoundException
        event = sign_up_event(call.params, pool, ctx.region)
        source = TriggerSource.of(PRINCIPAL, pool.arn, ctx.account_id, ctx.region)
        try:
            result = await self._triggers.call(source, str(target), event)
        except AwsError as refusal:
            raise AwsError(
                "UnexpectedLambdaException",
                f"PreSignUp invocation failed due to error {refusal.code}.",
                400,
            ) from refusal
        failure = result.error()
        if failure is not None:
            raise AwsError(
                "UserLambdaValidationException",
                f"PreSignUp failed with error {failure.error_message or failure.error_type}.",
                400,
            )
        _check_answer(result.payload)
        return None


def sign_up_event(params: Mapping[str, Any], pool: UserPoolTriggers, region: str) -> bytes:
    """The ``PreSignUp_SignUp`` event for a ``SignUp`` call's parameters."""
    validation = params.get("ValidationData")
    return orjson.dumps(
        {
            "version": "1",
            "region": region,
            "userPoolId": pool.pool_id,
            "userName": params.get("Username"),
            "callerContext": {
                "awsSdkVersion": "aws-sdk-unknown-unknown",
                "clientId": params.get("ClientId"),
            },
            "triggerSource": "PreSignUp_SignUp",
            "request": {
                "userAttributes": _attributes(params.get("UserAttributes") or ()),
                "validationData": None if validation is None else _attributes(validation),
                "clientMetadata": dict(params.get("ClientMetadata") or {}),
            },
            "response": {
                "autoConfirmUser": False,
                "autoVerifyPhone": False,
                "autoVerifyEmail": False,
            },
        }
    )


def _attributes(pairs: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    return {str(pair["Name"]): str(pair.get("Value", "")) for pair in pairs}


def _check_answer(payload: bytes) -> None:
    try:
        answer = orjson.loads(payload)
    except orjson.JSONDecodeError:
        answer = None
    if not isinstance(answer, dict):
        raise AwsError("InvalidLambdaResponseException", "Unrecognizable lambda output", 400)
