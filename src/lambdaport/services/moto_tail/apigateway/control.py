"""Control-plane calls lambdaport makes to moto's API Gateway on a client's behalf (an
import is many of them): each serialised with botocore's model as a client would send it,
run by the engine — journaled like any other call, so a restart brings its effect back —
and read back as JSON. A call moto refuses raises its error."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any
from urllib.parse import urlencode

import orjson
from botocore.serialize import create_serializer

from lambdaport.errors import AwsError
from lambdaport.protocol import load_service_model
from lambdaport.request import RequestContext
from lambdaport.services.moto_tail import hooks
from lambdaport.services.moto_tail.apigateway.directory import RestApiDirectory
from lambdaport.services.moto_tail.engine import MotoEngine
from lambdaport.services.moto_tail.protocol import MotoCall
from lambdaport.services.moto_tail.wsgi import WsgiRequest

SERVICE = "apigateway"


@cache
def _model() -> Any:
    return load_service_model(SERVICE)


@cache
def _serializer() -> Any:
    return create_serializer("rest-json", include_validation=False)


class ControlCalls:
    """API Gateway calls made in the name of one client request (``origin``)."""

    def __init__(
        self,
        engine: MotoEngine,
        directory: RestApiDirectory,
        origin: MotoCall,
        ctx: RequestContext,
    ) -> None:
        self._engine = engine
        self._directory = directory
        self._origin = origin
        self._ctx = ctx

    async def call(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        model = _model().operation_model(operation)
        serialized = _serializer().serialize_to_request(dict(params), model)
        origin = self._origin.request
        headers = tuple(
            (k, v) for k, v in origin.headers if k not in ("content-type", "content-length")
        ) + tuple((k.lower(), str(v)) for k, v in serialized["headers"].items())
        request = WsgiRequest(
            method=serialized["method"],
            raw_path=serialized["url_path"],
            query=urlencode(serialized["query_string"], doseq=True),
            headers=headers,
            body=serialized["body"] or b"",
            host=origin.host,
            port=origin.port,
        )
        call = MotoCall(
            SERVICE, operation, params, request, self._origin.protocol, self._origin.wire
        )
        extra = hooks.moto_headers(self._ctx.account_id, self._ctx.region, dict(origin.headers))
        response, _ = await self._engine.execute(
            call, extra, lambda _call, _response: self._directory.changed()
        )
        document: Any = orjson.loads(response.body) if response.body.strip() else {}
        if response.status >= 300:
            message = ""
            if isinstance(document, dict):
                message = str(document.get("message") or document.get("Message") or "")
            code = dict(response.headers).get("x-amzn-ErrorType", "BadRequestException")
            raise AwsError(code.split(":")[0], message or operation, response.status)
        return document if isinstance(document, dict) else {}
