"""The request as every HTTP front reads it, and the response it sends.

``FrontRequest`` keeps the headers as sent (repeated ones too: 1.0's ``multiValueHeaders``,
2.0's comma-joined ``headers``), the cookies of every ``Cookie`` header, the raw query
string, and the body as bytes; ``FrontResponse`` is a status, header pairs (several
``set-cookie``) and the body, or a body that streams. ``send_response`` writes one with its
``Content-Length``, or a streaming one as it comes (chunked: ``send_stream``).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote

import orjson

from lambdaport.asgi import RequestBody, Scope, Send, read_body
from lambdaport.errors import AwsError

# Content types whose bodies reach functions as text; every other body is base64.
_TEXT_TYPES = (
    "text/",
    "application/json",
    "application/javascript",
    "application/xml",
    "application/x-www-form-urlencoded",
    "application/graphql",
    "application/yaml",
    "application/x-yaml",
)
_TEXT_SUFFIXES = ("+json", "+xml")


def is_text(content_type: str | None, body: bytes) -> bool:
    """Whether a body with this content type is passed as text (else base64)."""
    if content_type is None or not content_type.strip():
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith(_TEXT_TYPES) or media.endswith(_TEXT_SUFFIXES)


@dataclass(frozen=True, slots=True)
class FrontRequest:
    method: str
    raw_path: str  # the whole path as sent (percent-encoded): what a signature signed
    path: str  # decoded, below the address (the stage included for execute-api)
    raw_query: str
    headers: tuple[tuple[str, str], ...]  # lower-case names, in order, repeated ones kept
    body: bytes
    source_ip: str
    protocol: str
    time_epoch_ms: int
    domain: str

    def header(self, name: str) -> str | None:
        """The last value of a header (lower-case name)."""
        found = None
        for key, value in self.headers:
            if key == name:
                found = value
        return found

    def joined_headers(self) -> dict[str, str]:
        """2.0's ``headers``: repeated ones comma-joined; ``cookie`` is not among them."""
        joined: dict[str, str] = {}
        for key, value in self.headers:
            if key == "cookie":
                continue
            joined[key] = f"{joined[key]},{value}" if key in joined else value
        return joined

    def multi_headers(self) -> dict[str, list[str]]:
        multi: dict[str, list[str]] = {}
        for key, value in self.headers:
            multi.setdefault(key, []).append(value)
        return multi

    def cookies(self) -> list[str]:
        found: list[str] = []
        for key, value in self.headers:
            if key == "cookie":
                found.extend(part.strip() for part in value.split(";") if part.strip())
        return found

    def query_pairs(self) -> list[tuple[str, str]]:
        return parse_qsl(self.raw_query, keep_blank_values=True)

    @property
    def user_agent(self) -> str:
        return self.header("user-agent") or ""

    @property
    def content_type(self) -> str | None:
        return self.header("content-type")


async def read_request(
    scope: Scope, body: RequestBody, path: str, domain: str, limit: int
) -> FrontRequest:
    """The request as fronts see it; a body over ``limit`` is 413 (as API Gateway)."""
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    data = await read_body(body, headers, limit)
    if data is None:
        raise AwsError("RequestEntityTooLarge", "Request Entity Too Large", 413)
    client = scope.get("client") or ("127.0.0.1", 0)
    version = scope.get("http_version", "1.1")
    return FrontRequest(
        method=scope["method"],
        raw_path=(scope.get("raw_path") or scope["path"].encode()).decode("latin-1").split("?")[0],
        path=unquote(path),
        raw_query=scope.get("query_string", b"").decode("latin-1"),
        headers=tuple(
            (key.decode("latin-1").lower(), value.decode("latin-1"))
            for key, value in scope["headers"]
        ),
        body=data,
        source_ip=str(client[0]),
        protocol=f"HTTP/{version}",
        time_epoch_ms=int(time.time() * 1000),
        domain=domain,
    )


@dataclass(slots=True)
class FrontResponse:
    """``stream``: a body sent as it comes (chunked) after ``body``."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    stream: AsyncIterator[bytes] | None = None


def json_answer(
    status: int, body: Mapping[str, object], headers: Sequence[tuple[str, str]] = ()
) -> FrontResponse:
    return FrontResponse(
        status, [("content-type", "application/json"), *headers], orjson.dumps(body)
    )


def _start(status: int, headers: Sequence[tuple[str, str]]) -> dict[str, object]:
    return {
        "type": "http.response.start",
        "status": status,
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
    }


async def send_response(send: Send, response: FrontResponse, *, head: bool = False) -> None:
    if response.stream is not None:
        await send_stream(send, response.status, response.headers, response.body, response.stream)
        return
    headers = [(k, v) for k, v in response.headers if k.lower() != "content-length"]
    headers.append(("content-length", str(len(response.body))))
    await send(_start(response.status, headers))
    await send({"type": "http.response.body", "body": b"" if head else response.body})


async def send_stream(
    send: Send,
    status: int,
    headers: Sequence[tuple[str, str]],
    first: bytes,
    chunks: AsyncIterator[bytes],
) -> None:
    """A body written as it comes (chunked transfer encoding: no Content-Length): ``first``,
    then every chunk."""
    kept = [(k, v) for k, v in headers if k.lower() != "content-length"]
    await send(_start(status, kept))
    if first:
        await send({"type": "http.response.body", "body": first, "more_body": True})
    async for chunk in chunks:
        if chunk:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})
