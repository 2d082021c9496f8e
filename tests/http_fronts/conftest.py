"""Helpers of the HTTP fronts' tests: plain HTTP requests to a function URL's or an API's
address as curl sends them (a ``*.localhost`` host reached at 127.0.0.1, the host name in
``Host``), functions with a function URL anyone may call, and a loopback HTTP backend."""

from __future__ import annotations

import http.client
import http.server
import json
import threading
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import orjson
import pytest

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]  # lower-case names, repeated ones kept
    body: bytes

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k == name]
        return values[-1] if values else None

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k == name]

    def json(self) -> Any:
        return orjson.loads(self.body)


def call(
    url: str,
    method: str = "GET",
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    *,
    connection: http.client.HTTPConnection | None = None,
) -> Answer:
    """One request to ``url`` (its ``*.localhost`` host reached on loopback, as curl does)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    port = parts.port or 80
    own = connection is None
    conn = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    sent = {"Host": parts.netloc, **dict(headers or {})}
    try:
        conn.request(method, target, body=body, headers=sent)
        response = conn.getresponse()
        return Answer(
            response.status,
            [(k.lower(), v) for k, v in response.getheaders()],
            response.read(),
        )
    finally:
        if own:
            conn.close()


def allow_url(
    client: LambdaClient,
    function: str,
    auth_type: Literal["NONE", "AWS_IAM"] = "NONE",
    **extra: Any,
) -> None:
    """The two statements AWS requires of a function URL's callers (since October 2025)."""
    client.add_permission(
        FunctionName=function,
        StatementId=f"url-{uuid.uuid4().hex[:8]}",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType=auth_type,
        **extra,
    )
    client.add_permission(
        FunctionName=function,
        StatementId=f"invoke-{uuid.uuid4().hex[:8]}",
        Action="lambda:InvokeFunction",
        Principal="*",
        InvokedViaFunctionUrl=True,
        **extra,
    )


class _Backend(http.server.BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        document = {
            "method": self.command,
            "path": self.path,
            "header": self.headers.get("x-custom"),
            "body": body.decode(),
        }
        status = 418 if "teapot" in self.path else 404 if "missing" in self.path else 200
        payload = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("x-backend", "yes")
        self.send_header("x-seen-forwarded-for", self.headers.get("x-forwarded-for") or "")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def backend() -> Iterator[str]:
    """A loopback HTTP server answering every request with what it received (JSON)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Backend)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
