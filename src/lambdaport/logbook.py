"""Function logs: the runtime's log sink, kept in the store and followable.

Writes are batched: lines wait in memory for at most ``FLUSH_SECONDS`` and are then stored
in one transaction (one SQLite commit per invocation would cost more than the invocation).
``flush()`` runs at shutdown, so a clean stop loses nothing; readers flush first, so a read
always sees every line produced before it.
"""

from __future__ import annotations

import asyncio

from lambdaport.runtime.spec import FunctionSpec, LogEvent
from lambdaport.store import Store, StoredLogEvent

FLUSH_SECONDS = 0.05


class LogBook:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._changed: asyncio.Event | None = None
        self._pending: list[tuple[str, str, int, str]] = []
        self._flush_handle: asyncio.TimerHandle | None = None

    def put_log_events(
        self, spec: FunctionSpec, log_stream_name: str, events: list[LogEvent]
    ) -> None:
        if not events:
            return
        group = spec.log_group
        self._pending.extend((group, log_stream_name, e.timestamp_ms, e.message) for e in events)
        if self._flush_handle is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self.flush()
                return
            self._flush_handle = loop.call_later(FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        self._store.append_log_event_rows(pending)
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    def events(self, log_group: str, after_id: int = 0, limit: int = 1000) -> list[StoredLogEvent]:
        self.flush()
        return self._store.log_events(log_group, after_id=after_id, limit=limit)

    def last_id(self, log_group: str) -> int:
        self.flush()
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
