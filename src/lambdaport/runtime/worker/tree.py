"""Every process below one ancestor, found in ``/proc`` and killed (Linux; stdlib only).

The ancestry is what the kernel reports as each process's parent. It stays intact however a
process detaches (``setsid``, double fork) as long as the ancestor is a child subreaper
(``PR_SET_CHILD_SUBREAPER``): an orphan is re-parented to the nearest subreaper above it,
not to PID 1. Every execution environment has such an ancestor (its keeper, ``keeper.py``),
and so has the server.

Killing is by SIGKILL through a pidfd opened before the parent is checked once more, so a
pid that was reaped and reused by an unrelated process between the scan and the kill is
never signalled. Without pidfds (Linux < 5.3) it falls back to ``kill(2)``.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import signal
import time

_PR_SET_CHILD_SUBREAPER = 36
_PR_SET_PDEATHSIG = 1
_FALLBACK_WAIT_S = 0.01


def _prctl(option: int, value: int) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(option, value, 0, 0, 0)) == 0
    except (OSError, AttributeError):  # not Linux
        return False


def become_subreaper() -> bool:
    """Make orphans below this process come back to it instead of PID 1 (Linux)."""
    return _prctl(_PR_SET_CHILD_SUBREAPER, 1)


def set_parent_death_signal(signum: int) -> None:
    """Ask the kernel to send ``signum`` to this process when its parent dies (Linux)."""
    _prctl(_PR_SET_PDEATHSIG, signum)


def _stat(pid: int | str) -> tuple[int, str] | None:
    """(parent pid, state letter) of a process, None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            data = stat.read()
    except OSError:
        return None
    fields = data[data.rfind(b")") + 2 :].split()
    if len(fields) < 2:
        return None
    return int(fields[1]), fields[0].decode()


def _children() -> dict[int, list[tuple[int, str]]]:
    """Every process of the machine, by parent: ``{ppid: [(pid, state), ...]}``."""
    children: dict[int, list[tuple[int, str]]] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return children
    for name in names:
        if not name.isdigit():
            continue
        found = _stat(name)
        if found is not None:
            children.setdefault(found[0], []).append((int(name), found[1]))
    return children


def descendants(root: int) -> list[int]:
    """The live (not zombie) processes below ``root``, parents before their children."""
    children = _children()
    found: list[int] = []
    queue = [root]
    while queue:
        parent = queue.pop()
        for pid, state in children.get(parent, ()):
            queue.append(pid)
            if state not in ("Z", "X"):
                found.append(pid)
    return found


def children_of(root: int) -> list[tuple[int, str]]:
    """``root``'s direct children as (pid, state letter), zombies included."""
    return _children().get(root, [])


def _kill(pid: int, tree: set[int]) -> int | None:
    """SIGKILL ``pid`` if its parent is still in ``tree``; a pidfd to wait on, if any."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return None
    except (AttributeError, OSError):
        found = _stat(pid)
        if found is not None and found[0] in tree:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        return None
    found = _stat(pid)
    if found is None or found[0] not in tree:  # gone, or the pid now names someone else
        os.close(fd)
        return None
    try:
        signal.pidfd_send_signal(fd, signal.SIGKILL)
    except OSError:
        os.close(fd)
        return None
    return fd


def _wait_exits(fds: list[int], deadline: float) -> None:
    """Until every pidfd reports its process's exit, or the deadline."""
    poller = select.poll()
    for fd in fds:
        poller.register(fd, select.POLLIN)
    pending = set(fds)
    try:
        while pending:
            remaining_ms = int((deadline - time.monotonic()) * 1000)
            if remaining_ms <= 0:
                return
            for fd, _ in poller.poll(remaining_ms):
                poller.unregister(fd)
                pending.discard(fd)
    finally:
        for fd in fds:
            os.close(fd)


def kill_descendants(root: int, timeout_s: float = 5.0) -> bool:
    """SIGKILL every process below ``root`` until none is left; False if some outlived
    ``timeout_s`` (a process in uninterruptible sleep dies when it wakes up).

    Processes forked while this runs, and children re-parented as their parents die, are
    found by the next scan; the loop ends when a scan finds nobody.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        tree = descendants(root)
        if not tree:
            return True
        if time.monotonic() > deadline:
            return False
        members = {root, *tree}
        fds = [fd for pid in tree if (fd := _kill(pid, members)) is not None]
        if len(fds) < len(tree):  # some were signalled without a pidfd (or were gone)
            time.sleep(_FALLBACK_WAIT_S)
        _wait_exits(fds, deadline)
