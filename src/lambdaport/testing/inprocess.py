"""``InProcessServer``: lambdaport's ASGI app (``create_app``) served by uvicorn on a thread of
the calling process, on a free loopback port. The interface is :class:`ServerProcess`'s
(``endpoint``, ``port``, ``data_dir``, ``log()``, ``start``/``stop``, a context manager, the
arguments of ``lambdaport up`` in ``extra_args``), so a test suite can choose either; this one
starts without a new interpreter.

What the server shares with the process that runs it, and how nothing leaks:

- signals: uvicorn installs handlers only on the main thread, so it installs none; ``stop()``
  asks uvicorn to exit, which runs the lifespan shutdown (a failed shutdown is an error).
- environment and working directory: read once, at start, as ``lambdaport up`` reads them
  (``LAMBDAPORT_*`` variables, ``./lambdaport.toml``); functions get an environment built
  from scratch. A server that needs its own environment or directory is a ``ServerProcess``.
- processes: zygotes and custom runtimes are children of the server's thread; ``stop()``
  returns once the lifespan shutdown stopped them, and fails naming any that is left (after
  killing it). The server does not make this process the child subreaper of what functions
  start (``create_app(embedded=True)``): the orphans of a killed keeper are not its to kill.
- logging: the ``lambdaport`` and ``uvicorn`` loggers at INFO while a server runs (restored
  after the last one stops); each server writes its own records to its log file (a context
  variable marks the server's thread and the tasks and ``to_thread`` calls it starts; the
  records of executor threads, which carry no mark, go to every running server's log).

What needs a process of its own stays a ``ServerProcess``: kill -9, a restart on the same
data dir, a server's death, signals, another environment, the adoption of orphans.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import signal
import socket
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Final

import uvicorn
import uvloop

from lambdaport.app import LambdaportApp, create_app
from lambdaport.cli.main import up_settings
from lambdaport.config import Settings
from lambdaport.http_fronts.websocket.connections import MAX_MESSAGE as WEBSOCKET_MAX_MESSAGE
from lambdaport.testing.server import Running

_LOGGERS: Final = ("lambdaport", "uvicorn")
_LOG_FORMAT: Final = "%(asctime)s.%(msecs)03d %(levelname)-5s %(name)s %(message)s"
_CHILDREN_GONE_S: Final = 2.0  # the lifespan shutdown has reaped them already

_serving: contextvars.ContextVar[InProcessServer | None] = contextvars.ContextVar(
    "lambdaport_in_process_server", default=None
)


class InProcessServer(Running):
    """``with InProcessServer(data_dir) as server: server.endpoint`` — stopped on exit."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        extra_args: tuple[str, ...] = (),
        log_path: Path | None = None,
    ) -> None:
        self.data_dir = data_dir
        self._requested_port = port or 0
        self.port = port or 0
        self.endpoint = ""
        self._extra_args = extra_args
        self._log_path = log_path
        self.app: LambdaportApp | None = None  # the running app, for white-box checks
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._handler: logging.Handler | None = None

    @property
    def log_path(self) -> Path:
        if self._log_path is not None:
            return self._log_path
        return self.data_dir.with_name(self.data_dir.name + f"-{self.port}.log")

    def start(self, timeout: float = 120.0) -> None:
        options = up_settings(self._extra_args)  # a bad argument fails here, as `up` would
        listener = _listen(self._requested_port)
        try:
            self.port = int(listener.getsockname()[1])
            self.endpoint = f"http://127.0.0.1:{self.port}"
            settings = replace(options, host="127.0.0.1", port=self.port, data_dir=self.data_dir)
            self._handler = _open_log(self.log_path, self)
        except BaseException:
            listener.close()
            raise
        _log_levels.acquire(self._handler, settings.log_level)
        self._started.clear()
        self._error = None
        self._thread = threading.Thread(
            target=self._run, args=(settings, listener), name=f"lambdaport-{self.port}", daemon=True
        )
        self._thread.start()
        if not self._started.wait(timeout):
            self.stop()
            raise TimeoutError(f"lambdaport did not start within {timeout}s; see {self.log_path}")
        if self._error is not None:
            error, self._error = self._error, None
            self.stop()
            raise RuntimeError(f"lambdaport did not start; see {self.log_path}") from error

    def _run(self, settings: Settings, listener: socket.socket) -> None:
        _serving.set(self)
        try:
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                runner.run(self._serve(settings, listener))
        except BaseException as error:  # SystemExit included: uvicorn's answer to a failed start
            self._error = error
        finally:
            listener.close()  # uvicorn closes it after serving; not when it never got there
            self._started.set()

    async def _serve(self, settings: Settings, listener: socket.socket) -> None:
        # Built on the server's thread, beside the loop it runs on, as `lambdaport up` builds it.
        self.app = create_app(settings, embedded=True)  # not this process's subreaper
        config = uvicorn.Config(
            self.app,
            lifespan="on",
            http="httptools",
            access_log=False,
            proxy_headers=False,
            log_config=None,
            timeout_graceful_shutdown=5,
            ws_max_size=WEBSOCKET_MAX_MESSAGE,
        )
        server = self._server = _Server(config, self._started)
        try:
            await server.serve(sockets=[listener])
        finally:  # also when the start failed half-way (uvicorn runs no shutdown then)
            # Zygotes and custom runtimes are started from this thread: none may outlive it.
            left = await asyncio.to_thread(end_children_of, threading.get_native_id())
        lifespan = server.lifespan
        if lifespan.startup_failed or lifespan.shutdown_failed or lifespan.error_occurred:
            raise RuntimeError("the lifespan failed")
        if left:
            raise RuntimeError(f"processes the server started outlived it (killed now): {left}")

    def stop(self, timeout: float = 60.0) -> None:
        thread, server = self._thread, self._server
        if thread is None:
            return
        self._thread = self._server = None
        try:
            if server is not None:
                server.should_exit = True
            thread.join(timeout)
            if thread.is_alive():
                if server is not None:
                    server.force_exit = True
                thread.join(10)
                raise RuntimeError(f"lambdaport did not stop within {timeout}s")
            if self._error is not None:
                error, self._error = self._error, None
                raise RuntimeError(
                    f"lambdaport did not stop cleanly; see {self.log_path}"
                ) from error
        finally:
            self.app = None
            if self._handler is not None:
                _log_levels.release(self._handler)
                self._handler.close()
                self._handler = None

    def log(self) -> str:
        if self._handler is not None:
            self._handler.flush()
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class _Server(uvicorn.Server):
    """uvicorn's server, telling the starting thread once it is listening."""

    def __init__(self, config: uvicorn.Config, started: threading.Event) -> None:
        super().__init__(config)
        self._started_event = started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self._started_event.set()


def _listen(port: int) -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
    except OSError:
        listener.close()
        raise
    return listener


# -- logging ----------------------------------------------------------------------------


class _OwnRecords(logging.Filter):
    """The records of one server: of its thread and the tasks and ``to_thread`` calls it
    starts. Executors' worker threads carry no mark (``run_in_executor`` copies no context):
    theirs go to every running server's log. The main thread's are the test's own."""

    def __init__(self, server: InProcessServer) -> None:
        super().__init__()
        self._server = server

    def filter(self, record: logging.LogRecord) -> bool:
        owner = _serving.get()
        if owner is None:
            return record.thread != threading.main_thread().ident
        return owner is self._server


def _open_log(path: Path, server: InProcessServer) -> logging.Handler:
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(_LOG_FORMAT, datefmt="%H:%M:%S"))
    handler.addFilter(_OwnRecords(server))
    return handler


class _LogLevels:
    """The loggers' levels while in-process servers run; the old ones back after the last."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._saved: dict[str, int] = {}
        self._users = 0

    def acquire(self, handler: logging.Handler, level_name: str) -> None:
        level = min(logging.getLevelName(level_name.upper()), logging.INFO)
        with self._lock:
            if self._users == 0:
                self._saved = {name: logging.getLogger(name).level for name in _LOGGERS}
            self._users += 1
            for name in _LOGGERS:
                logger = logging.getLogger(name)
                if logger.getEffectiveLevel() > level:
                    logger.setLevel(level)
                logger.addHandler(handler)

    def release(self, handler: logging.Handler) -> None:
        with self._lock:
            for name in _LOGGERS:
                logging.getLogger(name).removeHandler(handler)
            self._users -= 1
            if self._users == 0:
                for name, level in self._saved.items():
                    logging.getLogger(name).setLevel(level)


_log_levels = _LogLevels()


# -- child processes --------------------------------------------------------------------


def end_children_of(thread_id: int, grace_s: float = _CHILDREN_GONE_S) -> list[int]:
    """The processes the thread started that are still there after ``grace_s`` seconds,
    killed and reaped now (none: an empty list)."""
    deadline = time.monotonic() + grace_s
    while (left := _children_of(thread_id)) and time.monotonic() < deadline:
        time.sleep(0.05)  # polling the thread's children until the deadline
    for pid in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    return left


def _children_of(thread_id: int) -> list[int]:
    try:
        with open(f"/proc/self/task/{thread_id}/children") as children:
            return sorted(int(pid) for pid in children.read().split())
    except OSError:
        return []
