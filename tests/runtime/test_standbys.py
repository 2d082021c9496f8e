"""Standby Python environments (``runtime/standbys.py``): a cold start takes a worker forked
ahead of need, which then is the function's as a freshly forked one would be."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdaport.runtime.spec import FunctionSpec
from lambdaport.runtime.worker.tree import children_of
from tests.helpers import wait_until
from tests.runtime.conftest import Harness, make_function, start_harness, stop_harness

SOURCE = """
import os, sys

def handler(event, context):
    return {
        "pid": os.getpid(),
        "ppid": os.getppid(),
        "cwd": os.getcwd(),
        "path0": sys.path[0],
        "mark": os.environ.get("MARK"),
        "name": os.environ.get("AWS_LAMBDA_FUNCTION_NAME"),
        "runtime_api": os.environ.get("AWS_LAMBDA_RUNTIME_API"),
        "request_id": context.aws_request_id,
    }
"""


def _harness(factory: pytest.TempPathFactory, cache_dir: Path, standbys: int) -> Iterator[Harness]:
    h = start_harness(factory.mktemp("standbys"), cache_dir, python_standbys=standbys)
    try:
        yield h
    finally:
        stop_harness(h)


@pytest.fixture(scope="module")
def standby_harness(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Iterator[Harness]:
    yield from _harness(tmp_path_factory, cache_dir, 1)


@pytest.fixture(scope="module")
def forking_harness(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Iterator[Harness]:
    yield from _harness(tmp_path_factory, cache_dir, 0)


def _parent(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("PPid:"))
    return int(line.split()[1])


def _workers(zygote: int) -> set[int]:
    """Every worker the zygote's keepers run (environments and standbys alike)."""
    return {
        worker
        for keeper, state in children_of(zygote)
        if state not in ("Z", "X")
        for worker, worker_state in children_of(keeper)
        if worker_state not in ("Z", "X")
    }


def _run(harness: Harness, spec: FunctionSpec) -> dict[str, Any]:
    result = harness.invoke(spec)
    assert result.function_error is None, result.payload
    body: dict[str, Any] = json.loads(result.payload)
    return body


def _idle_standby(harness: Harness, zygote: int, busy: set[int]) -> set[int]:
    """The standby the pool forks after a cold start took one (waited for, with a deadline)."""
    harness.run(wait_until(lambda: bool(_workers(zygote) - busy), timeout=30.0))
    return _workers(zygote) - busy


def test_a_cold_start_takes_a_worker_forked_ahead_and_makes_it_the_functions(
    standby_harness: Harness, tmp_path: Path
) -> None:
    first = make_function(tmp_path / "first", SOURCE, environment={"MARK": "first"})
    ran = _run(standby_harness, first)
    zygote = _parent(ran["ppid"])
    environments = {ran["pid"]}
    for name in ("second", "third"):
        standby = _idle_standby(standby_harness, zygote, environments)
        spec = make_function(tmp_path / name, SOURCE, environment={"MARK": name})
        result = standby_harness.invoke(spec)
        body = json.loads(result.payload)
        # The worker existed before the function did: the standby, now this function's.
        assert body["pid"] in standby
        assert body["mark"] == name  # its own variables, none of the one before
        assert body["name"] == spec.function_name
        assert body["cwd"] == spec.code_dir
        assert body["path0"] == spec.code_dir
        assert body["runtime_api"]  # its environment's Runtime API, as a forked one gets
        assert "Init Duration:" in result.log  # the assignment is the init phase AWS reports
        environments.add(body["pid"])
    # Warm invocations stay on the environment the standby became.
    again = _run(standby_harness, spec)
    assert again["pid"] == body["pid"]
    assert again["mark"] == "third"


def test_without_standbys_a_cold_start_forks(forking_harness: Harness, tmp_path: Path) -> None:
    first = _run(forking_harness, make_function(tmp_path / "first", SOURCE))
    zygote = _parent(first["ppid"])
    before = _workers(zygote)
    spec = make_function(tmp_path / "second", SOURCE, environment={"MARK": "second"})
    result = forking_harness.invoke(spec)
    body = json.loads(result.payload)
    assert body["pid"] not in before
    assert body["mark"] == "second"
    assert "Init Duration:" in result.log
    assert os.path.samefile(body["cwd"], spec.code_dir)
