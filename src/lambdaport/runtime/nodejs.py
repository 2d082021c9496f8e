"""The execution environments of the Node.js managed runtimes (``nodejs18.x`` ... ``nodejs24.x``).

Node.js cannot fork a warm interpreter the way the Python zygote does, so each Node.js in use
keeps ``STANDBYS`` **standbys**: ``node`` processes started ahead of need by the launcher
zygote (below a keeper of its own, in its own session, like every environment:
``worker/keeper.py``), with lambdaport's runtime interface client (``runtime/node/index.js``)
loaded, warmed up by one invocation of its own and waiting on its request pipe. A cold start
takes a standby, sends it the function's assignment (its environment variables, code
directory and handler) and waits for its init frame; the standbys are refilled in the
background once the new environment's first invocation is over (a ``node`` starting beside
the cold start would take the CPU the cold start needs). From then on the worker speaks the
Python worker's frames (``worker/protocol.py``), so ``NodeEnvironment``, a
``python.PythonEnvironment``, runs it: timeouts, memory limits, crashes and the log are
handled alike.

The framed pipes were chosen over the Runtime API's HTTP for speed (``docs/benchmarks.md``:
an invocation is one frame each way, no HTTP parsing on either side).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import os
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from lambdaport.runtime import report
from lambdaport.runtime.env_vars import function_environment, log_stream_name
from lambdaport.runtime.extensions import Extensions
from lambdaport.runtime.memory import MemoryWatch
from lambdaport.runtime.node_versions import (
    NodeChoice,
    NodeInstall,
    choose,
    installed,
    provision_sdk,
    sdk_dir,
)
from lambdaport.runtime.paths import EnvironmentView, Mount
from lambdaport.runtime.python import PythonEnvironment, abandon_start
from lambdaport.runtime.runtime_api import RuntimeApi
from lambdaport.runtime.settings import RuntimeSettings
from lambdaport.runtime.spec import ExecutionEnvironment, FunctionSpec, Invocation, InvocationResult
from lambdaport.runtime.worker.protocol import F_SETPIPE_SZ, PIPE_SIZE, encode_frame
from lambdaport.runtime.zygote import SpawnedWorker, Zygote

CLIENT_DIR = Path(__file__).parent / "node"
CLIENT = CLIENT_DIR / "index.js"
# As AWS starts node for its runtimes.
NODE_ARGS = ("--expose-gc", "--max-http-header-size=81920")
# Standbys kept per Node.js in use: two cold starts in a row find one ready (each is a
# ``node`` of ~45 MB resident; one takes ~0.1-0.3 s of CPU to start).
STANDBYS = 2


def _pipe() -> tuple[int, int]:
    read_end, write_end = os.pipe()
    with contextlib.suppress(OSError):
        fcntl.fcntl(write_end, F_SETPIPE_SZ, PIPE_SIZE)
    return read_end, write_end


async def start_standby(
    launcher: Zygote, install: NodeInstall, mounts: list[Mount] | None = None
) -> SpawnedWorker:
    """A ``node`` process running the runtime interface client, waiting for its assignment
    (in a mount namespace with ``mounts``, when given: ``paths.py``)."""
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
            mounts=mounts,
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
    """The Node.js installs that run the ``nodejs*`` runtimes, the SDK, and ``STANDBYS``
    standby processes per install in use (started on first need, refilled by ``refill``)."""

    def __init__(self, cache_dir: Path, standbys: int = STANDBYS) -> None:
        self._cache_dir = cache_dir
        self._depth = standbys
        self._installs: list[NodeInstall] | None = None
        self._choices: dict[str, NodeChoice | None] = {}
        self._sdk: Path | None = None
        self._sdk_done = False
        self._standbys: dict[str, list[tuple[Zygote, SpawnedWorker]]] = {}
        self._preparing: dict[str, asyncio.Task[None]] = {}
        self._arrived: dict[str, asyncio.Event] = {}  # set as each refilled standby is ready
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
        """A standby of ``install``: a ready one, else the one being started, else a fresh
        one. Call ``refill`` once the environment it becomes no longer needs the CPU."""
        key = install.executable
        ready = self._standbys.setdefault(key, [])
        while True:
            while ready:
                owner, candidate = ready.pop(0)
                if owner is launcher and owner.alive and not candidate.exited.done():
                    return candidate
                _discard(owner, candidate)
            preparing = self._preparing.get(key)
            if preparing is None:
                return await start_standby(launcher, install)
            arrived = self._arrived.setdefault(key, asyncio.Event())
            arrived.clear()
            waiter = asyncio.ensure_future(arrived.wait())
            try:  # the next standby the refill starts, or the refill's end
                await asyncio.wait({waiter, preparing}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()

    def refill(self, install: NodeInstall, launcher: Zygote) -> None:
        """Start standbys of ``install`` in the background (one at a time) up to the depth."""
        key = install.executable
        if self._stopped or key in self._preparing:
            return
        ready = self._standbys.setdefault(key, [])

        async def prepare() -> None:
            try:
                while not self._stopped and len(ready) < self._depth and launcher.alive:
                    worker = await start_standby(launcher, install)
                    if self._stopped:
                        _discard(launcher, worker)
                    else:
                        ready.append((launcher, worker))
                        self._arrived.setdefault(key, asyncio.Event()).set()
            except Exception:
                return
            finally:
                self._preparing.pop(key, None)

        self._preparing[key] = asyncio.get_running_loop().create_task(prepare())

    async def stop(self) -> None:
        self._stopped = True
        for task in list(self._preparing.values()):
            with contextlib.suppress(Exception):
                await task
        for ready in self._standbys.values():
            for launcher, worker in ready:
                _discard(launcher, worker)
        self._standbys.clear()


class NodeEnvironment(PythonEnvironment):
    """A Node.js function's environment: a ``PythonEnvironment`` that refills the standbys
    once its first invocation is over (``on_first_done``), or at once if it is provisioned
    (initialised ahead, no invocation waits on it); one stopped before any invocation does
    not (the next cold start starts a ``node`` of its own when none is ready)."""

    def __init__(self, *args: Any, on_first_done: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_first_done: Callable[[], None] | None = on_first_done

    def first_done(self) -> None:
        callback, self._on_first_done = self._on_first_done, None
        if callback is not None:
            callback()

    async def invoke(self, invocation: Invocation) -> InvocationResult:
        try:
            return await super().invoke(invocation)
        finally:
            self.first_done()


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

    @property
    def init_failed(self) -> bool:
        return True

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
    view: EnvironmentView | None = None,
) -> ExecutionEnvironment:
    """Assign a standby to ``spec`` and wait for its init (the handler loaded or failed).

    As for Python: the layers' extensions start first, and ``AWS_LAMBDA_RUNTIME_API`` points
    at the environment's Runtime API server, where the Extensions and Telemetry APIs answer
    (the runtime itself talks to its worker over the pipes). With ``view``'s mounts (AWS's
    paths, ``paths.py``) no standby can serve, since a process enters its mount namespace
    when it starts: a ``node`` is started for the environment, in it."""
    view = view or EnvironmentView(spec)
    choice = await runtimes.choice(spec.runtime)
    if choice is None:
        return _NoNode(spec)
    day = time.strftime("%Y/%m/%d", time.gmtime())
    stream_name = log_stream_name(spec.version, uuid.uuid4().hex, day)
    extensions = Extensions.of(spec)
    api = await RuntimeApi.open(extensions=extensions)
    env = function_environment(
        view.spec, settings, stream_name, runtime_api=api.address, family=family_env
    )
    started = time.perf_counter()
    try:
        if extensions is not None:  # started first, as on AWS
            await extensions.launch(launcher, env, view)
        if view.mounts:
            worker = await start_standby(launcher, choice.install, view.mounts)
        else:
            worker = await runtimes.take(choice.install, launcher)
    except BaseException:
        await abandon_start(extensions, api, view)
        raise
    environment = NodeEnvironment(
        spec,
        worker,
        launcher,
        stream_name,
        memory,
        extensions,
        api,
        notice=choice.notice,
        view=view,
        on_first_done=functools.partial(runtimes.refill, choice.install, launcher),
    )
    try:
        assignment = {
            "kind": "assign",
            "env": env,
            "code_dir": view.spec.code_dir,
            "handler": spec.handler,
            "endpoint": settings.endpoint_url,  # where CloudFormation's ResponseURLs point
        }
        environment.send(encode_frame(assignment))
        await environment.wait_init(started)
    except BaseException:
        await environment.stop()
        raise
    if spec.initialization_type == "provisioned-concurrency":
        environment.first_done()
    return environment
