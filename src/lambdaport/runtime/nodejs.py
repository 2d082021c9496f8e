"""The execution environments of the Node.js managed runtimes (``nodejs18.x`` ... ``nodejs24.x``).

Node.js cannot fork a warm interpreter the way the Python zygote does, so each Node.js in use
keeps one **standby**: a ``node`` process started ahead of need by the launcher zygote (below
a keeper of its own, in its own session, like every environment: ``worker/keeper.py``), with
lambdaport's runtime interface client (``runtime/node/index.js``) loaded and waiting on its
request pipe. A cold start takes the standby, sends it the function's assignment (its
environment variables, code directory and handler), waits for its init frame and starts the
next standby in the background. From then on the worker speaks the Python worker's frames
(``worker/protocol.py``), so ``python.PythonEnvironment`` runs it: timeouts, memory limits,
crashes and the log are handled alike.

The framed pipes were chosen over the Runtime API's HTTP for speed (``docs/benchmarks.md``:
an invocation is one frame each way, no HTTP parsing on either side).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import time
import uuid
from collections.abc import Mapping
from pathlib import Path

from lambdaport.runtime import report
from lambdaport.runtime.env_vars import function_environment, log_stream_name
from lambdaport.runtime.memory import MemoryWatch
from lambdaport.runtime.node_versions import (
    NodeChoice,
    NodeInstall,
    choose,
    installed,
    provision_sdk,
    sdk_dir,
)
from lambdaport.runtime.python import PythonEnvironment
from lambdaport.runtime.settings import RuntimeSettings
from lambdaport.runtime.spec import ExecutionEnvironment, FunctionSpec, Invocation, InvocationResult
from lambdaport.runtime.worker.protocol import F_SETPIPE_SZ, PIPE_SIZE, encode_frame
from lambdaport.runtime.zygote import SpawnedWorker, Zygote

CLIENT_DIR = Path(__file__).parent / "node"
CLIENT = CLIENT_DIR / "index.js"
# As AWS starts node for its runtimes.
NODE_ARGS = ("--expose-gc", "--max-http-header-size=81920")


def _pipe() -> tuple[int, int]:
    read_end, write_end = os.pipe()
    with contextlib.suppress(OSError):
        fcntl.fcntl(write_end, F_SETPIPE_SZ, PIPE_SIZE)
    return read_end, write_end


async def start_standby(launcher: Zygote, install: NodeInstall) -> SpawnedWorker:
    """A ``node`` process running the runtime interface client, waiting for its assignment."""
    request_r, request_w = _pipe()
    response_r, response_w = _pipe()
    log_r, log_w = os.pipe()
    env = {"PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"), "TZ": ":UTC"}
    try:
        launched = await launcher.launch(
            install.executable,
            cwd="/",
            env=env,
            output_fd=log_w,
            args=(*NODE_ARGS, str(CLIENT)),
            pass_fds=(request_r, response_w),
        )
    except BaseException:
        for fd in (request_w, response_r, log_r):
            os.close(fd)
        raise
    finally:
        for fd in (request_r, response_w, log_w):
            os.close(fd)
    for fd in (request_w, response_r, log_r):
        os.set_blocking(fd, False)
    return SpawnedWorker(launched.pid, request_w, response_r, log_r, launched.exited)


def _discard(launcher: Zygote, worker: SpawnedWorker) -> None:
    launcher.kill(worker.pid)
    for fd in (worker.request_fd, worker.response_fd, worker.log_fd):
        with contextlib.suppress(OSError):
            os.close(fd)


class NodeRuntimes:
    """The Node.js installs that run the ``nodejs*`` runtimes, the SDK, and one standby
    process per install in use (started on first need, replaced as soon as it is taken)."""

    def __init__(self, cache_dir: Path) -> None:
        self._cache_dir = cache_dir
        self._installs: list[NodeInstall] | None = None
        self._choices: dict[str, NodeChoice | None] = {}
        self._sdk: Path | None = None
        self._sdk_done = False
        self._standbys: dict[str, tuple[Zygote, SpawnedWorker]] = {}
        self._preparing: dict[str, asyncio.Task[None]] = {}
        self._lock = asyncio.Lock()
        self._stopped = False

    async def choice(self, runtime: str) -> NodeChoice | None:
        """The Node.js of a runtime (None: no Node.js is installed); the SDK is provisioned
        on the first call."""
        if runtime not in self._choices:
            async with self._lock:
                if self._installs is None:
                    self._installs = await asyncio.to_thread(installed)
                found = choose(runtime, self._installs)
                if found is not None and not self._sdk_done:
                    self._sdk = await asyncio.to_thread(
                        provision_sdk, self._cache_dir, found.install
                    )
                    self._sdk_done = True
                self._choices[runtime] = found
        return self._choices[runtime]

    @property
    def sdk_modules(self) -> Path:
        """The SDK's ``node_modules`` (on every Node.js function's NODE_PATH)."""
        return self._sdk or sdk_dir(self._cache_dir) / "node_modules"

    async def take(self, install: NodeInstall, launcher: Zygote) -> SpawnedWorker:
        """A standby of ``install`` (a fresh one when none is ready); the next is started."""
        key = install.executable
        preparing = self._preparing.get(key)
        if preparing is not None:
            await asyncio.shield(preparing)
        ready = self._standbys.pop(key, None)
        worker = None
        if ready is not None:
            owner, candidate = ready
            if owner is launcher and owner.alive and not candidate.exited.done():
                worker = candidate
            else:
                _discard(owner, candidate)
        if worker is None:
            worker = await start_standby(launcher, install)
        self._prepare(install, launcher)
        return worker

    def _prepare(self, install: NodeInstall, launcher: Zygote) -> None:
        key = install.executable
        if self._stopped or key in self._preparing:
            return

        async def prepare() -> None:
            try:
                worker = await start_standby(launcher, install)
            except Exception:
                return
            finally:
                self._preparing.pop(key, None)
            if self._stopped:
                _discard(launcher, worker)
            else:
                self._standbys[key] = (launcher, worker)

        self._preparing[key] = asyncio.get_running_loop().create_task(prepare())

    async def stop(self) -> None:
        self._stopped = True
        for task in list(self._preparing.values()):
            with contextlib.suppress(Exception):
                await task
        for launcher, worker in self._standbys.values():
            _discard(launcher, worker)
        self._standbys.clear()


class _NoNode:
    """The environment of a Node.js function on a machine without Node.js: every invocation
    fails as a runtime that cannot start does (``Runtime.InvalidEntrypoint``)."""

    def __init__(self, spec: FunctionSpec) -> None:
        self.spec = spec
        day = time.strftime("%Y/%m/%d", time.gmtime())
        self.stream_name = log_stream_name(spec.version, uuid.uuid4().hex, day)

    @property
    def alive(self) -> bool:
        return False

    async def invoke(self, invocation: Invocation) -> InvocationResult:
        reason = (
            f"lambdaport found no Node.js to run {self.spec.runtime} (node on PATH, nvm, fnm, "
            "Volta and n were searched)"
        )
        ending = report.platform_failure(invocation.request_id, "Runtime.InvalidEntrypoint", reason)
        return report.invocation_result(
            self.spec,
            invocation.request_id,
            ending,
            before="",
            output="",
            duration_ms=0.0,
            init_duration_ms=None,
            max_memory_used_mb=0,
        )

    async def stop(self) -> None:
        return None


async def start_node_environment(
    spec: FunctionSpec,
    settings: RuntimeSettings,
    launcher: Zygote,
    runtimes: NodeRuntimes,
    memory: MemoryWatch,
    family_env: Mapping[str, str],
) -> ExecutionEnvironment:
    """Assign a standby to ``spec`` and wait for its init (the handler loaded or failed)."""
    choice = await runtimes.choice(spec.runtime)
    if choice is None:
        return _NoNode(spec)
    worker = await runtimes.take(choice.install, launcher)
    day = time.strftime("%Y/%m/%d", time.gmtime())
    stream_name = log_stream_name(spec.version, uuid.uuid4().hex, day)
    env = function_environment(spec, settings, stream_name, family=family_env)
    environment = PythonEnvironment(
        spec, worker, launcher, stream_name, memory, notice=choice.notice
    )
    started = time.perf_counter()
    try:
        assignment = {
            "kind": "assign",
            "env": env,
            "code_dir": spec.code_dir,
            "handler": spec.handler,
            "endpoint": settings.endpoint_url,  # where CloudFormation's ResponseURLs point
        }
        environment.send(encode_frame(assignment))
        await environment.wait_init(started)
    except BaseException:
        await environment.stop()
        raise
    return environment
