"""Enforcing a function's memory size on its worker's resident memory.

A background sampler reads ``VmHWM`` (the peak resident set) of every *busy* worker from
``/proc/<pid>/status`` every ``interval`` seconds and tells the environment when the peak passed
``memory_size`` MB; the environment then kills the worker and reports ``Runtime.OutOfMemory``.

Why a sampler and not rlimits: ``RLIMIT_AS`` limits address space, not resident memory (a
Python process with threads reserves far more than it touches, and boto3's import alone maps
hundreds of MB), and it turns into a ``MemoryError`` inside the function instead of the kill
AWS does. cgroups would be exact but need privileges this server does not assume. Sampling the
peak (not the current value) also catches a spike that came and went between two samples. The
hot path pays only a set insertion and removal per invoke; idle workers are not sampled.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol

DEFAULT_INTERVAL_S = 0.05
_IDLE_TICKS_BEFORE_PARKING = 20


class Watched(Protocol):
    @property
    def pid(self) -> int: ...

    @property
    def memory_limit_kb(self) -> int: ...

    def memory_exceeded(self, peak_kb: int) -> None: ...


def peak_rss_kb(pid: int) -> int | None:
    """The process's peak resident set size in kB, None once it is gone."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


class MemoryWatch:
    """Samples the peak RSS of busy workers; one per pool."""

    def __init__(self, interval_s: float = DEFAULT_INTERVAL_S) -> None:
        self.interval_s = interval_s
        self._watched: set[Watched] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._watched.clear()

    def watch(self, worker: Watched) -> None:
        self._watched.add(worker)
        if not self._wake.is_set():
            self._wake.set()

    def unwatch(self, worker: Watched) -> None:
        self._watched.discard(worker)

    def sample(self) -> None:
        """Check every watched worker once."""
        for worker in list(self._watched):
            peak = peak_rss_kb(worker.pid)
            if peak is not None and peak > worker.memory_limit_kb:
                self._watched.discard(worker)
                worker.memory_exceeded(peak)

    async def _run(self) -> None:
        idle_ticks = 0
        while True:
            await self._wake.wait()
            await asyncio.sleep(self.interval_s)
            if self._watched:
                idle_ticks = 0
                self.sample()
                continue
            idle_ticks += 1
            if idle_ticks >= _IDLE_TICKS_BEFORE_PARKING:
                self._wake.clear()
                idle_ticks = 0
