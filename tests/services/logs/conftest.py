"""Fixtures for the CloudWatch Logs tests: a boto3 client on the session's server, unique
group names (removed after each test) and a follower of ``--follow`` output."""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import boto3
import pytest

from lambdaport.testing.server import Server
from tests.helpers import REGION, client_options

if TYPE_CHECKING:
    from mypy_boto3_logs import CloudWatchLogsClient


def logs_client_for(endpoint: str, region: str = REGION) -> CloudWatchLogsClient:
    return boto3.client("logs", **client_options(endpoint, region=region))


@pytest.fixture(scope="session")
def logs(server: Server) -> CloudWatchLogsClient:
    return logs_client_for(server.endpoint)


@pytest.fixture
def new_group(logs: CloudWatchLogsClient) -> Iterator[Callable[..., str]]:
    """Create a log group with a unique name (and optional streams); deleted afterwards."""
    created: list[str] = []

    def make(*streams: str, prefix: str = "/test/logs/") -> str:
        name = f"{prefix}{uuid.uuid4().hex[:10]}"
        logs.create_log_group(logGroupName=name)
        created.append(name)
        for stream in streams:
            logs.create_log_stream(logGroupName=name, logStreamName=stream)
        return name

    yield make
    for name in created:
        with contextlib.suppress(logs.exceptions.ResourceNotFoundException):
            logs.delete_log_group(logGroupName=name)


def now_ms() -> int:
    return int(time.time() * 1000)


class Followed:
    """A command that keeps printing (``--follow``): its output lines are collected by a
    reader thread; ``wait_for_line`` waits with a deadline; leaving the block stops it."""

    def __init__(self, command: list[str], env: dict[str, str] | None = None) -> None:
        self._process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_for_line(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if text in line:
                        return line
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (
                    self._process.poll() is not None and not self._reader.is_alive()
                ):
                    raise AssertionError(f"no line with {text!r}; output: {self.lines}")
                self._changed.wait(remaining)

    def __enter__(self) -> Followed:
        return self

    def __exit__(self, *exc: object) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._reader.join(timeout=10)
        if self._process.stdout is not None:
            self._process.stdout.close()
