"""The bare-HTTP floor: uvicorn (httptools + uvloop) serving one fixed response from raw ASGI.

Run as a script by the benchmark:

    python bench/floor_app.py --port PORT --response-file FILE

FILE is the JSON form of `FixedResponse` (see `floor.py`): the status, headers and body that
lambdaport answers for the silent handler, captured in the same run when lambdaport ran. Every
request, whatever its method and path, drains its body and gets those bytes back, with a fresh
request id where the captured response carried one, so the server does the same per-request
work as a real one minus everything between the socket and the bytes.
"""

from __future__ import annotations

import argparse
import base64
import json
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import uvicorn

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_REQUEST_ID_HEADER = b"x-amzn-requestid"


class FixedResponseApp:
    """A raw ASGI callable answering every HTTP request with the same status, headers, body."""

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self._status = status
        self._body = body
        self._has_request_id = any(name == _REQUEST_ID_HEADER for name, _ in headers)
        kept = [(n, v) for n, v in headers if n not in (_REQUEST_ID_HEADER, b"content-length")]
        self._headers = [*kept, (b"content-length", str(len(body)).encode())]

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        more_body = True
        while more_body:
            message = await receive()
            more_body = bool(message.get("more_body", False))
        headers = self._headers
        if self._has_request_id:
            headers = [*headers, (_REQUEST_ID_HEADER, str(uuid.uuid4()).encode())]
        await send({"type": "http.response.start", "status": self._status, "headers": headers})
        await send({"type": "http.response.body", "body": self._body})


def load_app(response_file: Path) -> FixedResponseApp:
    spec = json.loads(response_file.read_text())
    # uvicorn adds its own date and server headers; the captured ones are dropped.
    headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in spec["headers"]
        if name.lower() not in ("date", "server", "connection", "transfer-encoding")
    ]
    return FixedResponseApp(int(spec["status"]), headers, base64.b64decode(spec["body_b64"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--response-file", type=Path, required=True)
    args = parser.parse_args()
    uvicorn.run(
        load_app(args.response_file),
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        http="httptools",
        lifespan="off",
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
