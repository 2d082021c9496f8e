"""Where moto's API Gateway drops what a client sent, lambdaport makes the same calls in the
words moto keeps (``before`` hooks; every call run and journaled by moto, ``control``):

* ``CreateRestApi``: moto ignores ``binaryMediaTypes``; they are added after the create.
* ``UpdateRestApi``: clients add and remove a binary media type with the type in the patch's
  path (``/binaryMediaTypes/image~1png``, no value), moto reads it from the value.
* ``CreateAuthorizer``: moto drops ``identityValidationExpression``; it is set after the
  create with ``UpdateAuthorizer``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from lambdaport.protocol.base import HttpResponse
from lambdaport.request import RequestContext
from lambdaport.services.moto_tail.apigateway.control import ControlCalls
from lambdaport.services.moto_tail.apigateway.directory import RestApiDirectory
from lambdaport.services.moto_tail.engine import MotoEngine
from lambdaport.services.moto_tail.operation_hooks import OperationHook
from lambdaport.services.moto_tail.protocol import MotoCall

BINARY = "/binaryMediaTypes/"


def json_answer(status: int, document: Mapping[str, Any]) -> HttpResponse:
    return HttpResponse(status, [("content-type", "application/json")], orjson.dumps(document))


def binary_patches(kinds: Sequence[str]) -> list[dict[str, str]]:
    """moto's words for adding binary media types."""
    return [{"op": "add", "path": "/binaryMediaTypes", "value": kind} for kind in kinds]


def moto_patches(operations: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A client's patch operations with binary media types named in their path rewritten
    as moto reads them (the type as the value)."""
    rewritten: list[dict[str, Any]] = []
    for operation in operations:
        path = str(operation.get("path", ""))
        if path.startswith(BINARY) and operation.get("op") in ("add", "remove"):
            kind = path[len(BINARY) :].replace("~1", "/").replace("~0", "~")
            rewritten.append({"op": operation["op"], "path": "/binaryMediaTypes", "value": kind})
        else:
            rewritten.append(dict(operation))
    return rewritten


class MotoFixes:
    def __init__(self, engine: MotoEngine, directory: RestApiDirectory) -> None:
        self._engine = engine
        self._directory = directory

    def hooks(self) -> dict[str, OperationHook[None]]:
        return {
            "CreateRestApi": OperationHook(before=self.create_rest_api),
            "UpdateRestApi": OperationHook(before=self.update_rest_api),
            "CreateAuthorizer": OperationHook(before=self.create_authorizer),
        }

    def _control(self, call: MotoCall, ctx: RequestContext) -> ControlCalls:
        return ControlCalls(self._engine, self._directory, call, ctx)

    async def create_rest_api(self, call: MotoCall, ctx: RequestContext) -> HttpResponse | None:
        kinds = call.params.get("binaryMediaTypes") or []
        if not kinds:
            return None
        control = self._control(call, ctx)
        params = {k: v for k, v in call.params.items() if k != "binaryMediaTypes"}
        api = await control.call("CreateRestApi", params)
        patches = binary_patches([str(kind) for kind in kinds])
        api = await control.call(
            "UpdateRestApi", {"restApiId": api["id"], "patchOperations": patches}
        )
        return json_answer(201, api)

    async def update_rest_api(self, call: MotoCall, ctx: RequestContext) -> HttpResponse | None:
        operations = call.params.get("patchOperations") or []
        if not any(str(op.get("path", "")).startswith(BINARY) for op in operations):
            return None
        params = {**call.params, "patchOperations": moto_patches(operations)}
        return json_answer(200, await self._control(call, ctx).call("UpdateRestApi", params))

    async def create_authorizer(self, call: MotoCall, ctx: RequestContext) -> HttpResponse | None:
        expression = call.params.get("identityValidationExpression")
        if not expression:
            return None
        control = self._control(call, ctx)
        created = await control.call("CreateAuthorizer", call.params)
        patch = [{"op": "replace", "path": "/identityValidationExpression", "value": expression}]
        updated = await control.call(
            "UpdateAuthorizer",
            {
                "restApiId": call.params["restApiId"],
                "authorizerId": created["id"],
                "patchOperations": patch,
            },
        )
        return json_answer(201, updated)
