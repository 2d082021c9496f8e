"""Function logs: the runtime's log sink, kept in the store and followable.

CloudWatch Logs (the service-plane issue) will read and serve the same events; until then
the CLI's ``lambdaport logs`` reads them through ``/_lambdaport/logs``.
"""

from __future__ import annotations

import asyncio

from lambdaport.runtime.spec import FunctionSpec, LogEvent
from lambdaport.store import Store, StoredLogEvent


class LogBook:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._changed: asyncio.Event | None = None

    def put_log_events(
        self, spec: FunctionSpec, log_stream_name: str, events: list[LogEvent]
    ) -> None:
        if not events:
            return
        self._store.append_log_events(
            spec.log_group, log_stream_name, [(e.timestamp_ms, e.message) for e in events]
        )
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    def events(self, log_group: str, after_id: int = 0, limit: int = 1000) -> list[StoredLogEvent]:
        return self._store.log_events(log_group, after_id=after_id, limit=limit)

    def last_id(self, log_group: str) -> int:
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
