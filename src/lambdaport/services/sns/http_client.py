"""A minimal HTTP/1.1 POST on the server's event loop (asyncio streams), for deliveries to
HTTP(S) subscriptions.

Why not httpx: it is only a development dependency, and a delivery needs one POST of a small
body and the response status; asyncio's streams do that with TLS (``ssl`` module defaults,
certificates verified) and are cancelled cleanly with the delivery task at shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Mapping
from urllib.parse import urlsplit

TIMEOUT_SECONDS = 15.0  # SNS waits 15 s for an HTTP(S) endpoint
MAX_RESPONSE_HEAD = 64 * 1024


class HttpDeliveryError(Exception):
    """The endpoint could not be reached or did not answer with a status line."""


async def post(url: str, body: bytes, headers: Mapping[str, str]) -> int:
    """POST ``body`` to ``url``; return the response status code."""
    try:
        return await asyncio.wait_for(_post(url, body, headers), TIMEOUT_SECONDS)
    except TimeoutError:
        raise HttpDeliveryError(f"no answer from {url} within {TIMEOUT_SECONDS:.0f}s") from None
    except (OSError, ssl.SSLError, asyncio.IncompleteReadError, ValueError) as exc:
        raise HttpDeliveryError(f"{url}: {exc}") from None


async def _post(url: str, body: bytes, headers: Mapping[str, str]) -> int:
    parts = urlsplit(url)
    secure = parts.scheme == "https"
    host = parts.hostname or ""
    port = parts.port or (443 if secure else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    context = ssl.create_default_context() if secure else None
    reader, writer = await asyncio.open_connection(
        host, port, ssl=context, server_hostname=host if secure else None
    )
    try:
        default_port = 443 if secure else 80
        host_header = host if port == default_port else f"{host}:{port}"
        lines = [
            f"POST {target} HTTP/1.1",
            f"Host: {host_header}",
            f"Content-Length: {len(body)}",
            "Connection: close",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        await writer.drain()
        status_line = await reader.readuntil(b"\r\n")
        fields = status_line.decode("latin-1").split(" ", 2)
        if len(fields) < 2 or not fields[0].startswith("HTTP/") or not fields[1].isdigit():
            raise ValueError(f"not an HTTP response: {status_line[:80]!r}")
        remaining = MAX_RESPONSE_HEAD  # read (and drop) the rest so the endpoint sees no reset
        while remaining > 0:
            chunk = await reader.read(remaining)
            if not chunk:
                break
            remaining -= len(chunk)
        return int(fields[1])
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()
