"""The platform's log lines around every invocation, in AWS's text format.

START RequestId: <id> Version: <version>
END RequestId: <id>
REPORT RequestId: <id>\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\t
    Max Memory Used: 56 MB\t[Init Duration: 130.49 ms\t][Status: timeout | Status: error\t
    Error Type: Runtime.ExitError]
"""

from __future__ import annotations

import math


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
