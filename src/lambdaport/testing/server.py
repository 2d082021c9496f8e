"""Start and stop a real lambdaport server process on a free loopback port (for tests,
benchmarks and anyone embedding lambdaport in their own test suite)."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Mapping
from http.client import HTTPException
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def zip_files(files: Mapping[str, str | bytes], modes: Mapping[str, int] | None = None) -> bytes:
    """A deployment package from ``{"app.py": "source", ...}`` (``modes``: file mode bits)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = ((modes or {}).get(name, 0o644) | 0o100000) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


class Server(Protocol):
    """A running lambdaport server as a test sees it: a :class:`ServerProcess` or a
    :class:`~lambdaport.testing.inprocess.InProcessServer`."""

    endpoint: str
    port: int
    data_dir: Path

    def log(self) -> str:
        """What the server logged so far."""
        ...


class Running:
    """``with server:`` starts it and stops it at the end of the block."""

    def start(self, timeout: float = 120.0) -> None:
        raise NotImplementedError

    def stop(self) -> object:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class ServerProcess(Running):
    """``with ServerProcess(data_dir) as server: server.endpoint`` — stopped on exit."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        extra_args: tuple[str, ...] = (),
        env: Mapping[str, str] | None = None,
        log_path: Path | None = None,
        cwd: Path | None = None,
    ) -> None:
        self._cwd = cwd
        self.data_dir = data_dir
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._extra_args = extra_args
        self._env = {**os.environ, **(env or {})}
        base = data_dir if cwd is None or data_dir.is_absolute() else cwd / data_dir
        self.log_path = log_path or base.with_name(base.name + f"-{self.port}.log")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120.0) -> None:
        args = [
            sys.executable,
            "-m",
            "lambdaport",
            "up",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            *self._extra_args,
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, env=self._env, cwd=self._cwd
            )
        try:
            self._wait_healthy(self.process, timeout)
        except BaseException:  # whatever ends the wait (an interrupt too) leaves no server
            self.stop()
            raise

    def _wait_healthy(self, process: subprocess.Popen[bytes], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"lambdaport exited early; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.endpoint + "/_lambdaport/health", timeout=1):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError, HTTPException):
                time.sleep(0.05)  # polling the health URL until the deadline
        raise TimeoutError(f"lambdaport did not answer within {timeout}s; see {self.log_path}")

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 20.0) -> int | None:
        process = self.process
        if process is None:
            return None
        self.process = None
        if process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return process.returncode

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
