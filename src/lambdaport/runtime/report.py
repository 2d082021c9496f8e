"""The platform's side of every invocation's ending, in AWS's words, for every runtime.

The log lines around an invocation, in AWS's text format:

START RequestId: <id> Version: <version>
END RequestId: <id>
REPORT RequestId: <id>\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\t
    Max Memory Used: 56 MB\t[Init Duration: 130.49 ms\t][Status: timeout | Status: error\t
    Error Type: Runtime.ExitError]

and the error objects and lines of the platform's own failures (a timeout, the runtime
exiting). ``invocation_result`` puts an ``Ending`` and the function's output together.
"""

from __future__ import annotations

import math
import signal
import time
from dataclasses import dataclass

import orjson

from lambdaport.runtime.json_log import json_log
from lambdaport.runtime.spec import FunctionSpec, InvocationResult

# Go's names for signals, as AWS prints them ("Runtime exited with error: signal: killed").
_SIGNAL_NAMES: dict[int, str] = {
    signal.SIGABRT: "aborted",
    signal.SIGBUS: "bus error",
    signal.SIGFPE: "floating point exception",
    signal.SIGHUP: "hangup",
    signal.SIGILL: "illegal instruction",
    signal.SIGINT: "interrupt",
    signal.SIGKILL: "killed",
    signal.SIGPIPE: "broken pipe",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGTERM: "terminated",
    signal.SIGTRAP: "trace/breakpoint trap",
    signal.SIGUSR1: "user defined signal 1",
    signal.SIGUSR2: "user defined signal 2",
}


@dataclass(frozen=True, slots=True)
class Ending:
    """How an invocation ended, before the log and the REPORT line are put around it.

    ``error_type`` is set when ``payload`` is an error object; ``status`` is ``"timeout"`` or
    ``"error"`` for platform failures (the REPORT line's Status), which end the environment.
    """

    payload: bytes
    error_type: str | None = None
    status: str | None = None
    platform_log: str = ""  # the platform's own lines, written before END
    streamed: bool = False  # the payload went to the invocation's ResponseStream


def start_line(request_id: str, version: str) -> str:
    return f"START RequestId: {request_id} Version: {version}\n"


def end_line(request_id: str) -> str:
    return f"END RequestId: {request_id}\n"


def report_line(
    request_id: str,
    *,
    duration_ms: float,
    memory_size: int,
    max_memory_used_mb: int,
    init_duration_ms: float | None = None,
    status: str | None = None,
    error_type: str | None = None,
) -> str:
    """``status`` is ``"timeout"`` or ``"error"`` for platform-level failures (a timeout, a
    crash, running out of memory); handler exceptions leave it ``None``, as AWS does."""
    parts = [
        f"REPORT RequestId: {request_id}",
        f"Duration: {duration_ms:.2f} ms",
        f"Billed Duration: {max(1, math.ceil(duration_ms))} ms",
        f"Memory Size: {memory_size} MB",
        f"Max Memory Used: {max_memory_used_mb} MB",
    ]
    if init_duration_ms is not None:
        parts.append(f"Init Duration: {init_duration_ms:.2f} ms")
    if status is not None:
        parts.append(f"Status: {status}")
        if error_type is not None:
            parts.append(f"Error Type: {error_type}")
    return "\t".join(parts) + "\t\n"


def timeout_message(request_id: str, timeout_s: int) -> str:
    """The errorMessage of a timed-out invocation (and its log line's tail)."""
    return f"RequestId: {request_id} Error: Task timed out after {timeout_s:.2f} seconds"


def error_object(error_type: str, message: str) -> bytes:
    """The platform's error object: ``{"errorType": ..., "errorMessage": ...}``."""
    return orjson.dumps({"errorType": error_type, "errorMessage": message})


def platform_failure(request_id: str, error_type: str, reason: str) -> Ending:
    """A failure of the environment (bad entrypoint, the runtime exiting, out of memory)."""
    message = f"RequestId: {request_id} Error: {reason}"
    return Ending(
        error_object(error_type, message), error_type, "error", f"{message}\n{error_type}\n"
    )


def exit_reason(code: int | None, signal_number: int | None) -> str | None:
    """How AWS words an exit: ``exit status 1``, ``signal: killed``; ``None`` for status 0."""
    if signal_number is not None:
        name = _SIGNAL_NAMES.get(signal_number)
        if name is None:
            described = signal.strsignal(signal_number)
            name = described[:1].lower() + described[1:] if described else f"signal {signal_number}"
        return f"signal: {name}"
    return f"exit status {code}" if code else None


def runtime_exited(
    request_id: str, code: int | None, signal_number: int | None, *, out_of_memory: bool = False
) -> Ending:
    """The runtime process exited (or was killed) before it answered."""
    reason = exit_reason(code, signal_number)
    text = (
        "Runtime exited without providing a reason"
        if reason is None
        else f"Runtime exited with error: {reason}"
    )
    error_type = "Runtime.OutOfMemory" if out_of_memory else "Runtime.ExitError"
    return platform_failure(request_id, error_type, text)


def timed_out(request_id: str, timeout_s: int, elapsed_s: float) -> Ending:
    """The invocation ran past the function's timeout."""
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"
    return Ending(
        error_object("Sandbox.Timedout", timeout_message(request_id, timeout_s)),
        "Sandbox.Timedout",
        "timeout",
        f"{stamp} {request_id} Task timed out after {elapsed_s:.2f} seconds\n",
    )


def invocation_result(
    spec: FunctionSpec,
    request_id: str,
    ending: Ending,
    *,
    before: str,
    output: str,
    duration_ms: float,
    init_duration_ms: float | None,
    max_memory_used_mb: int,
) -> InvocationResult:
    """The result, its log: ``before`` (output ahead of START), START, the invocation's
    ``output``, the platform's lines, END and REPORT. ``before`` and ``output`` end with a
    newline when not empty. A provisioned environment was initialized before it was asked
    for: its REPORT has no Init Duration (AWS reports that init apart)."""
    if spec.provisioned:
        init_duration_ms = None
    if spec.log_format == "JSON":
        log = json_log(
            spec,
            request_id,
            before=before,
            output=output,
            platform_log=ending.platform_log,
            duration_ms=duration_ms,
            init_duration_ms=init_duration_ms,
            max_memory_used_mb=max_memory_used_mb,
            status=_status(ending),
            error_type=ending.error_type,
        )
    else:
        log = _text_log(
            spec,
            request_id,
            ending,
            before,
            output,
            duration_ms,
            init_duration_ms,
            max_memory_used_mb,
        )
    return InvocationResult(
        payload=ending.payload,
        function_error="Unhandled" if ending.error_type else None,
        log=log,
        duration_ms=duration_ms,
        init_duration_ms=init_duration_ms,
        max_memory_used_mb=max_memory_used_mb,
        error_type=ending.error_type,
        streamed=ending.streamed,
    )


def _status(ending: Ending) -> str:
    """The Telemetry API's status of an invocation."""
    if ending.status is not None:
        return ending.status  # "timeout" or "error": the platform's
    return "failure" if ending.error_type else "success"


def _text_log(
    spec: FunctionSpec,
    request_id: str,
    ending: Ending,
    before: str,
    output: str,
    duration_ms: float,
    init_duration_ms: float | None,
    max_memory_used_mb: int,
) -> str:
    report = report_line(
        request_id,
        duration_ms=duration_ms,
        memory_size=spec.memory_size,
        max_memory_used_mb=max_memory_used_mb,
        init_duration_ms=init_duration_ms,
        status=ending.status,
        error_type=ending.error_type if ending.status == "error" else None,
    )
    return "".join(
        (
            before,
            start_line(request_id, spec.version),
            output,
            ending.platform_log,
            end_line(request_id),
            report,
        )
    )


def line_terminated(text: str) -> str:
    """``text`` ending with a newline, unless empty."""
    return text if not text or text.endswith("\n") else text + "\n"
