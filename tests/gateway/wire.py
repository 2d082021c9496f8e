"""Plain HTTP for the gateway's tests: requests with exactly the headers a browser (or an
attacker) would send, and raw sockets for bodies that stall or never end."""

from __future__ import annotations

import http.client
import selectors
import socket
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes
    closed: bool = False  # the server closed the connection after the reply


def send(
    port: int,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
) -> Reply:
    """One request through http.client; a ``Host`` in ``headers`` replaces the real one."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        reply_headers = {k.lower(): v for k, v in response.getheaders()}
        return Reply(response.status, reply_headers, response.read())
    finally:
        connection.close()


def _parse(data: bytes) -> Reply | None:
    """A complete reply in ``data`` (head and Content-Length body), else None."""
    head, separator, rest = data.partition(b"\r\n\r\n")
    if not separator:
        return None
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    if len(rest) < length:
        return None
    return Reply(status, headers, rest[:length])


def exchange(port: int, head: bytes, body: bytes, *, more: bytes = b"", timeout: float) -> Reply:
    """Send ``head`` and ``body``, then keep sending ``more`` (if any) while watching for
    the reply: the reply must come within ``timeout`` seconds although the request never
    completes. ``closed`` says whether the server then closed the connection (waited for
    until the deadline)."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setblocking(False)
    pending = head + body + more
    received = b""
    reply: Reply | None = None
    deadline = time.monotonic() + timeout
    with sock, selectors.DefaultSelector() as selector:
        selector.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
        writing = True
        while time.monotonic() < deadline:
            if writing and (reply is not None or not pending):
                selector.modify(sock, selectors.EVENT_READ)
                writing = False
            for _, events in selector.select(timeout=max(0.0, deadline - time.monotonic())):
                if events & selectors.EVENT_WRITE and writing:
                    try:
                        pending = pending[sock.send(pending[: 1 << 20]) :]
                    except (BrokenPipeError, ConnectionResetError):
                        pending = b""
                if events & selectors.EVENT_READ:
                    try:
                        chunk = sock.recv(65536)
                    except ConnectionResetError:
                        chunk = b""
                    if not chunk:
                        reply = reply or _parse(received)
                        assert reply is not None, f"closed without a reply: {received[:200]!r}"
                        return Reply(reply.status, reply.headers, reply.body, closed=True)
                    received += chunk
                    reply = reply or _parse(received)
    assert reply is not None, f"no reply within {timeout}s (got {received[:200]!r})"
    return reply
