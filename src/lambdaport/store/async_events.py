"""The durable asynchronous invocation queue: its records and its protocol.

An event :meth:`AsyncEvents.enqueue` accepted survives a crash of the server. Claiming is
per function (``claim(function_arn, now, limit)``), so the dispatcher can share its
attention fairly among functions; ``not_before`` orders the claims and is the only timing
column (first delivery, retry delay and throttle backoff alike). :meth:`AsyncEvents.
finish_later` lets finished events be forgotten with the next write (one commit serves
many); every read forgets them first, so nothing ever sees a finished event. A crash in
between delivers those events once more (delivery is at least once).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class QueuedEvent:
    """One accepted asynchronous invocation as the queue keeps it."""

    request_id: str
    function_arn: str  # unqualified: the fairness and statistics key
    invoked_arn: str  # as invoked: unqualified, or with its version or alias
    account_id: str
    region: str
    payload: bytes
    trace_header: str | None
    attempts: int  # times the function ran
    requeues: int  # throttles and system errors in a row
    accepted_at: float  # epoch seconds
    not_before: float  # epoch seconds
    last_response: bytes | None = None  # JSON of the last failed attempt


@dataclass(frozen=True, slots=True)
class QueueStats:
    """One function's part of the queue."""

    function_arn: str
    depth: int  # events not finished (waiting, delayed and running)
    running: int  # claimed
    oldest_accepted_at: float


class AsyncEvents(Protocol):
    async def enqueue(self, event: QueuedEvent, *, claimed: bool = False) -> bool:
        """Insert the event (already claimed when the dispatcher takes it at once); False
        when its request id is already queued (idempotent). Forgets the finished events
        waiting from ``finish_later`` in the same commit."""
        ...

    async def claim(self, function_arn: str, now: float, limit: int) -> list[QueuedEvent]:
        """Claim up to ``limit`` of the function's due events, earliest ``not_before`` first."""
        ...

    async def next_due(self, function_arn: str) -> float | None:
        """The earliest ``not_before`` of the function's unclaimed events, if it has any."""
        ...

    async def finish(self, request_id: str) -> None:
        """The event is done (delivered or handed to failure handling): forget it now."""
        ...

    def finish_later(self, request_id: str) -> None:
        """Forget the event with the next write (or ``flush``)."""
        ...

    @property
    def finishing(self) -> int:
        """Finished events not forgotten durably yet."""
        ...

    async def flush(self) -> None:
        """Forget the events ``finish_later`` holds, now."""
        ...

    async def release(
        self,
        request_id: str,
        *,
        not_before: float,
        attempts: int,
        requeues: int,
        last_response: bytes | None = None,
    ) -> None:
        """Give a claimed event back to the queue, due again at ``not_before``."""
        ...

    async def release_all_claims(self) -> int:
        """At start: whatever a previous server process was running is due again."""
        ...

    async def function_arns(self) -> list[str]: ...

    async def stats(self) -> list[QueueStats]: ...

    async def request_ids(self) -> list[str]:
        """Every queued request id (tests and diagnostics)."""
        ...
