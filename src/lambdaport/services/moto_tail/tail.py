"""The moto tail: every AWS service lambdaport does not own, served by moto in-process.

Each tail service is a :class:`RawEndpoint`: after the gateway has identified
the service, account and region, the tail reads the request and validates it against
botocore's model (``protocol.TailProtocol.read``: AWS's error, in the service's wire format,
for an unknown operation, a missing or invalid member or a body that is not JSON/XML/a form),
then hands the untouched request to moto's own server-mode Flask app for the client it is
for (``moto.moto_server.werkzeug_app.create_backend_app``) and sends moto's response back
unchanged. Between the two, the tail holds a :class:`MotoCall` (client, operation, parameters,
request): the seam for hooks around moto's operations. What moto raises becomes the
service's error (``call``); errors are raised to the gateway, worded in the protocol of the
client that read the request (``WordedError``), and nothing reaches the client as a
traceback. moto is not thread-safe, so every call runs on the tail's single worker thread
under one lock; reading runs on the default executor (a service's model is loaded on its
first request); the event loop only awaits both.

moto's state lives in this process's memory: it is gone when lambdaport stops.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
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
from lambdaport.services.moto_tail.protocol import (
    ClientWire,
    MotoCall,
    Refusal,
    TailProtocol,
    http_request,
)
from lambdaport.services.moto_tail.wsgi import (
    WsgiApp,
    WsgiRequest,
    WsgiResponse,
    build_environ,
    call_wsgi,
)

logger = logging.getLogger("lambdaport.moto_tail")

_INTERNAL_FAILURE = "The request processing has failed; see lambdaport's log."
# Headers the ASGI server writes itself; moto's copies would be duplicates.
_SERVER_HEADERS = frozenset({"date", "server", "connection", "transfer-encoding"})


class MotoTail:
    """moto's apps behind lambdaport's gateway, one lock, one worker thread."""

    def __init__(self, *, strict_auth: bool = False) -> None:
        self._strict_auth = strict_auth
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="moto-tail")
        self._apps: dict[str, WsgiApp] = {}
        self._configured = False
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

    async def start(self) -> None:
        """Configure moto on the worker thread (imports moto off the event loop)."""
        await asyncio.get_running_loop().run_in_executor(self._executor, self._configure_now)

    async def stop(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

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
        functions."""
        loop = asyncio.get_running_loop()
        headers = dict(request.headers)
        call: MotoCall | None = None
        try:
            if self._strict_auth and self._must_verify(ctx.service, headers, request.body):
                self._verify(ctx.service, http_request(request))
            outcome = await loop.run_in_executor(None, protocol.read, request)
            if isinstance(outcome, Refusal):
                raise WordedError(outcome.error, ServiceErrors(outcome.protocol))
            call = outcome
            hooks.refuse_functions_in_moto(call)
            extra = hooks.moto_headers(ctx.account_id, ctx.region, headers)
            wsgi = await loop.run_in_executor(self._executor, self.serve, call, extra)
        except AwsError as error:
            words = call.protocol if call is not None else None
            if words is None:
                words = await loop.run_in_executor(None, protocol.protocol_for, request)
            operation = call.operation if call is not None else None
            raise WordedError(error, ServiceErrors(words), operation) from None
        headers_out = [(k, v) for k, v in wsgi.headers if k.lower() not in _SERVER_HEADERS]
        return HttpResponse(wsgi.status, headers_out, wsgi.body), call

    def _must_verify(self, service: str, headers: Mapping[str, str], body: bytes) -> bool:
        """Strict auth checks every request but those AWS serves unsigned (named by the
        ``X-Amz-Target`` of JSON services, the form's ``Action`` of query services)."""
        if "authorization" in headers:
            return True
        operation = headers.get("x-amz-target", "").rpartition(".")[2]
        content_type = headers.get("content-type", "")
        if not operation and content_type.startswith("application/x-www-form-urlencoded"):
            operation = (parse_qs(body.decode("latin-1")).get("Action") or [""])[-1]
        protocol = self._protocols.get(service)
        return not operation or protocol is None or not protocol.is_unsigned(operation)

    def _verify(self, service: str, request: HttpRequest) -> None:
        try:
            verify_request(request)
        except SignatureError as failure:
            protocol = self._protocols.get(service)
            query_style = protocol is not None and protocol.speaks_query
            raise service_error(failure, query_style=query_style) from None

    def serve(self, call: MotoCall, extra: Mapping[str, str]) -> WsgiResponse:
        """A validated call through moto's app for its client."""
        response = self.call(call.service, call.request, extra, call.operation)
        if hooks.lacks_route(response):
            raise AwsError(
                "NotImplementedException",
                f"moto does not implement {call.service} {call.operation}.",
                501,
                sender_fault=False,
            )
        return response

    def call(
        self,
        service: str,
        request: WsgiRequest,
        extra: Mapping[str, str],
        operation: str | None = None,
    ) -> WsgiResponse:
        """One request through moto's app for ``service``, under the tail's lock. What moto
        raises becomes the service's error: ``NotImplementedError`` (an operation moto
        lacks) ``NotImplementedException`` (501), anything else ``InternalFailure`` (500,
        with the traceback in lambdaport's log)."""
        what = f"{service} {operation}" if operation else f"this {service} request"
        with self._lock:
            self._ensure_configured()
            app = self._app(MOTO_APPS[service])
            try:
                return call_wsgi(app, build_environ(request, extra))
            except NotImplementedError as exc:
                raise AwsError(
                    "NotImplementedException",
                    f"moto does not implement {what}: {exc}",
                    501,
                    sender_fault=False,
                ) from None
            except AwsError:
                raise
            except Exception:
                logger.exception("moto failed on %s (%s)", what, request.raw_path)
                raise AwsError(
                    "InternalFailure", _INTERNAL_FAILURE, 500, sender_fault=False
                ) from None

    def _configure_now(self) -> None:
        with self._lock:
            self._ensure_configured()

    def _ensure_configured(self) -> None:
        """Post ``hooks.MOTO_CONFIG`` to moto's config endpoint once (the lock is held)."""
        if self._configured:
            return
        headers = (("content-type", "application/json"),)
        config = WsgiRequest("POST", hooks.CONFIG_PATH, "", headers, hooks.config_body())
        response = call_wsgi(self._app("moto_api"), build_environ(config, {}))
        if response.status >= 300:
            raise RuntimeError(f"moto refused its configuration: {response.status}")
        self._configured = True

    def _app(self, name: str) -> WsgiApp:
        app = self._apps.get(name)
        if app is None:
            from moto.moto_server.werkzeug_app import create_backend_app

            app = create_backend_app(name)  # type: ignore[arg-type]
            self._apps[name] = app
        return app


def _failure() -> AwsError:
    """The tail's words for a fault of its own (logged by the gateway, never sent)."""
    return AwsError("InternalFailure", _INTERNAL_FAILURE, 500, sender_fault=False)


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
