"""The events a front sends functions (payload formats 2.0 and 1.0) and the function's
answer read back as API Gateway and function URLs read it
(https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).

2.0: ``headers`` lower-case with repeated ones comma-joined, ``cookies`` from the ``Cookie``
headers, ``queryStringParameters`` comma-joined, absent members omitted (not null). Its
answer: an object with ``statusCode`` is read as a response (``headers``, ``cookies`` → one
``set-cookie`` each, ``body``, ``isBase64Encoded``); any other JSON value is inferred as a
200 ``application/json`` response whose body is that value (a bare string as it is).

1.0 (REST APIs' proxy integrations; HTTP APIs with ``PayloadFormatVersion`` 1.0): ``headers``
(last value wins) and ``multiValueHeaders``, the same for the query string, null where
there is nothing; its answer must be an object with ``statusCode``, ``headers`` and
``multiValueHeaders`` merged. A body that is not text (``exchange.is_text``) is passed as
base64 with ``isBase64Encoded``.
"""

from __future__ import annotations

import base64
import binascii
import functools
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from lambdaport.http_fronts.exchange import FrontRequest, FrontResponse, is_text


class MalformedResponse(Exception):
    """The function's answer is not a response its front can send."""


@functools.lru_cache(maxsize=4)
def _request_time(epoch_s: int) -> str:
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(epoch_s))


def request_time(epoch_ms: int) -> str:
    """``12/Mar/2020:19:03:58 +0000`` (formatted once a second)."""
    return _request_time(epoch_ms // 1000)


def _body(request: FrontRequest) -> tuple[str | None, bool]:
    if not request.body:
        return None, False
    if is_text(request.content_type, request.body):
        try:
            return request.body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(request.body).decode("ascii"), True


def _joined_query(request: FrontRequest) -> dict[str, str]:
    joined: dict[str, str] = {}
    for key, value in request.query_pairs():
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    return joined


@dataclass(frozen=True, slots=True)
class EventContext:
    """What the front knows of the request beyond the request itself."""

    account_id: str
    api_id: str
    request_id: str
    route_key: str  # "GET /items/{id}", "$default"
    stage: str
    raw_path: str  # the path as the event names it (HTTP APIs: with the stage)
    path_parameters: Mapping[str, str] = field(default_factory=dict)
    stage_variables: Mapping[str, str] = field(default_factory=dict)
    authorizer: Mapping[str, Any] | None = None
    resource: str = ""  # 1.0: the route's path ("/items/{id}"), or "$default"
    identity: Mapping[str, Any] = field(default_factory=dict)  # 1.0: requestContext.identity


def _context_head(context: EventContext, domain: str) -> dict[str, Any]:
    """``requestContext``'s first members, as both formats order them."""
    head: dict[str, Any] = {"accountId": context.account_id, "apiId": context.api_id}
    if context.authorizer is not None:
        head["authorizer"] = dict(context.authorizer)
    head["domainName"] = domain
    head["domainPrefix"] = domain.split(".", 1)[0]
    return head


def event_v2(request: FrontRequest, context: EventContext) -> dict[str, Any]:
    domain = request.domain
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": context.route_key,
        "rawPath": context.raw_path,
        "rawQueryString": request.raw_query,
    }
    cookies = request.cookies()
    if cookies:
        event["cookies"] = cookies
    event["headers"] = request.joined_headers()
    query = _joined_query(request)
    if query:
        event["queryStringParameters"] = query
    if context.path_parameters:
        event["pathParameters"] = dict(context.path_parameters)
    if context.stage_variables:
        event["stageVariables"] = dict(context.stage_variables)
    request_context = _context_head(context, domain)
    request_context.update(
        {
            "http": {
                "method": request.method,
                "path": context.raw_path,
                "protocol": request.protocol,
                "sourceIp": request.source_ip,
                "userAgent": request.user_agent,
            },
            "requestId": context.request_id,
            "routeKey": context.route_key,
            "stage": context.stage,
            "time": request_time(request.time_epoch_ms),
            "timeEpoch": request.time_epoch_ms,
        }
    )
    event["requestContext"] = request_context
    body, encoded = _body(request)
    if body is not None:
        event["body"] = body
    event["isBase64Encoded"] = encoded
    return event


def event_v1(request: FrontRequest, context: EventContext) -> dict[str, Any]:
    headers = dict(request.headers)
    multi_headers = request.multi_headers()
    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for key, value in request.query_pairs():
        query[key] = value
        multi_query.setdefault(key, []).append(value)
    body, encoded = _body(request)
    domain = request.domain
    identity: dict[str, Any] = {
        "accessKey": None,
        "accountId": None,
        "caller": None,
        "cognitoAuthenticationProvider": None,
        "cognitoAuthenticationType": None,
        "cognitoIdentityId": None,
        "cognitoIdentityPoolId": None,
        "principalOrgId": None,
        "sourceIp": request.source_ip,
        "user": None,
        "userAgent": request.user_agent,
        "userArn": None,
        **context.identity,
    }
    request_context = _context_head(context, domain)
    request_context.update(
        {
            "extendedRequestId": context.request_id,
            "httpMethod": request.method,
            "identity": identity,
            "path": context.raw_path,
            "protocol": request.protocol,
            "requestId": context.request_id,
            "requestTime": request_time(request.time_epoch_ms),
            "requestTimeEpoch": request.time_epoch_ms,
            "resourceId": context.route_key,
            "resourcePath": context.resource,
            "stage": context.stage,
        }
    )
    return {
        "version": "1.0",
        "resource": context.resource,
        "path": context.raw_path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "requestContext": request_context,
        "pathParameters": dict(context.path_parameters) or None,
        "stageVariables": dict(context.stage_variables) or None,
        "body": body,
        "isBase64Encoded": encoded,
    }


def encode_event(event: Mapping[str, Any]) -> bytes:
    return orjson.dumps(event)


# -- the function's answer ---------------------------------------------------------------


def _status(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise MalformedResponse("statusCode must be an integer")
    try:
        status = int(value)
    except ValueError:
        raise MalformedResponse("statusCode must be an integer") from None
    if not 100 <= status <= 599:
        raise MalformedResponse("statusCode out of range")
    return status


def _decoded_body(body: Any, encoded: Any) -> bytes:
    if body is None:
        return b""
    if not isinstance(body, str):
        raise MalformedResponse("body must be a string")
    if encoded is True:
        try:
            return base64.b64decode(body, validate=True)
        except binascii.Error:
            raise MalformedResponse("body is not base64") from None
    return body.encode("utf-8")


def _header_pairs(headers: Any) -> list[tuple[str, str]]:
    if headers is None:
        return []
    if not isinstance(headers, Mapping):
        raise MalformedResponse("headers must be an object")
    return [(str(k), _header_value(v)) for k, v in headers.items()]


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise MalformedResponse("a header value must be a string")


def response_v2(payload: bytes) -> FrontResponse:
    try:
        answer = orjson.loads(payload) if payload else None
    except orjson.JSONDecodeError:
        raise MalformedResponse("the function's answer is not JSON") from None
    if not isinstance(answer, dict) or "statusCode" not in answer:
        body = answer.encode("utf-8") if isinstance(answer, str) else payload
        return FrontResponse(200, [("content-type", "application/json")], body)
    status = _status(answer["statusCode"])
    headers = _header_pairs(answer.get("headers"))
    cookies = answer.get("cookies") or []
    if not isinstance(cookies, list):
        raise MalformedResponse("cookies must be a list")
    headers.extend(("set-cookie", str(cookie)) for cookie in cookies)
    body = _decoded_body(answer.get("body"), answer.get("isBase64Encoded"))
    return FrontResponse(status, headers, body)


def response_v1(
    payload: bytes, *, members: frozenset[str] | None = None, decode: bool = True
) -> FrontResponse:
    """A 1.0 answer. ``members``: the only members allowed (REST APIs' proxy answers);
    ``decode``: whether a base64 body is decoded (REST APIs: only for a binary ``Accept``),
    else sent as the text it is."""
    try:
        answer = orjson.loads(payload) if payload else None
    except orjson.JSONDecodeError:
        raise MalformedResponse("the function's answer is not JSON") from None
    if not isinstance(answer, dict) or "statusCode" not in answer:
        raise MalformedResponse("statusCode is missing")
    if members is not None and not members.issuperset(answer):
        raise MalformedResponse("the answer has members a proxy response does not")
    status = _status(answer["statusCode"])
    single = dict(_header_pairs(answer.get("headers")))
    multi = answer.get("multiValueHeaders") or {}
    if not isinstance(multi, Mapping):
        raise MalformedResponse("multiValueHeaders must be an object")
    headers: list[tuple[str, str]] = []
    lowered = {str(name).lower() for name in multi}
    headers.extend((k, v) for k, v in single.items() if k.lower() not in lowered)
    for name, values in multi.items():
        if not isinstance(values, list):
            raise MalformedResponse("multiValueHeaders values must be lists")
        headers.extend((str(name), _header_value(value)) for value in values)
    encoded = answer.get("isBase64Encoded") if decode else False
    body = _decoded_body(answer.get("body"), encoded)
    return FrontResponse(status, headers, body)


# -- RESPONSE_STREAM (function URLs) -----------------------------------------------------

STREAM_CONTENT_TYPE = "application/vnd.awslambda.http-integration-response"
_STREAM_DELIMITER = b"\x00" * 8
STREAM_PRELUDE_LIMIT = 16 * 1024  # the prelude must come within the stream's first 16 KB


def split_stream_prelude(payload: bytes) -> tuple[dict[str, Any], bytes] | None:
    """A streamed response's JSON prelude ``{statusCode, headers, cookies}`` and its body,
    when the function wrote one (the 8 NUL bytes after the prelude); None otherwise."""
    index = payload.find(_STREAM_DELIMITER)
    if index < 0 or payload[:1] != b"{":
        return None
    try:
        prelude = orjson.loads(payload[:index])
    except orjson.JSONDecodeError:
        return None
    if not isinstance(prelude, dict):
        return None
    return prelude, payload[index + len(_STREAM_DELIMITER) :]


def prelude_head(prelude: Mapping[str, Any]) -> tuple[int, list[tuple[str, str]]]:
    """The status and headers a streamed response's prelude gives (200 by default)."""
    status = _status(prelude.get("statusCode", 200))
    headers = _header_pairs(prelude.get("headers"))
    cookies = prelude.get("cookies") or []
    if not isinstance(cookies, list):
        raise MalformedResponse("cookies must be a list")
    headers.extend(("set-cookie", str(cookie)) for cookie in cookies)
    return status, headers


async def read_stream_prelude(
    chunks: AsyncIterator[bytes],
) -> tuple[int, list[tuple[str, str]], bytes]:
    """The prelude at the head of a streamed ``http-integration-response`` as it arrives:
    its status, headers and the body bytes that came with it. ``MalformedResponse`` when
    the stream ends before the delimiter, or the prelude is no JSON object or too long."""
    head = b""
    async for chunk in chunks:
        head += chunk
        split = split_stream_prelude(head)
        if split is not None:
            status, headers = prelude_head(split[0])
            return status, headers, split[1]
        if len(head) > STREAM_PRELUDE_LIMIT or head[:1] not in (b"{", b""):
            break
    raise MalformedResponse("the stream has no HTTP prelude")


def streamed_response(payload: bytes) -> FrontResponse:
    """A RESPONSE_STREAM function's whole answer: with a prelude as its prelude says; a
    function that returned a value instead (a Python handler: buffered) as 2.0 reads it."""
    split = split_stream_prelude(payload)
    if split is None:
        return response_v2(payload)
    prelude, body = split
    status, headers = prelude_head(prelude)
    return FrontResponse(status, headers, body)
