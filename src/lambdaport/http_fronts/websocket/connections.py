"""The WebSocket connections open on this server, by connection id, and what reaches one:
a message to its client (``@connections`` PostToConnection, a two-way route's answer), a
close (DeleteConnection, the idle and maximum-duration timeouts).

A connection is added once its handshake was accepted (a ``$connect`` still running is not
yet one: PostToConnection to it is GoneException, as on AWS) and removed when it closed.
Sends to one client are serialised (its ASGI ``send`` is one socket); a send after the
close is refused (:class:`Gone`).

Timeouts as AWS documents them for WebSocket APIs: a connection with no message either way
for 10 minutes is closed, and every connection after 2 hours; both close with 1001 (Going
away) and are scaled by ``websocket_timeout_scale`` (tests use a small one).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from lambdaport.asgi import Send

MAX_MESSAGE = 128 * 1024  # a message's limit (the server closes with 1009 above it)
IDLE_TIMEOUT_S = 600.0
MAX_DURATION_S = 7200.0
GOING_AWAY = 1001
NORMAL_CLOSURE = 1000


def new_id() -> str:
    """An id in AWS's style (connection ids, request ids, message ids): 16 characters of
    URL-safe base64 ending in ``=``."""
    return base64.urlsafe_b64encode(os.urandom(11)).decode("ascii")


class Gone(Exception):
    """The connection is closed, or never was (``GoneException``, 410)."""


@dataclass(frozen=True, slots=True)
class Timeouts:
    idle_s: float = IDLE_TIMEOUT_S
    max_duration_s: float = MAX_DURATION_S

    @classmethod
    def scaled(cls, scale: float) -> Timeouts:
        return cls(IDLE_TIMEOUT_S * scale, MAX_DURATION_S * scale)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who opened the connection, as its events and GetConnection name it."""

    source_ip: str
    user_agent: str | None


@dataclass(slots=True, eq=False)
class Connection:
    connection_id: str
    api_id: str
    stage: str
    account_id: str
    region: str
    domain: str
    caller: Caller
    connected_at_ms: int
    _send: Send
    _timeouts: Timeouts
    _opened: float = field(default_factory=time.monotonic)
    last_active: float = field(default_factory=time.monotonic)
    last_active_ms: int = field(default_factory=lambda: int(time.time() * 1000))
    closed: bool = False
    close_code: int | None = None
    close_reason: str = ""
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def touch(self) -> None:
        self.last_active = time.monotonic()
        self.last_active_ms = int(time.time() * 1000)

    def remaining(self) -> float:
        """Seconds until a timeout closes the connection (0: it is due)."""
        now = time.monotonic()
        idle = self.last_active + self._timeouts.idle_s
        lifetime = self._opened + self._timeouts.max_duration_s
        return max(0.0, min(idle, lifetime) - now)

    async def post(self, data: bytes, *, binary: bool = False) -> None:
        """Send ``data`` to the client: a text frame when it is UTF-8 (unless ``binary``),
        else a binary one."""
        message: dict[str, object] = {"type": "websocket.send", "bytes": data}
        if not binary:
            with contextlib.suppress(UnicodeDecodeError):
                message = {"type": "websocket.send", "text": data.decode("utf-8")}
        async with self._lock:
            if self.closed:
                raise Gone()
            try:
                await self._send(message)
            except Exception as failure:  # the client went away under us
                self.closed = True
                raise Gone() from failure
        self.touch()

    async def close(self, code: int, reason: str) -> None:
        """Close from the server's side; the $disconnect event names ``code`` and ``reason``."""
        async with self._lock:
            if self.closed:
                return
            self.closed = True
            self.close_code, self.close_reason = code, reason
            try:
                await self._send({"type": "websocket.close", "code": code, "reason": reason})
            except Exception:
                return  # already gone: its receive loop ends on its own

    def ended(self) -> None:
        """The client's side is gone (its receive loop saw the disconnect)."""
        self.closed = True


class Connections:
    """The open connections of every WebSocket API on this server (node-local)."""

    def __init__(self, timeouts: Timeouts) -> None:
        self.timeouts = timeouts
        self._open: dict[str, Connection] = {}

    def add(self, connection: Connection) -> None:
        self._open[connection.connection_id] = connection

    def remove(self, connection: Connection) -> None:
        if self._open.get(connection.connection_id) is connection:
            del self._open[connection.connection_id]

    def get(self, connection_id: str, api_id: str | None = None) -> Connection:
        """The open connection, of ``api_id`` when named; else :class:`Gone`."""
        found = self._open.get(connection_id)
        if found is None or found.closed or (api_id is not None and found.api_id != api_id):
            raise Gone()
        return found

    def of_api(self, api_id: str) -> Iterator[Connection]:
        return (c for c in self._open.values() if c.api_id == api_id)

    def __len__(self) -> int:
        return len(self._open)
