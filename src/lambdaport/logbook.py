"""Function logs as their followers see them (``/_lambdaport/logs``, ``lambdaport logs``).

The events themselves belong to CloudWatch Logs (``services/logs``): the runtime's log sink
is ``LogsService.put_log_events``, and ``LogsService.followers`` implements this protocol.
"""

from __future__ import annotations

from typing import Protocol

from lambdaport.store.logs import StoredLogEvent


class LogBook(Protocol):
    async def events(
        self, log_group: str, after_id: int = 0, limit: int = 1000
    ) -> list[StoredLogEvent]: ...

    async def last_id(self, log_group: str) -> int: ...

    async def wait(self, log_group: str, after_id: int, timeout: float) -> list[StoredLogEvent]: ...
