"""The server's side of a zygote: start it, ask it to fork environments, learn how they ended.

The zygote process itself is ``runtime/worker/zygote.py`` (its docstring has the control
protocol). One zygote runs per interpreter; forking from it gives a cold start of a few
milliseconds because the runtime bootstrap and boto3 are already imported. A zygote without
preloaded modules launches custom runtimes' bootstraps, so they too run below a keeper.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import itertools
import json
import os
import signal
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from lambdaport.runtime.worker import protocol

WORKER_DIR = Path(__file__).parent / "worker"

# Loads the worker package under a private name, so it never shadows a user's module.
_LOADER = """\
import importlib.util, json, sys
d = sys.argv[1]
s = importlib.util.spec_from_file_location(
    "_lambdaport_worker", d + "/__init__.py", submodule_search_locations=[d])
m = importlib.util.module_from_spec(s)
sys.modules[s.name] = m
s.loader.exec_module(m)
import _lambdaport_worker.zygote as z
z.main(json.loads(sys.argv[2]))
"""

_START_TIMEOUT_S = 60.0
_STOP_TIMEOUT_S = 10.0
_MAX_PACKET = 1 << 20


class ZygoteError(RuntimeError):
    """The zygote could not be started or died."""


@dataclass(frozen=True, slots=True)
class ExitStatus:
    code: int | None
    signal: int | None


KILLED = ExitStatus(code=None, signal=signal.SIGKILL)


@dataclass(frozen=True, slots=True)
class LaunchedProcess:
    """A program started in an environment of its own: its pid and its exit."""

    pid: int
    exited: asyncio.Future[ExitStatus]


@dataclass(frozen=True, slots=True)
class SpawnedWorker:
    """A forked worker: its pid, the server's ends of its pipes, and its exit."""

    pid: int
    request_fd: int  # write end, non-blocking
    response_fd: int  # read end, non-blocking
    log_fd: int  # read end, non-blocking
    exited: asyncio.Future[ExitStatus]


def _enlarge_pipe(fd: int) -> None:
    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, protocol.F_SETPIPE_SZ, protocol.PIPE_SIZE)


class Zygote:
    """One running zygote process of one interpreter."""

    def __init__(self, executable: str, process: subprocess.Popen[bytes], control: socket.socket):
        self.executable = executable
        self.version: tuple[int, int] = (0, 0)
        self.preloaded: list[str] = []
        self._process = process
        self._control = control
        self._loop = asyncio.get_running_loop()
        self._ready: asyncio.Future[dict[str, Any]] = self._loop.create_future()
        self._closed: asyncio.Future[None] = self._loop.create_future()
        self._spawns: dict[int, asyncio.Future[int]] = {}
        self._exits: dict[int, asyncio.Future[ExitStatus]] = {}
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop.add_reader(control.fileno(), self._on_readable)

    @classmethod
    async def start(cls, executable: str, *, support_path: list[str], preload: list[str]) -> Zygote:
        """Start a zygote and wait until it is ready."""
        zygote = cls.open(executable, support_path=support_path, preload=preload)
        await zygote.wait_ready()
        return zygote

    @classmethod
    def open(cls, executable: str, *, support_path: list[str], preload: list[str]) -> Zygote:
        """Start the zygote process (``pid`` is known from here on); ``wait_ready`` next."""
        server_end, zygote_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        config = {
            "control_fd": zygote_end.fileno(),
            "support_path": support_path,
            "preload": preload,
        }
        try:
            process = subprocess.Popen(
                [executable, "-I", "-c", _LOADER, str(WORKER_DIR), json.dumps(config)],
                pass_fds=[zygote_end.fileno()],
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd="/",
            )
        except OSError as e:
            server_end.close()
            raise ZygoteError(f"cannot start {executable}: {e}") from e
        finally:
            zygote_end.close()
        server_end.setblocking(False)
        return cls(executable, process, server_end)

    async def wait_ready(self) -> None:
        """Until the zygote has imported its modules; stopped and ZygoteError if it cannot."""
        try:
            ready = await asyncio.wait_for(asyncio.shield(self._ready), _START_TIMEOUT_S)
        except (TimeoutError, ZygoteError) as e:
            await self.stop()
            raise ZygoteError(f"zygote of {self.executable} did not start: {e}") from e
        self.version = (ready["version"][0], ready["version"][1])
        self.preloaded = list(ready["preloaded"])

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def alive(self) -> bool:
        return not self._closed.done()

    def _on_readable(self) -> None:
        while True:
            try:
                data = self._control.recv(_MAX_PACKET)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self._on_closed()
                return
            self._dispatch(orjson.loads(data))

    def _dispatch(self, message: dict[str, Any]) -> None:
        op = message["op"]
        if op == "exited":
            exited = self._exits.pop(message["pid"], None)
            if exited is not None and not exited.done():
                exited.set_result(ExitStatus(message["code"], message["signal"]))
        elif op == "spawned":
            self._on_spawned(message)
        elif op == "ready" and not self._ready.done():
            self._ready.set_result(message)

    def _on_spawned(self, message: dict[str, Any]) -> None:
        spawned = self._spawns.pop(message["id"], None)
        pid: int | None = message.get("pid")
        if pid is not None:
            self._exits[pid] = self._loop.create_future()
        if spawned is None or spawned.done():  # its caller gave up: end it right away
            if pid is not None:
                self.kill(pid)
        elif pid is not None:
            spawned.set_result(pid)
        elif message.get("errno"):
            spawned.set_exception(OSError(message["errno"], os.strerror(message["errno"])))
        else:
            spawned.set_exception(ZygoteError("the execution environment could not start"))

    def _on_closed(self) -> None:
        self._loop.remove_reader(self._control.fileno())
        error = ZygoteError(f"zygote of {self.executable} exited")
        if not self._ready.done():
            self._ready.set_exception(error)
        for spawned in self._spawns.values():
            if not spawned.done():
                spawned.set_exception(error)
        for exited in self._exits.values():
            if not exited.done():
                exited.set_result(KILLED)  # the zygote kills its workers before it exits
        self._spawns.clear()
        self._exits.clear()
        if not self._closed.done():
            self._closed.set_result(None)
        # Nobody may be waiting on these; mark their exceptions retrieved.
        if self._ready.done() and not self._ready.cancelled():
            self._ready.exception()

    async def _send(self, message: dict[str, Any], fds: list[int] | None = None) -> None:
        data = orjson.dumps(message)
        while True:
            try:
                if fds:
                    socket.send_fds(self._control, [data], fds)
                else:
                    self._control.send(data)
                return
            except BlockingIOError:
                writable = self._loop.create_future()
                self._loop.add_writer(self._control.fileno(), writable.set_result, None)
                try:
                    await writable
                finally:
                    self._loop.remove_writer(self._control.fileno())
            except OSError as e:
                raise ZygoteError(f"zygote of {self.executable} is gone: {e}") from e

    async def _spawn(self, message: dict[str, Any], fds: list[int]) -> int:
        """Send a spawn request with ``fds`` (closed here either way); the worker's pid."""
        spawn_id = next(self._ids)
        spawned: asyncio.Future[int] = self._loop.create_future()
        self._spawns[spawn_id] = spawned
        try:
            if not self.alive:
                raise ZygoteError(f"zygote of {self.executable} exited")
            await self._send({"op": "spawn", "id": spawn_id, **message}, fds)
            return await spawned
        finally:
            self._spawns.pop(spawn_id, None)
            for fd in fds:
                os.close(fd)

    def _exit_of(self, pid: int) -> asyncio.Future[ExitStatus]:
        exited = self._exits.get(pid)
        if exited is None:  # the zygote closed between "spawned" and now
            exited = self._loop.create_future()
            exited.set_result(KILLED)
        return exited

    async def spawn(
        self,
        *,
        env: dict[str, str],
        code_dir: str,
        handler: str,
        path: list[str],
        mounts: list[dict[str, Any]] | None = None,
    ) -> SpawnedWorker:
        """A Python worker serving ``handler`` from ``code_dir``, in an environment of its own
        (in a mount namespace with ``mounts``, when given: ``paths.py``)."""
        message = {
            "env": env,
            "code_dir": code_dir,
            "handler": handler,
            "path": path,
            "mounts": mounts or [],
        }
        return await self._spawn_worker(message)

    async def standby(self) -> SpawnedWorker:
        """A Python worker forked ahead of need, in an environment of its own, waiting on its
        request pipe for the ``assign`` frame that names its function (``standbys.py``)."""
        return await self._spawn_worker({"standby": True})

    async def _spawn_worker(self, message: dict[str, Any]) -> SpawnedWorker:
        request_r, request_w = os.pipe()
        response_r, response_w = os.pipe()
        log_r, log_w = os.pipe()
        _enlarge_pipe(request_w)
        _enlarge_pipe(response_w)
        try:
            pid = await self._spawn(message, [request_r, response_w, log_w])
        except BaseException:
            for fd in (request_w, response_r, log_r):
                os.close(fd)
            raise
        for fd in (request_w, response_r, log_r):
            os.set_blocking(fd, False)
        return SpawnedWorker(pid, request_w, response_r, log_r, self._exit_of(pid))

    async def launch(
        self,
        program: str,
        *,
        cwd: str,
        env: dict[str, str],
        output_fd: int,
        args: tuple[str, ...] = (),
        pass_fds: tuple[int, ...] = (),
        mounts: list[dict[str, Any]] | None = None,
    ) -> LaunchedProcess:
        """Execute ``program`` with ``args`` in an environment of its own (in a mount
        namespace with ``mounts``, when given: ``paths.py``), stdout and stderr on
        ``output_fd``, ``pass_fds`` (at most two) as its fds 3 and 4 (the caller keeps its
        copies); OSError when it cannot be executed."""
        if len(pass_fds) > 2:
            raise ValueError("a launched program gets at most two descriptors beside its output")
        message = {
            "env": env,
            "exec": program,
            "cwd": cwd,
            "args": list(args),
            "mounts": mounts or [],
        }
        fds = [os.dup(fd) for fd in (output_fd, *pass_fds)]
        pid = await self._spawn(message, fds)
        return LaunchedProcess(pid, self._exit_of(pid))

    def kill(self, pid: int) -> None:
        """End a worker's environment: the worker and everything it started are killed
        (by its keeper, which the zygote knows has not been reaped)."""
        if not (self.alive and pid in self._exits):
            return
        message = {"op": "kill", "pid": pid}
        try:
            self._control.send(orjson.dumps(message))
        except BlockingIOError:
            task = self._loop.create_task(self._send(message))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        except OSError:
            pass

    async def stop(self) -> None:
        """End every environment, stop the zygote, and reap it."""
        if self.alive:
            with contextlib.suppress(OSError):
                self._control.shutdown(socket.SHUT_WR)
            try:
                await asyncio.wait_for(asyncio.shield(self._closed), _STOP_TIMEOUT_S)
            except TimeoutError:
                self._process.kill()
                self._on_closed()
        if self._process.poll() is None:
            await asyncio.to_thread(self._process.wait)
        self._control.close()
