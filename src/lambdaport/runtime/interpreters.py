"""Which interpreter runs a ``python3.X`` runtime, boto3 for it, and its zygote.

A declared ``python3.X`` runs on that interpreter when one is installed (the settings' explicit
mapping, then ``python3.X`` on PATH, then ``~/.pyenv/versions/3.X.*``; every candidate is run
once to prove it works, since pyenv's shims fail for versions that are not global), else on
the server's own interpreter, with a log line saying so. The server's interpreter brings boto3
in its virtualenv; any other gets boto3 installed once with its own pip into
``cache_dir/python3.X/``, guarded by a lock file and a marker.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from lambdaport.runtime.settings import RuntimeSettings
from lambdaport.runtime.zygote import Zygote

logger = logging.getLogger("lambdaport.runtime")

_RUNTIME_RE = re.compile(r"^python(3)\.(\d+)$")
_PROVISIONED_MARKER = ".lambdaport-provisioned"
_PIP_TIMEOUT_S = 900.0
_PROBE_TIMEOUT_S = 20.0
PRELOAD = ["boto3"]


@dataclass(frozen=True, slots=True)
class Interpreter:
    executable: str
    version: tuple[int, int]
    is_server: bool  # the server's own interpreter: its virtualenv already has boto3
    # Set when the runtime's own interpreter is not installed: the line every environment
    # of the runtime writes to the function's log ahead of its first invocation.
    notice: str = ""


def runtime_version(runtime: str) -> tuple[int, int] | None:
    """``"python3.12"`` -> ``(3, 12)``; None for anything else."""
    match = _RUNTIME_RE.match(runtime)
    return (int(match.group(1)), int(match.group(2))) if match else None


def server_interpreter() -> Interpreter:
    return Interpreter(sys.executable, (sys.version_info[0], sys.version_info[1]), True)


def _probe(executable: str) -> tuple[int, int] | None:
    """The version an executable really runs, or None when it does not run."""
    try:
        done = subprocess.run(
            [executable, "-I", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            timeout=_PROBE_TIMEOUT_S,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    major, _, minor = done.stdout.decode().strip().partition(".")
    return (int(major), int(minor)) if major.isdigit() and minor.isdigit() else None


def _candidates(name: str, version: tuple[int, int], explicit: str | None) -> list[str]:
    found = []
    if explicit:
        found.append(explicit)
    on_path = shutil.which(name)
    if on_path:
        found.append(on_path)
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    prefix = f"{version[0]}.{version[1]}."
    if pyenv.is_dir():
        installed = [d for d in pyenv.iterdir() if d.name.startswith(prefix)]
        installed.sort(key=lambda d: [int(p) if p.isdigit() else 0 for p in d.name.split(".")])
        found.extend(str(d / "bin" / name) for d in reversed(installed))
    return found


def find_interpreter(runtime: str, explicit: Mapping[str, str]) -> Interpreter:
    """The interpreter for a ``python3.X`` runtime (blocking: it runs candidates once)."""
    server = server_interpreter()
    version = runtime_version(runtime)
    if version is None or version == server.version:
        return server
    for candidate in _candidates(runtime, version, explicit.get(runtime)):
        if _probe(candidate) == version:
            return Interpreter(candidate, version, False)
    running = f"Python {server.version[0]}.{server.version[1]} ({server.executable})"
    logger.warning("%s is not installed; running %s functions on %s", runtime, runtime, running)
    notice = f"lambdaport: {runtime} is not installed here; this function runs on {running}\n"
    return replace(server, notice=notice)


def provision_boto3(interpreter: Interpreter, cache_dir: Path) -> str | None:
    """The directory holding boto3 for this interpreter (blocking), None if it cannot be had."""
    if interpreter.is_server:
        return None
    name = f"python{interpreter.version[0]}.{interpreter.version[1]}"
    target = cache_dir / name
    marker = target / _PROVISIONED_MARKER
    if marker.exists():
        return str(target)
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists():
            return str(target)
        logger.info("installing boto3 for %s into %s", name, target)
        command = [
            interpreter.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            "--upgrade",
            "--target",
            str(target),
            "boto3",
        ]
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                timeout=_PIP_TIMEOUT_S,
                check=False,
                stdin=subprocess.DEVNULL,
                env={**os.environ, "PIP_ROOT_USER_ACTION": "ignore"},
            )
        except (OSError, subprocess.SubprocessError) as e:
            logger.warning("cannot install boto3 for %s: %s", name, e)
            return None
        if done.returncode != 0:
            tail = done.stderr.decode(errors="replace")[-2000:]
            logger.warning("cannot install boto3 for %s: %s", name, tail)
            return None
        marker.write_text("boto3\n")
    return str(target)


_LAUNCHER = "launcher"  # the key of the zygote that executes custom runtimes' bootstraps


class PythonInterpreters:
    """The zygote of each interpreter in use, started on first need and restarted if it died,
    and the launcher: a zygote of the server's interpreter without preloaded modules, which
    starts custom runtimes' bootstraps in environments of their own."""

    def __init__(self, settings: RuntimeSettings) -> None:
        self._settings = settings
        self._interpreters: dict[str, Interpreter] = {}
        self._zygotes: dict[str, Zygote] = {}
        self._starting: dict[str, Zygote] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def owns(self, pid: int) -> bool:
        """Whether ``pid`` is one of the zygote processes (running or starting)."""
        zygotes = (*self._zygotes.values(), *self._starting.values())
        return any(zygote.pid == pid for zygote in zygotes)

    async def interpreter(self, runtime: str) -> Interpreter:
        found = self._interpreters.get(runtime)
        if found is None:
            explicit = self._settings.python_executables
            found = await asyncio.to_thread(find_interpreter, runtime, explicit)
            self._interpreters[runtime] = found
        return found

    async def zygote(self, runtime: str) -> Zygote:
        """The running zygote for a runtime's interpreter."""
        interpreter = await self.interpreter(runtime)
        zygote = self._zygotes.get(interpreter.executable)
        if zygote is not None and zygote.alive:
            return zygote

        async def start() -> Zygote:
            cache_dir = self._settings.cache_dir
            support = await asyncio.to_thread(provision_boto3, interpreter, cache_dir)
            return Zygote.open(
                interpreter.executable, support_path=[support] if support else [], preload=PRELOAD
            )

        return await self._running(interpreter.executable, start)

    async def launcher(self) -> Zygote:
        """The running zygote that launches custom runtimes' bootstraps."""
        zygote = self._zygotes.get(_LAUNCHER)
        if zygote is not None and zygote.alive:
            return zygote

        async def start() -> Zygote:
            return Zygote.open(sys.executable, support_path=[], preload=[])

        return await self._running(_LAUNCHER, start)

    async def _running(self, key: str, start: Callable[[], Awaitable[Zygote]]) -> Zygote:
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            zygote = self._zygotes.get(key)
            if zygote is not None and zygote.alive:
                return zygote
            if zygote is not None:
                del self._zygotes[key]
                await zygote.stop()
            self._starting[key] = zygote = await start()
            try:
                await zygote.wait_ready()
            finally:
                self._starting.pop(key, None)
            self._zygotes[key] = zygote
            return zygote

    async def stop(self) -> None:
        zygotes = [*self._zygotes.values(), *self._starting.values()]
        self._zygotes.clear()
        with contextlib.suppress(Exception):
            await asyncio.gather(*(zygote.stop() for zygote in zygotes))
