"""Reading a request body: never more than a limit, never waiting forever for bytes.

A body is read from the ASGI ``receive`` loop; without care a chunked body (no
Content-Length) of any size is buffered whole, and a body announced by Content-Length that
never comes holds the request open for good. So every request that announces a body gets an
idle timeout between its chunks (``request_idle_timeout``, 20 s by default, about AWS's own:
S3 answers ``RequestTimeout`` when "the socket connection was not read from or written to
within the timeout period"), and ``read_body`` stops at its limit instead of reading on.
The timeout is off once the last chunk arrived: ``receive`` then only waits for the client
to hang up, which is how long-polls notice a disconnect.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from lambdaport.errors import AwsError

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]

DEFAULT_IDLE_TIMEOUT = 20.0
IDLE_MESSAGE = (
    "Your socket connection to the server was not read from or written to within the "
    "timeout period. Idle connections will be closed."
)


class RequestTimeout(AwsError):
    """The body stalled: 408 ``RequestTimeoutException`` (botocore retries it as transient);
    S3 answers its own 400 ``RequestTimeout`` instead."""

    def __init__(self) -> None:
        super().__init__("RequestTimeoutException", IDLE_MESSAGE, 408)


class ClientDisconnected(Exception):
    """The client hung up before its body was complete: there is nobody to answer."""


def announces_body(headers: Mapping[str, str]) -> bool:
    """Whether the request says a body follows (chunked, or a non-zero Content-Length)."""
    if "transfer-encoding" in headers:
        return True
    length = headers.get("content-length")
    return length is not None and length.strip() not in ("", "0")


class IdleWatch:
    """The idle timeout of every request body being read, kept by one timer: each guarded
    ``receive`` notes when it started waiting, and a sweep every ``tick`` (at most a second,
    scheduled only while some body is being waited for) fails those that waited longer than
    ``timeout``. One timer per tick instead of one per request keeps the timeout off the hot
    path (a timer per ``receive`` costs a warm invoke ~10 µs)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._tick = min(1.0, timeout / 4)
        self._waiting: dict[asyncio.Task[Any], float] = {}  # task -> waiting since
        self._expired: set[asyncio.Task[Any]] = set()
        self._timer: asyncio.TimerHandle | None = None

    def guard(self, receive: Receive, headers: Mapping[str, str]) -> Receive:
        """``receive``, raising :class:`RequestTimeout` when a body chunk takes longer than
        ``timeout`` seconds to arrive; requests without a body get ``receive`` itself."""
        if not announces_body(headers) or self.timeout <= 0:
            return receive
        done = False
        waiting = self._waiting

        async def guarded() -> Message:
            nonlocal done
            if done:
                return await receive()
            task = asyncio.current_task()
            assert task is not None
            loop = asyncio.get_running_loop()
            waiting[task] = loop.time()
            if self._timer is None:
                self._timer = loop.call_later(self._tick, self._sweep, loop)
            try:
                message = await receive()
            except asyncio.CancelledError:
                if task not in self._expired:
                    raise
                self._expired.discard(task)
                task.uncancel()
                raise RequestTimeout() from None
            finally:
                waiting.pop(task, None)
            if message["type"] != "http.request" or not message.get("more_body", False):
                done = True
            return message

        return guarded

    def _sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        now = loop.time()
        for task, since in list(self._waiting.items()):
            if now - since >= self.timeout:
                del self._waiting[task]
                self._expired.add(task)
                task.cancel()
        if self._waiting:
            self._timer = loop.call_later(self._tick, self._sweep, loop)


async def read_body(receive: Receive, headers: Mapping[str, str], limit: int) -> bytes | None:
    """The whole body, or None as soon as it passes ``limit`` bytes (the rest unread) or
    when its Content-Length announces more (none of it read)."""
    length = headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        return None
    message = await receive()
    if message["type"] == "http.disconnect":
        raise ClientDisconnected()
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        return body if len(body) <= limit else None
    chunks = [body]
    size = len(body)
    while True:
        if size > limit:
            return None
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected()
        chunk: bytes = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks) if size <= limit else None
