"""A stream mapping's poller (Kinesis, DynamoDB Streams): one
:class:`~lambdaport.esm.shards.ShardLane` per shard being read, and lanes that change as the
stream is resharded.

The stream's shards and their lineage come from the ``StreamReader``'s ``describe``; a
shard is read once each of its parents still in the stream is finished (its checkpoint is
``SHARD_END``), so a key's records are read in order across a split or a merge. A shard the
mapping never read starts where the mapping says (``StartingPosition``: TRIM_HORIZON;
AT_TIMESTAMP at ``StartingPositionTimestamp``; LATEST as of when the mapping was created or
enabled, so no record put after the answer is missed) — a child of a finished shard from
its start — and a shard read before resumes after its checkpoint. Each shard being read has
its checkpoint's lease (``Checkpoints.claim``), renewed while it is read. The shards are
looked at again when a lane finishes and every ``RESCAN_S`` seconds. Batches are invoked
through the one trigger seam (``esm.poller.BatchInvoker``: ``PushTriggers.call`` as the
function's execution role).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from lambdaport.errors import ResourceNotFound
from lambdaport.esm.filters import RecordFilter
from lambdaport.esm.model import EventSourceMapping, MappingReports
from lambdaport.esm.poller import BatchInvoker, MappingMetrics
from lambdaport.esm.shards import SHARD_END, ShardLane, outcome_result
from lambdaport.esm.source import Outcome, SourceGone, SourceRecord
from lambdaport.esm.stream_failures import Discard, StreamFailures
from lambdaport.esm.stream_records import StreamKind
from lambdaport.services.interfaces import StreamDescription, StreamPosition, StreamReader
from lambdaport.store.checkpoints import Checkpoints

logger = logging.getLogger("lambdaport.esm")

T = TypeVar("T")
RESCAN_S = 10.0
LEASE_TTL_S = 30.0
STREAM_GONE = "PROBLEM: Stream not found."


class StreamPoller:
    def __init__(
        self,
        mapping: EventSourceMapping,
        kind: StreamKind,
        reader: StreamReader,
        invoker: BatchInvoker,
        failures: StreamFailures,
        checkpoints: Checkpoints,
        reports: MappingReports,
        on_gone: Callable[[str, str], None],
        *,
        owner: str,
        clock: Callable[[], float],
        role: str,
    ) -> None:
        self.mapping = mapping
        self.kind = kind
        self.reader = reader
        self.checkpoints = checkpoints
        self.owner = owner
        self.clock = clock
        self.role = role
        self.metrics = MappingMetrics()
        self.filter = RecordFilter(mapping.filters)
        self.stopping = False
        self._invoker = invoker
        self._failures = failures
        self._reports = reports
        self._on_gone = on_gone
        self._lanes: dict[str, ShardLane] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._changed = asyncio.Event()
        self._stopped = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._result: str | None = None
        self._looked = False  # the shards were looked at since the last change

    # -- the supervisor's side -------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop reading; batches being invoked finish and are checkpointed first."""
        self.stopping = True
        self._stopped.set()
        self._changed.set()
        tasks = [t for t in [self._task, *self._tasks.values()] if t is not None]
        await asyncio.gather(*tasks, return_exceptions=True)
        for shard in list(self._lanes):
            with contextlib.suppress(Exception):
                await self.checkpoints.release(self.mapping.uuid, shard, self.owner)
        self.metrics.lanes = 0

    def cancel(self) -> None:
        """Stop at once (the server stops): what was not checkpointed is read again."""
        self.stopping = True
        self._stopped.set()
        for task in [self._task, *self._tasks.values()]:
            if task is not None:
                task.cancel()

    @property
    def pending(self) -> int:
        if self.stopping:
            return 0
        waiting = 0 if self._looked else 1
        return waiting + sum(lane.pending for lane in self._lanes.values())

    def document(self) -> dict[str, Any]:
        return {
            "uuid": self.mapping.uuid,
            "functionArn": self.mapping.function_arn,
            "eventSourceArn": self.mapping.event_source_arn,
            "shards": sorted(self._lanes),
            **self.metrics.document(),
        }

    # -- the lanes' side -------------------------------------------------------------------

    async def until_stopping(self, waiting: Awaitable[Any]) -> None:
        """Wait for ``waiting`` or the poller to stop, whichever comes first."""
        task = asyncio.ensure_future(waiting)
        stopped = asyncio.ensure_future(self._stopped.wait())
        try:
            await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pending in (task, stopped):
                if not pending.done():
                    pending.cancel()

    async def sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopped.wait(), seconds)

    async def invoke(self, records: Sequence[SourceRecord], event: bytes) -> Outcome:
        metrics = self.metrics
        metrics.batches += 1
        metrics.invoked += len(records)
        metrics.in_flight += len(records)
        try:
            outcome = await self._invoker.invoke(self.mapping, records, event)
        finally:
            metrics.in_flight -= len(records)
        failed = len(outcome.failed)
        metrics.failed += failed
        metrics.succeeded += len(records) - failed
        if outcome.throttled:
            metrics.throttled_batches += 1
        elif not outcome.ok:
            metrics.failed_batches += 1
        result = outcome_result(outcome)
        if result != self._result:
            self._result = result
            await self._reports.processed(self.mapping.uuid, result)
        return outcome

    async def discarded(self, discard: Discard) -> None:
        await self._failures.discarded(self.mapping, self.kind, discard, self.clock())

    async def source_missing(self, shard_id: str) -> None:
        """A shard (or the stream) is not there any more."""
        try:
            await self.reader.describe(self.mapping.event_source_arn)
        except ResourceNotFound:
            raise SourceGone(STREAM_GONE) from None
        logger.info("mapping %s: shard %s is gone", self.mapping.uuid, shard_id)

    def lost(self, shard_id: str) -> None:
        """Another owner took the shard's lease: its lane stops."""
        task = self._tasks.get(shard_id)
        if task is not None:
            task.cancel()

    # -- the shards --------------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            renewed = self.clock()
            while not self.stopping:
                self._changed.clear()
                await self._look()
                self._looked = True
                if self.clock() - renewed >= LEASE_TTL_S / 3:
                    renewed = self.clock()
                    await self._renew()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), RESCAN_S)
        except SourceGone as gone:
            if not self.stopping:
                self.stopping = True
                self._stopped.set()
                self._on_gone(self.mapping.uuid, gone.reason)
        except asyncio.CancelledError:
            pass
        except Exception:
            logger.exception("mapping %s: the stream poller failed", self.mapping.uuid)

    async def _describe(self) -> StreamDescription:
        try:
            return await self.reader.describe(self.mapping.event_source_arn)
        except ResourceNotFound:
            raise SourceGone(STREAM_GONE) from None

    async def _look(self) -> None:
        description = await self._describe()
        uuid = self.mapping.uuid
        finished = {
            c.shard for c in await self.checkpoints.checkpoints(uuid) if c.position == SHARD_END
        }
        present = {shard.shard_id for shard in description.shards}
        for shard in description.shards:
            if shard.shard_id in finished or shard.shard_id in self._lanes:
                continue
            parents = [
                p
                for p in (shard.parent_shard_id, shard.adjacent_parent_shard_id)
                if p is not None and p in present
            ]
            if any(p not in finished for p in parents):
                continue
            claimed = await self.checkpoints.claim(
                uuid, shard.shard_id, self.owner, now=self.clock(), ttl=LEASE_TTL_S
            )
            if claimed is None:
                continue  # another node reads it
            if claimed.position:
                start = StreamPosition("AFTER_SEQUENCE_NUMBER", claimed.position)
            else:
                start = self._starting_position(child=bool(parents))
            self._open(ShardLane(self, shard.shard_id, start))
        self.metrics.lanes = len(self._lanes)

    def _starting_position(self, *, child: bool) -> StreamPosition:
        mapping = self.mapping
        if child or mapping.starting_position == "TRIM_HORIZON":
            return StreamPosition("TRIM_HORIZON")
        if mapping.starting_position == "AT_TIMESTAMP":
            return StreamPosition("AT_TIMESTAMP", timestamp=mapping.starting_position_timestamp)
        # LATEST: as of the mapping's creation (or enabling), so that nothing put after
        # its answer is missed however soon the shard is first read.
        return StreamPosition("AT_TIMESTAMP", timestamp=mapping.last_modified)

    def _open(self, lane: ShardLane) -> None:
        shard = lane.shard_id
        self._lanes[shard] = lane
        task = asyncio.get_running_loop().create_task(self._run_lane(lane))
        self._tasks[shard] = task

    async def _run_lane(self, lane: ShardLane) -> None:
        shard = lane.shard_id
        try:
            finished = await lane.run()
        except SourceGone as gone:
            if not self.stopping:
                self.stopping = True
                self._stopped.set()
                self._on_gone(self.mapping.uuid, gone.reason)
            return
        except asyncio.CancelledError:
            if self.stopping:
                raise
            finished = False  # its lease was lost
        except Exception:
            logger.exception("mapping %s: shard %s failed", self.mapping.uuid, shard)
            await self.sleep(1.0)
            finished = False
        if self.stopping:
            return
        self._lanes.pop(shard, None)
        self._tasks.pop(shard, None)
        if finished:
            with contextlib.suppress(Exception):
                await self.checkpoints.release(self.mapping.uuid, shard, self.owner)
        self._looked = False
        self._changed.set()

    async def _renew(self) -> None:
        for shard in list(self._lanes):
            claimed = await self.checkpoints.claim(
                self.mapping.uuid, shard, self.owner, now=self.clock(), ttl=LEASE_TTL_S
            )
            if claimed is None:
                self.lost(shard)
