"""The warm pool: reuse, concurrency, retiring, reaping, stopping, interpreters."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lambdaport.runtime.interpreters import find_interpreter
from lambdaport.runtime.spec import FunctionSpec
from tests.helpers import BARRIER, wait_for, wait_until
from tests.runtime.conftest import (
    Harness,
    invocation,
    make_function,
    pid_exists,
    start_harness,
    stop_harness,
)

SOURCE = """
import os, sys, time

def handler(event, context):
    time.sleep(event.get("seconds", 0))
    return {"pid": os.getpid(), "ppid": os.getppid(), "version": list(sys.version_info[:2])}
"""


def _pid(harness: Harness, spec: FunctionSpec, seconds: float = 0) -> int:
    payload = json.dumps({"seconds": seconds}).encode()
    pid: int = json.loads(harness.invoke(spec, payload).payload)["pid"]
    return pid


def test_concurrent_invokes_each_get_an_environment(harness: Harness, tmp_path: Path) -> None:
    spec = make_function(tmp_path / "code", BARRIER, timeout=60)

    async def burst(directory: Path) -> list[dict[str, int]]:
        directory.mkdir()
        payload = json.dumps({"dir": str(directory), "count": 10}).encode()
        calls = [harness.pool.invoke(spec, invocation(spec, payload)) for _ in range(10)]
        return [json.loads(result.payload) for result in await asyncio.gather(*calls)]

    outcomes = harness.run(burst(tmp_path / "first"))
    assert [outcome["arrived"] for outcome in outcomes] == [10] * 10  # all ten ran at once
    pids = {outcome["pid"] for outcome in outcomes}
    assert len(pids) == 10
    assert harness.pool.environment_count(spec.function_arn) == 10
    # They are all warm now: ten more, again all at once, run on the same ten processes.
    again = harness.run(burst(tmp_path / "again"))
    assert {outcome["pid"] for outcome in again} == pids


def test_retire_stops_idle_environments_now(harness: Harness, tmp_path: Path) -> None:
    spec = make_function(tmp_path, SOURCE)
    pid = _pid(harness, spec)
    assert _pid(harness, spec) == pid
    harness.pool.retire(spec.function_arn)
    harness.run(wait_until(lambda: not pid_exists(pid)))  # the loop runs the stop task
    assert harness.pool.environment_count(spec.function_arn) == 0
    assert _pid(harness, spec) != pid


# Writes its pid to the event's "started" file, then runs until the "until" file exists.
HELD = """
import os, time

def handler(event, context):
    with open(event["started"], "w") as started:
        started.write(str(os.getpid()))
    deadline = time.monotonic() + 30
    while not os.path.exists(event["until"]) and time.monotonic() < deadline:
        time.sleep(0.01)
    return {"pid": os.getpid(), "released": os.path.exists(event["until"])}
"""


def test_retire_lets_busy_environments_finish(harness: Harness, tmp_path: Path) -> None:
    spec = make_function(tmp_path / "code", HELD, timeout=60)
    started, until = tmp_path / "started", tmp_path / "until"
    payload = json.dumps({"started": str(started), "until": str(until)}).encode()

    async def retire_while_busy() -> bytes:
        call = asyncio.ensure_future(harness.pool.invoke(spec, invocation(spec, payload)))
        await wait_until(lambda: started.exists() and started.read_text() != "")
        harness.pool.retire(spec.function_arn, "$LATEST")
        until.touch()
        return (await call).payload

    outcome = json.loads(harness.run(retire_while_busy()))
    assert outcome == {"pid": int(started.read_text()), "released": True}  # it finished normally
    harness.run(wait_until(lambda: not pid_exists(outcome["pid"])))


def test_retire_while_starting_discards_the_new_environment(
    harness: Harness, tmp_path: Path
) -> None:
    marker, release = tmp_path / "importing", tmp_path / "release"
    slow_import = (
        "import os, pathlib, time\n"
        f"pathlib.Path({str(marker)!r}).touch()\n"
        "deadline = time.monotonic() + 30\n"
        f"while not os.path.exists({str(release)!r}) and time.monotonic() < deadline:\n"
        "    time.sleep(0.01)\n"
    )
    spec = make_function(tmp_path, slow_import + textwrap.dedent(SOURCE), timeout=60)

    async def retire_while_starting() -> bytes:
        call = asyncio.ensure_future(harness.pool.invoke(spec, invocation(spec)))
        await wait_until(marker.exists)
        assert not call.done()  # the worker is importing the slow module now
        harness.pool.retire(spec.function_arn)
        release.touch()
        return (await call).payload

    pid = json.loads(harness.run(retire_while_starting()))["pid"]
    harness.run(wait_until(lambda: not pid_exists(pid)))
    assert harness.pool.environment_count(spec.function_arn) == 0


def test_retire_of_another_version_leaves_environments(harness: Harness, tmp_path: Path) -> None:
    spec = make_function(tmp_path, SOURCE)
    pid = _pid(harness, spec)
    harness.pool.retire(spec.function_arn, "1")
    assert _pid(harness, spec) == pid


def test_idle_environments_are_reaped(tmp_path: Path, cache_dir: Path) -> None:
    harness = start_harness(tmp_path, cache_dir, keep_alive_s=0.2)
    try:
        spec = make_function(tmp_path / "code", SOURCE)
        pid = _pid(harness, spec)

        harness.run(wait_until(lambda: not pid_exists(pid)))
        assert not pid_exists(pid)
        assert harness.pool.environment_count() == 0
    finally:
        stop_harness(harness)


def test_stop_leaves_no_processes(tmp_path: Path, cache_dir: Path) -> None:
    harness = start_harness(tmp_path, cache_dir)
    spec = make_function(tmp_path / "code", SOURCE)
    try:
        results = [json.loads(harness.invoke(spec).payload) for _ in range(2)]

        async def two_busy() -> list[bytes]:
            calls = [harness.pool.invoke(spec, invocation(spec)) for _ in range(2)]
            return [r.payload for r in await asyncio.gather(*calls)]

        results += [json.loads(p) for p in harness.run(two_busy())]
    finally:
        stop_harness(harness)
    pids = {r["pid"] for r in results} | {r["ppid"] for r in results}
    assert len(pids) >= 3  # two workers and their zygote
    wait_for(lambda: not any(pid_exists(pid) for pid in pids), 10, "every worker to exit")


SERVER_SCRIPT = """
import asyncio, json, sys, uuid
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from lambdaport.runtime.families import CustomFamily, PythonFamily, RuntimeFamilies
from lambdaport.runtime.pool import RuntimePool
from lambdaport.runtime.settings import RuntimeSettings
from tests.runtime.conftest import RecordingSink, invocation, make_function

async def main():
    tmp = Path(sys.argv[2])
    settings = RuntimeSettings("http://127.0.0.1:4566", tmp / "data", Path(sys.argv[3]))
    pool = RuntimePool(settings, RecordingSink(), RuntimeFamilies(PythonFamily(), CustomFamily()))
    await pool.start()
    spec = make_function(tmp / "code", sys.argv[4])
    result = await pool.invoke(spec, invocation(spec))
    print(result.payload.decode(), flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


def test_killed_server_leaves_no_processes(tmp_path: Path, cache_dir: Path) -> None:
    root = str(Path(__file__).parents[2])
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SERVER_SCRIPT,
            root,
            str(tmp_path),
            str(cache_dir),
            textwrap.dedent(SOURCE),
        ],
        stdout=subprocess.PIPE,
        cwd=root,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        worker = json.loads(line)
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
        if server.stdout is not None:
            server.stdout.close()
    pids = (worker["pid"], worker["ppid"])
    wait_for(lambda: not any(pid_exists(pid) for pid in pids), 10, "every worker to exit")


def _installed(runtime: str) -> bool:
    interpreter = find_interpreter(runtime, {})
    return not interpreter.is_server


@pytest.mark.parametrize("runtime", ["python3.9", "python3.12", "python3.13"])
def test_declared_python_version_runs_on_that_interpreter(
    harness: Harness, tmp_path: Path, runtime: str
) -> None:
    if not _installed(runtime):
        pytest.skip(f"{runtime} is not installed on this machine")
    source = SOURCE + "\nimport boto3\ndef with_boto3(event, context):\n"
    source += "    return {'version': sys.version, 'boto3': boto3.__file__}\n"
    spec = make_function(tmp_path, source, runtime=runtime, handler="app.with_boto3")
    result = harness.invoke(spec)
    assert result.function_error is None, result.log
    body = json.loads(result.payload)
    assert body["version"].startswith(runtime.removeprefix("python") + ".")
    assert body["boto3"].startswith(str(harness.settings.cache_dir / runtime))


def test_unknown_python_version_runs_on_the_server_interpreter(
    harness: Harness, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spec = make_function(tmp_path, SOURCE, runtime="python3.99")
    with caplog.at_level("WARNING", logger="lambdaport.runtime"):
        result = harness.invoke(spec)
    body = json.loads(result.payload)
    assert body["version"] == list(sys.version_info[:2])
    assert any("python3.99 is not installed" in r.getMessage() for r in caplog.records)
    # The function's own log says so too, ahead of its first invocation (and only then).
    major, minor = body["version"]
    notice = "lambdaport: python3.99 is not installed here; this function runs on Python "
    notice += f"{major}.{minor}"
    first_line, _, rest = result.log.partition("\n")
    assert first_line.startswith(notice) and rest.startswith("START RequestId:")
    assert "lambdaport:" not in harness.invoke(spec).log


def test_unsupported_runtime_is_not_implemented(harness: Harness, tmp_path: Path) -> None:
    spec = make_function(tmp_path, SOURCE, runtime="java21")
    with pytest.raises(NotImplementedError):
        harness.invoke(spec)


def _parent(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("PPid:"))
    return int(line.split()[1])


def test_workers_run_below_a_keeper_forked_from_a_zygote(harness: Harness, tmp_path: Path) -> None:
    spec = make_function(tmp_path, SOURCE)
    body = json.loads(harness.invoke(spec).payload)
    keeper = body["ppid"]
    zygote = _parent(keeper)
    assert zygote not in (keeper, os.getpid())
    assert _parent(zygote) == os.getpid()
    # The worker and its keeper each lead a session of their own, apart from the zygote's.
    assert os.getsid(body["pid"]) == body["pid"]
    assert os.getsid(keeper) == keeper
    assert os.getsid(zygote) == zygote
