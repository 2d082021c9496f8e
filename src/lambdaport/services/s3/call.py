"""One S3 request as the operations see it, and what they answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lambdaport.asgi import Receive
from lambdaport.protocol.sigv4 import Verified
from lambdaport.request import RequestContext


async def _no_body() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


@dataclass(frozen=True, slots=True)
class S3Call:
    """The request: who, from where, its headers, and (for uploads) its body still unread."""

    ctx: RequestContext
    request_id: str  # S3's 16-hex-digit request id (x-amz-request-id)
    host_id: str  # x-amz-id-2
    method: str
    headers: Mapping[str, str]
    source_ip: str = "127.0.0.1"
    receive: Receive = _no_body
    signed_chunks: Verified | None = None  # the seed of a signed aws-chunked body

    @property
    def account_id(self) -> str:
        return self.ctx.account_id


@dataclass(frozen=True, slots=True)
class BodySource:
    """Bytes ``[start, start + length)`` of a stored body, streamed out."""

    blob: str
    start: int
    length: int


@dataclass(slots=True)
class S3Reply:
    """An operation's answer: the output members (serialised by the model), and optionally
    a root element name, a status, a raw XML body or a stored body to stream."""

    result: dict[str, Any] = field(default_factory=dict)
    root: str | None = None
    status: int | None = None
    xml: bytes | None = None
    body: BodySource | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
