"""The ASGI front door: checks who asks, reads the request, finds the service, parses,
dispatches, answers.

Before anything else a request's ``Host`` and ``Origin`` are checked (``browsers``: no web
page drives lambdaport unless allowed) and CORS preflights are answered; bodies are read
with a size limit and an idle timeout (``body``). A ``BufferedEndpoint``'s request is read,
parsed, dispatched and answered here; a ``RawEndpoint``'s exchange is its handler's (see
``lambdaport.endpoint``). Exceptions become AWS error responses here and only here, for
both kinds (``answers.error_response``): an ``AwsError`` in the service's words, anything
else as that service's internal error (logged with its traceback on the server, never sent
to the client).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace

import orjson

from lambdaport.asgi import (
    MAX_BODY,
    ClientDisconnected,
    Message,
    Receive,
    RequestBody,
    RequestTimeout,
    Scope,
    Send,
    read_body,
    refuse_websocket,
)
from lambdaport.endpoint import (
    BufferedEndpoint,
    CorsAnswer,
    CorsRequest,
    ErrorProtocol,
    RawEndpoint,
    ServiceEndpoint,
    ServiceErrors,
    WordedError,
)
from lambdaport.errors import AwsError
from lambdaport.gateway.answers import BARE_JSON, answer, error_response, unknown_service
from lambdaport.gateway.body import DEFAULT_IDLE_TIMEOUT, IdleWatch
from lambdaport.gateway.browsers import (
    BrowserPolicy,
    is_preflight,
    preflight_headers,
    request_headers,
    response_headers,
)
from lambdaport.gateway.identity import Identity, identify, query_service
from lambdaport.gateway.service_names import is_aws_service
from lambdaport.http_fronts.addressing import CustomDomains
from lambdaport.invoke.ids import new_request_id
from lambdaport.protocol.base import HttpRequest, HttpResponse, ServiceProtocol
from lambdaport.protocol.query import QueryProtocol
from lambdaport.protocol.signing import SignatureError, service_error
from lambdaport.protocol.sigv4 import verify_request
from lambdaport.request import RequestContext

logger = logging.getLogger("lambdaport.gateway")

InternalHandler = Callable[[HttpRequest], Awaitable[HttpResponse]]
# The request log line's arguments: service, operation, status, milliseconds.
_LogLine = tuple[str, str, int, float]


class _Started:
    """A raw handler's ``send``, noting whether its response has started."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        self.started = True
        await self._send(message)


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


def _raised(
    errors: ErrorProtocol, failure: Exception, ctx: RequestContext, scope: Scope
) -> tuple[ErrorProtocol, AwsError, str | None]:
    """What a raw handler raised, as (its words, the error, the operation if known)."""
    if isinstance(failure, WordedError):
        return failure.errors, failure.error, failure.operation
    if isinstance(failure, AwsError):
        return errors, failure, None
    what = f"{scope['method']} {scope['path']}"
    logger.error("internal error in %s (%s)", ctx.service, what, exc_info=failure)
    return errors, errors.internal, None


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
        custom_domains: CustomDomains | None = None,
    ) -> None:
        self._strict_auth = strict_auth
        self._custom_domains = custom_domains
        self._services = services
        self._internal = internal
        self._default_region = default_region
        self._unserved = unserved
        self._browsers = browsers or BrowserPolicy("", "", "127.0.0.1")
        self._idle = IdleWatch(idle_timeout)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {
            key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]
        }
        path: str = scope["path"]
        query: str = scope.get("query_string", b"").decode("latin-1")
        method: str = scope["method"]
        identity = None
        endpoint = None
        if not path.startswith(("/_lambdaport/", "/_localstack/")):
            identity = identify(path, query, headers, self._default_region, self._custom_domains)
            endpoint = self._services.get(identity.service)
        service = identity.service if identity is not None else None
        refusal = self._browsers.refusal(headers, service, method)
        if refusal is not None:
            # S3 (and its XML) says AccessDenied; the JSON services AccessDeniedException.
            s3 = identity is not None and identity.service == "s3"
            error = AwsError("AccessDenied" if s3 else "AccessDeniedException", refusal, 403)
            await self._refuse(send, endpoint, error, headers, method)
            return
        origin = headers.get("origin")
        if origin is not None:
            cors = await self._service_cors(scope, endpoint, headers, origin)
            if is_preflight(method, headers):
                await answer(send, self._preflight(endpoint, cors, origin, headers))
                return
            send = _with_cors(send, origin, cors)
        receive = self._idle.guard(receive, headers)
        try:
            identity, endpoint, receive = await self._claim(scope, receive, identity, endpoint)
            if isinstance(endpoint, RawEndpoint):
                assert identity is not None  # endpoints are found by the identity
                raw_body = RequestBody(receive, headers)
                await self._raw(endpoint, scope, raw_body, send, identity, headers)
                return
            body = await read_body(receive, headers, MAX_BODY)
        except ClientDisconnected:
            return
        except RequestTimeout as timeout:
            await self._refuse(send, endpoint, timeout, headers, method)
            return
        line: _LogLine | None = None
        if body is None:
            too_large = AwsError(
                "RequestEntityTooLargeException",
                f"Request must be smaller than {MAX_BODY} bytes",
                413,
            )
            await self._refuse(send, endpoint, too_large, headers, method)
            return
        request = self._request(scope, headers, query, body)
        if identity is None:
            response = await self._internal(request)
        else:
            response, line = await self._handle(request, identity, endpoint)
        await answer(send, response)
        if line is not None:
            # Logged once the answer is on its way: the caller does not wait for the line.
            logger.info("%s.%s %d %.2fms", *line)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A WebSocket connection: the same ``Host`` and ``Origin`` checks as a request's
        (a page may open a WebSocket to any address, and no preflight guards it), then the
        endpoint's ``websocket`` handler; nothing else takes WebSockets (refused, 403)."""
        headers = {
            key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]
        }
        query: str = scope.get("query_string", b"").decode("latin-1")
        identity = identify(scope["path"], query, headers, self._default_region)
        endpoint = self._services.get(identity.service)
        refusal = self._browsers.refusal(headers, identity.service, "GET")
        handler = endpoint.websocket if isinstance(endpoint, RawEndpoint) else None
        if refusal is not None or handler is None:
            body = orjson.dumps({"message": refusal or "Forbidden"})
            json_type = [("content-type", "application/json")]
            await refuse_websocket(scope, receive, send, 403, body, json_type)
            return
        ctx = self._context(identity, headers)
        await handler(scope, receive, send, ctx)

    async def _raw(
        self,
        endpoint: RawEndpoint,
        scope: Scope,
        body: RequestBody,
        send: Send,
        identity: Identity,
        headers: Mapping[str, str],
    ) -> None:
        """A raw endpoint's exchange. What its handler raises before its response started is
        answered here, in the endpoint's words (or a ``WordedError``'s); once it started,
        the handler owns the response, and what it raises ends the connection."""
        started = time.perf_counter()
        ctx = self._context(identity, headers, self._new_request_id(endpoint))
        watched = _Started(send)
        try:
            await endpoint.handle(scope, body, watched, ctx)
            return
        except Exception as failure:
            if watched.started or isinstance(failure, ClientDisconnected):
                raise
            errors, error, operation = _raised(endpoint.errors, failure, ctx, scope)
        head = scope["method"] == "HEAD"
        response = error_response(errors, error, ctx.request_id, head=head)
        await answer(send, response, close=body.unread)
        if logger.isEnabledFor(logging.INFO):
            elapsed_ms = (time.perf_counter() - started) * 1000
            line = (ctx.service, operation or "?", response.status, elapsed_ms)
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
        if cors is not None and cors.refusal is not None:
            request_id = self._new_request_id(endpoint)
            return error_response(self._errors(endpoint, headers), cors.refusal, request_id)
        request_id = new_request_id()
        answer = list(cors.headers) if cors is not None else preflight_headers(origin, headers)
        return HttpResponse(200, [*answer, ("x-amzn-requestid", request_id)], b"")

    async def _refuse(
        self,
        send: Send,
        endpoint: ServiceEndpoint | None,
        error: AwsError,
        headers: Mapping[str, str],
        method: str,
    ) -> None:
        """Answer ``error`` before (or instead of) reading the body, and close the
        connection: the rest of the body must not be taken for the next request."""
        errors = self._errors(endpoint, headers)
        request_id = self._new_request_id(endpoint)
        response = error_response(errors, error, request_id, head=method == "HEAD")
        await answer(send, response, close=True)

    @staticmethod
    def _errors(endpoint: ServiceEndpoint | None, headers: Mapping[str, str]) -> ErrorProtocol:
        """Who words an error the gateway answers before the body is read: the service,
        when there is one (SQS: in the protocol its headers choose)."""
        if endpoint is None:
            return BARE_JSON
        if isinstance(endpoint, RawEndpoint):
            return endpoint.errors
        return ServiceErrors(endpoint.protocol_for(HttpRequest("POST", "/", "", headers, b"")))

    @staticmethod
    def _new_request_id(endpoint: ServiceEndpoint | None) -> str:
        if isinstance(endpoint, RawEndpoint) and endpoint.new_request_id is not None:
            return endpoint.new_request_id()
        return new_request_id()

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
            trace_header=headers.get("x-amzn-trace-id", ""),
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
        self, request: HttpRequest, identity: Identity, endpoint: BufferedEndpoint | None
    ) -> tuple[HttpResponse, _LogLine | None]:
        """The response, and the request's log line when info logging is on."""
        started = time.perf_counter()
        request_id = new_request_id()
        operation: str | None = None
        if endpoint is None:
            return self._unserved_response(request, identity, request_id), None
        protocol = endpoint.protocol_for(request)
        try:
            if self._strict_auth:
                _verify(request, protocol)
            operation, params = protocol.parse(request)
            ctx = self._context(identity, request.headers, request_id)
            result = await endpoint.dispatch(ctx, operation, params)
            response = protocol.serialize(operation, result, request_id)
            response.headers.append(("x-amzn-requestid", request_id))
        except AwsError as error:
            head = request.method == "HEAD"
            response = error_response(ServiceErrors(protocol), error, request_id, head=head)
        except Exception:
            logger.exception("internal error in %s.%s", identity.service, operation)
            errors = ServiceErrors(protocol)
            head = request.method == "HEAD"
            response = error_response(errors, errors.internal, request_id, head=head)
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
            response = unknown_service(request, identity, request_id)
            response.headers.append(("x-amzn-requestid", request_id))
            return response
        error = AwsError(
            "NotImplementedException",
            f"lambdaport does not serve the AWS service '{service}' yet.",
            501,
            sender_fault=False,
        )
        protocol = self._unserved(service)
        errors = BARE_JSON if protocol is None else ServiceErrors(protocol)
        return error_response(errors, error, request_id, head=request.method == "HEAD")
