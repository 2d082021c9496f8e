"""``PendingWork``: the asynchronous work a server still has to do, and a wait until it is done
(``GET /_lambdaport/drain``; ``lambdaport.testing.aws.wait_drained`` and the pytest plugin's
``lambdaport_drain`` call it — a join like dramatiq's ``StubBroker.join``).

Each kind of background work is one named counter, wired in ``app.py``: events in the async
queue (queued, running or waiting for a retry), SNS deliveries in flight, function log lines
not yet stored, Logs subscription deliveries not yet handed to the async queue. Every hand-off
between them counts the work in the next before the previous lets go of it (a subscription
delivery is pending until the invoker accepted the event; an event leaves the queue only after
its destinations took the record), so all counters at zero at one moment means nothing accepted
is still on its way. New sources of background work (the event source mapping pollers: records
read, not yet invoked and checkpointed) add their counter there.

A counter may be a coroutine (a count the store answers off the event loop): counters read
across an await are not one moment, so the work is drained only when two reads in a row find
every counter at zero.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Final

Counter = Callable[[], int | Awaitable[int]]

MAX_WAIT_S: Final = 300.0
_TICK_S: Final = 0.005  # how often the counters are read while waiting (in-process reads)


class PendingWork:
    def __init__(self, counters: Mapping[str, Counter]) -> None:
        self._counters = dict(counters)

    async def counts(self) -> dict[str, int]:
        """Every counter now (``{"asyncEvents": 0, ...}``)."""
        counts: dict[str, int] = {}
        for name, counter in self._counters.items():
            value = counter()
            counts[name] = await value if inspect.isawaitable(value) else value
        return counts

    async def drain(self, timeout: float) -> dict[str, int]:
        """Wait until every counter is zero, at most ``timeout`` seconds (``MAX_WAIT_S`` at
        most); the counters then (all zero: drained)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(max(timeout, 0.0), MAX_WAIT_S)
        empty_reads = 0
        while True:
            counts = await self.counts()
            empty_reads = 0 if any(counts.values()) else empty_reads + 1
            if empty_reads == 2:
                return counts
            if empty_reads == 0 and loop.time() >= deadline:
                return counts
            await asyncio.sleep(_TICK_S if empty_reads == 0 else 0)
