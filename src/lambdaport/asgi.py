"""The ASGI exchange as the gateway and the services behind it share it: the type aliases
(as Starlette's ``types``), and a request body read up to a limit.

Bodies come from the ASGI ``receive`` loop; without care a chunked body (no Content-Length)
of any size is buffered whole, so :func:`read_body` stops at its limit instead of reading
on. The gateway guards every ``receive`` with an idle timeout between chunks
(``gateway/body.IdleWatch``), which raises :class:`RequestTimeout` from it; a client that
hangs up mid-body is :class:`ClientDisconnected`. :class:`RequestBody` is the ``receive`` a
raw endpoint's handler is given: it remembers whether the body was read to its end, so an
answer sent before that can close the connection (the unread rest would otherwise be taken
for the next request on it).

Nothing here imports the rest of lambdaport but ``errors``: this module is the bottom of
the gateway → service seam (``endpoint`` is the rest of it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from lambdaport.errors import AwsError

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_BODY = 70_167_211  # CreateFunction's direct-upload request limit
IDLE_MESSAGE = (
    "Your socket connection to the server was not read from or written to within the "
    "timeout period. Idle connections will be closed."
)


class RequestTimeout(AwsError):
    """The body stalled: 408 ``RequestTimeoutException`` (botocore retries it as transient);
    S3 answers its own 400 ``RequestTimeout`` instead."""

    def __init__(self) -> None:
        super().__init__("RequestTimeoutException", IDLE_MESSAGE, 408)


class ClientDisconnected(Exception):
    """The client hung up before its body was complete: there is nobody to answer."""


def announces_body(headers: Mapping[str, str]) -> bool:
    """Whether the request says a body follows (chunked, or a non-zero Content-Length)."""
    if "transfer-encoding" in headers:
        return True
    length = headers.get("content-length")
    return length is not None and length.strip() not in ("", "0")


async def read_body(receive: Receive, headers: Mapping[str, str], limit: int) -> bytes | None:
    """The whole body, or None as soon as it passes ``limit`` bytes (the rest unread) or
    when its Content-Length announces more (none of it read)."""
    length = headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        return None
    message = await receive()
    if message["type"] == "http.disconnect":
        raise ClientDisconnected()
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        return body if len(body) <= limit else None
    chunks = [body]
    size = len(body)
    while True:
        if size > limit:
            return None
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected()
        chunk: bytes = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks) if size <= limit else None


class RequestBody:
    """A request's ``receive`` that knows whether the body was read to its end (``unread``
    until then, for a request that announced one)."""

    def __init__(self, receive: Receive, headers: Mapping[str, str]) -> None:
        self._receive = receive
        self._done = not announces_body(headers)

    @property
    def unread(self) -> bool:
        return not self._done

    async def __call__(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.disconnect" or not message.get("more_body", False):
            self._done = True
        return message


async def refuse_websocket(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    body: bytes,
    headers: Sequence[tuple[str, str]] = (),
) -> None:
    """Refuse a WebSocket handshake (its ``websocket.connect`` not yet received)."""
    message = await receive()
    if message["type"] == "websocket.connect":
        await deny_websocket(scope, send, status, body, headers)


async def deny_websocket(
    scope: Scope,
    send: Send,
    status: int,
    body: bytes,
    headers: Sequence[tuple[str, str]] = (),
) -> None:
    """Answer a WebSocket handshake with an HTTP response (``status``, ``body``) where the
    server can send one (ASGI's ``websocket.http.response`` extension: uvicorn's), else
    with the 403 every server answers a close before the accept with."""
    if "websocket.http.response" not in (scope.get("extensions") or {}):
        await send({"type": "websocket.close", "code": 1008})
        return
    sent = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    sent.append((b"content-length", str(len(body)).encode()))
    await send({"type": "websocket.http.response.start", "status": status, "headers": sent})
    await send({"type": "websocket.http.response.body", "body": body})
