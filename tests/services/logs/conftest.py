"""Fixtures for the CloudWatch Logs tests: a boto3 client on the session's server, unique
group names (removed after each test) and the AWS CLI."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config

from lambdaport.testing.server import ServerProcess

if TYPE_CHECKING:
    from mypy_boto3_logs import CloudWatchLogsClient

ACCOUNT = "000000000000"
REGION = "us-east-1"
AWS_CLI = Path(sys.executable).parent / "aws"


def logs_client_for(endpoint: str) -> CloudWatchLogsClient:
    return boto3.client(
        "logs",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 0}),
    )


@pytest.fixture(scope="session")
def logs(server: ServerProcess) -> CloudWatchLogsClient:
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


def cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION=REGION,
        AWS_PAGER="",
    )
    return env


def aws(endpoint: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the AWS CLI against the server; output as text."""
    return subprocess.run(
        [str(AWS_CLI), "--endpoint-url", endpoint, "--output", "json", *args],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=60,
        check=False,
    )


def wait_for(condition: Callable[[], Any], *, timeout: float = 30.0, interval: float = 0.1) -> Any:
    """Poll ``condition`` until it returns something truthy; that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


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
