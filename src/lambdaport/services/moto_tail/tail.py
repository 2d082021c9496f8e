"""The moto tail: every AWS service lambdaport does not own, served by moto in-process.

Each tail service is a :class:`RawEndpoint`: after the gateway has identified
the service, account and region, the tail reads the request and validates it against
botocore's model (``protocol.TailProtocol.read``: AWS's error, in the service's wire format,
for an unknown operation, a missing or invalid member or a body that is not JSON/XML/a form),
then hands the untouched request to moto's own server-mode Flask app for the client it is
for (``moto.moto_server.werkzeug_app.create_backend_app``) and sends moto's response back
unchanged. Between the two, the tail holds a :class:`MotoCall` (client, operation, parameters,
request): the seam for hooks around moto's operations (``operation_hooks``: before the call,
on the event loop; a capture under moto's lock; after, on the event loop again). What moto
raises becomes the service's error; errors are raised to the gateway, worded in the protocol
of the client that read the request (``WordedError``), and nothing reaches the client as a
traceback. moto runs on
one worker thread under one lock (``engine``), which also keeps the journal of a durable
state (``durability``); reading runs on the default executor (a service's model is loaded on
its first request); the event loop only awaits both.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any
from urllib.parse import parse_qs

from lambdaport.asgi import MAX_BODY, Receive, Scope, Send, read_body
from lambdaport.endpoint import RawEndpoint, ServiceErrors, WordedError
from lambdaport.errors import AwsError
from lambdaport.protocol.base import HttpRequest, HttpResponse
from lambdaport.protocol.signing import SignatureError, service_error
from lambdaport.protocol.sigv4 import verify_request
from lambdaport.request import RequestContext
from lambdaport.services.moto_tail import hooks
from lambdaport.services.moto_tail.catalog import MOTO_APPS, SHARED_SIGNING_NAMES
from lambdaport.services.moto_tail.durability import MotoDurability
from lambdaport.services.moto_tail.engine import INTERNAL_FAILURE, MotoEngine
from lambdaport.services.moto_tail.operation_hooks import (
    MotoResult,
    OperationHook,
    OperationHooks,
    prepare_all,
)
from lambdaport.services.moto_tail.protocol import (
    ClientWire,
    MotoCall,
    Refusal,
    TailProtocol,
    http_request,
)
from lambdaport.services.moto_tail.wsgi import WsgiRequest, WsgiResponse

logger = logging.getLogger("lambdaport.moto_tail")

# Headers the ASGI server writes itself; moto's copies would be duplicates.
_SERVER_HEADERS = frozenset({"date", "server", "connection", "transfer-encoding"})


class MotoTail:
    """moto's apps behind lambdaport's gateway; ``durability`` keeps moto's state in the
    data directory (None: in memory only, as with ``--ephemeral``)."""

    def __init__(
        self,
        *,
        strict_auth: bool = False,
        durability: MotoDurability | None = None,
        hooks: OperationHooks | None = None,
    ) -> None:
        self._strict_auth = strict_auth
        self.engine = MotoEngine(durability)
        self._durability = durability
        self.hooks = hooks if hooks is not None else OperationHooks()
        self._clients: dict[str, ClientWire] = {}
        self._protocols: dict[str, TailProtocol] = {}

    def endpoints(self, excluded: Collection[str]) -> dict[str, RawEndpoint]:
        """One endpoint per service moto serves, except those in ``excluded``."""
        endpoints: dict[str, RawEndpoint] = {}
        for service in MOTO_APPS:
            if service in excluded:
                continue
            siblings = [
                self._client(name)
                for name in SHARED_SIGNING_NAMES.get(service, ())
                if name not in excluded
            ]
            protocol = TailProtocol(self._client(service), siblings)
            self._protocols[service] = protocol
            endpoints[service] = RawEndpoint(self.handle, ServiceErrors(protocol, _failure()))
        return endpoints

    def _client(self, name: str) -> ClientWire:
        client = self._clients.get(name)
        if client is None:
            client = self._clients[name] = ClientWire(name, served=name in MOTO_APPS)
        return client

    @property
    def must_recover(self) -> bool:
        """Whether a start brings state back (app.py then waits for it before serving)."""
        return self._durability is not None and self._durability.has_state

    async def start(self) -> None:
        """Configure moto and bring its durable state back (imports moto off the loop)."""
        await self.engine.start()

    async def stop(self) -> None:
        await self.engine.stop()

    def call(self, service: str, request: WsgiRequest, extra: Mapping[str, str]) -> WsgiResponse:
        """One request through moto, never journaled (contract tests, benchmarks)."""
        return self.engine.call(service, request, extra)

    async def handle(self, scope: Scope, receive: Receive, send: Send, ctx: RequestContext) -> None:
        started = time.perf_counter()
        protocol = self._protocols[ctx.service]
        request = await _read(scope, receive)
        response, call = await self._respond(protocol, request, ctx)
        await _send(send, response, scope["method"])
        if logger.isEnabledFor(logging.INFO):
            logger.info(
                "%s.%s %d %.2fms (moto)",
                call.service if call else ctx.service,
                call.operation if call else "?",
                response.status,
                (time.perf_counter() - started) * 1000,
            )

    async def _respond(
        self, protocol: TailProtocol, request: WsgiRequest, ctx: RequestContext
    ) -> tuple[HttpResponse, MotoCall]:
        """moto's response to ``request``, or (raised) the error AWS gives first: a bad
        signature (``--strict-auth``), a request the model refuses, a template declaring
        functions, a hook's refusal."""
        loop = asyncio.get_running_loop()
        call: MotoCall | None = None
        try:
            if self._strict_auth and self._must_verify(ctx.service, request):
                self._verify(ctx.service, http_request(request))
            outcome = await loop.run_in_executor(None, protocol.read, request)
            if isinstance(outcome, Refusal):
                raise WordedError(outcome.error, ServiceErrors(outcome.protocol))
            call = outcome
            return await self._serve(call, ctx), call
        except AwsError as error:
            words = call.protocol if call is not None else None
            if words is None:
                words = await loop.run_in_executor(None, protocol.protocol_for, request)
            operation = call.operation if call is not None else None
            raise WordedError(error, ServiceErrors(words), operation) from None

    async def _serve(self, call: MotoCall, ctx: RequestContext) -> HttpResponse:
        """The call through its hooks and moto (see ``operation_hooks``)."""
        registered = self.hooks.of(call)
        for hook in registered:
            if hook.before is not None:
                answer = await hook.before(call, ctx)
                if isinstance(answer, MotoCall):
                    call = answer  # moto runs (and the journal keeps) this one instead
                elif answer is not None:
                    return answer
        extra = hooks.moto_headers(ctx.account_id, ctx.region, dict(call.request.headers))
        if not registered:
            wsgi, _ = await self.engine.execute(call, extra)
            return _moto_response(call, wsgi)
        client = self._client(call.service)

        def prepare() -> Callable[[MotoCall, WsgiResponse], tuple[MotoResult, list[Any]]]:
            capture_all = prepare_all(registered, call, ctx)

            def capture(call: MotoCall, response: WsgiResponse) -> tuple[MotoResult, list[Any]]:
                result = MotoResult(
                    response, lambda r: client.parse_response(call.wire, call.operation, r)
                )
                return result, capture_all(call, result)

            return capture

        wsgi, seen = await self.engine.execute(call, extra, prepare=prepare)
        response = _moto_response(call, wsgi)
        assert seen is not None
        result, captured = seen
        for hook, looked in zip(registered, captured, strict=True):
            response = await _after(hook, call, result, looked, ctx) or response
        return response

    def _must_verify(self, service: str, request: WsgiRequest) -> bool:
        """Strict auth checks every request but those AWS serves unsigned (named by the
        ``X-Amz-Target`` of JSON services, the form's ``Action`` of query services)."""
        headers = dict(request.headers)
        if "authorization" in headers:
            return True
        operation = headers.get("x-amz-target", "").rpartition(".")[2]
        content_type = headers.get("content-type", "")
        if not operation and content_type.startswith("application/x-www-form-urlencoded"):
            operation = (parse_qs(request.body.decode("latin-1")).get("Action") or [""])[-1]
        protocol = self._protocols.get(service)
        return not operation or protocol is None or not protocol.is_unsigned(operation)

    def _verify(self, service: str, request: HttpRequest) -> None:
        try:
            verify_request(request)
        except SignatureError as failure:
            protocol = self._protocols.get(service)
            query_style = protocol is not None and protocol.speaks_query
            raise service_error(failure, query_style=query_style) from None


async def _after(
    hook: OperationHook[Any],
    call: MotoCall,
    result: MotoResult,
    captured: Any,
    ctx: RequestContext,
) -> HttpResponse | None:
    if hook.after is None:
        return None
    return await hook.after(call, result, captured, ctx)


def _moto_response(call: MotoCall, wsgi: WsgiResponse) -> HttpResponse:
    if hooks.lacks_route(wsgi):
        raise AwsError(
            "NotImplementedException",
            f"moto does not implement {call.service} {call.operation}.",
            501,
            sender_fault=False,
        )
    headers = [(k, v) for k, v in wsgi.headers if k.lower() not in _SERVER_HEADERS]
    return HttpResponse(wsgi.status, headers, wsgi.body)


def _failure() -> AwsError:
    """The tail's words for a fault of its own or a hook's (logged by the gateway, never
    sent)."""
    return AwsError("InternalFailure", INTERNAL_FAILURE, 500, sender_fault=False)


async def _read(scope: Scope, receive: Receive) -> WsgiRequest:
    """The request, its body read whole (413 past ``MAX_BODY``, the rest unread)."""
    headers = tuple((k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"])
    named = dict(headers)
    body = await read_body(receive, named, MAX_BODY)
    if body is None:
        raise AwsError("RequestEntityTooLargeException", "Request is too large.", 413)
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
    server = scope.get("server") or ("127.0.0.1", 80)
    host = named.get("host", f"{server[0]}:{server[1]}")
    name, _, port = host.partition(":")
    return WsgiRequest(
        method=scope["method"],
        raw_path=raw_path.decode("latin-1").split("?", 1)[0],
        query=scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
        body=body,
        host=name,
        port=port or "80",
    )


async def _send(send: Send, response: HttpResponse, method: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": response.status,
            "headers": [
                (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.headers
            ],
        }
    )
    body = b"" if method == "HEAD" else response.body
    await send({"type": "http.response.body", "body": body})
