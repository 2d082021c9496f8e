"""One shard of a stream mapping: read in order, batched, invoked, checkpointed
(https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html,
https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-errors.html).

A :class:`ShardLane` reads its shard from its checkpoint (or the mapping's starting position)
through the ``StreamReader`` and spreads the records over ``ParallelizationFactor``
sub-lanes by partition key, so records of one key keep their order. Each sub-lane forms a
batch once the one before it is settled: ``BatchSize`` records, or what came within
``MaximumBatchingWindowInSeconds``, or up to the 6 MB payload, and — with tumbling windows —
of one window. A batch that fails is retried as AWS does, blocking its sub-lane: a function
error until it succeeds, its records grow older than ``MaximumRecordAgeInSeconds``, or
``MaximumRetryAttempts`` are exhausted (``BisectBatchOnFunctionError`` splits it in two
first, which costs no retry); a throttle or a refusal to invoke until the records are too
old. A partial batch response (``ReportBatchItemFailures``) settles the records before the
lowest sequence number it names and retries from there. A batch given up goes to the
on-failure destination (``esm.stream_failures``).

The checkpoint (``store.checkpoints``, the shard's lease held) is the sequence number of the
last record of the longest settled prefix of what was read: records filtered out and
records discarded count as settled, so it only moves forward, and after a restart (or a
``kill -9``) reading resumes after it: nothing is lost and every partition key keeps its
order. A shard read to its end and settled is checkpointed ``SHARD_END``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lambdaport.errors import DataTrimmed, ResourceNotFound
from lambdaport.esm.model import FUNCTION_CALL_FAILED, OK
from lambdaport.esm.poller import ENVELOPE, PAYLOAD_LIMIT
from lambdaport.esm.source import Outcome, SourceGone, SourceRecord
from lambdaport.esm.stream_failures import Condition, Discard
from lambdaport.esm.stream_records import item
from lambdaport.esm.windows import returned_state, window_event, window_of
from lambdaport.services.interfaces import StreamPosition

if TYPE_CHECKING:
    from lambdaport.esm.streams import StreamPoller
    from lambdaport.invoke.triggers import TriggerResult

logger = logging.getLogger("lambdaport.esm")

SHARD_END = "SHARD_END"  # the checkpoint of a shard read to its end and settled
READ_LIMIT = 10_000  # GetRecords' most
LONG_POLL_S = 20.0
THROTTLE_BACKOFF_S = 0.5
RETRY_BACKOFF_S = 0.2  # doubled each retry of a batch, up to RETRY_BACKOFF_MAX_S
RETRY_BACKOFF_MAX_S = 5.0
WINDOW_ENVELOPE = 400  # a tumbling window's members besides Records, state aside


@dataclass(slots=True)
class _SubLane:
    index: int
    queue: deque[SourceRecord] = field(default_factory=deque)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    closed: bool = False  # the shard ended: nothing more comes
    # Tumbling windows: the window open, its state and the records it settled.
    window: float | None = None
    state: Any = field(default_factory=dict)
    window_records: list[SourceRecord] = field(default_factory=list)
    task: asyncio.Task[None] | None = None


class ShardLane:
    def __init__(self, poller: StreamPoller, shard_id: str, start: StreamPosition) -> None:
        self.poller = poller
        self.shard_id = shard_id
        self.position = start
        mapping = poller.mapping
        factor = max(mapping.parallelization_factor or 1, 1)
        self._subs = [_SubLane(i) for i in range(factor)]
        self._read_ahead = min(max(2 * mapping.batch_size * factor, 1000), 20_000)
        self._pending: deque[SourceRecord] = deque()  # read, in order, not all settled
        self._settled: set[str] = set()
        self._room = asyncio.Event()
        self._checkpoint_lock = asyncio.Lock()
        self._written: str | None = None
        self.idle_generation: int | None = None  # the doorbell when a read found nothing
        self.ended = False

    # -- what the poller sees ---------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Records read and not settled, or 1 when more may wait in the shard."""
        reader, arn = self.poller.reader, self.poller.mapping.event_source_arn
        behind = self.idle_generation is None or reader.generation(arn) != self.idle_generation
        return len(self._pending) + (1 if behind and not self.ended else 0)

    async def run(self) -> bool:
        """Read the shard until it ends (True) or the poller stops (False); raises
        :class:`SourceGone`."""
        loop = asyncio.get_running_loop()
        for sub in self._subs:
            sub.task = loop.create_task(self._sub_lane(sub))
        try:
            await self._read()
        except asyncio.CancelledError:
            for sub in self._subs:
                if sub.task is not None:
                    sub.task.cancel()
            raise
        finally:
            for sub in self._subs:
                sub.closed = True
                sub.changed.set()
            subs = [sub.task for sub in self._subs if sub.task is not None]
            results = await asyncio.gather(*subs, return_exceptions=True)
        for result in results:
            if isinstance(result, SourceGone):
                raise result
        if self.ended and not self._pending and not self.poller.stopping:
            await self._write(SHARD_END)
            return True
        return False

    # -- reading ----------------------------------------------------------------------------

    async def _read(self) -> None:
        poller = self.poller
        reader, arn = poller.reader, poller.mapping.event_source_arn
        while not poller.stopping:
            if len(self._pending) >= self._read_ahead:
                self._room.clear()
                await poller.until_stopping(self._room.wait())
                continue
            generation = reader.generation(arn)
            try:
                batch = await reader.read(arn, self.shard_id, self.position, READ_LIMIT)
            except DataTrimmed:
                self.position = StreamPosition("TRIM_HORIZON")
                continue
            except ResourceNotFound:
                await poller.source_missing(self.shard_id)
                return
            self.position = batch.next_position
            if batch.records:
                self.idle_generation = None
                self._take(batch.records)
                await self._advance()
            elif not self._pending and self.position.sequence_number:
                # Nothing to settle: the position read to (LATEST and AT_TIMESTAMP resolved).
                await self._write(self.position.sequence_number)
            if batch.shard_ended:
                self.ended = True
                return
            if not batch.records:
                self.idle_generation = generation
                await poller.until_stopping(reader.wait(arn, generation, LONG_POLL_S))

    def _take(self, records: Sequence[Any]) -> None:
        poller, mapping = self.poller, self.poller.mapping
        made = [
            poller.kind.record(
                r, self.shard_id, mapping.event_source_arn, mapping.region, poller.role
            )
            for r in records
        ]
        poller.metrics.received += len(made)
        self._pending.extend(made)
        kept, left_out = poller.filter.split(made)
        if left_out:
            poller.metrics.filtered_out += len(left_out)
            self._settled.update(r.identifier for r in left_out)
        factor = len(self._subs)
        for record in kept:
            key = item(record).partition_key
            sub = self._subs[zlib.crc32(key.encode()) % factor if factor > 1 else 0]
            sub.queue.append(record)
            sub.changed.set()

    # -- settling and checkpoints -----------------------------------------------------------

    async def _done(self, records: Sequence[SourceRecord]) -> None:
        self._settled.update(r.identifier for r in records)
        await self._advance()

    async def _advance(self) -> None:
        last: SourceRecord | None = None
        while self._pending and self._pending[0].identifier in self._settled:
            last = self._pending.popleft()
            self._settled.discard(last.identifier)
        if last is None:
            return
        self._room.set()
        await self._write(item(last).sequence_number)

    async def _write(self, position: str) -> None:
        """The checkpoint, forward only (positions are written in the order computed)."""
        async with self._checkpoint_lock:
            if position == self._written:
                return
            if (
                self._written not in (None, SHARD_END)
                and position != SHARD_END
                and int(position) < int(self._written or 0)
            ):
                return
            poller = self.poller
            if not await poller.checkpoints.advance(
                poller.mapping.uuid, self.shard_id, poller.owner, position, now=poller.clock()
            ):
                logger.warning(
                    "mapping %s: lost the lease of %s", poller.mapping.uuid, self.shard_id
                )
                poller.lost(self.shard_id)
            self._written = position

    # -- sub-lanes --------------------------------------------------------------------------

    async def _sub_lane(self, sub: _SubLane) -> None:
        poller = self.poller
        windowed = bool(poller.mapping.tumbling_window_in_seconds)
        while not poller.stopping:
            if windowed and await self._window_due(sub):
                await self._final(sub)
                continue
            batch = await self._collect(sub)
            if batch is None:
                return
            if batch:
                await self._deliver(sub, batch)

    async def _window_due(self, sub: _SubLane) -> bool:
        """Whether the open window is over: a later record waits, or its end has passed, or
        the shard ended. Waits (on new records) until one of those or a record of the window
        is queued."""
        seconds = self.poller.mapping.tumbling_window_in_seconds or 0
        while sub.window is not None and not self.poller.stopping:
            if sub.queue:
                return window_of(item(sub.queue[0]).arrival, seconds) != sub.window
            if sub.closed:
                return True
            left = sub.window + seconds - self.poller.clock()
            if left <= 0:
                return True
            sub.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.poller.until_stopping(sub.changed.wait()), left)
        return False

    async def _collect(self, sub: _SubLane) -> list[SourceRecord] | None:
        """The next batch (empty: look again), None once the shard ended and all is taken."""
        poller, mapping = self.poller, self.poller.mapping
        while not sub.queue:
            if sub.closed or poller.stopping:
                return None
            sub.changed.clear()
            await poller.until_stopping(sub.changed.wait())
        want = mapping.batch_size
        window = mapping.maximum_batching_window_in_seconds or 0
        if window and len(sub.queue) < want:
            deadline = poller.clock() + window
            while len(sub.queue) < want and not sub.closed and not poller.stopping:
                left = deadline - poller.clock()
                if left <= 0:
                    break
                sub.changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(poller.until_stopping(sub.changed.wait()), left)
        seconds = mapping.tumbling_window_in_seconds or 0
        first_window = window_of(item(sub.queue[0]).arrival, seconds) if seconds else None
        envelope = ENVELOPE + (WINDOW_ENVELOPE + len(repr(sub.state)) if seconds else 0)
        size, batch = envelope, list[SourceRecord]()
        while sub.queue and len(batch) < want:
            record = sub.queue[0]
            if seconds and window_of(item(record).arrival, seconds) != first_window:
                break
            if batch and size + record.size + 1 > PAYLOAD_LIMIT:
                break
            batch.append(sub.queue.popleft())
            size += record.size + 1
        if seconds and sub.window is None:
            sub.window = first_window
        return batch

    def _event(self, sub: _SubLane, records: Sequence[SourceRecord], *, final: bool) -> bytes:
        mapping = self.poller.mapping
        seconds = mapping.tumbling_window_in_seconds or 0
        if not seconds or sub.window is None:
            return b'{"Records":[' + b",".join(r.record for r in records) + b"]}"
        return window_event(
            records,
            start=sub.window,
            seconds=seconds,
            state=sub.state,
            shard_id=self.shard_id,
            stream_arn=mapping.event_source_arn,
            final=final,
            terminated_early=final and sub.closed and not sub.queue,
        )

    async def _settle(self, sub: _SubLane, records: Sequence[SourceRecord]) -> None:
        """Records done with: settled now, or with their window's final invocation."""
        if sub.window is not None:
            sub.window_records.extend(records)
        else:
            await self._done(records)

    async def _final(self, sub: _SubLane) -> None:
        """The window's last invocation, with its state and no records; then its records
        are settled whatever became of it (as after exhausted retries)."""
        poller = self.poller
        retries = 0
        while not poller.stopping:
            outcome = await poller.invoke([], self._event(sub, [], final=True))
            if outcome.ok:
                break
            retries += 1
            limit = poller.mapping.maximum_retry_attempts
            if limit is not None and 0 <= limit < retries:
                break
            await poller.sleep(_backoff(retries))
        if poller.stopping:
            return
        records, sub.window_records = sub.window_records, []
        sub.window, sub.state = None, {}
        await self._done(records)

    async def _deliver(self, sub: _SubLane, records: list[SourceRecord]) -> None:
        poller, mapping = self.poller, self.poller.mapping
        pieces: list[tuple[list[SourceRecord], int]] = [(records, 0)]
        invocations = 0
        last: TriggerResult | None = None
        while pieces and not poller.stopping:
            batch, retries = pieces[0]
            expired = self._expired(batch)
            if expired:
                await self._discard(sub, expired, "RecordAgeExceeded", invocations, last)
                batch = batch[len(expired) :]
                if not batch:
                    pieces.pop(0)
                    continue
                pieces[0] = (batch, retries)
            outcome = await poller.invoke(batch, self._event(sub, batch, final=False))
            if outcome.result is None:  # throttled, or not invoked at all: no retry spent
                await poller.sleep(THROTTLE_BACKOFF_S if outcome.throttled else RETRY_BACKOFF_S)
                continue
            invocations += 1
            last = outcome.result
            if outcome.ok:
                if sub.window is not None:
                    sub.state = returned_state(outcome.result.payload)
                await self._settle(sub, batch)
                pieces.pop(0)
                continue
            if outcome.error is None:  # a partial batch response: settled up to the lowest
                lowest = min(outcome.failed, key=int)
                at = next(i for i, r in enumerate(batch) if r.identifier == lowest)
                if sub.window is not None:
                    sub.state = returned_state(outcome.result.payload)
                await self._settle(sub, batch[:at])
                batch = batch[at:]
            if mapping.bisect_batch_on_function_error and len(batch) > 1:
                half = len(batch) // 2
                pieces[0:1] = [(batch[:half], retries), (batch[half:], retries)]
                continue
            retries += 1
            limit = mapping.maximum_retry_attempts
            if limit is not None and 0 <= limit < retries:
                await self._discard(sub, batch, "RetryAttemptsExhausted", invocations, last)
                pieces.pop(0)
                continue
            pieces[0] = (batch, retries)
            await poller.sleep(_backoff(retries))

    def _expired(self, batch: Sequence[SourceRecord]) -> list[SourceRecord]:
        age = self.poller.mapping.maximum_record_age_in_seconds
        if age is None or age < 0:
            return []
        oldest = self.poller.clock() - age
        out = []
        for record in batch:
            if item(record).arrival >= oldest:
                break
            out.append(record)
        return out

    async def _discard(
        self,
        sub: _SubLane,
        records: Sequence[SourceRecord],
        condition: Condition,
        invocations: int,
        last: TriggerResult | None,
    ) -> None:
        poller = self.poller
        event = self._event(sub, records, final=False)
        discard = Discard(self.shard_id, records, condition, invocations, last, event)
        await poller.discarded(discard)
        await self._settle(sub, records)


def _backoff(retries: int) -> float:
    return float(min(RETRY_BACKOFF_S * 2.0 ** max(retries - 1, 0), RETRY_BACKOFF_MAX_S))


def outcome_result(outcome: Outcome) -> str:
    """The mapping's LastProcessingResult after a batch."""
    if outcome.ok or (outcome.failed and outcome.error is None and not outcome.throttled):
        return OK
    return outcome.error or FUNCTION_CALL_FAILED
