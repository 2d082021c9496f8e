"""The server as the child subreaper of everything its execution environments start (Linux).

Each environment is the process tree of its keeper (``worker/keeper.py``), which kills the
whole tree when the environment ends, and the zygotes end every environment when the server
stops or dies. A process reaches the server as an orphan only when its keeper was killed
outright (the kernel re-parents it to the nearest subreaper, the server, instead of PID 1):
it belongs to no live environment, so the server kills it, with everything below it, when it
next looks (every ``SWEEP_INTERVAL_S``; an orphan's arrival sends no signal), and reaps it
(on SIGCHLD). When the server stops,
every process still below it is killed.

Left alone are the processes the server started itself: its zygotes (``owns``) and helper
commands in the server's own session (interpreter probes, pip). Orphans never share that
session: every environment runs in sessions of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Callable

from lambdaport.runtime.worker.tree import become_subreaper, children_of, kill_descendants

logger = logging.getLogger("lambdaport.runtime")

_KILL_TIMEOUT_S = 5.0
SWEEP_INTERVAL_S = 5.0  # orphans give no signal when they arrive: look for them this often


class Subreaper:
    """Orphans of the server's environments: adopted, killed and reaped."""

    def __init__(self, owns: Callable[[int], bool]) -> None:
        self._owns = owns
        self._active = False
        self._signal_handler = False
        self._sweeping: asyncio.Task[None] | None = None
        self._sweeper: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Become the subreaper; sweep every few seconds and on SIGCHLD (from the main thread)."""
        self._active = become_subreaper()
        if not self._active:
            return
        loop = asyncio.get_running_loop()
        self._sweeper = loop.create_task(self._sweep_periodically())
        with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
            loop.add_signal_handler(signal.SIGCHLD, self._on_child_exit)
            self._signal_handler = True

    async def _sweep_periodically(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_INTERVAL_S)
            await self.sweep()

    def _on_child_exit(self) -> None:
        if self._sweeping is None or self._sweeping.done():
            self._sweeping = asyncio.get_running_loop().create_task(self.sweep())

    def _orphans(self, children: list[tuple[int, str]]) -> list[tuple[int, str]]:
        session = os.getsid(0)
        found = []
        for pid, state in children:
            if self._owns(pid):
                continue
            try:
                if os.getsid(pid) == session:
                    continue
            except OSError:  # reaped meanwhile by whoever started it
                continue
            found.append((pid, state))
        return found

    async def sweep(self) -> None:
        """Reap orphans that have exited, kill the live ones with all below them."""
        children = await asyncio.to_thread(children_of, os.getpid())
        live = []
        for pid, state in self._orphans(children):
            if state in ("Z", "X"):
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, os.WNOHANG)
            else:
                live.append(pid)
        if live:
            logger.info("killing %d orphaned process(es) of ended environments", len(live))
            await asyncio.to_thread(_kill_all, live)

    async def stop(self) -> None:
        """Kill every process still below the server and reap them."""
        if not self._active:
            return
        if self._signal_handler:
            asyncio.get_running_loop().remove_signal_handler(signal.SIGCHLD)
            self._signal_handler = False
        for task in (self._sweeper, self._sweeping):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if not await asyncio.to_thread(kill_descendants, os.getpid(), _KILL_TIMEOUT_S):
            logger.warning("some processes started by functions did not die")
        await self.sweep()


def _kill_all(orphans: list[int]) -> None:
    """Kill each orphan's tree, then the orphan (still the server's child: its pid is stable)."""
    for pid in orphans:
        kill_descendants(pid, _KILL_TIMEOUT_S)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
