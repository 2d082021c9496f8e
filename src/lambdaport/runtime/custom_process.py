"""A custom runtime's bootstrap process and the pipe its output goes to.

The bootstrap runs in its own session (process group), so a kill takes everything it started
with it, and on Linux with ``PR_SET_PDEATHSIG`` so it dies when the server does, even on a
crash. Its exit is observed through a pidfd on the event loop; no thread waits for it.
Its stdout and stderr share one pipe that the event loop drains as data arrives; ``take()``
also drains synchronously, so everything written before a given moment (such as the runtime's
POST of a response) is in the text it returns without waiting on any timer.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping

_PR_SET_PDEATHSIG = 1
_READ_CHUNK = 64 * 1024


def _die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that asks Linux to SIGKILL the child when the server goes away."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the server died between fork and prctl
            os._exit(1)

    return preexec


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
    """A running bootstrap. ``exited`` resolves with its return code when it exits."""

    def __init__(self, popen: subprocess.Popen[bytes]) -> None:
        self._popen = popen
        self._loop = asyncio.get_running_loop()
        self.pid = popen.pid
        self.exited: asyncio.Future[int] = self._loop.create_future()
        self._pidfd = -1
        try:
            self._pidfd = os.pidfd_open(popen.pid)
        except (AttributeError, OSError):  # not Linux >= 5.3: a thread waits instead
            threading.Thread(target=self._wait_in_thread, daemon=True).start()
        else:
            self._loop.add_reader(self._pidfd, self._on_pidfd_readable)

    @classmethod
    def spawn(
        cls, path: str, *, cwd: str, env: Mapping[str, str], output_fd: int
    ) -> BootstrapProcess:
        """Start ``path``; raises ``OSError`` when it cannot be executed."""
        popen = subprocess.Popen(
            [path],
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=output_fd,
            stderr=output_fd,
            start_new_session=True,
            preexec_fn=_die_with_parent(),
        )
        return cls(popen)

    def kill(self) -> None:
        """SIGKILL the bootstrap and everything left in its process group."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)

    async def stop(self, timeout_s: float) -> None:
        """Kill the process group and wait (up to ``timeout_s``) for the exit."""
        self.kill()
        if not self.exited.done():
            await asyncio.wait({self.exited}, timeout=timeout_s)
        if not self.exited.done():  # uninterruptible sleep: reap it when it finally goes
            await asyncio.to_thread(self._popen.wait)
            self._on_exit()

    def _on_pidfd_readable(self) -> None:
        if self._popen.poll() is not None:
            self._on_exit()

    def _on_exit(self) -> None:
        if self._pidfd >= 0:
            self._loop.remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = -1
        returncode = self._popen.returncode
        if not self.exited.done() and returncode is not None:
            self.exited.set_result(returncode)

    def _wait_in_thread(self) -> None:
        self._popen.wait()
        with contextlib.suppress(RuntimeError):  # the loop closed first
            self._loop.call_soon_threadsafe(self._on_exit)
