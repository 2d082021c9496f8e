"""The followers of function logs (``/_lambdaport/logs``, ``lambdaport logs --follow``): read
a log group's events by id and wait for new ones."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from lambdaport.store import Store, StoredLogEvent


class LogFollowers:
    """Implements ``lambdaport.logbook.LogBook`` over the Logs service's events."""

    def __init__(self, store: Store, flush: Callable[[], None]) -> None:
        self._store = store
        self._flush = flush
        self._changed: asyncio.Event | None = None

    def notify(self) -> None:
        """Events were stored: wake the waiting followers."""
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    def events(self, log_group: str, after_id: int = 0, limit: int = 1000) -> list[StoredLogEvent]:
        self._flush()
        return self._store.log_events(log_group, after_id=after_id, limit=limit)

    def last_id(self, log_group: str) -> int:
        self._flush()
        return self._store.last_log_event_id(log_group)

    async def wait(self, log_group: str, after_id: int, timeout: float) -> list[StoredLogEvent]:
        """Events after ``after_id``, waiting up to ``timeout`` seconds for the first one."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = self.events(log_group, after_id)
            remaining = deadline - loop.time()
            if found or remaining <= 0:
                return found
            if self._changed is None:
                self._changed = asyncio.Event()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                return []
