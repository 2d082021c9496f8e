"""``HttpFronts``: the one ``RawEndpoint`` behind which every HTTP front is served, and the
index of their addresses (``GET /_lambdaport/http``).

The gateway's identification names a request ``execute-api`` or ``lambda-url`` when
``addressing.front_of`` finds a front's address in its ``Host`` or path, before anything
else; its exchange comes here. A front is a :class:`Front`: function URLs own the
``lambda-url`` kind; ``execute-api`` ids are looked for in every API front registered for
it in turn (HTTP APIs today; REST and WebSocket APIs register beside them), the first
that ``owns`` the id serves it. Errors before a front answers are API Gateway's bare
``{"message": ...}`` JSON.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from lambdaport.asgi import Receive, RequestBody, Scope, Send, refuse_websocket
from lambdaport.endpoint import CorsAnswer, CorsRequest, RawEndpoint
from lambdaport.errors import AwsError
from lambdaport.http_fronts.addressing import (
    EXECUTE_API,
    LAMBDA_URL,
    Addresses,
    CustomDomains,
    FrontAddress,
    front_of,
)
from lambdaport.http_fronts.exchange import (
    FrontRequest,
    FrontResponse,
    json_answer,
    read_request,
    send_response,
)
from lambdaport.invoke.ids import new_request_id
from lambdaport.protocol.base import HttpRequest, HttpResponse
from lambdaport.request import RequestContext

logger = logging.getLogger("lambdaport.http_fronts")

FRONT_BODY_LIMIT = 10 * 1024 * 1024  # API Gateway's payload limit: 10 MB
INDEX_PATH = "/_lambdaport/http"


class WebSocketFront(Protocol):
    """A front that takes WebSocket connections (WebSocket APIs)."""

    async def owns(self, address: FrontAddress) -> bool: ...

    async def websocket(
        self, address: FrontAddress, scope: Scope, receive: Receive, send: Send, ctx: RequestContext
    ) -> None: ...


class Front(Protocol):
    """One kind of HTTP front (function URLs, HTTP APIs, REST APIs, WebSocket APIs)."""

    async def owns(self, address: FrontAddress) -> bool: ...

    async def cors(self, address: FrontAddress, request: CorsRequest) -> CorsAnswer | None: ...

    async def serve(self, address: FrontAddress, request: FrontRequest) -> FrontResponse: ...


IndexEntries = Callable[[Addresses], Awaitable[Sequence[dict[str, Any]]]]


@dataclass(frozen=True, slots=True)
class _FrontErrors:
    """API Gateway's bare JSON errors: ``{"message": "..."}`` with its request id."""

    internal: AwsError = field(
        default_factory=lambda: AwsError(
            "InternalServerErrorException", "Internal Server Error", 500, sender_fault=False
        )
    )

    def error_response(self, error: AwsError, request_id: str) -> HttpResponse:
        return HttpResponse(
            error.status,
            [
                ("content-type", "application/json"),
                ("x-amzn-errortype", error.code),
                ("apigw-requestid", request_id),
                ("x-amzn-requestid", request_id),
            ],
            orjson.dumps({"message": error.message}),
        )


FRONT_ERRORS = _FrontErrors()


def not_found() -> FrontResponse:
    return json_answer(404, {"message": "Not Found"})


class HttpFronts:
    """The fronts by kind, served through :attr:`endpoint`; the index of their addresses."""

    def __init__(self, addresses: Addresses, custom_domains: CustomDomains | None = None) -> None:
        self.addresses = addresses
        self._custom_domains = custom_domains
        self._fronts: dict[str, list[Front]] = {EXECUTE_API: [], LAMBDA_URL: []}
        self._index: dict[str, IndexEntries] = {}
        self._websockets: list[WebSocketFront] = []
        self.endpoint = RawEndpoint(
            self.handle, FRONT_ERRORS, cors=self.cors, websocket=self.websocket
        )

    def register(self, kind: str, front: Front, name: str, index: IndexEntries) -> None:
        """Add a front of ``kind`` (``execute-api``: tried in the order registered) and its
        part of the index, under ``name`` (``functionUrls``, ``httpApis``)."""
        self._fronts[kind].append(front)
        self._index[name] = index

    def register_websocket(self, front: WebSocketFront) -> None:
        """Add a front that takes WebSocket connections to ``execute-api`` addresses."""
        self._websockets.append(front)

    async def websocket(
        self, scope: Scope, receive: Receive, send: Send, ctx: RequestContext
    ) -> None:
        """A WebSocket connection to a front's address: the front that owns the id takes
        it; anything else is refused as API Gateway refuses an unknown API (403)."""
        headers = dict(scope["headers"])
        host = headers.get(b"host", b"").decode("latin-1")
        raw: bytes = scope.get("raw_path") or scope["path"].encode()
        address = front_of(host, raw.decode("latin-1").split("?", 1)[0], self._custom_domains)
        if address is not None and address.kind == EXECUTE_API:
            for front in self._websockets:
                if await front.owns(address):
                    await front.websocket(address, scope, receive, send, ctx)
                    return
        body = orjson.dumps({"message": "Forbidden"})
        await refuse_websocket(
            scope, receive, send, 403, body, [("content-type", "application/json")]
        )

    async def _front(self, address: FrontAddress) -> Front | None:
        for front in self._fronts[address.kind]:
            if await front.owns(address):
                return front
        return None

    async def cors(self, request: CorsRequest) -> CorsAnswer | None:
        address = front_of(request.host, request.path, self._custom_domains)
        if address is None:
            return None
        front = await self._front(address)
        if front is None:
            return CorsAnswer(())
        return await front.cors(address, request)

    async def handle(
        self, scope: Scope, body: RequestBody, send: Send, ctx: RequestContext
    ) -> None:
        headers = dict(scope["headers"])
        host = headers.get(b"host", b"").decode("latin-1")
        raw: bytes = scope.get("raw_path") or scope["path"].encode()
        address = front_of(host, raw.decode("latin-1").split("?", 1)[0], self._custom_domains)
        if address is None:  # the gateway found one: nothing else sends requests here
            raise AwsError("NotFoundException", "Not Found", 404)
        front = await self._front(address)
        if front is None:
            response = not_found()
            response.headers.append(("x-amzn-requestid", new_request_id()))
            await send_response(send, response)
            return
        request = await read_request(scope, body, address.path, address.domain, FRONT_BODY_LIMIT)
        response = await front.serve(address, request)
        await send_response(send, response, head=request.method == "HEAD")

    async def index(self, request: HttpRequest) -> HttpResponse:
        """``GET /_lambdaport/http``: every API, stage and function URL with the addresses
        that reach it here (host form and path form)."""
        body = {name: list(await entries(self.addresses)) for name, entries in self._index.items()}
        return HttpResponse(200, [("content-type", "application/json")], orjson.dumps(body))
