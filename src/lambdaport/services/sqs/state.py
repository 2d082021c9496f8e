"""The hot state of a queue kept in memory: its record, its message counts, its doorbell.

All of it is node-local. The counts behind ``ApproximateNumberOfMessages*`` are a cache
derived from the store: rebuilt from it at start and kept up to date from what every store
operation reports instead of being counted from the table, so GetQueueAttributes costs the
same at any depth: ``total`` rows, and the messages hidden now (delayed or in flight) with the
time each becomes visible, in a heap that forgets entries as their time passes. (Several
nodes would count from the store, or share the counts; the store's operations already say
what changed.) The doorbell is behind :class:`Doorbell`: this node's is :class:`LocalDoorbell`;
a second node would need a notification channel (a ``LISTEN``/``NOTIFY``, say) behind the same
two methods, carrying the generation.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
from dataclasses import dataclass, field
from typing import Protocol

from lambdaport.services.sqs.attributes import Counts
from lambdaport.services.sqs.models import Queue


class Doorbell(Protocol):
    """Long polls wait on it; a send (or a message made visible) rings it. A waiter takes
    the ``generation`` before it looks at the queue and waits for a ring after it, so a
    ring while it looked is never lost."""

    @property
    def generation(self) -> int: ...

    def ring(self) -> None: ...

    async def wait(self, since: int, timeout: float) -> None:
        """Return once rung after generation ``since``, or after ``timeout`` seconds."""
        ...


class LocalDoorbell:
    """The doorbell of one node: an ``asyncio.Event`` per generation."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._generation = 0
        self.waiting = 0  # long polls waiting now (diagnostics, tests)

    @property
    def generation(self) -> int:
        return self._generation

    def ring(self) -> None:
        self._generation += 1
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, since: int, timeout: float) -> None:
        if timeout <= 0 or since != self._generation:
            return
        self.waiting += 1
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event.wait(), timeout)
        finally:
            self.waiting -= 1


@dataclass(slots=True)
class MessageCounts:
    total: int = 0
    _hidden: dict[int, tuple[int, bool]] = field(default_factory=dict)  # seq: (until, delayed)
    _heap: list[tuple[int, int]] = field(default_factory=list)
    _delayed: int = 0
    _in_flight: int = 0

    def added(self, seq: int, visible_at: int, now: int) -> None:
        self.total += 1
        if visible_at > now:
            self.hide(seq, visible_at, delayed=True)

    def hide(self, seq: int, until: int, *, delayed: bool = False) -> None:
        self.show(seq)
        self._hidden[seq] = (until, delayed)
        heapq.heappush(self._heap, (until, seq))
        if delayed:
            self._delayed += 1
        else:
            self._in_flight += 1

    def show(self, seq: int) -> None:
        entry = self._hidden.pop(seq, None)
        if entry is None:
            return
        if entry[1]:
            self._delayed -= 1
        else:
            self._in_flight -= 1

    def removed(self, seq: int) -> None:
        self.show(seq)
        self.total -= 1

    def clear(self) -> None:
        self.total = self._delayed = self._in_flight = 0
        self._hidden.clear()
        self._heap.clear()

    def counts(self, now: int) -> Counts:
        heap = self._heap
        while heap and heap[0][0] <= now:
            until, seq = heapq.heappop(heap)
            entry = self._hidden.get(seq)
            if entry is not None and entry[0] == until:
                self.show(seq)
        if len(heap) > 64 and len(heap) > 4 * len(self._hidden):
            self._heap = [(until, seq) for seq, (until, _) in self._hidden.items()]
            heapq.heapify(self._heap)
        hidden = self._delayed + self._in_flight
        return Counts(max(self.total - hidden, 0), self._in_flight, self._delayed)


@dataclass(slots=True)
class QueueState:
    """One queue's record and live state. ``queue`` is replaced on every change."""

    queue: Queue
    counts: MessageCounts = field(default_factory=MessageCounts)
    doorbell: Doorbell = field(default_factory=LocalDoorbell)
    checked_retention_at: int = 0
    deleted: bool = False
