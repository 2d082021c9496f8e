"""Standby Python environments: forked ahead of need, so a cold start is an import, not a fork.

Per zygote (one per Python interpreter in use) up to ``count`` standbys are kept: each a keeper
with a worker below it (``worker/zygote.py``: ``{"op": "spawn", "standby": true}``) waiting on
its request pipe for its function, and the Runtime API server its environment will announce
(``AWS_LAMBDA_RUNTIME_API``), already listening. A cold start takes one, sends it the
function's assignment (variables, code directory, handler, ``sys.path``) and waits for its init
frame; the next standby is forked in the background. Until it is assigned a standby belongs to
no function: it is no environment of the pool, counts towards no concurrency, and its
assignment starts the init phase AWS reports as ``Init Duration``.

Only environments a fork would give the same process take a standby: none in a mount
namespace of its own (``--function-paths aws``: the keeper enters it before the worker is
forked) and none with extensions (their Runtime API serves the Extensions API, and they are
launched before the runtime). Those, and a cold start that finds no standby ready (several at
once), fork as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from lambdaport.runtime.runtime_api import RuntimeApi
from lambdaport.runtime.zygote import SpawnedWorker, Zygote

logger = logging.getLogger("lambdaport.runtime")


@dataclass(frozen=True, slots=True)
class Standby:
    """A forked worker waiting for its function, and its environment's Runtime API."""

    zygote: Zygote
    worker: SpawnedWorker
    api: RuntimeApi


async def _discard(standby: Standby) -> None:
    standby.zygote.kill(standby.worker.pid)
    for fd in (standby.worker.request_fd, standby.worker.response_fd, standby.worker.log_fd):
        with contextlib.suppress(OSError):
            os.close(fd)
    await standby.api.close()


class PythonStandbys:
    """Up to ``count`` standbys per zygote (0: none, every cold start forks)."""

    def __init__(self, count: int) -> None:
        self._count = count
        self._ready: dict[Zygote, list[Standby]] = {}
        self._starting: dict[Zygote, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopped = False

    def take(self, zygote: Zygote) -> Standby | None:
        """A ready standby of ``zygote``, or None (the cold start forks); either way the
        zygote's standbys are topped up in the background."""
        if self._count <= 0 or self._stopped:
            return None
        ready = self._ready.get(zygote, [])
        found = None
        while ready and found is None:
            candidate = ready.pop()
            if zygote.alive and not candidate.worker.exited.done():
                found = candidate
            else:
                self._background(_discard(candidate))
        self._fill(zygote)
        return found

    def _fill(self, zygote: Zygote) -> None:
        have = len(self._ready.get(zygote, ())) + self._starting.get(zygote, 0)
        for _ in range(self._count - have):
            self._starting[zygote] = self._starting.get(zygote, 0) + 1
            self._background(self._start(zygote))

    async def _start(self, zygote: Zygote) -> None:
        try:
            api = await RuntimeApi.open()
            try:
                worker = await zygote.standby()
            except BaseException:
                await api.close()
                raise
        except Exception:
            if zygote.alive:
                logger.exception("cannot fork a standby environment of %s", zygote.executable)
            return
        finally:
            self._starting[zygote] -= 1
        standby = Standby(zygote, worker, api)
        if self._stopped or not zygote.alive:
            await _discard(standby)
        else:
            self._ready.setdefault(zygote, []).append(standby)

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        """End every standby (the pool is stopping)."""
        self._stopped = True
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        standbys = [standby for ready in self._ready.values() for standby in ready]
        self._ready.clear()
        await asyncio.gather(*(_discard(standby) for standby in standbys))
