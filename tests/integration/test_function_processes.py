"""Processes a function starts die with its execution environment.

The functions leave processes running: a ``Popen`` child, an ``os.fork()`` child, a ``setsid``
double-forked daemon and a shell's ``setsid`` background job (a custom runtime: a background
child and such a daemon), and write their pids to a file. Every one of them is gone after the
invocation times out or crashes, after the function is deleted, after its environment is
reaped idle, after the server stops and after it is killed with SIGKILL. Processes are counted by
those pids only, never machine-wide (other test suites run here at the same time); a zombie
counts as gone (this container's PID 1 does not reap orphans).
"""

from __future__ import annotations

import json
import os
import signal
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from lambdaport.testing.server import ServerProcess, zip_files
from tests.helpers import ROLE, client_for, create_function, process_gone, wait_active, wait_for

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

    from tests.conftest import MakeFunction

LEAVER = """
import json, os, subprocess, time

def forked_child():
    child = os.fork()
    if child == 0:
        time.sleep(600)
        os._exit(0)
    return child

def double_forked_daemon():
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        os.setsid()
        if os.fork() == 0:
            os.write(write_end, str(os.getpid()).encode())
            time.sleep(600)
        os._exit(0)
    os.close(write_end)
    os.waitpid(child, 0)
    pid = int(os.read(read_end, 32))
    os.close(read_end)
    return pid

def shell_daemon():
    script = "setsid sleep 600 >/dev/null 2>&1 & echo $!"
    return int(subprocess.run(["sh", "-c", script], capture_output=True, text=True).stdout)

def handler(event, context):
    pids = {
        "popen": subprocess.Popen(["sleep", "600"]).pid,
        "fork": forked_child(),
        "daemon": double_forked_daemon(),
        "shell_daemon": shell_daemon(),
    }
    with open(event["out"], "w") as out:
        json.dump(pids, out)
    time.sleep(event.get("sleep", 0))
    if event.get("crash"):
        os._exit(3)
    return pids
"""

# A custom runtime whose init leaves a background child and a double-forked setsid daemon.
SHELL_LEAVER = """#!/bin/sh
set -eu
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation"
sleep 600 &
CHILD=$!
DAEMON=$(sh -c 'setsid sleep 600 >/dev/null 2>&1 & echo $!')
echo "{\\"child\\": $CHILD, \\"daemon\\": $DAEMON}" > "$OUT"
while true; do
  HEADERS=$(mktemp)
  curl -sS -D "$HEADERS" "$API/next" >/dev/null
  ID=$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$HEADERS" | tr -d '\\r' | cut -d' ' -f2)
  curl -sS -X POST "$API/$ID/response" --data-binary "@$OUT" >/dev/null
  rm -f "$HEADERS"
done
"""


def _read_pids(path: Path) -> list[int]:
    pids: dict[str, int] = json.loads(path.read_text())
    assert len(pids) >= 2 and all(pid > 1 for pid in pids.values()), pids
    return list(pids.values())


def _wait_all_gone(pids: list[int], timeout: float = 30.0) -> None:
    wait_for(
        lambda: all(process_gone(pid) for pid in pids),
        timeout,
        f"every process functions started to die: {[p for p in pids if not process_gone(p)]}",
    )


def _leave_processes(client: LambdaClient, name: str, out: Path) -> list[int]:
    """Invoke a leaver (Python: told where to write by the event; shell: by its ``OUT``);
    the pids it left, all still running."""
    response = client.invoke(FunctionName=name, Payload=json.dumps({"out": str(out)}))
    assert "FunctionError" not in response, response["Payload"].read()
    pids = _read_pids(out)
    assert not any(process_gone(pid) for pid in pids)  # they run while the environment lives
    return pids


def _create_shell_leaver(client: LambdaClient, out: Path) -> str:
    name = f"shell-{uuid.uuid4().hex[:8]}"
    client.create_function(
        FunctionName=name,
        Runtime="provided.al2023",
        Role=ROLE,
        Handler="none",
        Code={"ZipFile": zip_files({"bootstrap": SHELL_LEAVER}, {"bootstrap": 0o755})},
        Environment={"Variables": {"OUT": str(out)}},
    )
    wait_active(client, name)
    return name


@pytest.mark.parametrize(
    ("ending", "error_type"),
    [({"sleep": 60}, "Sandbox.Timedout"), ({"crash": True}, "Runtime.ExitError")],
    ids=["timeout", "crash"],
)
def test_an_invocation_that_fails_kills_what_it_started(
    make_function: MakeFunction,
    lambda_client: LambdaClient,
    tmp_path: Path,
    ending: dict[str, object],
    error_type: str,
) -> None:
    name = make_function(LEAVER, Timeout=3)
    out = tmp_path / "pids.json"
    response = lambda_client.invoke(
        FunctionName=name, Payload=json.dumps({"out": str(out), **ending})
    )
    assert json.loads(response["Payload"].read())["errorType"] == error_type
    _wait_all_gone(_read_pids(out))


def test_deleting_the_function_kills_what_it_started(
    make_function: MakeFunction, lambda_client: LambdaClient, tmp_path: Path
) -> None:
    name = make_function(LEAVER)
    pids = _leave_processes(lambda_client, name, tmp_path / "pids.json")
    lambda_client.delete_function(FunctionName=name)
    _wait_all_gone(pids)


def test_deleting_a_custom_runtime_kills_what_its_bootstrap_started(
    lambda_client: LambdaClient, tmp_path: Path
) -> None:
    out = tmp_path / "pids.json"
    name = _create_shell_leaver(lambda_client, out)
    try:
        pids = _leave_processes(lambda_client, name, out)
    finally:
        lambda_client.delete_function(FunctionName=name)
    _wait_all_gone(pids)


def _parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rpartition(")")[2].split()[1])


def test_processes_left_by_a_killed_keeper_are_killed_by_the_server(tmp_path: Path) -> None:
    """The server process adopts them as the child subreaper (an in-process server does not
    take that role of the test process)."""
    with ServerProcess(tmp_path / "data") as server:
        client = client_for(server.endpoint)
        name = create_function(client, LEAVER)
        pids = _leave_processes(client, name, tmp_path / "pids.json")
        worker = _parent(pids[0])  # the Popen child's parent
        keeper = _parent(worker)
        os.kill(keeper, signal.SIGKILL)  # the environment's keeper, killed outright
        _wait_all_gone([worker, *pids])


def test_reaping_an_idle_environment_kills_what_it_started(tmp_path: Path) -> None:
    env = {"LAMBDAPORT_KEEP_ALIVE_SECONDS": "1"}
    with ServerProcess(tmp_path / "data", env=env) as server:
        client = client_for(server.endpoint)
        name = create_function(client, LEAVER)
        out = tmp_path / "pids.json"
        response = client.invoke(FunctionName=name, Payload=json.dumps({"out": str(out)}))
        assert "FunctionError" not in response
        _wait_all_gone(_read_pids(out))


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGKILL], ids=["stop", "kill-9"])
def test_the_server_going_away_kills_what_functions_started(
    tmp_path: Path, stop_signal: signal.Signals
) -> None:
    with ServerProcess(tmp_path / "data") as server:
        client = client_for(server.endpoint)
        python_fn = create_function(client, LEAVER)
        pids = _leave_processes(client, python_fn, tmp_path / "python.json")
        shell_out = tmp_path / "shell.json"
        shell_fn = _create_shell_leaver(client, shell_out)
        pids += _leave_processes(client, shell_fn, shell_out)
        server.stop(stop_signal)
    _wait_all_gone(pids)
