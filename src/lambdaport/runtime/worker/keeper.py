"""The keeper: the first process of every execution environment (stdlib only).

The zygote forks one keeper per environment. The keeper starts a session of its own, becomes
a child subreaper and forks the worker, which runs the Python bootstrap or executes a custom
runtime's ``bootstrap`` in a session of its own. Whatever the worker starts stays below the
keeper however it detaches (``setsid``, double fork), so the environment is exactly the
keeper's process tree.

The keeper ends the environment when the worker exits, when the zygote asks (SIGTERM), or
when the zygote dies (``PR_SET_PDEATHSIG``: SIGTERM): it kills every process below it
(``tree.kill_descendants``), reaps them, reports the worker's exit and exits. The worker dies
with the keeper (SIGKILL as its parent-death signal), so a keeper killed outright leaves its
worker's descendants to the next subreaper up, the server.

The keeper tells the zygote on its status pipe, one JSON line each:
  ``{"pid": n}`` once the worker runs (for an executable: once it has been executed), or
  ``{"errno": n}`` when the executable could not be executed (the keeper then exits);
  ``{"code": n | null, "signal": n | null}`` when the worker has exited.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import traceback
from collections.abc import Callable, Iterable
from typing import Any, NoReturn

from . import tree

_SIGNALS = {signal.SIGCHLD, signal.SIGTERM}
_KILL_TIMEOUT_S = 5.0

StartWorker = Callable[[int], None]  # runs in the worker; given the exec-error pipe (or -1)


def run(
    status_fd: int,
    parent: int,
    start_worker: StartWorker,
    *,
    inherited: Iterable[int],
    executes: bool,
) -> NoReturn:
    """Be the keeper of one environment: fork the worker, wait for its end, kill the rest.

    ``inherited`` are descriptors meant for the worker only; the keeper closes its copies.
    ``executes``: the worker executes a program, whose failure to start is reported.
    """
    try:
        os.setsid()
        tree.set_parent_death_signal(signal.SIGTERM)
        if os.getppid() != parent:  # the zygote died before the death signal was set
            os._exit(1)
        tree.become_subreaper()
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
        errors_r, errors_w = os.pipe() if executes else (-1, -1)
        keeper = os.getpid()
        worker = os.fork()
        if worker == 0:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
            tree.set_parent_death_signal(signal.SIGKILL)
            if os.getppid() != keeper:
                os._exit(1)
            os.setsid()
            _close(status_fd, errors_r)
            start_worker(errors_w)
            os._exit(1)
        _close(*inherited, errors_w)
        failure = _exec_error(errors_r) if executes else None
        if failure is not None:
            os.waitpid(worker, 0)
            _report(status_fd, {"errno": failure})
            os._exit(0)
        _report(status_fd, {"pid": worker})
        status = _wait_for_end(worker)
        tree.kill_descendants(keeper, _KILL_TIMEOUT_S)
        status = _reap(worker) or status or {"code": None, "signal": int(signal.SIGKILL)}
        _report(status_fd, status)
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(0)


def _close(*fds: int) -> None:
    for fd in fds:
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)


def _exec_error(errors_r: int) -> int | None:
    """The errno the worker wrote when its exec failed; None when the pipe closed on exec."""
    data = b""
    while chunk := os.read(errors_r, 64):
        data += chunk
    os.close(errors_r)
    return int(data) if data.strip().isdigit() else None


def _report(status_fd: int, message: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):  # the zygote is gone
        os.write(status_fd, json.dumps(message).encode() + b"\n")


def _exit_status(status: int) -> dict[str, Any]:
    return {
        "code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
    }


def _reap(worker: int) -> dict[str, Any] | None:
    """Reap every child that has exited; the worker's exit status if it was among them."""
    found = None
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return found
        if pid == 0:
            return found
        if pid == worker:
            found = _exit_status(status)


def _wait_for_end(worker: int) -> dict[str, Any] | None:
    """Until the worker exits (its status) or the keeper is told to stop (None, unless the
    worker had already exited: a SIGCHLD pending beside the SIGTERM keeps its real status)."""
    while True:
        if signal.sigwait(_SIGNALS) == signal.SIGTERM:
            return _reap(worker)
        status = _reap(worker)
        if status is not None:
            return status
