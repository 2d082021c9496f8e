"""``InProcessServer``: the ASGI app on a thread of this process, with ``ServerProcess``'s
interface. It serves functions and services without taking this process's signals or
orphans (the child subreaper), and once stopped nothing of it is left: not its port, thread,
zygotes or workers, logger levels, working directory or environment. Two at once keep their
own logs; one that cannot start says why and leaves nothing; a process the server's thread
started and left is named and killed."""

from __future__ import annotations

import ctypes
import json
import logging
import os
import signal
import socket
import subprocess
import threading
from pathlib import Path

import boto3
import pytest

from lambdaport.testing.aws import client_options, pending_work, wait_drained
from lambdaport.testing.inprocess import InProcessServer, end_children_of
from tests.helpers import client_for, create_function
from tests.runtime.conftest import pid_exists

PID_SOURCE = "import os\ndef handler(event, context):\n    return os.getpid()\n"
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP)
PR_GET_CHILD_SUBREAPER = 37


def child_subreaper() -> int:
    """This process's PR_GET_CHILD_SUBREAPER (1: orphans below it are re-parented to it)."""
    value = ctypes.c_int(0)
    ctypes.CDLL(None, use_errno=True).prctl(PR_GET_CHILD_SUBREAPER, ctypes.byref(value), 0, 0, 0)
    return value.value


def process_state() -> dict[str, object]:
    """What this process shares with an in-process server."""
    return {
        "subreaper": child_subreaper(),
        "signals": {sig: signal.getsignal(sig) for sig in SIGNALS},
        "cwd": os.getcwd(),
        "environ": dict(os.environ),
        "levels": {name: logging.getLogger(name).level for name in ("lambdaport", "uvicorn")},
        "handlers": {
            name: list(logging.getLogger(name).handlers) for name in ("lambdaport", "uvicorn")
        },
    }


def children_in_other_sessions() -> set[int]:
    found: set[int] = set()
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/children") as children:
            for pid in map(int, children.read().split()):
                try:
                    if os.getsid(pid) != os.getsid(0):
                        found.add(pid)
                except ProcessLookupError:
                    pass
    return found


def parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def ancestor_below_us(pid: int) -> int:
    """The child of this process that ``pid`` descends from."""
    while (parent := parent_of(pid)) != os.getpid():
        assert parent > 1, "not a descendant of this process"
        pid = parent
    return pid


def refused(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_serves_then_leaves_nothing_behind(tmp_path: Path) -> None:
    before = process_state()
    threads_before = set(threading.enumerate())
    children_before = children_in_other_sessions()  # of the session's servers, if running
    with InProcessServer(tmp_path / "data", extra_args=("--async-delay-scale", "0.5")) as server:
        assert server.endpoint == f"http://127.0.0.1:{server.port}"
        assert server.app is not None and server.app.settings.async_delay_scale == 0.5
        lam = client_for(server.endpoint)
        name = create_function(lam, PID_SOURCE)
        worker = json.loads(lam.invoke(FunctionName=name)["Payload"].read())
        assert pid_exists(worker)
        zygote = ancestor_below_us(worker)  # the worker's zygote, or what started it
        assert zygote in children_in_other_sessions() - children_before
        lam.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")
        wait_drained(server.endpoint)
        assert pending_work(server.endpoint)["asyncEvents"] == 0
        serving = process_state()
        assert serving["signals"] == before["signals"]  # none taken while serving
        assert serving["subreaper"] == before["subreaper"]  # nor the orphans of this process
    assert refused(server.port)
    assert not pid_exists(worker)
    # Only the processes this server started: the session's own servers may start theirs
    # meanwhile (a zygote for another interpreter, a retried event's worker).
    assert not pid_exists(zygote)
    assert zygote not in children_in_other_sessions()
    assert set(threading.enumerate()) <= threads_before
    assert process_state() == before
    assert server.app is None
    log = server.log()
    assert "lambda.CreateFunction 201" in log
    assert "Application shutdown complete" in log


def test_two_servers_keep_their_own_logs(tmp_path: Path) -> None:
    with (
        InProcessServer(tmp_path / "a") as a,
        InProcessServer(tmp_path / "b") as b,
    ):
        assert a.port != b.port
        boto3.client("sqs", **client_options(a.endpoint)).list_queues()
        boto3.client("sns", **client_options(b.endpoint)).list_topics()
    assert "sqs.ListQueues 200" in a.log() and "sns.ListTopics" not in a.log()
    assert "sns.ListTopics 200" in b.log() and "sqs.ListQueues" not in b.log()


def test_a_server_that_cannot_start_says_why_and_leaves_nothing(tmp_path: Path) -> None:
    before = process_state()
    threads_before = set(threading.enumerate())
    (tmp_path / "data").write_text("a file where the data directory should be")
    server = InProcessServer(tmp_path / "data")
    with pytest.raises(RuntimeError, match="did not start") as raised:
        server.start()
    assert isinstance(raised.value.__cause__, FileExistsError)
    assert refused(server.port)
    assert set(threading.enumerate()) <= threads_before
    assert process_state() == before


def test_a_port_in_use_is_refused(tmp_path: Path) -> None:
    with InProcessServer(tmp_path / "a") as first:
        with pytest.raises(OSError):
            InProcessServer(tmp_path / "b", port=first.port).start()
        boto3.client("sqs", **client_options(first.endpoint)).list_queues()  # still serving


def test_a_process_the_server_thread_left_is_named_and_killed() -> None:
    """What ``stop()`` runs on the server's thread once the lifespan shutdown is done."""
    seen: dict[str, object] = {}

    def server_thread() -> None:
        child = subprocess.Popen(["sleep", "60"], start_new_session=True)  # as a leaked zygote
        seen["pid"] = child.pid
        seen["left"] = end_children_of(threading.get_native_id(), grace_s=0.2)
        child.wait(10)  # reaped already: returns at once

    thread = threading.Thread(target=server_thread)
    thread.start()
    thread.join(30)
    assert seen["left"] == [seen["pid"]]
    assert not pid_exists(int(str(seen["pid"])))
