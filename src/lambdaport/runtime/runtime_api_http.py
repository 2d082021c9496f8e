"""The server side of HTTP/1.1 on asyncio streams, as much as the Runtime API needs.

Runtime interface clients are simple HTTP clients (libcurl, ``http.client``, Go's
``net/http``, the ``curl`` command): one request at a time per connection, keep-alive, bodies
sized by ``Content-Length`` or sent ``Transfer-Encoding: chunked``, sometimes announced with
``Expect: 100-continue``. Bodies above ``body_limit`` are read and discarded so the
connection stays usable; the request then carries only their size. A server that passes a
body on as it comes (a streamed response, ``Lambda-Runtime-Function-Response-Mode:
streaming``) reads the head alone (``read_head``) and the body into its own ``BodySink``
(``read_body``), which gets the chunked body's trailers too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

MAX_HEAD_BYTES = 64 * 1024  # request line and headers (asyncio's default stream limit)
MAX_HEADERS = 100
_COPY_CHUNK = 256 * 1024

REASONS = {
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    500: "Internal Server Error",
}


class HttpError(Exception):
    """The request cannot be parsed: answer ``status`` and close the connection."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str  # the target without its query string
    headers: Mapping[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes  # empty when the body exceeded the limit
    body_size: int  # bytes the client sent
    keep_alive: bool

    @property
    def body_too_large(self) -> bool:
        return self.body_size > len(self.body)


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes = b""
    headers: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class RequestHead:
    method: str
    path: str  # the target without its query string
    headers: Mapping[str, str]  # lower-case names; repeated headers joined with ", "
    keep_alive: bool
    chunked: bool
    length: int  # Content-Length (0 when chunked)


class BodySink(Protocol):
    """Where a body's bytes go as they are read; a chunked body's trailers at its end."""

    def add(self, data: bytes) -> None: ...

    def trailers(self, fields: Mapping[str, str]) -> None: ...


async def read_head(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> RequestHead | None:
    """The next request's line and headers, or ``None`` when the client closed cleanly;
    ``100 Continue`` is sent when the client waits for it."""
    head = await _read_head(reader)
    if head is None:
        return None
    method, path, version, headers = _parse_head(head)
    keep_alive = _keep_alive(version, headers.get("connection", ""))
    chunked = "chunked" in headers.get("transfer-encoding", "").lower()
    length = 0 if chunked else _content_length(headers)
    if (chunked or length > 0) and headers.get("expect", "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    return RequestHead(method, path, headers, keep_alive, chunked, length)


async def read_body(reader: asyncio.StreamReader, head: RequestHead, sink: BodySink) -> None:
    """The body of the request ``head`` begins, into ``sink`` as it comes."""
    try:
        if head.chunked:
            await _read_chunked(reader, sink)
        else:
            await _copy(reader, head.length, sink)
    except (ValueError, asyncio.LimitOverrunError) as exc:
        raise HttpError(400, "Malformed request body") from exc


async def read_rest(reader: asyncio.StreamReader, head: RequestHead, *, body_limit: int) -> Request:
    """The request ``head`` begins, its body read whole (up to ``body_limit``)."""
    sink = _BodySink(body_limit)
    await read_body(reader, head, sink)
    return Request(head.method, head.path, head.headers, sink.body(), sink.size, head.keep_alive)


async def write_response(
    writer: asyncio.StreamWriter, response: Response, *, keep_alive: bool
) -> None:
    lines = [
        f"HTTP/1.1 {response.status} {REASONS.get(response.status, 'Unknown')}",
        f"Content-Length: {len(response.body)}",
    ]
    if not keep_alive:
        lines.append("Connection: close")
    lines.extend(f"{name}: {value}" for name, value in (response.headers or {}).items())
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    writer.write(head + response.body)
    await writer.drain()


async def _read_head(reader: asyncio.StreamReader) -> bytes | None:
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise HttpError(400, "Incomplete request head") from exc
        return None
    except asyncio.LimitOverrunError as exc:
        raise HttpError(400, "Request head too large") from exc


def _parse_head(head: bytes) -> tuple[str, str, str, dict[str, str]]:
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    parts = request_line.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise HttpError(400, "Malformed request line")
    method, target, version = parts
    headers: dict[str, str] = {}
    fields = [line for line in header_lines if line]
    if len(fields) > MAX_HEADERS:
        raise HttpError(400, "Too many headers")
    for line in fields:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise HttpError(400, "Malformed header")
        key = name.lower()
        value = value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return method, target.partition("?")[0], version, headers


def _keep_alive(version: str, connection: str) -> bool:
    tokens = {token.strip().lower() for token in connection.split(",")}
    if version == "HTTP/1.0":
        return "keep-alive" in tokens
    return "close" not in tokens


def _content_length(headers: Mapping[str, str]) -> int:
    raw = headers.get("content-length")
    if raw is None:
        return 0
    if not raw.isdigit():
        raise HttpError(400, "Invalid Content-Length")
    return int(raw)


class _BodySink:
    """Collects a body up to ``limit`` bytes and counts the rest without keeping it."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._parts: list[bytes] = []
        self.size = 0

    def add(self, data: bytes) -> None:
        self.size += len(data)
        if self.size <= self._limit:
            self._parts.append(data)
        else:
            self._parts.clear()

    def trailers(self, fields: Mapping[str, str]) -> None:
        pass  # a whole request's trailers are not read by anyone

    def body(self) -> bytes:
        return b"".join(self._parts) if self.size <= self._limit else b""


async def _copy(reader: asyncio.StreamReader, length: int, sink: BodySink) -> None:
    remaining = length
    while remaining > 0:
        data = await reader.read(min(remaining, _COPY_CHUNK))
        if not data:
            raise asyncio.IncompleteReadError(b"", remaining)
        sink.add(data)
        remaining -= len(data)


async def _read_chunked(reader: asyncio.StreamReader, sink: BodySink) -> None:
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size < 0:
            raise ValueError("negative chunk size")
        if size == 0:
            break
        await _copy(reader, size, sink)
        if await reader.readexactly(2) != b"\r\n":
            raise ValueError("chunk not terminated by CRLF")
    trailers: dict[str, str] = {}
    while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
        if len(trailers) >= MAX_HEADERS:
            raise ValueError("too many trailers")
        name, sep, value = line.decode("latin-1").partition(":")
        if sep and name.strip():
            trailers[name.strip().lower()] = value.strip()
    if trailers:
        sink.trailers(trailers)
