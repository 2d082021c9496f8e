"""The ``@connections`` management API (``apigatewaymanagementapi``): PostToConnection,
GetConnection and DeleteConnection for the clients connected here.

It answers at every address a function may use: AWS's
``https://{api-id}.execute-api.{region}.amazonaws.com/{stage}/@connections/{id}`` and the
local host forms and path form (``/_aws/execute-api/{api-id}/{stage}/@connections/{id}``),
reached through the WebSocket API's front, and plain ``/@connections/{id}`` at lambdaport's
own address, where a function's boto3 client goes when it names no endpoint (its
``AWS_ENDPOINT_URL``; the connection id alone names the connection). Answers in the API's
rest-json words: a closed or unknown connection is ``GoneException`` (410), data over
128 KB ``PayloadTooLargeException`` (413).
"""

from __future__ import annotations

import datetime
from urllib.parse import unquote

import orjson

from lambdaport.asgi import RequestBody, Scope, Send, read_body
from lambdaport.endpoint import RawEndpoint, ServiceErrors
from lambdaport.errors import AwsError
from lambdaport.http_fronts.exchange import FrontResponse, send_response
from lambdaport.http_fronts.websocket.connections import (
    MAX_MESSAGE,
    NORMAL_CLOSURE,
    Connections,
    Gone,
)
from lambdaport.invoke.ids import new_request_id
from lambdaport.protocol import load_protocol
from lambdaport.request import RequestContext

CLIENT = "apigatewaymanagementapi"
PREFIX = "/@connections/"
MAX_DATA = MAX_MESSAGE


def _gone() -> AwsError:
    return AwsError("GoneException", "", 410)


def _iso(epoch_ms: int) -> str:
    moment = datetime.datetime.fromtimestamp(epoch_ms / 1000, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


def connection_of(path: str) -> str | None:
    """The connection id of a ``.../@connections/{id}`` path (still percent-encoded)."""
    at = path.find(PREFIX)
    if at < 0:
        return None
    ident = unquote(path[at + len(PREFIX) :])
    return ident if ident and "/" not in ident else None


class ManagementApi:
    def __init__(self, connections: Connections) -> None:
        self._connections = connections
        self._errors = ServiceErrors(load_protocol(CLIENT))
        self.endpoint = RawEndpoint(self.handle, self._errors)

    async def answer(
        self, method: str, connection_id: str, data: bytes, api_id: str | None = None
    ) -> FrontResponse:
        """The operation ``method`` names, on ``connection_id`` (of ``api_id`` if given);
        raises ``AwsError`` in the API's words."""
        try:
            connection = self._connections.get(connection_id, api_id)
            if method == "POST":
                if len(data) > MAX_DATA:
                    raise AwsError(
                        "PayloadTooLargeException", "Message too long. Max length is 131072", 413
                    )
                await connection.post(data)
                return FrontResponse(200)
            if method == "GET":
                body = {
                    "connectedAt": _iso(connection.connected_at_ms),
                    "identity": {"sourceIp": connection.caller.source_ip}
                    | (
                        {"userAgent": connection.caller.user_agent}
                        if connection.caller.user_agent is not None
                        else {}
                    ),
                    "lastActiveAt": _iso(connection.last_active_ms),
                }
                return FrontResponse(
                    200, [("content-type", "application/json")], orjson.dumps(body)
                )
            if method == "DELETE":
                await connection.close(NORMAL_CLOSURE, "")
                return FrontResponse(204)
        except Gone:
            raise _gone() from None
        raise AwsError("MethodNotAllowedException", "Method Not Allowed", 405)

    def error(self, error: AwsError) -> FrontResponse:
        """``error`` as the API words it (for the fronts, which answer rather than raise)."""
        response = self._errors.error_response(error, new_request_id())
        return FrontResponse(response.status, list(response.headers), response.body)

    async def handle(
        self, scope: Scope, body: RequestBody, send: Send, ctx: RequestContext
    ) -> None:
        """``/@connections/{id}`` at lambdaport's own address."""
        raw: bytes = scope.get("raw_path") or scope["path"].encode()
        connection_id = connection_of(raw.decode("latin-1").split("?", 1)[0])
        if connection_id is None:
            raise AwsError("NotFoundException", "Not Found", 404)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        data = await read_body(body, headers, MAX_DATA + 1)
        if data is None:
            data = b"\0" * (MAX_DATA + 1)  # over the limit: answered as such
        response = await self.answer(scope["method"], connection_id, data)
        response.headers.append(("x-amzn-requestid", ctx.request_id))
        await send_response(send, response)
