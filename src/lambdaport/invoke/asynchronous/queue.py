"""``AsyncQueue``: the invoker's side of the durable queue and the dispatcher's doorbell.

``accept`` commits the event to the store (``store.queue``) and only then returns, so the
202 the caller gets means the event survives a crash. When the running dispatcher has room
for the function, the event is committed already claimed and handed to it directly (no
claim query, no pass); otherwise ``accept`` rings ``wake`` so the dispatcher claims the
event as soon as it has room, instead of waiting for a timer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, Protocol

from lambdaport.invoke.model import AsyncInvocation
from lambdaport.store.queue import AsyncEventStore, QueuedEvent

Clock = Callable[[], float]


class DirectDispatch(Protocol):
    def has_room(self, function_arn: str) -> bool: ...

    def start(self, event: QueuedEvent) -> None: ...


class AsyncQueue:
    def __init__(self, events: AsyncEventStore, clock: Clock = time.time) -> None:
        self.events = events
        self.clock = clock
        self.wake = asyncio.Event()
        # Functions that may have queued events: the dispatcher's round-robin list, seeded
        # from the store at start and kept up to date by accept().
        self.functions: dict[str, None] = dict.fromkeys(events.function_arns())
        self.direct: DirectDispatch | None = None  # the dispatcher, while it runs

    def accept(self, invocation: AsyncInvocation) -> None:
        now = self.clock()
        event = QueuedEvent(
            request_id=invocation.request_id,
            function_arn=invocation.function_arn,
            invoked_arn=invocation.invoked_arn,
            account_id=invocation.account_id,
            region=invocation.region,
            payload=invocation.payload,
            trace_header=invocation.trace_header,
            attempts=0,
            requeues=0,
            accepted_at=now,
            not_before=now,
        )
        direct = self.direct
        if direct is not None and direct.has_room(event.function_arn):
            if self.events.enqueue(event, claimed=True):
                self.functions.setdefault(event.function_arn, None)
                direct.start(event)
            return
        self.events.enqueue(event)
        self.notice(invocation.function_arn)

    def notice(self, function_arn: str) -> None:
        """The function has (new or newly due) work: make sure the dispatcher looks."""
        self.functions.setdefault(function_arn, None)
        self.wake.set()

    def status(self) -> dict[str, Any]:
        """Queue depth and the oldest event's age per function (health endpoint, CLI)."""
        now = self.clock()
        functions = [
            {
                "functionArn": stats.function_arn,
                "depth": stats.depth,
                "running": stats.running,
                "oldestEventAgeSeconds": round(max(0.0, now - stats.oldest_accepted_at), 3),
            }
            for stats in self.events.stats()
        ]
        return {"depth": sum(f["depth"] for f in functions), "functions": functions}
