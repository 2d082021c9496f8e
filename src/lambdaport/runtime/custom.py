"""Execution environments of custom runtimes (``provided.al2023``, ``provided.al2``).

The environment runs the function's ``bootstrap`` executable with ``AWS_LAMBDA_RUNTIME_API``
pointing at its own Runtime API server (``runtime_api.py``), so any runtime interface client
(``awslambdaric``, the Go, Rust, Node, Java clients, a shell script with curl) works
unchanged. An invocation ends when the runtime posts its response or error; its log is what
the bootstrap wrote up to that post, which is already in the log pipe by then.

Failures come back as results, never exceptions (``../shared/docs/AWS-SEMANTICS.md`` A.2): a
missing or unexecutable bootstrap is ``Runtime.InvalidEntrypoint``, an ``/init/error`` post is
the first invocation's error, an exit is ``Runtime.ExitError``, a timeout kills the
environment (the bootstrap and everything it started) and is ``Sandbox.Timedout``. A fresh
environment stays ``alive`` until its first invocation has reported any such init failure,
so the pool always gets to return that error to a caller.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from asyncio import FIRST_COMPLETED
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from lambdaport.runtime import report
from lambdaport.runtime.custom_process import BootstrapProcess, LogPipe
from lambdaport.runtime.env_vars import function_environment, log_stream_name
from lambdaport.runtime.extensions import Extensions
from lambdaport.runtime.memory import MemoryWatch, peak_rss_kb
from lambdaport.runtime.paths import EnvironmentView
from lambdaport.runtime.runtime_api import PendingInvocation, RuntimeApi
from lambdaport.runtime.settings import RuntimeSettings
from lambdaport.runtime.spec import FunctionSpec, Invocation, InvocationResult
from lambdaport.runtime.zygote import Zygote

INIT_TIMEOUT_S = 10.0  # AWS's limit on the init phase of an on-demand function
STOP_TIMEOUT_S = 5.0
BOOTSTRAP_NAME = "bootstrap"

Launcher = Callable[[], Awaitable[Zygote]]


class CustomEnvironment:
    """One execution environment of a ``provided.*`` function. Start it with ``start()``."""

    def __init__(
        self,
        spec: FunctionSpec,
        settings: RuntimeSettings,
        launcher: Launcher,
        memory: MemoryWatch | None = None,
        view: EnvironmentView | None = None,
    ) -> None:
        self.spec = spec
        self._view = view or EnvironmentView(spec)  # the file system its processes see
        self._launcher = launcher
        self.memory_limit_kb = spec.memory_size * 1024
        self._memory = memory
        self._out_of_memory = False
        day = time.strftime("%Y/%m/%d", time.gmtime())
        self.stream_name = log_stream_name(spec.version, uuid.uuid4().hex, day)
        self._settings = settings
        self._loop = asyncio.get_running_loop()
        self._api: RuntimeApi | None = None
        self._logs: LogPipe | None = None
        self._process: BootstrapProcess | None = None
        self._entrypoint_error: str | None = None
        self._init_duration_ms: float | None = None  # reported once, by the first invocation
        self._max_rss_kb = 0
        self._log_before_next: list[str] = []  # output up to the runtime's latest next
        self._pending: PendingInvocation | None = None  # the latest submitted invocation
        self._served = False
        self._failed = False
        self._stopped = False
        self._lock = asyncio.Lock()
        self._extensions = Extensions.of(spec)  # the layers' extensions/, if any
        self._shutdown_reason = "spindown"

    @property
    def pid(self) -> int:
        """The bootstrap's pid (what the memory watch samples)."""
        return self._process.pid if self._process is not None else -1

    def memory_exceeded(self, peak_kb: int) -> None:
        """Over ``MemorySize``: the environment is killed, as AWS kills it."""
        self._max_rss_kb = max(self._max_rss_kb, peak_kb)
        self._out_of_memory = True
        if self._process is not None:
            self._process.kill()

    @property
    def alive(self) -> bool:
        """Whether the environment can take an invocation.

        A fresh environment is alive even when its init failed: its first invocation
        returns that failure. After that, a failure, ``stop()`` or the process exiting while
        idle make it not alive.
        """
        if self._stopped or self._failed:
            return False
        if not self._served:
            return True
        return self._process is not None and not self._process.exited.done()

    @property
    def init_failed(self) -> bool:
        api, process, extensions = self._api, self._process, self._extensions
        return (
            self._entrypoint_error is not None
            or api is None
            or process is None
            or api.init_error.done()
            or (not self._served and process.exited.done())
            or (extensions is not None and extensions.failure is not None)
        )

    async def start(self) -> None:
        """Start the Runtime API and the bootstrap; return when init finished (or failed).

        Init ends at the runtime's first ``next`` or ``/init/error``, or with the process
        exiting; after ``INIT_TIMEOUT_S`` the first invocation waits for the rest of it.
        """
        extensions = self._extensions
        self._api = api = await RuntimeApi.open(on_next=self._on_next, extensions=extensions)
        # The code's bootstrap, else a layer's
        # (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html).
        candidates = [Path(self.spec.code_dir) / BOOTSTRAP_NAME]
        if self.spec.opt_dir is not None:
            candidates.append(Path(self.spec.opt_dir) / BOOTSTRAP_NAME)
        view = self._view
        path = next((c for c in candidates if c.is_file()), None)
        if path is None:
            listed = " ".join(view.seen(c, self.spec) for c in candidates)
            self._entrypoint_error = f"Couldn't find valid bootstrap(s): [{listed}]"
            return
        self._logs = logs = LogPipe()
        env = function_environment(
            view.spec, self._settings, self.stream_name, runtime_api=api.address
        )
        started = self._loop.time()
        if extensions is not None:  # started first, as on AWS
            await extensions.launch(await self._launcher(), env, view)
        try:
            self._process = await BootstrapProcess.spawn(
                await self._launcher(),
                view.seen(path, self.spec),
                cwd=view.spec.code_dir,
                env=env,
                output_fd=logs.write_fd,
                mounts=view.mounts,
            )
        except OSError as exc:
            self._entrypoint_error = f"fork/exec {path}: {_lower_first(exc.strerror or str(exc))}"
            return
        finally:
            logs.close_write_end()
        init_ends: set[asyncio.Future[Any]] = {api.ready, api.init_error, self._process.exited}
        await asyncio.wait(init_ends, timeout=INIT_TIMEOUT_S, return_when=FIRST_COMPLETED)
        if extensions is not None:  # init ends when the extensions are ready too
            remaining = started + INIT_TIMEOUT_S - self._loop.time()
            await asyncio.wait({extensions.ready}, timeout=max(0.0, remaining))
        self._init_duration_ms = (self._loop.time() - started) * 1000

    async def invoke(self, invocation: Invocation) -> InvocationResult:
        async with self._lock:
            started = self._loop.time()
            init_duration_ms, self._init_duration_ms = self._init_duration_ms, None
            ending, answered_at = await self._run(invocation, started)
            ended = answered_at if answered_at is not None else self._loop.time()
            self._served = True
            if self._process is not None:
                peak_kb = peak_rss_kb(self._process.pid) or 0
                self._max_rss_kb = max(self._max_rss_kb, peak_kb)
            if ending.status is not None:  # a platform failure ends the environment
                self._failed = True
                self._shutdown_reason = "timeout" if ending.status == "timeout" else "failure"
                await self._stop_process()
            before, during = self._split_log()
            extensions = self._extensions
            extension_log = extensions.take_log() if extensions is not None else ""
        result = report.invocation_result(
            self.spec,
            invocation.request_id,
            ending,
            before=before,
            output=during + report.line_terminated(extension_log),
            duration_ms=max(0.0, (ended - started) * 1000),
            init_duration_ms=init_duration_ms,
            max_memory_used_mb=-(-self._max_rss_kb // 1024),
        )
        if extensions is not None:
            extensions.telemetry(
                invocation.request_id,
                during,
                error_type=ending.error_type,
                duration_ms=result.duration_ms,
                extension_log=extension_log,
                init_duration_ms=init_duration_ms,
                init_error_type=ending.error_type if self.init_failed else None,
            )
        return result

    def _split_log(self) -> tuple[str, str]:
        """The text before this invocation's START line, and the text inside it.

        Output up to the runtime's ``next`` (init, or what followed the previous answer)
        comes before START; what came after it is the invocation's. When the runtime never
        fetched the invocation (init failed, it exited, it hung in init), all of it is before.
        Both parts end with a newline when not empty.
        """
        before = "".join(self._log_before_next)
        self._log_before_next.clear()
        during = self._take_log()
        if self._pending is None or not self._pending.delivered.done():
            before, during = before + during, ""
        self._pending = None
        return report.line_terminated(before), report.line_terminated(during)

    async def stop(self) -> None:
        """End the environment (the bootstrap and all it started), close the Runtime API and
        the log pipe."""
        self._stopped = True
        if self._extensions is not None:
            await self._extensions.shutdown(self._shutdown_reason)
        await self._stop_process()
        if self._api is not None:
            await self._api.close()
        if self._logs is not None:
            self._logs.close()
        self._view.release()

    # -- one invocation -----------------------------------------------------------------

    async def _run(
        self, invocation: Invocation, started: float
    ) -> tuple[report.Ending, float | None]:
        """How the invocation ended, and when the runtime answered it (None: it did not)."""
        request_id = invocation.request_id
        api, process = self._api, self._process
        if self._entrypoint_error is not None or api is None or process is None:
            reason = self._entrypoint_error or "the environment was stopped"
            return report.platform_failure(request_id, "Runtime.InvalidEntrypoint", reason), None
        if api.init_error.done():
            return self._init_failure(api), None
        if self._stopped or process.exited.done():
            return self._exit_failure(request_id, process), None
        deadline_ms = int(time.time() * 1000) + self.spec.timeout * 1000
        if self._extensions is not None:  # the previous invocation is complete first
            failed = await self._extensions.begin(invocation, deadline_ms, self.spec.timeout)
            if failed is not None:
                return failed, None
        self._pending = pending = api.submit(invocation, deadline_ms)
        waiting: set[asyncio.Future[Any]] = {pending.answer, process.exited}
        if not self._served:
            waiting.add(api.init_error)
        remaining = started + self.spec.timeout - self._loop.time()
        if self._memory is not None:
            self._memory.watch(self)
        try:
            await asyncio.wait(waiting, timeout=max(0.0, remaining), return_when=FIRST_COMPLETED)
        finally:
            if self._memory is not None:
                self._memory.unwatch(self)
        if pending.answer.done():
            answer = pending.answer.result()
            ending = report.Ending(answer.payload, answer.error_type, streamed=answer.streamed)
            return ending, answer.answered_at
        api.abandon(pending)
        if api.init_error.done():
            return self._init_failure(api), None
        if process.exited.done():
            return self._exit_failure(request_id, process), None
        elapsed_s = self._loop.time() - started
        return report.timed_out(request_id, self.spec.timeout, elapsed_s), None

    def _init_failure(self, api: RuntimeApi) -> report.Ending:
        error = api.init_error.result()
        return report.Ending(error.payload, error.error_type, "error")

    def _exit_failure(self, request_id: str, process: BootstrapProcess) -> report.Ending:
        code = signal_number = None
        if process.exited.done():
            status = process.exited.result()
            code, signal_number = status.code, status.signal
        return report.runtime_exited(
            request_id, code, signal_number, out_of_memory=self._out_of_memory
        )

    # -- plumbing -----------------------------------------------------------------------

    def _on_next(self) -> None:
        """The runtime asked for its next event: all it wrote so far precedes that event."""
        self._log_before_next.append(self._take_log())

    def _take_log(self) -> str:
        return self._logs.take() if self._logs is not None else ""

    async def _stop_process(self) -> None:
        if self._process is not None:
            await self._process.stop(STOP_TIMEOUT_S)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


async def start_custom_environment(
    spec: FunctionSpec,
    settings: RuntimeSettings,
    launcher: Launcher,
    memory: MemoryWatch | None = None,
    view: EnvironmentView | None = None,
) -> CustomEnvironment:
    """The pool's factory for ``provided.*`` runtimes: a started environment, init done.
    ``launcher`` gives the zygote that executes the bootstrap
    (``PythonInterpreters.launcher``). With ``memory``, the bootstrap's resident memory is
    held to the function's MemorySize while it serves an invocation."""
    environment = CustomEnvironment(spec, settings, launcher, memory, view)
    try:
        await environment.start()
    except BaseException:
        await environment.stop()
        raise
    return environment
