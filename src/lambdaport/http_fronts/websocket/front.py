"""WebSocket APIs' data plane (apigatewayv2, ``ProtocolType`` WEBSOCKET): a WebSocket
connection to ``ws://{api-id}.execute-api.localhost:4566/{stage}`` (or the other host forms,
or ``/_aws/execute-api/{api-id}/{stage}``) runs the API's routes
(https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-overview.html):

- ``$connect`` when the client connects: its function's answer decides the handshake (a
  2xx ``statusCode`` accepts, with the answer's ``Sec-WebSocket-Protocol``; any other status
  refuses with it; a failing function, a refused invoke or a malformed answer refuses with
  500 ``{"message": "Internal server error"}``); without the route every client is accepted;
- every message goes to the route the API's ``RouteSelectionExpression`` picks
  (``selection``), else ``$default``; with no route, the client is told
  ``{"message": "Forbidden", ...}``; a failing integration ``{"message": "Internal server
  error", ...}``; a route with a ``$default`` route response (two-way) sends the
  function's ``body`` back to the client;
- ``$disconnect`` once the connection has closed, from either side (best effort: its
  answer goes nowhere).

Functions are called through ``PushTriggers`` as ``apigateway.amazonaws.com`` with the
route's ARN (``arn:aws:execute-api:{region}:{account}:{api-id}/{stage}/{route-key}``), so a
function without API Gateway's permission refuses as on AWS. Messages are handled
concurrently, each in a task of its own, as API Gateway does. Every stage serves the API as
it is now (moto keeps no deployments). Plain HTTP to the API's address is the ``@connections``
management API (``management``) below a stage, else 426.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import time
from typing import Any

import orjson

from lambdaport.asgi import Receive, Scope, Send, deny_websocket
from lambdaport.endpoint import CorsAnswer, CorsRequest
from lambdaport.errors import AwsError
from lambdaport.http_fronts.addressing import Addresses, FrontAddress
from lambdaport.http_fronts.api_model import HttpApi, HttpApiDirectory, HttpRoute
from lambdaport.http_fronts.authorizers import function_of
from lambdaport.http_fronts.exchange import FrontRequest, FrontResponse, json_answer
from lambdaport.http_fronts.payloads import encode_event
from lambdaport.http_fronts.websocket.connections import (
    GOING_AWAY,
    Caller,
    Connection,
    Connections,
    new_id,
)
from lambdaport.http_fronts.websocket.events import connect_event, disconnect_event, message_event
from lambdaport.http_fronts.websocket.management import ManagementApi, connection_of
from lambdaport.http_fronts.websocket.selection import DEFAULT_ROUTE, select_route_key
from lambdaport.invoke.triggers import PushTriggers, TriggerResult, TriggerSource, TriggerTimedOut
from lambdaport.request import RequestContext

logger = logging.getLogger("lambdaport.http_fronts")

PRINCIPAL = "apigateway.amazonaws.com"
WEBSOCKET = "WEBSOCKET"
MAX_TIMEOUT_MS = 29000  # a WebSocket API integration's limit
INTERNAL_ERROR = "Internal server error"


class _Failed(Exception):
    """The integration failed: refused, timed out, the function failed or answered
    malformed."""


def _stage_of(api: HttpApi, path: str) -> str | None:
    """The stage a connection's path names: ``/{stage}`` (a trailing slash allowed)."""
    name = path.strip("/")
    return name if name and "/" not in name and name in api.stages else None


def _route_arn(api: HttpApi, stage: str, route_key: str) -> str:
    return f"arn:aws:execute-api:{api.region}:{api.account_id}:{api.api_id}/{stage}/{route_key}"


def _answer_of(payload: bytes) -> dict[str, Any] | None:
    try:
        answer = orjson.loads(payload) if payload else None
    except orjson.JSONDecodeError:
        return None
    return answer if isinstance(answer, dict) else None


def _reply_of(payload: bytes) -> tuple[bytes, bool] | None:
    """What a two-way route sends back, and whether as a binary frame: the answer's
    ``body`` (decoded and binary when ``isBase64Encoded``), or the answer itself when it
    is not a proxy response."""
    answer = _answer_of(payload)
    if answer is None or ("statusCode" not in answer and "body" not in answer):
        return (payload, False) if payload else None
    body = answer.get("body")
    if body is None:
        return None
    text = body if isinstance(body, str) else orjson.dumps(body).decode()
    if answer.get("isBase64Encoded"):
        try:
            return base64.b64decode(text, validate=True), True
        except (binascii.Error, ValueError):
            return None
    return text.encode(), False


class WebSocketApiFront:
    def __init__(
        self,
        apis: HttpApiDirectory,
        triggers: PushTriggers,
        connections: Connections,
        management: ManagementApi,
    ) -> None:
        self._apis = apis
        self._triggers = triggers
        self._connections = connections
        self._management = management
        self._tasks: set[asyncio.Task[None]] = set()

    async def _api(self, address: FrontAddress) -> HttpApi | None:
        api = await self._apis.api(address.ident)
        return api if api is not None and api.protocol_type == WEBSOCKET else None

    async def owns(self, address: FrontAddress) -> bool:
        return await self._api(address) is not None

    async def cors(self, address: FrontAddress, request: CorsRequest) -> CorsAnswer | None:
        return None

    async def index(self, addresses: Addresses) -> list[dict[str, Any]]:
        return [
            {
                "apiId": api.api_id,
                "name": api.name,
                "protocolType": api.protocol_type,
                "region": api.region,
                "routeSelectionExpression": api.route_selection_expression,
                "stages": [
                    {
                        "stageName": stage,
                        "url": addresses.websocket_url(api.api_id, stage),
                        "pathUrl": addresses.websocket_url_path(api.api_id, stage),
                        "connectionsUrl": addresses.api_url(api.api_id, stage) + "@connections",
                    }
                    for stage in sorted(api.stages)
                ],
                "routes": sorted(route.route_key for route in api.routes),
                "connections": sum(1 for _ in self._connections.of_api(api.api_id)),
            }
            for api in await self._apis.apis()
            if api.protocol_type == WEBSOCKET
        ]

    async def serve(self, address: FrontAddress, request: FrontRequest) -> FrontResponse:
        """Plain HTTP to a WebSocket API: ``{stage}/@connections/{id}``, else 426."""
        api = await self._api(address)
        connection_id = connection_of(address.path)
        if api is None or connection_id is None:
            return json_answer(426, {"message": "Upgrade Required"})
        try:
            return await self._management.answer(
                request.method, connection_id, request.body, api.api_id
            )
        except AwsError as error:
            return self._management.error(error)

    async def _invoke(
        self, api: HttpApi, stage: str, route: HttpRoute, event: dict[str, Any]
    ) -> TriggerResult:
        """The route's integration called with ``event``; :class:`_Failed` when it failed."""
        integration = api.integrations.get((route.target or "").removeprefix("integrations/"))
        if integration is None or integration.integration_type != "AWS_PROXY":
            logger.info(
                "WebSocket API %s: route %s has no Lambda proxy", api.api_id, route.route_key
            )
            raise _Failed()
        source = TriggerSource.of(
            PRINCIPAL, _route_arn(api, stage, route.route_key), api.account_id, api.region
        )
        timeout = min(integration.timeout_ms, MAX_TIMEOUT_MS) / 1000
        target = function_of(integration.integration_uri)
        try:
            result = await self._triggers.call(source, target, encode_event(event), timeout=timeout)
        except TriggerTimedOut:
            raise _Failed() from None
        except AwsError as refusal:
            logger.info(
                "WebSocket API %s: the integration's invoke was refused: %s", api.api_id, refusal
            )
            raise _Failed() from None
        if result.failed:
            raise _Failed()
        return result

    async def websocket(
        self, address: FrontAddress, scope: Scope, receive: Receive, send: Send, ctx: RequestContext
    ) -> None:
        """One connection, from its handshake to its ``$disconnect``."""
        opening = await receive()
        if opening["type"] != "websocket.connect":
            return
        api = await self._api(address)
        stage = None if api is None else _stage_of(api, address.path)
        if api is None or stage is None:
            await _deny(scope, send, 403, {"message": "Forbidden"})
            return
        headers = [
            (key.decode("latin-1").lower(), value.decode("latin-1"))
            for key, value in scope["headers"]
        ]
        client = scope.get("client") or ("127.0.0.1", 0)
        now_ms = int(time.time() * 1000)
        connection = Connection(
            connection_id=new_id(),
            api_id=api.api_id,
            stage=stage,
            account_id=api.account_id,
            region=api.region,
            domain=address.domain,
            caller=Caller(str(client[0]), dict(headers).get("user-agent")),
            connected_at_ms=now_ms,
            _send=send,
            _timeouts=self._connections.timeouts,
        )
        routes = {route.route_key: route for route in api.routes}
        accepted = await self._connect(
            api, connection, routes.get("$connect"), headers, scope, send
        )
        if not accepted:
            return
        self._connections.add(connection)
        try:
            await self._messages(api, connection, routes, receive)
        finally:
            self._connections.remove(connection)
        disconnect = routes.get("$disconnect")
        if disconnect is not None and disconnect.target:
            code = connection.close_code or 1005
            event = disconnect_event(
                connection, code, connection.close_reason, new_id(), int(time.time() * 1000)
            )
            with contextlib.suppress(_Failed):  # best effort, as on AWS
                await self._invoke(api, stage, disconnect, event)

    async def _connect(
        self,
        api: HttpApi,
        connection: Connection,
        route: HttpRoute | None,
        headers: list[tuple[str, str]],
        scope: Scope,
        send: Send,
    ) -> bool:
        """The handshake, decided by ``$connect``'s function when there is one."""
        accept: dict[str, Any] = {"type": "websocket.accept"}
        if route is not None and route.target:
            raw_query = scope.get("query_string", b"").decode("latin-1")
            event = connect_event(
                connection, headers, raw_query, new_id(), connection.connected_at_ms
            )
            try:
                result = await self._invoke(api, connection.stage, route, event)
            except _Failed:
                await _deny(scope, send, 500, {"message": INTERNAL_ERROR})
                return False
            answer = _answer_of(result.payload) or {}
            status = answer.get("statusCode", 200)
            if not isinstance(status, int) or not 100 <= status < 600:
                await _deny(scope, send, 500, {"message": INTERNAL_ERROR})
                return False
            if not 200 <= status < 300:
                body = answer.get("body")
                text = body if isinstance(body, str) else ""
                await deny_websocket(scope, send, status, text.encode())
                return False
            given = answer.get("headers") or {}
            if isinstance(given, dict):
                protocol = next(
                    (str(v) for k, v in given.items() if k.lower() == "sec-websocket-protocol"),
                    None,
                )
                if protocol is not None:
                    accept["subprotocol"] = protocol
        await send(accept)
        return True

    async def _messages(
        self,
        api: HttpApi,
        connection: Connection,
        routes: dict[str, HttpRoute],
        receive: Receive,
    ) -> None:
        """The client's messages, each to its route, until the connection closes (from
        the client's side, or ours: a timeout, DeleteConnection)."""
        while True:
            # Closed from our side: the disconnect is on its way.
            timeout = None if connection.closed else max(connection.remaining(), 0.001)
            try:
                message = await asyncio.wait_for(receive(), timeout)
            except TimeoutError:
                if connection.remaining() == 0:
                    await connection.close(GOING_AWAY, "Going away")
                continue
            kind = message["type"]
            if kind == "websocket.disconnect":
                if connection.close_code is None:
                    connection.close_code = int(message.get("code") or 1005)
                    connection.close_reason = str(message.get("reason") or "")
                connection.ended()
                return
            if kind != "websocket.receive":
                continue
            connection.touch()
            data: str | bytes = (
                message["text"] if message.get("text") is not None else message.get("bytes", b"")
            )
            task = asyncio.create_task(self._message(api, connection, routes, data))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _message(
        self,
        api: HttpApi,
        connection: Connection,
        routes: dict[str, HttpRoute],
        data: str | bytes,
    ) -> None:
        request_id = new_id()
        key = select_route_key(api.route_selection_expression, data, routes)
        route = None if key is None else routes.get(key)
        try:
            if route is None or not route.target:
                await self._tell(connection, "Forbidden", request_id)
                return
            event = message_event(
                connection, route.route_key, data, request_id, new_id(), int(time.time() * 1000)
            )
            try:
                result = await self._invoke(api, connection.stage, route, event)
            except _Failed:
                await self._tell(connection, INTERNAL_ERROR, request_id)
                return
            if DEFAULT_ROUTE in route.route_response_keys:
                reply = _reply_of(result.payload)
                if reply is not None:
                    await connection.post(reply[0], binary=reply[1])
        except Exception:  # the client is gone: nothing to tell it
            if not connection.closed:
                logger.exception("WebSocket API %s: a message's route failed", api.api_id)

    @staticmethod
    async def _tell(connection: Connection, message: str, request_id: str) -> None:
        """API Gateway's error message to the client."""
        body = {
            "message": message,
            "connectionId": connection.connection_id,
            "requestId": request_id,
        }
        await connection.post(orjson.dumps(body))


async def _deny(scope: Scope, send: Send, status: int, body: dict[str, str]) -> None:
    await deny_websocket(
        scope, send, status, orjson.dumps(body), [("content-type", "application/json")]
    )
