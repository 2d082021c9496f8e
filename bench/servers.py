"""Start a server process on a free loopback port, wait for its health URL, stop it.

`running(spec)` is the only way the benchmark starts a server: a context manager that puts
the process in its own session (so a Ctrl-C in the terminal reaches the benchmark, which then
stops the server itself), waits on the health URL with a deadline, and on exit, normal or not,
sends SIGTERM to the process group, then SIGKILL if it has not gone within a grace period.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TypeVar

from lambdaport.testing.server import free_port as free_port  # a free loopback port

HOST = "127.0.0.1"
# Each server's output of the latest run, kept after the run for a look when something fails.
LOG_DIR = Path(__file__).resolve().parent / ".work" / "logs"


@dataclass(frozen=True)
class ServerSpec:
    """How to start one server and how to tell it is ready."""

    name: str
    argv: tuple[str, ...]
    port: int
    health_path: str
    log_path: Path
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    start_timeout: float = 60.0

    @property
    def endpoint_url(self) -> str:
        return f"http://{HOST}:{self.port}"


@dataclass(frozen=True)
class RunningServer:
    spec: ServerSpec
    pid: int
    startup_seconds: float

    @property
    def endpoint_url(self) -> str:
        return self.spec.endpoint_url

    @property
    def port(self) -> int:
        return self.spec.port


class ServerStartError(RuntimeError):
    pass


def _healthy(port: int, path: str) -> bool:
    connection = http.client.HTTPConnection(HOST, port, timeout=2.0)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status == 200
    except OSError:
        return False
    finally:
        connection.close()


def _log_tail(path: Path, limit: int = 2000) -> str:
    try:
        return path.read_text(errors="replace")[-limit:]
    except OSError:
        return ""


def _wait_healthy(spec: ServerSpec, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + spec.start_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerStartError(
                f"{spec.name} exited with code {process.returncode} before it was healthy; "
                f"log {spec.log_path}:\n{_log_tail(spec.log_path)}"
            )
        if _healthy(spec.port, spec.health_path):
            return
        time.sleep(0.02)
    raise ServerStartError(
        f"{spec.name} not healthy at {spec.endpoint_url}{spec.health_path} "
        f"after {spec.start_timeout:.0f} s; log {spec.log_path}:\n{_log_tail(spec.log_path)}"
    )


def stop(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """SIGTERM the process group, wait up to `grace` seconds, then SIGKILL it."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        process.wait(timeout=grace)
    # Workers the server forked into its group but left behind.
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


@contextmanager
def _log_sink(log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A `cat` process copying what is written to its stdin into `log_path`.

    Servers write their output to a pipe, as under a terminal or a service manager, not to a
    regular file; copying it in a separate process keeps the work off this process's GIL,
    where the benchmark's client runs.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        sink = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=log, start_new_session=True)
    try:
        yield sink
    finally:
        if sink.stdin is not None:
            sink.stdin.close()
        try:
            # EOF arrives once the server and everything that inherited its stdout are gone.
            sink.wait(timeout=10)
        except subprocess.TimeoutExpired:
            stop(sink)


@contextmanager
def running(spec: ServerSpec) -> Iterator[RunningServer]:
    """Run the server of `spec` for the duration of the `with` block."""
    env = {**os.environ, **spec.env}
    started = time.perf_counter()
    with _log_sink(spec.log_path) as sink:
        process = subprocess.Popen(
            list(spec.argv),
            stdin=subprocess.DEVNULL,
            stdout=sink.stdin,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=spec.cwd,
            start_new_session=True,
        )
        try:
            _wait_healthy(spec, process)
            yield RunningServer(spec, process.pid, time.perf_counter() - started)
        finally:
            stop(process)


Row = TypeVar("Row")
# A server to measure, or why it cannot be (say, "ministack==1.5.33 not installed").
SpecOrReason = Callable[[], ServerSpec] | str


def measure_each(
    parts: Iterable[str],
    specs: Mapping[str, SpecOrReason],
    measure: Callable[[RunningServer], list[Row]],
    say: Callable[[str], object],
) -> tuple[list[Row], dict[str, str]]:
    """Run each server of ``parts`` in turn (``running``) and ``measure`` it; a server that
    cannot start, or whose measurement fails, is reported (``say``) and left out with why."""
    from botocore.exceptions import ClientError

    rows: list[Row] = []
    failures: dict[str, str] = {}
    for name in parts:
        spec = specs[name]
        if isinstance(spec, str):
            failures[name] = spec
            continue
        try:
            with running(spec()) as server:
                rows += measure(server)
        except (ServerStartError, RuntimeError, ClientError) as error:
            failures[name] = (str(error).splitlines() or [type(error).__name__])[0]
            say(f"[yellow]{name} not measured: {error}[/]")
    return rows, failures


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def interrupt_on_signals() -> None:
    """SIGINT and SIGTERM raise KeyboardInterrupt, so every ``running`` server is stopped."""
    signal.signal(signal.SIGINT, _raise_interrupt)
    signal.signal(signal.SIGTERM, _raise_interrupt)
