"""Where an execution environment sees its code, its layers and its ``/tmp``.

``directories`` (the default): the code is the data dir's ``code/<sha256>/`` (or a
hot-reload directory) and the layers ``code/layers/<digest>/``, named by ``LAMBDA_TASK_ROOT``
and the search paths; ``/tmp`` is the machine's.

``mount-namespace`` (``--function-paths aws``, where the kernel allows it: root, checked at
start): every process of an environment runs in a mount namespace of its own
(``worker/mounts.py``) with AWS's paths: the code at ``/var/task`` and the merged layers at
``/opt``, both read-only, and a private ``/tmp`` — a tmpfs of the function's
``EphemeralStorage`` size, or, when the environment runs extensions (each in a namespace of
its own beside the function's), one directory of the data dir bound there for all of them,
whose size is then not enforced. Stack traces and hard-coded ``/opt/...`` paths then match
AWS. It is not the default because a private ``/tmp`` hides files a function and its caller
share there (as tests often do); a server asked for it where the kernel refuses falls back
to ``directories`` with a log line, and the health document says which mode is active.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lambdaport.runtime.spec import FunctionSpec

logger = logging.getLogger("lambdaport.runtime")

DIRECTORIES, MOUNT_NAMESPACE = "directories", "mount-namespace"
TASK_ROOT, OPT, TMP = "/var/task", "/opt", "/tmp"
_WORKER_DIR = Path(__file__).parent / "worker"
# Loads worker/mounts.py by path (stdlib only) and tries a namespace in this child.
_PROBE = f"""\
import importlib.util, sys
s = importlib.util.spec_from_file_location("_lambdaport_mounts", {str(_WORKER_DIR / "mounts.py")!r})
m = importlib.util.module_from_spec(s)
s.loader.exec_module(m)
sys.exit(0 if m.probe() else 1)
"""
Mount = dict[str, Any]


@dataclass(frozen=True, slots=True)
class EnvironmentView:
    """One environment's view: ``spec`` as its processes see it (its ``code_dir`` and
    ``opt_dir`` AWS's paths in a mount namespace), the ``mounts`` that make it so (none in
    ``directories`` mode) and the data dir's directory bound at ``/tmp``, if any (removed when
    the environment ends)."""

    spec: FunctionSpec
    mounts: list[Mount] = field(default_factory=list)
    tmp_dir: Path | None = None

    def seen(self, real: str | Path, host: FunctionSpec) -> str:
        """A host path below the code or the layers as the environment sees it."""
        path = str(real)
        for root, seen in ((host.code_dir, self.spec.code_dir), (host.opt_dir, self.spec.opt_dir)):
            if root and seen and (path == root or path.startswith(root.rstrip("/") + "/")):
                return seen + path[len(root.rstrip("/")) :]
        return path

    def release(self) -> None:
        if self.tmp_dir is not None:
            shutil.rmtree(self.tmp_dir, ignore_errors=True)


class ExecutionPaths:
    """The mode of the server's environments, and each one's view."""

    def __init__(self, wanted: str, data_dir: Path) -> None:
        if wanted not in ("aws", DIRECTORIES):
            raise ValueError(f"function paths must be 'aws' or 'directories', not {wanted!r}")
        self._wanted = wanted
        self._tmp_root = data_dir / "tmp"
        self.mode = DIRECTORIES

    async def start(self) -> None:
        """With ``aws``: check the kernel makes mount namespaces here (and that AWS's mount
        points exist); else stay in ``directories`` mode, saying why."""
        if self._wanted != "aws":
            return
        reason = await asyncio.to_thread(_probe)
        if reason is None:
            self.mode = MOUNT_NAMESPACE
        else:
            logger.warning("AWS's paths need a mount namespace (%s): using directories", reason)

    def view(self, spec: FunctionSpec, *, shared_tmp: bool) -> EnvironmentView:
        """``shared_tmp``: other processes than the function's (extensions) see ``/tmp``."""
        if self.mode != MOUNT_NAMESPACE:
            return EnvironmentView(spec)
        mounts: list[Mount] = [{"bind": spec.code_dir, "at": TASK_ROOT, "read_only": True}]
        if spec.opt_dir is not None:
            mounts.append({"bind": spec.opt_dir, "at": OPT, "read_only": True})
        tmp_dir = None
        if shared_tmp:
            tmp_dir = self._tmp_root / uuid.uuid4().hex
            tmp_dir.mkdir(parents=True, mode=0o1777)
            tmp_dir.chmod(0o1777)
            mounts.append({"bind": str(tmp_dir), "at": TMP})
        else:
            mounts.append({"tmpfs": spec.ephemeral_storage, "at": TMP})
        seen = replace(spec, code_dir=TASK_ROOT, opt_dir=OPT if spec.opt_dir else None)
        return EnvironmentView(seen, mounts, tmp_dir)


def _probe() -> str | None:
    """None when a child can make a mount namespace and AWS's mount points exist (made when
    missing); else why not."""
    try:
        for point in (TASK_ROOT, OPT):
            Path(point).mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [sys.executable, "-I", "-c", _PROBE], capture_output=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return str(exc)
    if done.returncode != 0:
        return "the kernel refuses unshare(CLONE_NEWNS) to this user"
    return None
