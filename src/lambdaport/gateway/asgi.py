"""The ASGI front door: checks who asks, reads the request, finds the service, parses,
dispatches, answers.

Before anything else a request's ``Host`` and ``Origin`` are checked (``browsers``: no web
page drives lambdaport unless allowed) and CORS preflights are answered; bodies are read
with a size limit and an idle timeout (``body``). Exceptions become AWS error responses here
and only here: an ``AwsError`` in the called service's protocol format, anything else as
that service's internal error (logged with its traceback on the server, never sent to the
client).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from xml.sax.saxutils import escape

import orjson

from lambdaport.errors import AwsError
from lambdaport.gateway.body import (
    DEFAULT_IDLE_TIMEOUT,
    ClientDisconnected,
    IdleWatch,
    RequestTimeout,
    read_body,
)
from lambdaport.gateway.browsers import (
    BrowserPolicy,
    CorsAnswer,
    CorsRequest,
    ServiceCors,
    is_preflight,
    preflight_headers,
    request_headers,
    response_headers,
)
from lambdaport.gateway.identity import Identity, identify, query_service
from lambdaport.gateway.service_names import is_aws_service
from lambdaport.invoke.ids import new_request_id
from lambdaport.protocol.base import HttpRequest, HttpResponse, ServiceProtocol
from lambdaport.protocol.query import QueryProtocol
from lambdaport.protocol.signing import SignatureError, service_error
from lambdaport.protocol.sigv4 import verify_request
from lambdaport.request import RequestContext

logger = logging.getLogger("lambdaport.gateway")

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Dispatch = Callable[[RequestContext, str, Mapping[str, Any]], Awaitable[dict[str, Any]]]
InternalHandler = Callable[[HttpRequest], Awaitable[HttpResponse]]

MAX_BODY = 70_167_211  # CreateFunction's direct-upload request limit
_AMZ_JSON = "application/x-amz-json-1.1"


RawHandler = Callable[[Scope, Receive, Send, RequestContext], Awaitable[None]]
# The request log line's arguments: service, operation, status, milliseconds.
_LogLine = tuple[str, str, int, float]


@dataclass(frozen=True, slots=True)
class ServiceEndpoint:
    """A service behind the gateway.

    ``select`` picks the protocol per request for services that speak several (SQS: json
    or query); ``raw`` takes over the ASGI exchange after identification for services that
    stream bodies (S3) and then owns parsing, errors and the response itself; ``cors``
    answers browsers from the service's own CORS rules (S3's bucket configurations).
    """

    protocol: ServiceProtocol
    dispatch: Dispatch
    select: Callable[[HttpRequest], ServiceProtocol] | None = None
    raw: RawHandler | None = None
    cors: ServiceCors | None = None


def _json_error(status: int, code: str, message: str) -> HttpResponse:
    return HttpResponse(
        status,
        [("content-type", "application/json"), ("x-amzn-errortype", code)],
        orjson.dumps({"__type": code, "message": message}),
    )


def _wire_headers(response: HttpResponse) -> list[tuple[bytes, bytes]]:
    """The response's headers as bytes, with ``Content-Length`` as AWS sends it (without it
    the server would fall back to chunked encoding, which costs every client a parse)."""
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    if response.status not in (204, 304) and not any(
        name.lower() == b"content-length" for name, _ in headers
    ):
        headers.append((b"content-length", str(len(response.body)).encode()))
    return headers


async def _answer(send: Send, response: HttpResponse, *, close: bool = False) -> None:
    """Send a whole response; ``close`` when the request's body was left unread (the rest
    of it must not be taken for the next request on the connection)."""
    headers = _wire_headers(response)
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})


def _with_cors(send: Send, origin: str, answer: CorsAnswer | None) -> Send:
    """``send``, adding the CORS headers of an allowed origin to the response's start: the
    service's own answer when it has one (S3: none when no bucket rule matches), else the
    gateway's."""

    async def cors_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            sent = list(message.get("headers", []))
            if answer is None:
                extra = response_headers(origin, sent)
            else:
                extra = [(k.lower().encode(), v.encode("latin-1")) for k, v in answer.headers]
            message = {**message, "headers": sent + extra}
        await send(message)

    return cors_send


def _verify(request: HttpRequest, protocol: ServiceProtocol) -> None:
    """``--strict-auth``: the request's SigV4 signature, or the service's 403."""
    try:
        verify_request(request)
    except SignatureError as failure:
        raise service_error(failure, query_style=isinstance(protocol, QueryProtocol)) from None


async def _claim_query_form(
    scope: Scope, receive: Receive, identity: Identity, query: str
) -> tuple[Identity, Receive]:
    """An unsigned request to ``/`` that nothing named: a query service's when its query
    string or form body says ``Action=`` (``identity.query_service``). The body read to tell
    is replayed to whoever reads the request next."""
    if identity.claimed or scope["path"] != "/":
        return identity, receive
    read: list[Message] = []
    form = query
    headers = dict(scope["headers"])
    form_type = headers.get(b"content-type", b"").startswith(b"application/x-www-form-urlencoded")
    if scope["method"] == "POST" and form_type:
        size, more = 0, True
        while more and size <= MAX_BODY:
            message = await receive()
            read.append(message)
            size += len(message.get("body", b""))
            more = bool(message.get("more_body", False))
        if not more:
            form = b"".join(message.get("body", b"") for message in read).decode("latin-1")
    service = query_service(form) if "Action=" in form else None

    async def replay() -> Message:
        return read.pop(0) if read else await receive()

    if service is None:
        return identity, replay
    return replace(identity, service=service, claimed=True), replay


class Gateway:
    def __init__(
        self,
        services: Mapping[str, ServiceEndpoint],
        internal: InternalHandler,
        *,
        default_region: str,
        unserved: Callable[[str], ServiceProtocol | None],
        strict_auth: bool = False,
        browsers: BrowserPolicy | None = None,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    ) -> None:
        self._strict_auth = strict_auth
        self._services = services
        self._internal = internal
        self._default_region = default_region
        self._unserved = unserved
        self._browsers = browsers or BrowserPolicy("", "", "127.0.0.1")
        self._idle = IdleWatch(idle_timeout)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        headers = {
            key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]
        }
        path: str = scope["path"]
        query: str = scope.get("query_string", b"").decode("latin-1")
        method: str = scope["method"]
        identity = None
        endpoint = None
        if not path.startswith(("/_lambdaport/", "/_localstack/")):
            identity = identify(path, query, headers, self._default_region)
            endpoint = self._services.get(identity.service)
        service = identity.service if identity is not None else None
        refusal = self._browsers.refusal(headers, service, method)
        if refusal is not None:
            # S3 (and its XML) says AccessDenied; the JSON services AccessDeniedException.
            s3 = identity is not None and identity.service == "s3"
            error = AwsError("AccessDenied" if s3 else "AccessDeniedException", refusal, 403)
            await self._refuse(send, endpoint, error, headers)
            return
        origin = headers.get("origin")
        if origin is not None:
            cors = await self._service_cors(scope, endpoint, headers, origin)
            if is_preflight(method, headers):
                await _answer(send, self._preflight(endpoint, cors, origin, headers))
                return
            send = _with_cors(send, origin, cors)
        receive = self._idle.guard(receive, headers)
        try:
            identity, endpoint, receive = await self._claim(scope, receive, identity, endpoint)
            if identity is not None and endpoint is not None and endpoint.raw is not None:
                await endpoint.raw(scope, receive, send, self._context(identity, headers))
                return
            body = await read_body(receive, headers, MAX_BODY)
        except ClientDisconnected:
            return
        except RequestTimeout as timeout:
            await self._refuse(send, endpoint, timeout, headers)
            return
        line: _LogLine | None = None
        if body is None:
            too_large = AwsError(
                "RequestEntityTooLargeException",
                f"Request must be smaller than {MAX_BODY} bytes",
                413,
            )
            await self._refuse(send, endpoint, too_large, headers)
            return
        request = self._request(scope, headers, query, body)
        if identity is None:
            response = await self._internal(request)
        else:
            response, line = await self._handle(request, identity, endpoint)
        await _answer(send, response)
        if line is not None:
            # Logged once the answer is on its way: the caller does not wait for the line.
            logger.info("%s.%s %d %.2fms", *line)

    async def _claim(
        self,
        scope: Scope,
        receive: Receive,
        identity: Identity | None,
        endpoint: ServiceEndpoint | None,
    ) -> tuple[Identity | None, ServiceEndpoint | None, Receive]:
        """The service of an unsigned query form to ``/`` (``_claim_query_form``)."""
        if identity is None or identity.claimed:
            return identity, endpoint, receive
        query = scope.get("query_string", b"").decode("latin-1")
        identity, receive = await _claim_query_form(scope, receive, identity, query)
        return identity, self._services.get(identity.service), receive

    @staticmethod
    async def _service_cors(
        scope: Scope, endpoint: ServiceEndpoint | None, headers: Mapping[str, str], origin: str
    ) -> CorsAnswer | None:
        """The service's own CORS answer for the resource the request names, if any."""
        if endpoint is None or endpoint.cors is None:
            return None
        preflight = is_preflight(scope["method"], headers)
        raw_path: bytes = scope.get("raw_path", b"")
        request = CorsRequest(
            origin=origin,
            method=headers["access-control-request-method"].strip().upper()
            if preflight
            else scope["method"],
            headers=request_headers(headers.get("access-control-request-headers"))
            if preflight
            else (),
            host=headers.get("host", ""),
            path=raw_path.decode("latin-1").split("?", 1)[0] if raw_path else scope["path"],
            preflight=preflight,
        )
        return await endpoint.cors(request)

    def _preflight(
        self,
        endpoint: ServiceEndpoint | None,
        cors: CorsAnswer | None,
        origin: str,
        headers: Mapping[str, str],
    ) -> HttpResponse:
        request_id = new_request_id()
        if cors is not None and cors.refusal is not None:
            return self._error(endpoint, cors.refusal, request_id, headers)
        answer = list(cors.headers) if cors is not None else preflight_headers(origin, headers)
        return HttpResponse(200, [*answer, ("x-amzn-requestid", request_id)], b"")

    async def _refuse(
        self,
        send: Send,
        endpoint: ServiceEndpoint | None,
        error: AwsError,
        headers: Mapping[str, str],
    ) -> None:
        """Answer ``error`` with the body unread, and close the connection."""
        await _answer(send, self._error(endpoint, error, new_request_id(), headers), close=True)

    def _error(
        self,
        endpoint: ServiceEndpoint | None,
        error: AwsError,
        request_id: str,
        headers: Mapping[str, str],
    ) -> HttpResponse:
        """An error the gateway answers itself, before (or instead of) reading the body: in
        the service's format when it has one (SQS: the one its headers choose)."""
        if endpoint is None:
            response = _json_error(error.status, error.code, error.message)
        else:
            protocol = endpoint.protocol
            if endpoint.select is not None:
                protocol = endpoint.select(HttpRequest("POST", "/", "", headers, b""))
            response = protocol.serialize_error(None, error, request_id)
        response.headers.append(("x-amzn-requestid", request_id))
        return response

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
    def _request(scope: Scope, headers: dict[str, str], query: str, body: bytes) -> HttpRequest:
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
        self, request: HttpRequest, identity: Identity, endpoint: ServiceEndpoint | None
    ) -> tuple[HttpResponse, _LogLine | None]:
        """The response, and the request's log line when info logging is on."""
        started = time.perf_counter()
        request_id = new_request_id()
        operation: str | None = None
        if endpoint is None:
            return self._unserved_response(request, identity, request_id), None
        protocol = endpoint.protocol if endpoint.select is None else endpoint.select(request)
        try:
            if self._strict_auth:
                _verify(request, protocol)
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

    def _unserved_response(
        self, request: HttpRequest, identity: Identity, request_id: str
    ) -> HttpResponse:
        """No endpoint: an AWS service lambdaport does not serve yet is 501 (lambdaport's
        shortcoming); a service AWS does not have is the client's error, 4xx."""
        service = identity.service
        if not is_aws_service(service):
            response = _unknown_service(request, identity, request_id)
            response.headers.append(("x-amzn-requestid", request_id))
            return response
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


def _unknown_service(request: HttpRequest, identity: Identity, request_id: str) -> HttpResponse:
    """What AWS answers a request no service of its own would take, in the format the
    request speaks: an unknown ``X-Amz-Target`` is 400 ``UnknownOperationException`` (as
    every JSON-protocol endpoint answers one); a signature scoped to a service that does not
    exist is 403 "Credential should be scoped to correct service" (``SignatureDoesNotMatch``
    from query endpoints, ``InvalidSignatureException`` from JSON ones); an unsigned
    query-protocol call is 400 ``InvalidAction``."""
    headers = request.headers
    target = headers.get("x-amz-target")
    if target:
        content_type = headers.get("content-type", "")
        return HttpResponse(
            400,
            [
                ("content-type", content_type if "amz-json" in content_type else _AMZ_JSON),
                ("x-amzn-errortype", "UnknownOperationException"),
            ],
            orjson.dumps(
                {"__type": "UnknownOperationException", "message": f"Unknown operation {target}"}
            ),
        )
    query_style = "Action=" in request.query or headers.get("content-type", "").startswith(
        "application/x-www-form-urlencoded"
    )
    if identity.signed:
        named = (
            f"'{identity.service}' is not an AWS service"
            if identity.service
            else "the credential scope names no service"
        )
        status = 403
        message = f"Credential should be scoped to correct service: {named}."
        code = "SignatureDoesNotMatch" if query_style else "InvalidSignatureException"
    else:
        status = 400
        message = f"'{identity.service}' is not an AWS service."
        code = "InvalidAction" if query_style else "UnknownOperationException"
    if not query_style:
        return _json_error(status, code, message)
    body = (
        f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
        f"<Message>{escape(message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    return HttpResponse(status, [("content-type", "text/xml")], body.encode())
