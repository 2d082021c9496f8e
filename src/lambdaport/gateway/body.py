"""Never waiting forever for a request body's bytes.

A body announced by Content-Length that never comes would hold the request open for good.
So every request that announces a body gets an idle timeout between its chunks
(``request_idle_timeout``, 20 s by default, about AWS's own: S3 answers ``RequestTimeout``
when "the socket connection was not read from or written to within the timeout period"):
``receive`` raises ``asgi.RequestTimeout``. The timeout is off once the last chunk arrived:
``receive`` then only waits for the client to hang up, which is how long-polls notice a
disconnect. Reading a body up to a limit is ``asgi.read_body``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from lambdaport.asgi import Message, Receive, RequestTimeout, announces_body

DEFAULT_IDLE_TIMEOUT = 20.0


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
