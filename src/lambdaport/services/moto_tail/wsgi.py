"""One HTTP exchange between an ASGI request and a WSGI app (moto's Flask apps), in memory.

``WsgiRequest`` is what the tail read off the ASGI scope; ``call_wsgi`` builds the WSGI
environ (PEP 3333: the path percent-decoded and carried as latin-1, the raw path kept in
``RAW_URI`` as moto's ``Request.raw_path`` expects), runs the app on the calling thread and
collects the response whole.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True, slots=True)
class WsgiRequest:
    method: str
    raw_path: str  # still percent-encoded, without the query string
    query: str
    headers: tuple[tuple[str, str], ...]  # lower-case names, as received
    body: bytes
    host: str = "127.0.0.1"
    port: str = "80"


@dataclass(frozen=True, slots=True)
class WsgiResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""


def build_environ(request: WsgiRequest, extra_headers: Mapping[str, str]) -> dict[str, Any]:
    """The WSGI environ for ``request``; ``extra_headers`` replace same-named client headers."""
    path = unquote_to_bytes(request.raw_path).decode("latin-1")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "RAW_URI": request.raw_path + (f"?{request.query}" if request.query else ""),
        "QUERY_STRING": request.query,
        "SERVER_NAME": request.host,
        "SERVER_PORT": request.port,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_LENGTH": str(len(request.body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(request.body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    replaced = {name.lower() for name in extra_headers}
    headers = [(k, v) for k, v in request.headers if k not in replaced]
    headers.extend((k.lower(), v) for k, v in extra_headers.items())
    for name, value in headers:
        if name == "content-length":
            continue
        key = name.upper().replace("-", "_")
        if key != "CONTENT_TYPE":
            key = f"HTTP_{key}"
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


def call_wsgi(app: WsgiApp, environ: dict[str, Any]) -> WsgiResponse:
    """Run ``app`` on ``environ`` and return the whole response."""
    started: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], _exc: Any = None) -> None:
        started.append((status, headers))

    chunks = app(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    status, headers = started[-1]
    return WsgiResponse(int(status.split(" ", 1)[0]), tuple(headers), body)
