"""What the engine runs: an :class:`EventSource` per mapping, read by its lanes.

A lane is one sequential reader of the source (SQS: the queue; a stream: a shard): the
mapping's poller runs each lane's loop, which polls and forms batches one after the other
and hands each to an invocation, up to the lane's :class:`Concurrency` at once; every
invocation's batch is filtered, invoked and settled (``esm.poller``). What differs by source
is here: how records are read
(``poll``, woken by the source's doorbell), what a record looks like in the event and to
``FilterCriteria``, what becomes of records filtered out (SQS deletes them; a stream steps
over them), and how a batch's outcome is settled (SQS deletes the successes and lets the
failures come back after their visibility timeout; a stream checkpoints, or retries,
bisects and discards, by returning the batches to invoke next, before the lane reads on).
How many invocations a lane runs at once is its :class:`Concurrency`: SQS's one lane scales
with the backlog; a stream's lanes (one per shard) run one at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from lambdaport.invoke.triggers import TriggerResult


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One record as the event's ``Records`` carry it.

    ``identifier`` is what a partial batch response names it by (``messageId``, a sequence
    number); ``view`` is what filter patterns see (the record, its data parsed); ``size`` its
    encoded bytes (the 6 MB payload limit); ``handle`` the source's own (a receipt handle)."""

    identifier: str
    record: bytes  # the record's JSON
    view: Any
    size: int
    handle: Any = None
    trace_header: str | None = None  # X-Ray (an SQS message's AWSTraceHeader), carried on


@dataclass(frozen=True, slots=True)
class Outcome:
    """How the function took a batch: ``failed`` the identifiers to retry (every record's
    when the invocation failed), ``throttled`` when it could not be invoked for want of
    concurrency, ``error`` what went wrong, for the mapping's LastProcessingResult;
    ``result`` what the function answered when it ran (a stream's tumbling window state,
    its on-failure records' ``responseContext``)."""

    failed: frozenset[str] = frozenset()
    throttled: bool = False
    error: str | None = None
    result: TriggerResult | None = None

    @property
    def ok(self) -> bool:
        return not self.failed and not self.throttled and self.error is None


@dataclass(frozen=True, slots=True)
class Concurrency:
    """How many batches of a lane are invoked at once: ``start`` at first; with ``grows``, one
    more while every invocation is busy and records wait (at most ``per_minute`` added a
    minute), up to ``limit``; back to ``start`` when the source is idle. With
    ``shared_reads`` one poll may read the records of several batches, one for each
    invocation free (records of one read may be invoked at once: not a FIFO queue's)."""

    start: int
    limit: int
    grows: bool = False
    per_minute: int = 300
    shared_reads: bool = False


@dataclass(slots=True)
class Settled:
    """What a lane does next: ``retry``, batches to invoke again before polling (a stream's
    retried or bisected batch); ``backoff`` seconds to wait first."""

    retry: list[list[SourceRecord]] = field(default_factory=list)
    backoff: float = 0.0


class SourceGone(Exception):
    """The source no longer exists: the mapping is disabled with ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Lane(Protocol):
    async def poll(self, limit: int, wait: float) -> list[SourceRecord]:
        """Up to ``limit`` records, waiting up to ``wait`` seconds for the first (on the
        source's doorbell); raises :class:`SourceGone`."""
        ...

    async def discard(self, records: Sequence[SourceRecord]) -> None:
        """Records FilterCriteria left out."""
        ...

    async def settle(self, records: Sequence[SourceRecord], outcome: Outcome) -> Settled: ...

    async def close(self) -> None:
        """The lane stops: records it holds but did not invoke go back to the source."""
        ...


class EventSource(Protocol):
    @property
    def concurrency(self) -> Concurrency: ...

    @property
    def poll_limit(self) -> int:
        """Records one poll may ask for (SQS: 100, ten batches of ReceiveMessage's 10)."""
        ...

    def lanes(self) -> list[Lane]:
        """The lanes to run (SQS: one)."""
        ...

    def backlog(self) -> int:
        """Records waiting to be read now (for drains and metrics; 0 when unknown)."""
        ...

    def event(self, records: Sequence[SourceRecord]) -> bytes:
        """The invocation's payload for a batch (``{"Records": [...]}``)."""
        ...
