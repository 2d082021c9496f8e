"""A custom runtime's bootstrap process and the pipe its output goes to.

The bootstrap is executed by the launcher zygote (``zygote.Zygote.launch``) below a keeper
of its own, in its own session, so ending the environment kills everything it started however
it detached, and the environment ends when the server stops or dies, even on ``kill -9``
(see ``worker/keeper.py``). Its stdout and stderr share one pipe that the event loop drains
as data arrives; ``take()`` also drains synchronously, so everything written before a given
moment (such as the runtime's POST of a response) is in the text it returns without waiting
on any timer.
"""

from __future__ import annotations

import asyncio
import codecs
import os
from collections.abc import Mapping
from typing import Any

from lambdaport.runtime.zygote import LaunchedProcess, Zygote

_READ_CHUNK = 64 * 1024


class LogPipe:
    """The pipe a bootstrap's stdout and stderr write to; read without blocking."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._read_fd, self.write_fd = os.pipe()
        os.set_blocking(self._read_fd, False)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer: list[str] = []
        self._eof = False
        self._loop.add_reader(self._read_fd, self.drain)

    def close_write_end(self) -> None:
        """Called once the child holds its copy, so EOF means every writer is gone."""
        if self.write_fd >= 0:
            os.close(self.write_fd)
            self.write_fd = -1

    def drain(self) -> None:
        """Move everything now in the pipe into the buffer."""
        while not self._eof:
            try:
                data = os.read(self._read_fd, _READ_CHUNK)
            except BlockingIOError:
                return
            if not data:
                self._eof = True
                self._loop.remove_reader(self._read_fd)
                return
            self._buffer.append(self._decoder.decode(data))

    def take(self) -> str:
        """Everything written so far and not yet taken."""
        self.drain()
        text = "".join(self._buffer)
        self._buffer.clear()
        return text

    def close(self) -> None:
        self.close_write_end()
        if self._read_fd >= 0:
            if not self._eof:
                self._loop.remove_reader(self._read_fd)
            os.close(self._read_fd)
            self._read_fd = -1
            self._eof = True


class BootstrapProcess:
    """A running bootstrap. ``exited`` resolves with its exit status when its environment ends."""

    def __init__(self, zygote: Zygote, launched: LaunchedProcess) -> None:
        self._zygote = zygote
        self.pid = launched.pid
        self.exited = launched.exited

    @classmethod
    async def spawn(
        cls,
        launcher: Zygote,
        path: str,
        *,
        cwd: str,
        env: Mapping[str, str],
        output_fd: int,
        mounts: list[dict[str, Any]] | None = None,
    ) -> BootstrapProcess:
        """Start ``path`` (in a mount namespace with ``mounts``: ``paths.py``); raises
        ``OSError`` when it cannot be executed."""
        launched = await launcher.launch(
            path, cwd=cwd, env=dict(env), output_fd=output_fd, mounts=mounts
        )
        return cls(launcher, launched)

    def kill(self) -> None:
        """SIGKILL the bootstrap and every process it started (its environment)."""
        self._zygote.kill(self.pid)

    async def stop(self, timeout_s: float) -> None:
        """Kill the environment and wait (up to ``timeout_s``) for it to end."""
        self.kill()
        if not self.exited.done():
            await asyncio.wait({self.exited}, timeout=timeout_s)
