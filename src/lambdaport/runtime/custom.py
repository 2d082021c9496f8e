"""Execution environments of custom runtimes (``provided.al2023``, ``provided.al2``).

The environment runs the function's ``bootstrap`` executable with ``AWS_LAMBDA_RUNTIME_API``
pointing at its own Runtime API server (``runtime_api.py``), so any runtime interface client
(``awslambdaric``, the Go, Rust, Node, Java clients, a shell script with curl) works
unchanged. An invocation ends when the runtime posts its response or error; its log is what
the bootstrap wrote up to that post, which is already in the log pipe by then.

Failures come back as results, never exceptions (AWS-SEMANTICS.md A.2): a missing or
unexecutable bootstrap is ``Runtime.InvalidEntrypoint``, an ``/init/error`` post is the first
invocation's error, an exit is ``Runtime.ExitError``, a timeout kills the process group and
is ``Sandbox.Timedout``. A fresh environment stays ``alive`` until its first invocation has
reported any such init failure, so the pool always gets to return that error to a caller.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from asyncio import FIRST_COMPLETED
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from lambdaport.runtime.custom_process import BootstrapProcess, LogPipe, exit_reason
from lambdaport.runtime.env_vars import function_environment, log_stream_name
from lambdaport.runtime.memory import MemoryWatch
from lambdaport.runtime.report import end_line, report_line, start_line, timeout_message
from lambdaport.runtime.runtime_api import AnswerKind, PendingInvocation, RuntimeApi
from lambdaport.runtime.settings import RuntimeSettings
from lambdaport.runtime.spec import FunctionSpec, Invocation, InvocationResult

INIT_TIMEOUT_S = 10.0  # AWS's limit on the init phase of an on-demand function
STOP_TIMEOUT_S = 5.0
BOOTSTRAP_NAME = "bootstrap"


@dataclass(frozen=True, slots=True)
class _Outcome:
    """How one invocation ended, before the log and the REPORT line are put around it."""

    payload: bytes
    error_type: str | None = None
    function_error: bool = False
    status: str | None = None  # "timeout" | "error" for platform failures (REPORT line)
    platform_log: str = ""  # the platform's own lines, written before END
    ended_at: float | None = None  # event-loop clock; None means "now"
    environment_failed: bool = False


def _platform_error(request_id: str, error_type: str, reason: str) -> _Outcome:
    message = f"RequestId: {request_id} Error: {reason}"
    return _Outcome(
        payload=orjson.dumps({"errorType": error_type, "errorMessage": message}),
        error_type=error_type,
        function_error=True,
        status="error",
        platform_log=f"{message}\n{error_type}\n",
        environment_failed=True,
    )


class CustomEnvironment:
    """One execution environment of a ``provided.*`` function. Start it with ``start()``."""

    def __init__(
        self, spec: FunctionSpec, settings: RuntimeSettings, memory: MemoryWatch | None = None
    ) -> None:
        self.spec = spec
        self.memory_limit_kb = spec.memory_size * 1024
        self._memory = memory
        self._out_of_memory = False
        self.environment_id = uuid.uuid4().hex
        day = time.strftime("%Y/%m/%d", time.gmtime())
        self.log_stream_name = log_stream_name(spec.version, self.environment_id, day)
        self._settings = settings
        self._loop = asyncio.get_running_loop()
        self._api: RuntimeApi | None = None
        self._logs: LogPipe | None = None
        self._process: BootstrapProcess | None = None
        self._entrypoint_error: str | None = None
        self._init_duration_ms: float | None = None  # reported once, by the first invocation
        self._max_memory_mb = 0
        self._log_before_next: list[str] = []  # output up to the runtime's latest next
        self._pending: PendingInvocation | None = None  # the latest submitted invocation
        self._served = False
        self._failed = False
        self._stopped = False
        self._lock = asyncio.Lock()

    @property
    def pid(self) -> int:
        """The bootstrap's pid (what the memory watch samples)."""
        return self._process.pid if self._process is not None else -1

    def memory_exceeded(self, peak_kb: int) -> None:
        """Over ``MemorySize``: the environment is killed, as AWS kills it."""
        self._max_memory_mb = max(self._max_memory_mb, peak_kb // 1024)
        self._out_of_memory = True
        if self._process is not None:
            self._process.kill()

    @property
    def stream_name(self) -> str:
        """The pool's name for ``log_stream_name``."""
        return self.log_stream_name

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

    async def start(self) -> None:
        """Start the Runtime API and the bootstrap; return when init finished (or failed).

        Init ends at the runtime's first ``next`` or ``/init/error``, or with the process
        exiting; after ``INIT_TIMEOUT_S`` the first invocation waits for the rest of it.
        """
        self._api = api = await RuntimeApi.open(on_next=self._on_next)
        path = Path(self.spec.code_dir) / BOOTSTRAP_NAME
        if not path.is_file():
            self._entrypoint_error = f"Couldn't find valid bootstrap(s): [{path}]"
            return
        self._logs = logs = LogPipe()
        env = function_environment(
            self.spec, self._settings, self.log_stream_name, runtime_api=api.address
        )
        started = self._loop.time()
        try:
            self._process = BootstrapProcess.spawn(
                str(path), cwd=self.spec.code_dir, env=env, output_fd=logs.write_fd
            )
        except OSError as exc:
            self._entrypoint_error = f"fork/exec {path}: {_lower_first(exc.strerror or str(exc))}"
            return
        finally:
            logs.close_write_end()
        init_ends: set[asyncio.Future[Any]] = {api.ready, api.init_error, self._process.exited}
        await asyncio.wait(init_ends, timeout=INIT_TIMEOUT_S, return_when=FIRST_COMPLETED)
        self._init_duration_ms = (self._loop.time() - started) * 1000

    async def invoke(self, invocation: Invocation) -> InvocationResult:
        async with self._lock:
            started = self._loop.time()
            init_duration_ms, self._init_duration_ms = self._init_duration_ms, None
            outcome = await self._run(invocation, started)
            ended = outcome.ended_at if outcome.ended_at is not None else self._loop.time()
            self._served = True
            if self._process is not None:
                self._max_memory_mb = max(self._max_memory_mb, self._process.max_memory_used_mb())
            if outcome.environment_failed:
                self._failed = True
                await self._stop_process()
            before, during = self._split_log()
        duration_ms = max(0.0, (ended - started) * 1000)
        request_id = invocation.request_id
        report = report_line(
            request_id,
            duration_ms=duration_ms,
            memory_size=self.spec.memory_size,
            max_memory_used_mb=self._max_memory_mb,
            init_duration_ms=init_duration_ms,
            status=outcome.status,
            error_type=outcome.error_type if outcome.status == "error" else None,
        )
        log = "".join(
            (
                before,
                start_line(request_id, self.spec.version),
                during,
                outcome.platform_log,
                end_line(request_id),
                report,
            )
        )
        return InvocationResult(
            payload=outcome.payload,
            function_error="Unhandled" if outcome.function_error else None,
            log=log,
            duration_ms=duration_ms,
            init_duration_ms=init_duration_ms,
            max_memory_used_mb=self._max_memory_mb,
            error_type=outcome.error_type,
        )

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
        return _line_terminated(before), _line_terminated(during)

    async def stop(self) -> None:
        """Kill the bootstrap's process group, close the Runtime API and the log pipe."""
        self._stopped = True
        await self._stop_process()
        if self._api is not None:
            await self._api.close()
        if self._logs is not None:
            self._logs.close()

    # -- one invocation -----------------------------------------------------------------

    async def _run(self, invocation: Invocation, started: float) -> _Outcome:
        request_id = invocation.request_id
        api, process = self._api, self._process
        if self._entrypoint_error is not None or api is None or process is None:
            reason = self._entrypoint_error or "the environment was stopped"
            return _platform_error(request_id, "Runtime.InvalidEntrypoint", reason)
        if api.init_error.done():
            return self._init_failure(api)
        if self._stopped or process.exited.done():
            return self._exit_failure(request_id, process)
        deadline_ms = int(time.time() * 1000) + self.spec.timeout * 1000
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
            return self._answered(pending)
        api.abandon(pending)
        if api.init_error.done():
            return self._init_failure(api)
        if process.exited.done():
            return self._exit_failure(request_id, process)
        return self._timed_out(request_id, started)

    def _answered(self, pending: PendingInvocation) -> _Outcome:
        answer = pending.answer.result()
        if answer.kind is AnswerKind.RESPONSE:
            return _Outcome(payload=answer.payload, ended_at=answer.answered_at)
        return _Outcome(
            payload=answer.payload,
            error_type=answer.error_type,
            function_error=True,
            ended_at=answer.answered_at,
        )

    def _init_failure(self, api: RuntimeApi) -> _Outcome:
        error = api.init_error.result()
        return _Outcome(
            payload=error.payload,
            error_type=error.error_type,
            function_error=True,
            status="error",
            environment_failed=True,
        )

    def _exit_failure(self, request_id: str, process: BootstrapProcess) -> _Outcome:
        reason = exit_reason(process.exited.result()) if process.exited.done() else None
        if reason is None:
            text = "Runtime exited without providing a reason"
        else:
            text = f"Runtime exited with error: {reason}"
        error_type = "Runtime.OutOfMemory" if self._out_of_memory else "Runtime.ExitError"
        return _platform_error(request_id, error_type, text)

    def _timed_out(self, request_id: str, started: float) -> _Outcome:
        elapsed = self._loop.time() - started
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        message = timeout_message(request_id, self.spec.timeout)
        return _Outcome(
            payload=orjson.dumps({"errorType": "Sandbox.Timedout", "errorMessage": message}),
            error_type="Sandbox.Timedout",
            function_error=True,
            status="timeout",
            platform_log=f"{stamp} {request_id} Task timed out after {elapsed:.2f} seconds\n",
            environment_failed=True,
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


def _line_terminated(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


async def start_custom_environment(
    spec: FunctionSpec, settings: RuntimeSettings, memory: MemoryWatch | None = None
) -> CustomEnvironment:
    """The pool's factory for ``provided.*`` runtimes: a started environment, init done.
    With ``memory``, the bootstrap's resident memory is held to the function's MemorySize
    while it serves an invocation."""
    environment = CustomEnvironment(spec, settings, memory)
    try:
        await environment.start()
    except BaseException:
        await environment.stop()
        raise
    return environment
