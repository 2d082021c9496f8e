"""The events a WebSocket API's Lambda proxy integration sends its function, as API Gateway
builds them (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-mapping-template-reference.html):
``CONNECT`` with the handshake's headers and query string, ``MESSAGE`` with the frame's
``body`` (base64 and ``isBase64Encoded`` for a binary frame) and its ``messageId``,
``DISCONNECT`` with ``disconnectStatusCode`` and ``disconnectReason``. Every one carries
``requestContext`` with ``routeKey``, ``eventType``, ``connectionId``, ``connectedAt``,
``requestTimeEpoch``, ``domainName``, ``stage``, ``apiId`` and ``identity``, in AWS's order.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

from lambdaport.http_fronts.payloads import request_time
from lambdaport.http_fronts.websocket.connections import Connection

# disconnectReason for the close codes a client sends without a reason.
_REASONS = {
    1000: "Connection Closed Normally",
    1001: "Going away",
    1005: "Client-side close frame status not set",
    1006: "Connection closed abnormally",
}


def disconnect_reason(code: int, reason: str) -> str:
    return reason or _REASONS.get(code, "")


def _identity(connection: Connection, *, user_agent: bool) -> dict[str, Any]:
    identity: dict[str, Any] = {}
    if user_agent and connection.caller.user_agent is not None:
        identity["userAgent"] = connection.caller.user_agent
    identity["sourceIp"] = connection.caller.source_ip
    return identity


def _request_context(
    connection: Connection,
    route_key: str,
    event_type: str,
    request_id: str,
    now_ms: int,
    *,
    message_id: str | None = None,
    disconnect: tuple[int, str] | None = None,
    authorizer: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    context: dict[str, Any] = {"routeKey": route_key}
    if message_id is not None:
        context["messageId"] = message_id
    if disconnect is not None:
        context["disconnectStatusCode"] = disconnect[0]
    context["eventType"] = event_type
    context["extendedRequestId"] = request_id
    context["requestTime"] = request_time(now_ms)
    context["messageDirection"] = "IN"
    if disconnect is not None:
        context["disconnectReason"] = disconnect[1]
    if authorizer is not None:
        context["authorizer"] = dict(authorizer)
    context["stage"] = connection.stage
    context["connectedAt"] = connection.connected_at_ms
    context["requestTimeEpoch"] = now_ms
    context["identity"] = _identity(connection, user_agent=event_type != "MESSAGE")
    context["requestId"] = request_id
    context["domainName"] = connection.domain
    context["connectionId"] = connection.connection_id
    context["apiId"] = connection.api_id
    return context


def _headers(pairs: Sequence[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        single[key] = value
        multi.setdefault(key, []).append(value)
    return single, multi


def connect_event(
    connection: Connection,
    headers: Sequence[tuple[str, str]],
    raw_query: str,
    request_id: str,
    now_ms: int,
    authorizer: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    single, multi = _headers(headers)
    event: dict[str, Any] = {"headers": single, "multiValueHeaders": multi}
    pairs = parse_qsl(raw_query, keep_blank_values=True)
    if pairs:
        query: dict[str, str] = {}
        multi_query: dict[str, list[str]] = {}
        for key, value in pairs:
            query[key] = value
            multi_query.setdefault(key, []).append(value)
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = multi_query
    event["requestContext"] = _request_context(
        connection, "$connect", "CONNECT", request_id, now_ms, authorizer=authorizer
    )
    event["isBase64Encoded"] = False
    return event


def message_event(
    connection: Connection,
    route_key: str,
    data: str | bytes,
    request_id: str,
    message_id: str,
    now_ms: int,
) -> dict[str, Any]:
    context = _request_context(
        connection, route_key, "MESSAGE", request_id, now_ms, message_id=message_id
    )
    if isinstance(data, bytes):
        return {
            "requestContext": context,
            "body": base64.b64encode(data).decode("ascii"),
            "isBase64Encoded": True,
        }
    return {"requestContext": context, "body": data, "isBase64Encoded": False}


def disconnect_event(
    connection: Connection, code: int, reason: str, request_id: str, now_ms: int
) -> dict[str, Any]:
    # API Gateway's own headers of the disconnect (the handshake's are not kept).
    pairs = [("Host", connection.domain), ("x-api-key", ""), ("X-Forwarded-For", "")]
    single, multi = _headers(pairs)
    return {
        "headers": single,
        "multiValueHeaders": multi,
        "requestContext": _request_context(
            connection,
            "$disconnect",
            "DISCONNECT",
            request_id,
            now_ms,
            disconnect=(code, disconnect_reason(code, reason)),
        ),
        "isBase64Encoded": False,
    }
