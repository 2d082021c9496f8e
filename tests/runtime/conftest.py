"""Fixtures for the runtime tests: one event loop and one warm pool per test module.

pytest-asyncio is not used: an ``asyncio.Runner`` (one loop for the whole module) runs the
coroutines, so the pool, its zygotes and its warm workers outlive a single test.
"""

from __future__ import annotations

import asyncio
import os
import textwrap
import uuid
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from lambdaport.runtime.families import CustomFamily, PythonFamily, RuntimeFamilies
from lambdaport.runtime.pool import RuntimePool
from lambdaport.runtime.settings import RuntimeSettings
from lambdaport.runtime.spec import FunctionSpec, Invocation, InvocationResult, LogEvent
from tests.helpers import process_gone

T = TypeVar("T")

ACCOUNT = "123456789012"
REGION = "us-east-1"
ENDPOINT = "http://127.0.0.1:4566"


@dataclass
class RecordingSink:
    """A LogSink that keeps what it was given."""

    batches: list[tuple[FunctionSpec, str, list[LogEvent]]] = field(default_factory=list)

    def put_log_events(
        self, spec: FunctionSpec, log_stream_name: str, events: list[LogEvent]
    ) -> None:
        self.batches.append((spec, log_stream_name, events))


@dataclass
class Harness:
    """A started pool on a module-wide loop, with helpers to define and invoke functions."""

    runner: asyncio.Runner
    pool: RuntimePool
    sink: RecordingSink
    settings: RuntimeSettings

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.runner.run(coro)

    def invoke(
        self,
        spec: FunctionSpec,
        payload: bytes = b"{}",
        **fields: Any,
    ) -> InvocationResult:
        return self.run(self.pool.invoke(spec, invocation(spec, payload, **fields)))


def invocation(spec: FunctionSpec, payload: bytes = b"{}", **fields: Any) -> Invocation:
    fields.setdefault("request_id", str(uuid.uuid4()))
    fields.setdefault("invoked_function_arn", spec.function_arn)
    return Invocation(payload=payload, **fields)


def make_function(
    code_dir: Path,
    source: str,
    *,
    handler: str = "app.handler",
    module: str = "app.py",
    **overrides: Any,
) -> FunctionSpec:
    """Write ``source`` as ``module`` in ``code_dir`` and describe it as a fresh function."""
    code_dir.mkdir(parents=True, exist_ok=True)
    path = code_dir / module
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    name = overrides.pop("function_name", f"fn-{uuid.uuid4().hex[:8]}")
    values: dict[str, Any] = {
        "function_name": name,
        "function_arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
        "version": "$LATEST",
        "runtime": "python3.11",
        "handler": handler,
        "code_dir": str(code_dir),
        "revision_id": uuid.uuid4().hex,
        "memory_size": 128,
        "timeout": 3,
        "region": REGION,
        "account_id": ACCOUNT,
        "log_group": f"/aws/lambda/{name}",
    }
    values.update(overrides)
    return FunctionSpec(**values)


def pid_exists(pid: int) -> bool:
    """True while a process (not a zombie) with this pid exists."""
    return not process_gone(pid)


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where boto3 is provisioned for foreign interpreters (once per test session)."""
    shared = os.environ.get("LAMBDAPORT_TEST_CACHE_DIR")
    return Path(shared) if shared else tmp_path_factory.mktemp("runtime-cache")


def start_harness(
    tmp: Path, cache: Path, keep_alive_s: float = 600.0, python_standbys: int = 1
) -> Harness:
    runner = asyncio.Runner()
    settings = RuntimeSettings(
        endpoint_url=ENDPOINT,
        data_dir=tmp / "data",
        cache_dir=cache,
        keep_alive_s=keep_alive_s,
        python_standbys=python_standbys,
    )
    sink = RecordingSink()
    pool = RuntimePool(settings, sink, RuntimeFamilies(PythonFamily(), CustomFamily()))
    runner.run(pool.start())
    return Harness(runner, pool, sink, settings)


def stop_harness(harness: Harness) -> None:
    try:
        harness.run(harness.pool.stop())
    finally:
        harness.runner.close()


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Iterator[Harness]:
    h = start_harness(tmp_path_factory.mktemp("pool"), cache_dir)
    try:
        yield h
    finally:
        stop_harness(h)
