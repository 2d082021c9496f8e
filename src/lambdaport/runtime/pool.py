"""The warm pool: execution environments per function version, leased one invocation at a time.

``invoke`` takes the most recently used idle environment of ``spec.environment_key`` or has
the runtime's family (``families.py``) start a new one (so concurrent invocations of one
function each get their own), runs the invocation, sends its log lines to the log sink and
puts a live environment back. Idle environments are stopped after ``keep_alive_s``;
``retire`` stops a function's environments (idle ones now, busy ones when their invocation
ends). Concurrency limits are the invoker's business: the pool runs whatever it is given.

Provisioned concurrency (``provision``): a key (the version's or alias's ARN) keeps that many
environments of a spec initialized apart from the on-demand ones, started at once with
``AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency``, never reaped for idleness and
replaced when one dies. When one's init fails (the handler module raises, say), none are
kept and no more started: ``provisioned_failure`` says why (AWS's FAILED allocation) until
the count asked for changes. An invocation handed the key runs on an idle one of them, else (all
busy, or still initializing) on an on-demand environment.

Stopping an environment kills every process it started (``worker/keeper.py``). With
``adopt_orphans`` (the server) the process is also the child subreaper of all of them
(``subreaper.py``), and no process started by a function outlives ``stop``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field, replace

from lambdaport.runtime.families import EnvironmentHost, RuntimeFamilies
from lambdaport.runtime.interpreters import PythonInterpreters
from lambdaport.runtime.memory import MemoryWatch
from lambdaport.runtime.paths import ExecutionPaths
from lambdaport.runtime.settings import RuntimeSettings
from lambdaport.runtime.spec import (
    ExecutionEnvironment,
    FunctionSpec,
    Invocation,
    InvocationResult,
    LogEvent,
    LogSink,
)
from lambdaport.runtime.subreaper import Subreaper

logger = logging.getLogger("lambdaport.runtime")

EnvironmentKey = tuple[str, str, str]
# A provisioned environment whose init failed (AWS's StatusReason of a FAILED allocation).
INIT_FAILURE = "FUNCTION_ERROR_INIT_FAILURE"


@dataclass(eq=False, slots=True)
class _Provisioned:
    """The provisioned environments of one version or alias."""

    spec: FunctionSpec  # initialization_type "provisioned-concurrency"
    target: int
    idle: list[_Slot] = field(default_factory=list)
    busy: int = 0
    starting: int = 0
    removed: bool = False
    failure: str | None = None  # why its environments cannot initialise (none are started)

    @property
    def live(self) -> int:
        return len(self.idle) + self.busy + self.starting


@dataclass(eq=False, slots=True)
class _Slot:
    """One environment as the pool tracks it."""

    environment: ExecutionEnvironment
    last_used: float = field(default_factory=time.monotonic)
    retired: bool = False
    epoch: tuple[int, int] = (0, 0)  # the function's retire counts when it was created
    provisioned: _Provisioned | None = None

    def belongs_to(self, function_arn: str, version: str | None) -> bool:
        spec = self.environment.spec
        return spec.function_arn == function_arn and (version is None or spec.version == version)


class RuntimePool:
    """Every execution environment of the server."""

    def __init__(
        self, settings: RuntimeSettings, log_sink: LogSink, families: RuntimeFamilies
    ) -> None:
        self._settings = settings
        self._log_sink = log_sink
        self._families = families
        self._interpreters = PythonInterpreters(settings)
        self._memory = MemoryWatch()
        self._subreaper = Subreaper(self._interpreters.owns) if settings.adopt_orphans else None
        self._paths = ExecutionPaths(settings.function_paths, settings.data_dir)
        self._host = EnvironmentHost(settings, self._interpreters, self._memory, self._paths)
        self._idle: dict[EnvironmentKey, list[_Slot]] = {}
        self._busy: set[_Slot] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._reaper: asyncio.Task[None] | None = None
        self._stopped = False
        self._loop: asyncio.AbstractEventLoop | None = None
        # retire() calls per (function ARN, None = all versions) and per (ARN, version): an
        # environment that was still starting when its function was retired is not kept.
        self._retirements: dict[tuple[str, str | None], int] = {}
        self._provisioned: dict[str, _Provisioned] = {}

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Start the background reaper and memory watch, and warm the server's zygote."""
        self._stopped = False
        self._loop = asyncio.get_running_loop()
        await self._paths.start()
        if self._subreaper is not None:
            self._subreaper.start()
        self._memory.start()
        self._reaper = self._loop.create_task(self._reap_idle())
        own = f"python{sys.version_info[0]}.{sys.version_info[1]}"
        self._background(self._warm_zygote(own))

    async def _warm_zygote(self, runtime: str) -> None:
        try:
            await self._interpreters.zygote(runtime)
        except Exception:
            logger.exception("cannot start the zygote of %s", runtime)

    async def stop(self) -> None:
        """Stop every environment and zygote; no worker process outlives this."""
        self._stopped = True
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
            self._reaper = None
        slots = [slot for slots in self._idle.values() for slot in slots]
        slots.extend(self._busy)
        slots.extend(slot for p in self._provisioned.values() for slot in p.idle)
        self._idle.clear()
        self._provisioned.clear()
        await asyncio.gather(*(slot.environment.stop() for slot in slots), return_exceptions=True)
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await self._memory.stop()
        await self._families.stop()
        await self._interpreters.stop()
        if self._subreaper is not None:
            await self._subreaper.stop()

    def _background(self, work: Awaitable[None]) -> None:
        loop = self._loop or asyncio.get_running_loop()
        task = loop.create_task(_run(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- invoking ----------------------------------------------------------------------

    async def invoke(
        self, spec: FunctionSpec, invocation: Invocation, provisioned: str | None = None
    ) -> InvocationResult:
        """Run one invocation in a warm environment of ``spec`` or a new one; with
        ``provisioned``, in an idle provisioned environment of that key if there is one."""
        slot = self._acquire_provisioned(provisioned, spec) if provisioned else None
        if slot is None:
            slot = self._acquire(spec.environment_key)
        if slot is None:
            slot = await self._create(spec)
        self._busy.add(slot)
        try:
            result = await slot.environment.invoke(invocation)
        except BaseException:
            self._busy.discard(slot)
            self._background(slot.environment.stop())
            self._provisioned_ended(slot)
            raise
        self._busy.discard(slot)
        if slot.provisioned is not None:
            self._release_provisioned(slot)
        else:
            self._release(spec.environment_key, slot)
        self._emit_log(slot.environment.spec, slot.environment.stream_name, result)
        return result

    def _acquire(self, key: EnvironmentKey) -> _Slot | None:
        idle = self._idle.get(key)
        while idle:
            slot = idle.pop()
            if slot.environment.alive:
                return slot
            self._background(slot.environment.stop())
        return None

    def _epoch(self, spec: FunctionSpec) -> tuple[int, int]:
        retirements = self._retirements
        return (
            retirements.get((spec.function_arn, None), 0),
            retirements.get((spec.function_arn, spec.version), 0),
        )

    def _release(self, key: EnvironmentKey, slot: _Slot) -> None:
        stale = slot.epoch != self._epoch(slot.environment.spec)
        if stale or slot.retired or self._stopped or not slot.environment.alive:
            self._background(slot.environment.stop())
            return
        slot.last_used = time.monotonic()
        self._idle.setdefault(key, []).append(slot)

    async def _create(self, spec: FunctionSpec) -> _Slot:
        if self._stopped:
            raise RuntimeError("the runtime pool is stopped")
        epoch = self._epoch(spec)
        environment = await self._start_environment(spec)
        if self._stopped:
            await environment.stop()
            raise RuntimeError("the runtime pool is stopped")
        return _Slot(environment, epoch=epoch)

    async def _start_environment(self, spec: FunctionSpec) -> ExecutionEnvironment:
        return await self._families.family(spec.runtime).start(spec, self._host)

    def _emit_log(self, spec: FunctionSpec, stream_name: str, result: InvocationResult) -> None:
        now_ms = int(time.time() * 1000)
        lines = result.log.split("\n")
        if lines and not lines[-1]:
            lines.pop()
        events = [LogEvent(now_ms, line) for line in lines]
        try:
            self._log_sink.put_log_events(spec, stream_name, events)
        except Exception:
            logger.exception("cannot store the log of %s", spec.function_name)

    # -- provisioned concurrency --------------------------------------------------------

    def provision(self, key: str, spec: FunctionSpec, count: int) -> None:
        """Keep ``count`` initialized environments of ``spec`` for ``key``: started now, in
        the background; those of another spec (an alias moved, new code) are replaced."""
        spec = replace(spec, initialization_type="provisioned-concurrency")
        current = self._provisioned.get(key)
        if current is not None and current.spec.environment_key != spec.environment_key:
            self.deprovision(key)
            current = None
        if current is None:
            current = self._provisioned[key] = _Provisioned(spec, count)
        if current.target != count:
            current.failure = None  # a new request: try again
        current.target = count
        while len(current.idle) > 0 and current.live > count:
            self._background(current.idle.pop().environment.stop())
        self._fill(current)

    def deprovision(self, key: str) -> None:
        """No provisioned environments for ``key``: idle ones stop now, busy ones after."""
        current = self._provisioned.pop(key, None)
        if current is None:
            return
        current.removed = True
        for slot in current.idle:
            self._background(slot.environment.stop())
        current.idle.clear()

    def provisioned(self, key: str) -> int:
        """How many of ``key``'s provisioned environments are initialized (idle or busy)."""
        current = self._provisioned.get(key)
        return 0 if current is None else len(current.idle) + current.busy

    def provisioned_failure(self, key: str) -> str | None:
        """Why ``key``'s environments cannot be initialised (AWS's ``StatusReason``), if
        they cannot: an environment's init failed, and no more are started."""
        current = self._provisioned.get(key)
        return None if current is None else current.failure

    def _fill(self, current: _Provisioned) -> None:
        if self._stopped or self._loop is None or current.failure is not None:
            return
        while not current.removed and current.live < current.target:
            current.starting += 1
            self._background(self._start_provisioned(current))

    async def _start_provisioned(self, current: _Provisioned) -> None:
        try:
            slot = await self._create(current.spec)
        except Exception:
            current.starting -= 1
            current.failure = INIT_FAILURE
            arn = current.spec.function_arn
            logger.exception("cannot start a provisioned environment of %s", arn)
            return
        current.starting -= 1
        if slot.environment.init_failed:  # AWS's allocation fails: FAILED, none kept
            current.failure = INIT_FAILURE
            await slot.environment.stop()
            return
        slot.provisioned = current
        if current.removed or current.live >= current.target or self._stopped:
            await slot.environment.stop()
            return
        current.idle.append(slot)

    def _acquire_provisioned(self, key: str, spec: FunctionSpec) -> _Slot | None:
        current = self._provisioned.get(key)
        if current is None:
            return None
        if current.spec.environment_key != spec.environment_key:
            self.provision(key, spec, current.target)  # the alias points elsewhere now
            return None
        while current.idle:
            slot = current.idle.pop()
            if slot.environment.alive:
                current.busy += 1
                return slot
            self._background(slot.environment.stop())
            self._fill(current)
        return None

    def _release_provisioned(self, slot: _Slot) -> None:
        current = slot.provisioned
        assert current is not None
        current.busy -= 1
        stale = slot.epoch != self._epoch(slot.environment.spec)
        keep = not (current.removed or stale or slot.retired or self._stopped)
        if keep and slot.environment.alive and current.live < current.target:
            slot.last_used = time.monotonic()
            current.idle.append(slot)
            return
        self._background(slot.environment.stop())
        self._fill(current)

    def _provisioned_ended(self, slot: _Slot) -> None:
        """A provisioned environment's invocation raised: it is gone; replace it."""
        current = slot.provisioned
        if current is not None:
            current.busy -= 1
            self._fill(current)

    # -- retiring and reaping ----------------------------------------------------------

    def retire(self, function_arn: str, version: str | None = None) -> None:
        """Stop a function's environments: idle ones now, busy ones after their invocation."""
        retired = (function_arn, version)
        self._retirements[retired] = self._retirements.get(retired, 0) + 1
        for key in [k for k in self._idle if k[0] == function_arn]:
            if version is not None and key[1] != version:
                continue
            for slot in self._idle.pop(key):
                self._background(slot.environment.stop())
        for slot in self._busy:
            if slot.belongs_to(function_arn, version):
                slot.retired = True
        for provisioned_key, current in list(self._provisioned.items()):
            spec = current.spec
            if spec.function_arn == function_arn and version in (None, spec.version):
                self.deprovision(provisioned_key)

    def _reap_expired(self) -> None:
        deadline = time.monotonic() - self._settings.keep_alive_s
        for key in list(self._idle):
            slots = self._idle[key]
            if not slots:
                del self._idle[key]
                continue
            expired = [slot for slot in slots if slot.last_used <= deadline]
            if not expired:
                continue
            kept = [slot for slot in slots if slot.last_used > deadline]
            if kept:
                self._idle[key] = kept
            else:
                del self._idle[key]
            for slot in expired:
                self._background(slot.environment.stop())

    async def _reap_idle(self) -> None:
        interval = min(max(self._settings.keep_alive_s / 4, 0.05), 30.0)
        while True:
            await asyncio.sleep(interval)
            self._reap_expired()

    # -- introspection (tests, console) --------------------------------------------------

    @property
    def paths(self) -> str:
        """Where environments find their code and layers: ``directories`` or
        ``mount-namespace`` (``paths.py``)."""
        return self._paths.mode

    def environment_count(self, function_arn: str | None = None) -> int:
        """Environments alive now (idle and busy), of one function or all."""
        slots = [slot for slots in self._idle.values() for slot in slots]
        slots.extend(self._busy)
        slots.extend(slot for current in self._provisioned.values() for slot in current.idle)
        return sum(
            1
            for slot in slots
            if function_arn is None or slot.environment.spec.function_arn == function_arn
        )


async def _run(work: Awaitable[None]) -> None:
    try:
        await work
    except Exception:
        logger.exception("background runtime task failed")
