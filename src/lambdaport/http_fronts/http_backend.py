"""HTTP and HTTP_PROXY integrations' request to their backend (urllib in a worker thread:
redirects are answered as they are, never followed; errors statuses are answers too)."""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
from dataclasses import dataclass

# Headers API Gateway does not forward (hop by hop, or its own).
_DROPPED = frozenset(
    {
        "host",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "upgrade",
        "proxy-authorization",
        "content-length",
        "expect",
    }
)


@dataclass(frozen=True, slots=True)
class BackendResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


class BackendUnreachable(Exception):
    pass


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects())


def forwarded(headers: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    return [(name, value) for name, value in headers if name.lower() not in _DROPPED]


async def send(
    method: str,
    url: str,
    headers: list[tuple[str, str]],
    body: bytes,
    timeout: float,
) -> BackendResponse:
    """The backend's answer; ``TimeoutError`` past ``timeout``, ``BackendUnreachable``
    when it cannot be reached."""
    return await asyncio.wait_for(
        asyncio.to_thread(_send, method, url, headers, body, timeout), timeout
    )


def _send(
    method: str, url: str, headers: list[tuple[str, str]], body: bytes, timeout: float
) -> BackendResponse:
    request = urllib.request.Request(url, data=body or None, method=method)
    for name, value in headers:
        request.add_header(name, value)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            answered = tuple(response.headers.items())
            return BackendResponse(response.status, answered, response.read())
    except urllib.error.HTTPError as answer:
        with answer:
            return BackendResponse(answer.code, tuple(answer.headers.items()), answer.read())
    except TimeoutError:
        raise
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise BackendUnreachable(str(error)) from error
