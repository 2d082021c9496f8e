"""CloudWatch Logs as one component: groups, events, subscription filters, the runtime's log
sink and the followers of ``lambdaport logs --follow``.

Function logs are ordinary log events: ``put_log_events(spec, stream, events)`` (the
runtime's ``LogSink``) creates the function's group and stream on demand, as Lambda does
with the AWSLambdaBasicExecutionRole, and appends the lines in one transaction. Every stored
batch, from a function or from PutLogEvents, wakes the followers and is matched against the
group's subscription filters.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from lambdaport.invoke.model import Invoke
from lambdaport.runtime.spec import FunctionSpec, LogEvent
from lambdaport.services.logs.events import AppendedBatch, AppendedEvents, LogEvents
from lambdaport.services.logs.follow import LogFollowers
from lambdaport.services.logs.groups import LogGroups
from lambdaport.services.logs.subscriptions import SubscriptionFilters
from lambdaport.store.documents import Documents
from lambdaport.store.logs import GroupKey, Logs

logger = logging.getLogger("lambdaport.logs")

RETENTION_SWEEP_S = 300.0
FLUSH_SECONDS = 0.05
PendingKey = tuple[GroupKey, str, str]  # (log group, stream, function ARN)


class LogsService:
    def __init__(
        self,
        tables: Logs,
        documents: Documents,
        invoke: Invoke,
        *,
        retention_sweep_s: float = RETENTION_SWEEP_S,
    ) -> None:
        self._tables = tables
        self.groups = LogGroups(tables, self._group_deleted)
        self.events = LogEvents(tables, self.groups, self._appended)
        self.subscriptions = SubscriptionFilters(documents, self.groups, invoke)
        self.followers = LogFollowers(tables, self.flush)
        self._pending: dict[PendingKey, list[tuple[int, str]]] = {}
        self._storing = 0  # lines taken from _pending by the flush under way, not yet stored
        self._flush_handle: asyncio.TimerHandle | None = None
        self._retention_sweep_s = retention_sweep_s
        self._tasks: list[asyncio.Task[None]] = []
        self._flushing: set[asyncio.Task[None]] = set()
        self._flush_lock = asyncio.Lock()

    async def _group_deleted(self, key: GroupKey) -> None:
        await self.subscriptions.group_deleted(key)

    def _appended(self, batch: AppendedEvents) -> None:
        self.followers.notify()
        self.subscriptions.appended(batch)

    # -- the runtime's log sink -------------------------------------------------------------

    def put_log_events(
        self, spec: FunctionSpec, log_stream_name: str, events: list[LogEvent]
    ) -> None:
        """Queue a function's lines; they are stored within ``FLUSH_SECONDS``, before any read
        and at shutdown (one commit per invocation would cost more than the invocation)."""
        if not events:
            return
        key = (spec.account_id, spec.region, spec.log_group)
        pending = self._pending.setdefault((key, log_stream_name, spec.function_arn), [])
        pending.extend((event.timestamp_ms, event.message) for event in events)
        if self._flush_handle is None:
            loop = asyncio.get_running_loop()
            self._flush_handle = loop.call_later(FLUSH_SECONDS, self._flush_in_background)

    def _flush_in_background(self) -> None:
        self._flush_handle = None
        task = asyncio.get_running_loop().create_task(self.flush())
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def flush(self) -> None:
        """Store the queued function lines now (reads flush first: they see every line)."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        async with self._flush_lock:  # a flush under way is finished before this one returns
            if not self._pending:
                return
            pending, self._pending = self._pending, {}
            # Still pending until stored and matched against the subscription filters (which
            # count their deliveries before this returns): a drain must not see zero between.
            self._storing = sum(len(events) for events in pending.values())
            try:
                batches = []
                for (key, stream, function_arn), events in pending.items():
                    await self.groups.ensure_stream(key, stream)
                    batches.append(AppendedBatch(key, stream, events, function_arn))
                await self.events.append(batches)
            finally:
                self._storing = 0

    def status(self) -> dict[str, int]:
        """For the health document: function lines not stored yet, and subscription
        deliveries not yet handed to the invoker's async queue."""
        return {
            "eventsPending": sum(len(events) for events in self._pending.values()) + self._storing,
            "subscriptionDeliveriesPending": self.subscriptions.pending,
        }

    # -- background work --------------------------------------------------------------------

    async def load(self) -> None:
        """At start: the node-local cache of subscription filters."""
        await self.subscriptions.load()

    def start(self) -> None:
        self._tasks.append(asyncio.create_task(self.subscriptions.run()))
        self._tasks.append(asyncio.create_task(self._sweep_retention()))

    async def _sweep_retention(self) -> None:
        while True:
            try:
                deleted = await self.groups.prune_expired()
                if deleted:
                    logger.info("retention removed %d log events", deleted)
            except Exception:
                logger.exception("retention sweep failed")
            await asyncio.sleep(self._retention_sweep_s)

    async def stop(self) -> None:
        """Stop the background work, delivering what subscription filters still hold."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.flush()
        await self.subscriptions.drain()
