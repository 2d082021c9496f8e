"""The gateway's contract with a raw endpoint, on the ASGI app itself (no server): what a
handler raises before it started its response is answered by the gateway in the endpoint's
words (or a ``WordedError``'s), with the request id the endpoint makes, without a body for
HEAD and closing the connection when the body was left unread; a fault of the handler's own
is the endpoint's internal error; once the handler started its response, what it raises
goes to the server, which ends the connection."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from lambdaport.asgi import ClientDisconnected, Message, RequestBody, Scope, Send
from lambdaport.endpoint import RawEndpoint, ServiceEndpoint, ServiceErrors, WordedError
from lambdaport.errors import AwsError
from lambdaport.gateway.asgi import Gateway
from lambdaport.protocol.base import HttpRequest, HttpResponse
from lambdaport.request import RequestContext

SERVICE = "dynamodb"
AUTH = (
    "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, "
    "SignedHeaders=host, Signature=0"
)
Handler = Callable[[Scope, RequestBody, Send, RequestContext], Awaitable[None]]


@dataclass(frozen=True)
class Words:
    """An error format of the test's own: ``<name>:<code>:<request id>``."""

    name: str

    def serialize_error(
        self, operation: str | None, error: AwsError, request_id: str = ""
    ) -> HttpResponse:
        body = f"{self.name}:{error.code}:{request_id}".encode()
        return HttpResponse(error.status, [("content-type", "text/plain")], body)


@dataclass
class Exchange:
    sent: list[Message] = field(default_factory=list)

    @property
    def status(self) -> int:
        return int(self.sent[0]["status"])

    @property
    def headers(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.sent[0]["headers"]}

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent[1:])


async def _internal(request: HttpRequest) -> HttpResponse:
    return HttpResponse(404)


def _run(handler: Handler, *, method: str = "POST", body: list[bytes] | None = None) -> Exchange:
    endpoint = RawEndpoint(
        handler, ServiceErrors(Words("endpoint")), new_request_id=lambda: "REQUEST-1"
    )
    services: dict[str, ServiceEndpoint] = {SERVICE: endpoint}
    gateway = Gateway(services, _internal, default_region="us-east-1", unserved=lambda _: None)
    chunks = list(body or [b""])
    headers = [(b"host", b"127.0.0.1:4566"), (b"authorization", AUTH.encode())]
    if body is not None:
        headers.append((b"content-length", str(sum(map(len, chunks))).encode()))
    scope: Scope = {
        "type": "http",
        "method": method,
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "headers": headers,
    }
    exchange = Exchange()

    async def receive() -> Message:
        chunk = chunks.pop(0) if chunks else b""
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    async def send(message: Message) -> None:
        exchange.sent.append(message)

    asyncio.run(gateway(scope, receive, send))
    return exchange


def test_an_error_raised_before_the_response_is_answered_in_the_endpoints_words() -> None:
    async def handler(scope: Scope, body: RequestBody, send: Send, ctx: RequestContext) -> None:
        raise AwsError("NoSuchThing", "none", 404)

    exchange = _run(handler)
    assert exchange.status == 404
    assert exchange.body == b"endpoint:NoSuchThing:REQUEST-1"
    assert exchange.headers["x-amzn-requestid"] == "REQUEST-1"
    assert exchange.headers["content-length"] == str(len(exchange.body))
    assert "connection" not in exchange.headers


def test_the_handler_sees_the_request_id_the_endpoint_makes() -> None:
    seen: list[str] = []

    async def handler(scope: Scope, body: RequestBody, send: Send, ctx: RequestContext) -> None:
        seen.append(ctx.request_id)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    exchange = _run(handler)
    assert (seen, exchange.status, exchange.body) == (["REQUEST-1"], 200, b"ok")


def test_a_worded_error_is_answered_in_its_own_words() -> None:
    async def handler(scope: Scope, body: RequestBody, send: Send, ctx: RequestContext) -> None:
        error = AwsError("ValidationException", "bad", 400)
        raise WordedError(error, ServiceErrors(Words("client")), "PutItem")

    exchange = _run(handler)
    assert (exchange.status, exchange.body) == (400, b"client:ValidationException:REQUEST-1")


def test_an_answer_to_head_is_status_and_headers_only() -> None:
    async def handler(scope: Scope, body: RequestBody, send: Send, ctx: RequestContext) -> None:
        raise AwsError("NoSuchKey", "none", 404)

    exchange = _run(handler, method="HEAD")
    assert exchange.status == 404
    assert exchange.body == b""
    assert exchange.headers["content-length"] == "0"


def test_an_error_with_the_body_unread_closes_the_connection() -> None:
    async def handler(scope: Scope, body: RequestBody, send: Send, ctx: RequestContext) -> None:
        await body()  # the first of two chunks
        raise AwsError("TooBig", "stop", 413)

    exchange = _run(handler, body=[b"first", b"second"])
    assert exchange.status == 413
    assert exchange.headers["connection"] == "close"


def test_a_body_read_to_its_end_keeps_the_connection() -> None:
    async def handler(scope: Scope, body: RequestBody, send: Send, ctx: RequestContext) -> None:
        while (await body()).get("more_body"):
            pass
        raise AwsError("Refused", "no", 400)

    exchange = _run(handler, body=[b"first", b"second"])
    assert exchange.status == 400
    assert "connection" not in exchange.headers


def test_a_fault_of_the_handler_is_the_endpoints_internal_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def handler(scope: Scope, body: RequestBody, send: Send, ctx: RequestContext) -> None:
        raise RuntimeError("a bug")

    with caplog.at_level("ERROR", logger="lambdaport.gateway"):
        exchange = _run(handler)
    assert exchange.status == 500
    assert exchange.body == b"endpoint:ServiceException:REQUEST-1"
    assert b"a bug" not in exchange.body
    assert any(record.exc_info and "a bug" in str(record.exc_info[1]) for record in caplog.records)


def test_once_the_response_started_the_handler_owns_it() -> None:
    async def handler(scope: Scope, body: RequestBody, send: Send, ctx: RequestContext) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"part", "more_body": True})
        raise AwsError("Broken", "mid-stream", 500)

    with pytest.raises(AwsError, match="mid-stream"):
        _run(handler)


def test_nobody_is_answered_when_the_client_hung_up() -> None:
    async def handler(scope: Scope, body: RequestBody, send: Send, ctx: RequestContext) -> None:
        raise ClientDisconnected()

    assert _run(handler).sent == []
