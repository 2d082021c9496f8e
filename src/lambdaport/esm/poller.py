"""One mapping's poller: its lanes, each looping poll → batch → filter → invoke → settle.

Batching (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html#
invocation-eventsourcemapping-batching): a batch is invoked as soon as it holds
``BatchSize`` records, its ``MaximumBatchingWindowInSeconds`` has passed since its first
record, or one more record would take the payload past 6 MB (that record opens the next
batch). A lane with nothing to read waits on the source's doorbell (a 20-second long poll),
never on a timer. The function is invoked synchronously through the one trigger seam
(``invoke.triggers.PushTriggers.call``) with the function's execution role as the caller;
the outcome is the source's to settle.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from lambdaport.errors import AwsError, Throttled, typed
from lambdaport.esm.filters import RecordFilter
from lambdaport.esm.model import FUNCTION_CALL_FAILED, OK, EventSourceMapping, MappingReports
from lambdaport.esm.responses import failed_items
from lambdaport.esm.source import EventSource, Lane, Outcome, SourceGone, SourceRecord
from lambdaport.invoke.triggers import PushTriggers, TriggerSource

logger = logging.getLogger("lambdaport.esm")

PAYLOAD_LIMIT = 6 * 1024 * 1024  # a synchronous invocation's request payload
ENVELOPE = len(b'{"Records":[]}')
LONG_POLL_S = 20.0
ERROR_BACKOFF_S = 1.0
GROW_EVERY_S = 1.0
# A step up must raise the batches settled a second by a third of what it would if every
# invocation had a CPU of its own (5 -> 6: by 6.7 %; 50 -> 51: by 0.7 %).
GROWTH_SHARE = 1 / 3
# A level none of whose batches settled for this long is a slow function's (not one still
# starting its environments): the lane steps up (AWS grows as long as messages wait).
SLOW_LEVEL_S = 3.0


class Functions(Protocol):
    """What the engine asks of the control plane about a mapping's function."""

    def execution_role(self, function_arn: str) -> str | None: ...

    def reserved_concurrency(self, function_arn: str) -> int | None: ...


@dataclass(slots=True)
class MappingMetrics:
    """One mapping's counters (the health document's ``eventSourceMappings``)."""

    lanes: int = 0
    polls: int = 0
    received: int = 0
    filtered_out: int = 0
    batches: int = 0
    invoked: int = 0
    succeeded: int = 0
    failed: int = 0
    throttled_batches: int = 0
    failed_batches: int = 0
    in_flight: int = 0  # records read and not yet settled
    batches_in_flight: int = 0  # invocations running
    peak_batches_in_flight: int = 0  # the most ever running at once

    def document(self) -> dict[str, int]:
        return {
            "lanes": self.lanes,
            "polls": self.polls,
            "recordsReceived": self.received,
            "recordsFilteredOut": self.filtered_out,
            "batchesInvoked": self.batches,
            "recordsInvoked": self.invoked,
            "recordsSucceeded": self.succeeded,
            "recordsFailed": self.failed,
            "batchesFailed": self.failed_batches,
            "batchesThrottled": self.throttled_batches,
            "recordsInFlight": self.in_flight,
            "batchesInFlight": self.batches_in_flight,
            "batchesInFlightPeak": self.peak_batches_in_flight,
        }


class BatchInvoker:
    """A batch to its function, synchronously, as the function's execution role."""

    def __init__(self, triggers: PushTriggers, functions: Functions) -> None:
        self._triggers = triggers
        self._functions = functions

    async def invoke(
        self, mapping: EventSourceMapping, records: Sequence[SourceRecord], payload: bytes
    ) -> Outcome:
        everything = frozenset(r.identifier for r in records)
        role = self._functions.execution_role(mapping.function_arn) or (
            f"arn:aws:iam::{mapping.account_id}:role/lambdaport"
        )
        source = TriggerSource.execution_role(
            role, mapping.event_source_arn, mapping.account_id, mapping.region
        )
        # The batch's trace (its first record's): recursive loop detection follows it.
        trace = next((r.trace_header for r in records if r.trace_header), None)
        try:
            result = await self._triggers.call(
                source, mapping.function_arn, payload, trace_header=trace
            )
        except AwsError as error:
            refusal = typed(error)
            if isinstance(refusal, Throttled):
                return Outcome(everything, throttled=True)
            return Outcome(everything, error=f"PROBLEM: {refusal.message}")
        if result.failed:
            return Outcome(everything, error=FUNCTION_CALL_FAILED, result=result)
        if mapping.reports_batch_item_failures:
            return Outcome(failed_items(result.payload, everything), result=result)
        return Outcome(result=result)


def _fill(batch: list[SourceRecord], size: int, records: list[SourceRecord], want: int) -> int:
    """Move records from the front of ``records`` into ``batch`` while it holds fewer than
    ``want`` and the payload stays within 6 MB; returns the payload's size."""
    taken = 0
    for record in records:
        if len(batch) >= want or size + record.size + 1 > PAYLOAD_LIMIT:
            break
        batch.append(record)
        size += record.size + 1
        taken += 1
    del records[:taken]
    return size


class _LaneRun:
    """One lane's loop state: its invocations in flight and how many may be."""

    def __init__(self, lane: Lane, limit: int) -> None:
        self.lane = lane
        self.limit = limit
        self.running: set[asyncio.Task[None]] = set()
        self.freed = asyncio.Event()
        # Growth (see MappingPoller._maybe_grow): batches settled, and when it last grew.
        self.settled = 0
        self.settled_at_growth = 0
        self.grown_at = 0.0
        self.rate_before: float | None = None  # batches a second at limit_before
        self.limit_before = limit
        self.gain = 0.0  # the last step's share of the level it stepped from
        self.saturated = False
        self.carry: list[SourceRecord] = []
        self.retry: list[list[SourceRecord]] = []
        self.polling = False
        self.task: asyncio.Task[None] | None = None


class MappingPoller:
    def __init__(
        self,
        mapping: EventSourceMapping,
        source: EventSource,
        invoker: BatchInvoker,
        reports: MappingReports,
        on_gone: Callable[[str, str], None],
    ) -> None:
        self.mapping = mapping
        self.source = source
        self.metrics = MappingMetrics()
        self._invoker = invoker
        self._reports = reports
        self._on_gone = on_gone  # (uuid, reason): the source disappeared
        self._filter = RecordFilter(mapping.filters)
        self._runs: list[_LaneRun] = []
        self._stopping = False
        self._result: str | None = None

    # -- lanes ------------------------------------------------------------------------------

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        start = self.source.concurrency.start
        for lane in self.source.lanes():
            run = _LaneRun(lane, start)
            run.task = loop.create_task(self._run_lane(run))
            self._runs.append(run)
        self._count_lanes()

    def _count_running(self) -> None:
        metrics = self.metrics
        metrics.batches_in_flight = running = sum(len(run.running) for run in self._runs)
        metrics.peak_batches_in_flight = max(metrics.peak_batches_in_flight, running)

    def _count_lanes(self) -> None:
        self.metrics.lanes = sum(run.limit for run in self._runs if run.task is not None)

    def _maybe_grow(self, run: _LaneRun) -> None:
        """Every invocation is busy and records wait: one more, at most once a second (AWS
        adds up to 300 a minute). On AWS each invocation has its own CPU; here they share
        this machine's, so a step that did not raise the batches settled a second by
        ``GROWTH_SHARE`` of the step's own share (5 -> 6: 6.7 %) is undone and the lane
        grows no further until the source is idle again. Invocations that wait on something
        else than the CPU raise it in proportion, and the lane keeps growing."""
        concurrency = self.source.concurrency
        if not concurrency.grows or run.limit >= concurrency.limit or run.saturated:
            return
        now = asyncio.get_running_loop().time()
        interval = max(60.0 / concurrency.per_minute, GROW_EVERY_S)
        if now - run.grown_at < interval or not self.source.backlog():
            return
        if run.grown_at:  # the rate at this level, measured since the last change
            settled, elapsed = run.settled - run.settled_at_growth, now - run.grown_at
            if not settled and elapsed < SLOW_LEVEL_S:
                return  # no batch settled yet at this level: its invocations start, or are slow
            rate = settled / elapsed
            before = run.rate_before
            if before is not None and 0 < rate < before * (1 + run.gain * GROWTH_SHARE):
                run.saturated = True
                run.limit = max(run.limit_before, concurrency.start)
            else:
                run.rate_before, run.limit_before = rate, run.limit
                run.gain = 1 / run.limit
                run.limit += 1
        run.grown_at, run.settled_at_growth = now, run.settled
        self._count_lanes()

    def _idle(self, run: _LaneRun) -> None:
        """The source had nothing: back to the starting concurrency."""
        run.limit = self.source.concurrency.start
        run.saturated, run.rate_before, run.grown_at = False, None, 0.0
        run.limit_before = run.limit
        self._count_lanes()

    async def stop(self) -> None:
        """Stop polling; batches being invoked finish and are settled first."""
        self._stopping = True
        for run in self._runs:
            if run.polling and run.task is not None:
                run.task.cancel()
            run.freed.set()
        await asyncio.gather(
            *(run.task for run in self._runs if run.task is not None), return_exceptions=True
        )
        self.metrics.lanes = 0

    def cancel(self) -> None:
        """Stop at once (the server stops): what is in flight comes back to the source."""
        self._stopping = True
        for run in self._runs:
            for task in [run.task, *run.running]:
                if task is not None:
                    task.cancel()

    async def _next_batch(self, run: _LaneRun) -> list[SourceRecord] | None:
        """The lane's next batch once an invocation is free: a retry first, else a new one
        (empty when the source was idle); None when stopping."""
        concurrency = self.source.concurrency
        while len(run.running) >= run.limit and not self._stopping:
            run.freed.clear()
            if not concurrency.grows or run.limit >= concurrency.limit:
                await run.freed.wait()
                continue
            # Every invocation is busy: while records wait, maybe one more (_maybe_grow).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(run.freed.wait(), GROW_EVERY_S)
            if len(run.running) >= run.limit:
                self._maybe_grow(run)
        if self._stopping:
            return None
        if run.retry:
            return run.retry.pop(0)
        run.polling = True
        try:
            return await self._collect(run)
        finally:
            run.polling = False

    async def _run_lane(self, run: _LaneRun) -> None:
        try:
            while (records := await self._next_batch(run)) is not None:
                if not records:
                    self._idle(run)
                    continue
                full = len(records) >= self.mapping.batch_size or bool(run.carry)
                if full and len(run.running) + 1 >= run.limit:
                    self._maybe_grow(run)
                task = asyncio.get_running_loop().create_task(self._invocation(run, records))
                run.running.add(task)
                self._count_running()
        except SourceGone as gone:
            if not self._stopping:
                self._stopping = True
                self._on_gone(self.mapping.uuid, gone.reason)
        except asyncio.CancelledError:
            pass
        except Exception:
            logger.exception("event source mapping %s: a lane failed", self.mapping.uuid)
        finally:
            if run.running:
                await asyncio.gather(*run.running, return_exceptions=True)
            with contextlib.suppress(Exception):
                await run.lane.close()

    async def _invocation(self, run: _LaneRun, records: list[SourceRecord]) -> None:
        try:
            run.retry.extend(await self._process(run.lane, records))
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("event source mapping %s: a batch failed", self.mapping.uuid)
        finally:
            run.settled += 1
            task = asyncio.current_task()
            if task is not None:
                run.running.discard(task)
            self._count_running()
            run.freed.set()

    async def _collect(self, run: _LaneRun) -> list[SourceRecord]:
        """One batch: by size, by window, by payload. Records read beyond it wait in the
        lane's carry for the next (the record that would take it past 6 MB; with
        ``Concurrency.shared_reads``, the next batches of one read for every invocation
        free now, which the lane invokes at once)."""
        mapping, limit, lane = self.mapping, self.source.poll_limit, run.lane
        want = mapping.batch_size
        batch: list[SourceRecord] = []
        size = ENVELOPE
        if run.carry:
            size = _fill(batch, size, run.carry, want)
            if run.carry or len(batch) >= want:
                return batch
        if not batch:
            spare = run.limit - len(run.running) if self.source.concurrency.shared_reads else 1
            asked = min(limit, want * max(spare, 1))
            first = await self._poll(lane, asked, LONG_POLL_S)
            size = _fill(batch, size, first, want)
            run.carry.extend(first)
            if run.carry or not batch:
                return batch
            if not mapping.maximum_batching_window_in_seconds and len(batch) < min(limit, want):
                return batch
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (mapping.maximum_batching_window_in_seconds or 0)
        while len(batch) < want:
            remaining = max(deadline - loop.time(), 0.0)
            asked = min(limit, want - len(batch))
            more = await self._poll(lane, asked, remaining)
            got = len(more)
            size = _fill(batch, size, more, want)
            if more:  # past the payload limit: the next batch's
                run.carry.extend(more)
                break
            if got < asked and remaining <= 0:
                break
        return batch

    async def _poll(self, lane: Lane, limit: int, wait: float) -> list[SourceRecord]:
        records = await lane.poll(limit, wait)
        self.metrics.polls += 1
        self.metrics.received += len(records)
        return records

    async def _process(self, lane: Lane, records: list[SourceRecord]) -> list[list[SourceRecord]]:
        metrics = self.metrics
        metrics.in_flight += len(records)
        try:
            kept, left_out = self._filter.split(records)
            if left_out:
                metrics.filtered_out += len(left_out)
                await lane.discard(left_out)
            if not kept:
                return []
            metrics.batches += 1
            metrics.invoked += len(kept)
            outcome = await self._invoker.invoke(self.mapping, kept, self.source.event(kept))
            settled = await lane.settle(kept, outcome)
        finally:
            metrics.in_flight -= len(records)
        failed = len(outcome.failed)
        metrics.failed += failed
        metrics.succeeded += len(kept) - failed
        if outcome.throttled:
            metrics.throttled_batches += 1
        elif outcome.error is not None or failed:
            metrics.failed_batches += 1
        result = (
            OK
            if outcome.ok or (failed and outcome.error is None)
            else (outcome.error or FUNCTION_CALL_FAILED)
        )
        if outcome.throttled:
            result = FUNCTION_CALL_FAILED
        if result != self._result:
            self._result = result
            await self._reports.processed(self.mapping.uuid, result)
        backoff = settled.backoff or (ERROR_BACKOFF_S if outcome.error and not settled.retry else 0)
        if backoff and not self._stopping:
            await asyncio.sleep(backoff)
        return settled.retry

    @property
    def pending(self) -> int:
        """Records read and not settled, and those waiting to be read."""
        return self.metrics.in_flight + (0 if self._stopping else self.source.backlog())

    def document(self) -> dict[str, Any]:
        return {
            "uuid": self.mapping.uuid,
            "functionArn": self.mapping.function_arn,
            "eventSourceArn": self.mapping.event_source_arn,
            **self.metrics.document(),
        }
