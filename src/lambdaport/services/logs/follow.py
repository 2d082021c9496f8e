"""The followers of function logs (``/_lambdaport/logs``, ``lambdaport logs --follow``): read
a log group's events by id and wait for new ones."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from lambdaport.store.logs import Logs, StoredLogEvent


class LogFollowers:
    """Implements ``lambdaport.logbook.LogBook`` over the Logs service's events."""

    def __init__(self, store: Logs, flush: Callable[[], Awaitable[None]]) -> None:
        self._store = store
        self._flush = flush
        self._changed: asyncio.Event | None = None

    def notify(self) -> None:
        """Events were stored: wake the waiting followers."""
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    async def events(
        self, log_group: str, after_id: int = 0, limit: int = 1000
    ) -> list[StoredLogEvent]:
        await self._flush()
        return await self._store.log_events(log_group, after_id=after_id, limit=limit)

    async def last_id(self, log_group: str) -> int:
        await self._flush()
        return await self._store.last_id(log_group)

    async def wait(self, log_group: str, after_id: int, timeout: float) -> list[StoredLogEvent]:
        """Events after ``after_id``, waiting up to ``timeout`` seconds for the first one."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = await self.events(log_group, after_id)
            remaining = deadline - loop.time()
            if found or remaining <= 0:
                return found
            if self._changed is None:
                self._changed = asyncio.Event()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                return []
