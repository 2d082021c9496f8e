"""The execution environment's own view of the file system: AWS's paths through a Linux mount
namespace (stdlib only; run in the keeper, before the worker is forked).

``enter`` gives the calling process a mount namespace of its own (``unshare(CLONE_NEWNS)``),
makes every mount in it private (nothing it mounts reaches the host, nothing the host mounts
later reaches it), then mounts, in order, each entry of the spawn message's ``mounts``:
``{"bind": source, "at": target, "read_only": bool}`` (a bind mount: the function's code at
``/var/task``, its merged layers at ``/opt``) or ``{"tmpfs": size_mb, "at": target}`` (the
private ``/tmp``). Everything the keeper forks shares the namespace; it ends with the last
process in it, so nothing is ever unmounted by hand.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Mapping, Sequence
from typing import Any

CLONE_NEWNS = 0x00020000
MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000

_libc: Any = None


def _call(name: str, *args: object) -> None:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    if getattr(_libc, name)(*args) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{name}: {os.strerror(error)}")


def _mount(source: str | None, target: str, kind: str | None, flags: int, data: str | None) -> None:
    _call(
        "mount",
        None if source is None else source.encode(),
        target.encode(),
        None if kind is None else kind.encode(),
        ctypes.c_ulong(flags),
        None if data is None else data.encode(),
    )


def enter(mounts: Sequence[Mapping[str, Any]]) -> None:
    """A mount namespace of this process's own, with ``mounts`` in it (OSError if the
    kernel refuses)."""
    _call("unshare", ctypes.c_int(CLONE_NEWNS))
    _mount(None, "/", None, MS_REC | MS_PRIVATE, None)
    for entry in mounts:
        target = str(entry["at"])
        if "tmpfs" in entry:
            size = int(entry["tmpfs"])
            _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size}m,mode=1777")
            continue
        _mount(str(entry["bind"]), target, None, MS_BIND | MS_REC, None)
        if entry.get("read_only"):
            _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY, None)


def probe() -> bool:
    """Whether this process may make a mount namespace (run in a throwaway child)."""
    try:
        enter([])
    except OSError:
        return False
    return True
