"""The ASGI front door: reads the request, finds the service, parses, dispatches, answers.

Exceptions become AWS error responses here and only here: an ``AwsError`` in the called
service's protocol format, anything else as that service's internal error (logged with its
traceback on the server, never sent to the client).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from lambdaport.errors import AwsError
from lambdaport.gateway.identity import Identity, identify
from lambdaport.gateway.sigv4 import verify_request
from lambdaport.invoke.ids import new_request_id
from lambdaport.protocol.base import HttpRequest, HttpResponse, ServiceProtocol
from lambdaport.request import RequestContext

logger = logging.getLogger("lambdaport.gateway")

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Dispatch = Callable[[RequestContext, str, Mapping[str, Any]], Awaitable[dict[str, Any]]]
InternalHandler = Callable[[HttpRequest], Awaitable[HttpResponse]]

MAX_BODY = 70_167_211  # CreateFunction's direct-upload request limit


RawHandler = Callable[[Scope, Receive, Send, RequestContext], Awaitable[None]]
# The request log line's arguments: service, operation, status, milliseconds.
_LogLine = tuple[str, str, int, float]


@dataclass(frozen=True, slots=True)
class ServiceEndpoint:
    """A service behind the gateway.

    ``select`` picks the protocol per request for services that speak several (SQS: json
    or query); ``raw`` takes over the ASGI exchange after identification for services that
    stream bodies (S3) and then owns parsing, errors and the response itself.
    """

    protocol: ServiceProtocol
    dispatch: Dispatch
    select: Callable[[HttpRequest], ServiceProtocol] | None = None
    raw: RawHandler | None = None


def _json_error(status: int, code: str, message: str) -> HttpResponse:
    return HttpResponse(
        status,
        [("content-type", "application/json"), ("x-amzn-errortype", code)],
        orjson.dumps({"__type": code, "message": message}),
    )


def _wire_headers(response: HttpResponse) -> list[tuple[bytes, bytes]]:
    """The response's headers as bytes, with ``Content-Length`` as AWS sends it (without it
    the server would fall back to chunked encoding, which costs every client a parse)."""
    headers = [(k.encode(), v.encode()) for k, v in response.headers]
    if response.status not in (204, 304) and not any(
        name.lower() == b"content-length" for name, _ in headers
    ):
        headers.append((b"content-length", str(len(response.body)).encode()))
    return headers


class Gateway:
    def __init__(
        self,
        services: Mapping[str, ServiceEndpoint],
        internal: InternalHandler,
        *,
        default_region: str,
        unserved: Callable[[str], ServiceProtocol | None],
        strict_auth: bool = False,
    ) -> None:
        self._strict_auth = strict_auth
        self._services = services
        self._internal = internal
        self._default_region = default_region
        self._unserved = unserved

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        headers = {
            key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]
        }
        path: str = scope["path"]
        query: str = scope.get("query_string", b"").decode("latin-1")
        internal = path.startswith(("/_lambdaport/", "/_localstack/"))
        identity = None
        if not internal:
            identity = identify(path, query, headers, self._default_region)
            endpoint = self._services.get(identity.service)
            if endpoint is not None and endpoint.raw is not None:
                await endpoint.raw(scope, receive, send, self._context(identity, headers))
                return
        request = await self._read(scope, receive, headers, query)
        line: _LogLine | None = None
        if request is None:
            response = _json_error(
                413,
                "RequestEntityTooLargeException",
                f"Request must be smaller than {MAX_BODY} bytes",
            )
        elif identity is None:
            response = await self._internal(request)
        else:
            response, line = await self._handle(request, identity)
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": _wire_headers(response),
            }
        )
        await send({"type": "http.response.body", "body": response.body})
        if line is not None:
            # Logged once the answer is on its way: the caller does not wait for the line.
            logger.info("%s.%s %d %.2fms", *line)

    @staticmethod
    def _context(
        identity: Identity, headers: Mapping[str, str], request_id: str | None = None
    ) -> RequestContext:
        host = headers.get("host", "")
        return RequestContext(
            account_id=identity.account_id,
            region=identity.region,
            request_id=request_id or new_request_id(),
            access_key=identity.access_key,
            service=identity.service,
            endpoint=f"http://{host}" if host else "",
        )

    @staticmethod
    async def _read(
        scope: Scope, receive: Receive, headers: dict[str, str], query: str
    ) -> HttpRequest | None:
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY:
            return None
        message = await receive()
        body: bytes = message.get("body", b"")
        if message.get("more_body", False):
            chunks = [body]
            more = True
            while more:
                message = await receive()
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
            body = b"".join(chunks)
        raw_path: bytes = scope.get("raw_path", b"")
        return HttpRequest(
            method=scope["method"],
            path=raw_path.decode("latin-1").split("?", 1)[0] if raw_path else scope["path"],
            query=query,
            headers=headers,
            body=body,
            host=headers.get("host", ""),
        )

    async def _handle(
        self, request: HttpRequest, identity: Identity
    ) -> tuple[HttpResponse, _LogLine | None]:
        """The response, and the request's log line when info logging is on."""
        started = time.perf_counter()
        request_id = new_request_id()
        operation: str | None = None
        endpoint = self._services.get(identity.service)
        if endpoint is None:
            return self._unserved_response(identity.service, request_id), None
        protocol = endpoint.protocol if endpoint.select is None else endpoint.select(request)
        try:
            if self._strict_auth:
                verify_request(request)
            operation, params = protocol.parse(request)
            ctx = self._context(identity, request.headers, request_id)
            result = await endpoint.dispatch(ctx, operation, params)
            response = protocol.serialize(operation, result, request_id)
        except AwsError as error:
            response = protocol.serialize_error(operation, error, request_id)
        except Exception:
            logger.exception("internal error in %s.%s", identity.service, operation)
            internal = AwsError(
                "ServiceException",
                "lambdaport hit an internal error; see the server log.",
                500,
                sender_fault=False,
                fields={"Type": "Service"},
            )
            response = protocol.serialize_error(operation, internal, request_id)
        response.headers.append(("x-amzn-requestid", request_id))
        if not logger.isEnabledFor(logging.INFO):
            return response, None
        elapsed_ms = (time.perf_counter() - started) * 1000
        return response, (identity.service, operation or "?", response.status, elapsed_ms)

    def _unserved_response(self, service: str, request_id: str) -> HttpResponse:
        error = AwsError(
            "NotImplementedException",
            f"lambdaport does not serve the AWS service '{service}' yet.",
            501,
            sender_fault=False,
        )
        protocol = self._unserved(service)
        if protocol is None:
            response = _json_error(error.status, error.code, error.message)
        else:
            response = protocol.serialize_error(None, error, request_id)
        response.headers.append(("x-amzn-requestid", request_id))
        return response
