"""The execution environment of ``python3.*`` functions: one worker forked from a zygote.

The Node.js runtimes' workers speak the same frames (``nodejs.py``), so the same class
serves them; their streamed responses come as ``stream`` and ``chunk`` frames before the
response frame, and a response frame marked ``exiting`` (an uncaught exception or unhandled
rejection) ends the environment with it.

The server talks to the worker over three pipes (``worker/protocol.py``). All of it runs on the
event loop with non-blocking file descriptors and reader callbacks; an invocation is one frame
written and one frame read. Everything the worker printed before its response frame is in the
log pipe by then (the worker flushes first), so the log is drained without waiting.

Timeouts, memory overruns and crashes end the invocation with AWS's error objects and leave
the environment dead; the pool replaces it.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from lambdaport.runtime import report
from lambdaport.runtime.env_vars import function_environment, log_stream_name
from lambdaport.runtime.extensions import Extensions
from lambdaport.runtime.frames import Frame, FrameParser, encode_request
from lambdaport.runtime.interpreters import PythonInterpreters
from lambdaport.runtime.memory import MemoryWatch, peak_rss_kb
from lambdaport.runtime.paths import EnvironmentView
from lambdaport.runtime.runtime_api import RuntimeApi
from lambdaport.runtime.settings import RuntimeSettings
from lambdaport.runtime.spec import FunctionSpec, Invocation, InvocationResult, ResponseStream
from lambdaport.runtime.standbys import PythonStandbys, Standby
from lambdaport.runtime.worker.protocol import MAX_RESPONSE_BYTES, encode_frame
from lambdaport.runtime.zygote import KILLED, ExitStatus, SpawnedWorker, Zygote

INIT_TIMEOUT_S = 10.0  # AWS's limit on the init phase of on-demand functions
_READ_SIZE = 1 << 20
_STOP_TIMEOUT_S = 5.0


class EnvironmentState(enum.Enum):
    STARTING = "starting"
    IDLE = "idle"
    BUSY = "busy"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class _Outcome:
    """How an invocation ended: a response frame, or a platform event."""

    kind: str  # "response" | "exit" | "timeout" | "oom"
    header: dict[str, Any] | None = None
    body: bytes = b""
    exit_status: ExitStatus | None = None


class PythonEnvironment:
    """One warm worker process of one function version."""

    def __init__(
        self,
        spec: FunctionSpec,
        worker: SpawnedWorker,
        zygote: Zygote,
        stream_name: str,
        memory: MemoryWatch,
        extensions: Extensions | None = None,
        api: RuntimeApi | None = None,
        notice: str = "",
        view: EnvironmentView | None = None,
    ) -> None:
        """``notice``: a line for the function's own log ahead of its first invocation (the
        runtime it asked for is not installed and another one runs it); ``view``: the file
        system its processes see (``paths.py``)."""
        self._view = view
        self.spec = spec
        self._extensions = extensions  # the layers' extensions, served by ``api``
        self._api = api
        self._shutdown_reason = "spindown"
        self.stream_name = stream_name
        self.state = EnvironmentState.STARTING
        self.init_duration_ms: float | None = None
        self.memory_limit_kb = spec.memory_size * 1024
        self._worker = worker
        self._zygote = zygote
        self._memory = memory
        self._loop = asyncio.get_running_loop()
        self._parser = FrameParser()
        self._log = bytearray(notice.encode())
        self._stream: ResponseStream | None = None  # the invocation's, when it streams
        self._chunks: list[bytes] = []  # a streamed response no one streams: collected
        self._chunked = 0
        self._init: asyncio.Future[dict[str, Any]] = self._loop.create_future()
        self._init_error: dict[str, Any] | None = None
        self._init_failure: _Outcome | None = None
        self._pending: asyncio.Future[_Outcome] | None = None
        self._unsent: memoryview | None = None
        self._max_rss_kb = 0
        self._stopped = False
        self._loop.add_reader(worker.response_fd, self._on_response_readable)
        self._loop.add_reader(worker.log_fd, self._on_log_readable)
        worker.exited.add_done_callback(self._on_exit)

    @property
    def pid(self) -> int:
        return self._worker.pid

    @property
    def alive(self) -> bool:
        return self.state is not EnvironmentState.DEAD

    @property
    def init_failed(self) -> bool:
        extensions = self._extensions
        return (
            self._init_error is not None
            or self._init_failure is not None
            or (extensions is not None and extensions.failure is not None)
        )

    # -- reading the worker ------------------------------------------------------------

    def _on_response_readable(self) -> None:
        try:
            data = os.read(self._worker.response_fd, _READ_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._loop.remove_reader(self._worker.response_fd)
            return
        for frame in self._parser.feed(data):
            self._on_frame(frame)

    def _drain_responses(self) -> None:
        with contextlib.suppress(OSError):
            while data := os.read(self._worker.response_fd, _READ_SIZE):
                for frame in self._parser.feed(data):
                    self._on_frame(frame)

    def _on_frame(self, frame: Frame) -> None:
        header, body = frame
        kind = header.get("kind")
        if kind == "init":
            if not self._init.done():
                self._init.set_result(header)
            return
        if kind == "chunk" or kind == "stream":
            self._on_stream_frame(header, body)
            return
        self._drain_log()
        if header.get("exiting"):  # the runtime reported its own end: no next invocation
            self.state = EnvironmentState.DEAD
        pending = self._pending
        if pending is not None and not pending.done():
            pending.set_result(_Outcome("response", header, body))

    def _on_stream_frame(self, header: dict[str, Any], body: bytes) -> None:
        stream = self._stream
        if header.get("kind") == "stream":
            if stream is not None:
                stream.open(str(header.get("content_type") or "application/octet-stream"))
        elif stream is not None:
            stream.write(body)
        elif self._chunked <= MAX_RESPONSE_BYTES:
            self._chunks.append(body)
            self._chunked += len(body)

    def send(self, frame: bytes) -> None:
        """Write a frame to the worker (``nodejs.py``'s assignment)."""
        self._write_request(frame)

    async def assign(self, assignment: dict[str, Any], started: float) -> None:
        """A standby's assignment (its function's ``env``, ``code_dir``, ``handler``, ...)
        sent as an ``assign`` frame, and its init waited for; stopped if that fails."""
        try:
            self.send(encode_frame({"kind": "assign", **assignment}))
            await self.wait_init(started)
        except BaseException:
            await self.stop()
            raise

    def _on_log_readable(self) -> None:
        try:
            data = os.read(self._worker.log_fd, _READ_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            self._log += data
        else:
            self._loop.remove_reader(self._worker.log_fd)

    def _drain_log(self) -> None:
        # Once per invocation, usually on an empty pipe: no context manager on this path.
        fd = self._worker.log_fd
        try:
            while data := os.read(fd, _READ_SIZE):
                self._log += data
        except OSError:
            pass

    def _take_log(self) -> bytes:
        if not self._log:
            return b""
        data = bytes(self._log)
        self._log.clear()
        return data

    # -- platform events ---------------------------------------------------------------

    def _on_exit(self, exited: asyncio.Future[ExitStatus]) -> None:
        if not self._stopped:
            self._drain_responses()
            self._drain_log()
        self.state = EnvironmentState.DEAD
        if not self._init.done():
            self._init.set_result({"kind": "init", "exited": True})
        pending = self._pending
        if pending is not None and not pending.done():
            pending.set_result(_Outcome("exit", exit_status=exited.result()))

    def _end_by_platform(self, kind: str) -> None:
        self._drain_responses()
        pending = self._pending
        if pending is None or pending.done():
            return
        self.state = EnvironmentState.DEAD
        self._shutdown_reason = "timeout" if kind == "timeout" else "failure"
        self._record_peak_rss()
        self._zygote.kill(self.pid)
        self._drain_log()
        pending.set_result(_Outcome(kind))

    def _record_peak_rss(self) -> None:
        peak = peak_rss_kb(self.pid)
        if peak is not None:
            self._max_rss_kb = max(self._max_rss_kb, peak)

    def _on_timeout(self) -> None:
        self._end_by_platform("timeout")

    def memory_exceeded(self, peak_kb: int) -> None:
        self._max_rss_kb = max(self._max_rss_kb, peak_kb)
        self._end_by_platform("oom")

    # -- init --------------------------------------------------------------------------

    async def wait_init(self, started: float) -> None:
        """Wait for the worker's init frame (the handler module imported or failed)."""
        try:
            header = await asyncio.wait_for(asyncio.shield(self._init), INIT_TIMEOUT_S)
        except TimeoutError:
            header = {"kind": "init", "timeout": True}
        extensions = self._extensions
        if extensions is not None:  # init ends when the extensions are ready too
            remaining = INIT_TIMEOUT_S - (time.perf_counter() - started)
            await asyncio.wait({extensions.ready}, timeout=max(0.0, remaining))
        self.init_duration_ms = (time.perf_counter() - started) * 1000
        self._drain_log()
        if header.get("error") is not None:
            self._init_error = header["error"]
        elif header.get("timeout"):
            self._init_failure = _Outcome("timeout")
        elif self._worker.exited.done():
            self._init_failure = _Outcome("exit", exit_status=self._worker.exited.result())
        if self.state is EnvironmentState.STARTING:
            self.state = EnvironmentState.IDLE

    # -- invoking ----------------------------------------------------------------------

    def _write_request(self, frame: bytes) -> None:
        fd = self._worker.request_fd
        try:
            written = os.write(fd, frame)
        except BlockingIOError:
            written = 0
        except OSError:
            return  # the worker is gone; its exit ends the invocation
        if written < len(frame):
            self._unsent = memoryview(frame)[written:]
            self._loop.add_writer(fd, self._on_request_writable)

    def _on_request_writable(self) -> None:
        fd = self._worker.request_fd
        unsent = self._unsent
        try:
            written = os.write(fd, unsent) if unsent is not None else 0
        except BlockingIOError:
            return
        except OSError:
            written = len(unsent) if unsent is not None else 0
        if unsent is None or written >= len(unsent):
            self._unsent = None
            self._loop.remove_writer(fd)
        else:
            self._unsent = unsent[written:]

    async def invoke(self, invocation: Invocation) -> InvocationResult:
        if self._init_error is not None:
            return self._init_failed(invocation)
        if self._init_failure is not None:
            self.state = EnvironmentState.DEAD
            self._zygote.kill(self.pid)
            return self._result(invocation, self._init_failure, 0.0, self._take_log())
        if self.state is not EnvironmentState.IDLE:
            raise RuntimeError(f"environment is {self.state.value}, not idle")
        self.state = EnvironmentState.BUSY
        before = self._take_log()
        started = time.perf_counter()
        deadline_ms = int(time.time() * 1000) + self.spec.timeout * 1000
        if self._extensions is not None:  # the previous invocation is complete first
            failed = await self._extensions.begin(invocation, deadline_ms, self.spec.timeout)
            if failed is not None:
                self.state = EnvironmentState.DEAD
                self._shutdown_reason = "failure"
                self._zygote.kill(self.pid)
                return self._finish(invocation.request_id, failed, 0.0, before)
        pending: asyncio.Future[_Outcome] = self._loop.create_future()
        self._pending = pending
        self._stream = invocation.stream
        timer = self._loop.call_later(self.spec.timeout, self._on_timeout)
        self._memory.watch(self)
        try:
            self._write_request(encode_request(invocation, deadline_ms))
            outcome = await pending
        finally:
            timer.cancel()
            self._memory.unwatch(self)
            self._pending = None
            self._stream = None
        if outcome.kind == "response" and outcome.header and outcome.header.get("streamed"):
            outcome = self._streamed(invocation, outcome)
        duration_ms = (time.perf_counter() - started) * 1000
        if outcome.kind == "response" and self.state is EnvironmentState.BUSY:
            self.state = EnvironmentState.IDLE
        elif self.state is EnvironmentState.DEAD and outcome.kind == "response":
            self._zygote.kill(self.pid)  # it is exiting on its own; make sure of it
        return self._result(invocation, outcome, duration_ms, before)

    def _streamed(self, invocation: Invocation, outcome: _Outcome) -> _Outcome:
        """A streamed response: its bytes went to the stream, or are the payload."""
        chunks, self._chunks, self._chunked = self._chunks, [], 0
        header = dict(outcome.header or {})
        if header.get("error_type") is not None:
            return _Outcome("response", header, outcome.body)
        if invocation.stream is not None:
            return _Outcome("response", header, b"")
        header["streamed"] = False
        return _Outcome("response", header, b"".join(chunks))

    def _result(
        self, invocation: Invocation, outcome: _Outcome, duration_ms: float, before: bytes
    ) -> InvocationResult:
        request_id = invocation.request_id
        if outcome.kind == "response":
            assert outcome.header is not None
            self._max_rss_kb = max(self._max_rss_kb, outcome.header.get("max_rss_kb") or 0)
            ending = _response_ending(outcome.header.get("error_type"), outcome.body)
            if outcome.header.get("streamed"):
                ending = replace(ending, streamed=True)
        elif outcome.kind == "timeout":
            ending = report.timed_out(request_id, self.spec.timeout, duration_ms / 1000)
        else:
            status = outcome.exit_status or KILLED
            ending = report.runtime_exited(
                request_id, status.code, status.signal, out_of_memory=outcome.kind == "oom"
            )
        return self._finish(request_id, ending, duration_ms, before)

    def _finish(
        self, request_id: str, ending: report.Ending, duration_ms: float, before: bytes
    ) -> InvocationResult:
        init_ms, self.init_duration_ms = self.init_duration_ms, None
        output = report.line_terminated(self._take_log().decode("utf-8", "replace"))
        extensions = self._extensions
        extension_log = report.line_terminated(extensions.take_log()) if extensions else ""
        result = report.invocation_result(
            self.spec,
            request_id,
            ending,
            before=before.decode("utf-8", "replace"),
            output=output + extension_log,
            duration_ms=duration_ms,
            init_duration_ms=init_ms,
            max_memory_used_mb=-(-self._max_rss_kb // 1024),
        )
        if extensions is not None:
            extensions.telemetry(
                request_id,
                output,
                error_type=ending.error_type,
                duration_ms=duration_ms,
                extension_log=extension_log,
                init_duration_ms=init_ms,
                init_error_type=ending.error_type if self.init_failed else None,
            )
        return result

    def _init_failed(self, invocation: Invocation) -> InvocationResult:
        """AWS reports an init error as the first invocation's error; the environment dies."""
        error = self._init_error or {}
        self.state = EnvironmentState.DEAD
        self._record_peak_rss()
        self._zygote.kill(self.pid)
        before = self._take_log()
        error_type = str(error.get("errorType", "Runtime.Unknown"))
        ending = report.Ending(json.dumps(error).encode(), error_type, "error")
        return self._finish(invocation.request_id, ending, 0.0, before)

    async def stop(self) -> None:
        """Kill the worker and release its pipes (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        self.state = EnvironmentState.DEAD
        self._memory.unwatch(self)
        if self._extensions is not None:
            await self._extensions.shutdown(self._shutdown_reason)
        if self._api is not None:
            await self._api.close()
        if self._view is not None:
            self._view.release()
        if not self._worker.exited.done():
            self._zygote.kill(self.pid)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._worker.exited), _STOP_TIMEOUT_S)
        for fd in (self._worker.response_fd, self._worker.log_fd):
            self._loop.remove_reader(fd)
        self._loop.remove_writer(self._worker.request_fd)
        for fd in (self._worker.request_fd, self._worker.response_fd, self._worker.log_fd):
            with contextlib.suppress(OSError):
                os.close(fd)


def _response_ending(error_type: str | None, payload: bytes) -> report.Ending:
    """The worker's response frame: the handler's result or error object, unless too large."""
    if len(payload) > MAX_RESPONSE_BYTES or error_type == "Function.ResponseSizeTooLarge":
        error_type = "Function.ResponseSizeTooLarge"
        message = (
            "Response payload size exceeded maximum allowed payload size "
            f"({MAX_RESPONSE_BYTES} bytes)."
        )
        return report.Ending(report.error_object(error_type, message), error_type, "error")
    return report.Ending(payload, error_type)


async def abandon_start(
    extensions: Extensions | None, api: RuntimeApi, view: EnvironmentView
) -> None:
    """Release what an environment that could not start had started (its worker never ran)."""
    if extensions is not None:
        await extensions.stop()
    await api.close()
    view.release()


async def start_python_environment(
    spec: FunctionSpec,
    settings: RuntimeSettings,
    interpreters: PythonInterpreters,
    memory: MemoryWatch,
    family_env: Mapping[str, str],
    path: list[str] | None = None,
    view: EnvironmentView | None = None,
    standbys: PythonStandbys | None = None,
) -> PythonEnvironment:
    """Fork a worker for ``spec`` from its interpreter's zygote, or assign it a standby
    (``standbys.py``), and wait for its init; ``family_env`` are the Python family's own
    variables (``families.PythonFamily``), ``path`` the directories after the code on its
    ``sys.path`` (the layers'), ``view`` the file system its processes see (``paths.py``:
    ``spec``'s own directories unless given)."""
    view = view or EnvironmentView(spec)
    zygote = await interpreters.zygote(spec.runtime)
    interpreter = await interpreters.interpreter(spec.runtime)
    day = time.strftime("%Y/%m/%d", time.gmtime())
    stream_name = log_stream_name(spec.version, uuid.uuid4().hex, day)
    extensions = Extensions.of(spec)
    standby = None
    if standbys is not None and extensions is None and not view.mounts:
        standby = standbys.take(zygote)
    # AWS_LAMBDA_RUNTIME_API is set for managed runtimes too, as on AWS: the Extensions and
    # Telemetry APIs answer there (the runtime itself talks to the worker over its pipes).
    if standby is not None:
        api = standby.api
    else:
        api = await RuntimeApi.open(extensions=extensions)
    env = function_environment(
        view.spec, settings, stream_name, runtime_api=api.address, family=family_env
    )
    started = time.perf_counter()
    if standby is not None:
        return await _assign(
            spec, standby, env, path or [], view, memory, stream_name, interpreter.notice, started
        )
    if extensions is not None:  # started first, as on AWS
        try:
            await extensions.launch(await interpreters.launcher(), env, view)
        except BaseException:
            await abandon_start(extensions, api, view)
            raise
    try:
        worker = await zygote.spawn(
            env=env,
            code_dir=view.spec.code_dir,
            handler=spec.handler,
            path=path or [],
            mounts=view.mounts,
        )
    except BaseException:
        await abandon_start(extensions, api, view)
        raise
    environment = PythonEnvironment(
        spec,
        worker,
        zygote,
        stream_name,
        memory,
        extensions,
        api,
        notice=interpreter.notice,
        view=view,
    )
    try:
        await environment.wait_init(started)
    except BaseException:
        await environment.stop()
        raise
    return environment


async def _assign(
    spec: FunctionSpec,
    standby: Standby,
    env: dict[str, str],
    path: list[str],
    view: EnvironmentView,
    memory: MemoryWatch,
    stream_name: str,
    notice: str,
    started: float,
) -> PythonEnvironment:
    """A standby made ``spec``'s environment: its assignment sent, its init waited for."""
    environment = PythonEnvironment(
        spec,
        standby.worker,
        standby.zygote,
        stream_name,
        memory,
        api=standby.api,
        notice=notice,
        view=view,
    )
    code_dir = view.spec.code_dir
    assignment = {"env": env, "code_dir": code_dir, "handler": spec.handler, "path": path}
    await environment.assign(assignment, started)
    return environment
