"""``AsyncQueue``: the invoker's side of the durable queue and the dispatcher's doorbell.

``accept`` commits the event to the store (``store.async_events``) and only then returns, so the
202 the caller gets means the event survives a crash. When the running dispatcher has room
for the function, the event is committed already claimed and handed to it directly, with the
resolution the invoker admitted it with (no claim query, no pass, no second resolve);
otherwise ``accept`` rings ``wake`` so the dispatcher claims the
event as soon as it has room, instead of waiting for a timer.

Finished events are forgotten in batches (``finished``): their deletes ride along with the
next accepted event's commit, or are committed by a timer within ``FINISH_DELAY_S``. A crash
in that window delivers those events once more, which at-least-once delivery allows; an
accepted event is still committed before its 202.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, Protocol

from lambdaport.invoke.model import AsyncInvocation, ResolvedFunction
from lambdaport.store.async_events import AsyncEvents, QueuedEvent

Clock = Callable[[], float]

FINISH_DELAY_S = 0.005


class DirectDispatch(Protocol):
    def has_room(self, function_arn: str) -> bool: ...

    def start(self, event: QueuedEvent, resolved: ResolvedFunction | None = None) -> None: ...


class AsyncQueue:
    def __init__(self, events: AsyncEvents, clock: Clock = time.time) -> None:
        self.events = events
        self.clock = clock
        self.wake = asyncio.Event()
        # Functions that may have queued events: the dispatcher's round-robin list, seeded
        # from the store at start (load) and kept up to date by accept().
        self.functions: dict[str, None] = {}
        # Functions that may have unclaimed events due now (accepted while the dispatcher had
        # no room): the dispatcher claims only for these and for delayed events come due.
        self.unclaimed: set[str] = set()
        self.direct: DirectDispatch | None = None  # the dispatcher, while it runs
        self._flush_timer: asyncio.TimerHandle | None = None
        self._flushing: set[asyncio.Task[None]] = set()

    async def load(self) -> None:
        """At start: the functions with events in the store."""
        for function_arn in await self.events.function_arns():
            self.functions.setdefault(function_arn, None)
            self.unclaimed.add(function_arn)

    async def accept(self, invocation: AsyncInvocation) -> None:
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
            if await self.events.enqueue(event, claimed=True):
                self.functions.setdefault(event.function_arn, None)
                if self.direct is direct and direct.has_room(event.function_arn):
                    direct.start(event, invocation.resolved)
                    return
                # Other events took the room while this one was committed: back in line.
                await self.events.release(event.request_id, not_before=now, attempts=0, requeues=0)
                self.notice(event.function_arn)
            return
        await self.events.enqueue(event)
        self.notice(invocation.function_arn)

    def notice(self, function_arn: str) -> None:
        """The function has (new or newly due) work: make sure the dispatcher looks."""
        self.functions.setdefault(function_arn, None)
        self.unclaimed.add(function_arn)
        self.wake.set()

    def finished(self, request_id: str) -> None:
        """The event is done: forget it with the next commit, within ``FINISH_DELAY_S``."""
        self.events.finish_later(request_id)
        if self._flush_timer is None:
            loop = asyncio.get_running_loop()
            self._flush_timer = loop.call_later(FINISH_DELAY_S, self._flush_in_background)

    def _flush_in_background(self) -> None:
        task = asyncio.get_running_loop().create_task(self.flush())
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def flush(self) -> None:
        """Commit the deletes of finished events now."""
        timer, self._flush_timer = self._flush_timer, None
        if timer is not None:
            timer.cancel()
        await self.events.flush()

    async def status(self) -> dict[str, Any]:
        """Queue depth and the oldest event's age per function (health endpoint, CLI)."""
        now = self.clock()
        functions = [
            {
                "functionArn": stats.function_arn,
                "depth": stats.depth,
                "running": stats.running,
                "oldestEventAgeSeconds": round(max(0.0, now - stats.oldest_accepted_at), 3),
            }
            for stats in await self.events.stats()
        ]
        return {"depth": sum(f["depth"] for f in functions), "functions": functions}
