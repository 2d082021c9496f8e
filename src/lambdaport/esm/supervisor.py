"""The supervisor: one poller per Enabled mapping, each holding the mapping's lease
(``store.checkpoints.Leases``, named ``esm/<uuid>``, renewed while it runs) so that pollers
can later be spread over nodes without two reading one mapping.

The control plane hands it every mapping (``apply``) with the transition to run: Creating,
Enabling and Updating (re)start the poller as the mapping now says (Enabled) or stop it
(Disabled); Disabling stops it; Deleting stops it and forgets its checkpoints. A poller is
stopped gracefully: it polls no more, and the batches it is invoking finish and are settled
first, so an update never loses or repeats a batch. The end of each transition is reported
(``MappingReports.settled``). A deleted source disables the mappings reading it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from lambdaport.esm.model import EventSourceMapping, MappingReports
from lambdaport.esm.poller import BatchInvoker, MappingPoller
from lambdaport.esm.source import EventSource, SourceGone
from lambdaport.store.checkpoints import Checkpoints, Leases

logger = logging.getLogger("lambdaport.esm")

SourceFactory = Callable[[EventSourceMapping], EventSource]
LEASE_TTL_S = 30.0


class Poller(Protocol):
    """What the supervisor runs for a mapping: ``esm.poller.MappingPoller`` over an
    ``EventSource`` (SQS), or a stream's own (``esm.streams.StreamPoller``)."""

    mapping: EventSourceMapping

    def start(self) -> None: ...

    async def stop(self) -> None: ...

    def cancel(self) -> None: ...

    @property
    def pending(self) -> int: ...

    def document(self) -> dict[str, Any]: ...


# A stream's poller, made with the control plane's reports and the "source gone" callback.
PollerFactory = Callable[[EventSourceMapping, MappingReports, Callable[[str, str], None]], Poller]


class Supervisor:
    def __init__(
        self,
        sources: Mapping[str, SourceFactory],
        invoker: BatchInvoker,
        leases: Leases,
        checkpoints: Checkpoints,
        *,
        owner: str,
        clock: Callable[[], float],
        streams: Mapping[str, PollerFactory] | None = None,
    ) -> None:
        self._sources = dict(sources)
        self._streams = dict(streams or {})
        self._invoker = invoker
        self._leases = leases
        self._checkpoints = checkpoints
        self._owner = owner
        self._clock = clock
        self._reports: MappingReports | None = None
        self._pollers: dict[str, Poller] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._transitions: set[asyncio.Task[None]] = set()
        self._renewal: asyncio.Task[None] | None = None

    def bind(self, reports: MappingReports) -> None:
        self._reports = reports

    @property
    def reports(self) -> MappingReports:
        if self._reports is None:
            raise RuntimeError("the supervisor reports to the control plane: bind() it first")
        return self._reports

    # -- transitions ----------------------------------------------------------------------

    def apply(self, mapping: EventSourceMapping) -> None:
        task = asyncio.get_running_loop().create_task(self._transition(mapping))
        self._transitions.add(task)
        task.add_done_callback(self._transitions.discard)

    async def _transition(self, mapping: EventSourceMapping) -> None:
        lock = self._locks.setdefault(mapping.uuid, asyncio.Lock())
        async with lock:
            try:
                await self._run_transition(mapping)
            except Exception:
                logger.exception("event source mapping %s: transition failed", mapping.uuid)

    async def _run_transition(self, mapping: EventSourceMapping) -> None:
        uuid = mapping.uuid
        reason = mapping.state_transition_reason
        old = self._pollers.pop(uuid, None)
        if old is not None:
            await old.stop()
        if mapping.state == "Deleting":
            await self._leases.release(_lease(uuid), self._owner)
            await self._checkpoints.forget(uuid)
            self._locks.pop(uuid, None)
            await self.reports.settled(uuid, None, reason)
            return
        if not mapping.enabled or mapping.state in ("Disabled", "Disabling"):
            await self._leases.release(_lease(uuid), self._owner)
            await self.reports.settled(uuid, "Disabled", reason)
            return
        factory = self._sources.get(mapping.kind)
        stream = self._streams.get(mapping.kind)
        if factory is None and stream is None:
            # No poller for this kind of source yet: the mapping is kept and reported.
            logger.warning("mapping %s: lambdaport does not poll %s yet", uuid, mapping.kind)
            await self.reports.settled(uuid, "Enabled", reason)
            return
        source: EventSource | None = None
        if factory is not None:
            try:
                source = factory(mapping)
            except SourceGone as gone:
                await self.reports.settled(uuid, "Disabled", gone.reason)
                return
        lease = await self._leases.acquire(
            _lease(uuid), self._owner, now=self._clock(), ttl=LEASE_TTL_S
        )
        if lease is None:
            logger.info("event source mapping %s is polled by another node", uuid)
            await self.reports.settled(uuid, "Enabled", reason)
            return
        poller: Poller
        if source is not None:
            poller = MappingPoller(mapping, source, self._invoker, self.reports, self._source_gone)
        else:
            assert stream is not None
            poller = stream(mapping, self.reports, self._source_gone)
        self._pollers[uuid] = poller
        poller.start()
        await self.reports.settled(uuid, "Enabled", reason)

    def _source_gone(self, uuid: str, reason: str) -> None:
        poller = self._pollers.get(uuid)
        if poller is None:
            return
        task = asyncio.get_running_loop().create_task(self._disable(poller.mapping, reason))
        self._transitions.add(task)
        task.add_done_callback(self._transitions.discard)

    async def _disable(self, mapping: EventSourceMapping, reason: str) -> None:
        lock = self._locks.setdefault(mapping.uuid, asyncio.Lock())
        async with lock:
            poller = self._pollers.get(mapping.uuid)
            if poller is None or poller.mapping is not mapping:
                return
            del self._pollers[mapping.uuid]
            await poller.stop()
            await self._leases.release(_lease(mapping.uuid), self._owner)
            await self.reports.settled(mapping.uuid, "Disabled", reason)

    def source_deleted(self, source_arn: str, reason: str) -> None:
        """A queue or stream is gone: the mappings reading it are disabled."""
        for poller in list(self._pollers.values()):
            if poller.mapping.event_source_arn == source_arn:
                self._source_gone(poller.mapping.uuid, reason)

    # -- running ----------------------------------------------------------------------------

    def start(self) -> None:
        self._renewal = asyncio.get_running_loop().create_task(self._renew())

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(LEASE_TTL_S / 3)
            for uuid in list(self._pollers):
                with contextlib.suppress(Exception):
                    await self._leases.acquire(
                        _lease(uuid), self._owner, now=self._clock(), ttl=LEASE_TTL_S
                    )

    async def stop(self) -> None:
        """The server stops: pollers stop at once (what they hold comes back to the queue
        after its visibility timeout)."""
        if self._renewal is not None:
            self._renewal.cancel()
        for task in list(self._transitions):
            task.cancel()
        for poller in self._pollers.values():
            poller.cancel()
        await asyncio.gather(
            *self._transitions,
            *(p.stop() for p in self._pollers.values()),
            *([self._renewal] if self._renewal else []),
            return_exceptions=True,
        )
        self._pollers.clear()

    def pending(self) -> int:
        """Records read and not settled, and records waiting in Enabled mappings' sources,
        and transitions not finished."""
        return len(self._transitions) + sum(p.pending for p in self._pollers.values())

    def status(self) -> list[dict[str, Any]]:
        return [poller.document() for poller in self._pollers.values()]


def _lease(uuid: str) -> str:
    return f"esm/{uuid}"
