"""An invocation's log in ``LoggingConfig.LogFormat`` JSON, for every runtime
(https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-logformat.html).

The platform's lines become the records of the Telemetry API's schema: ``platform.initStart``
(an environment's first invocation), ``platform.start``, ``platform.runtimeDone`` and
``platform.report`` (``{"time", "type", "record"}``, the report's ``metrics`` in
``durationMs``, ``billedDurationMs``, ``memorySizeMB``, ``maxMemoryUsedMB`` and
``initDurationMs``). They are kept when their level is at least ``SystemLogLevel``: start,
initStart and report are INFO, runtimeDone DEBUG (lambdaport's reading of AWS's event
mapping). The function's own lines are kept when their level is at least
``ApplicationLogLevel``: a JSON object's ``level`` (``WARNING`` read as WARN, ``CRITICAL`` as
FATAL), any other line INFO, as AWS reads what runtimes without structured logging write.
"""

from __future__ import annotations

import math
import time
from typing import Any

import orjson

from lambdaport.runtime.spec import FunctionSpec

LEVELS = {"TRACE": 0, "DEBUG": 1, "INFO": 2, "WARN": 3, "ERROR": 4, "FATAL": 5}
_ALIASES = {"WARNING": "WARN", "CRITICAL": "FATAL"}


def _now() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


def line_level(line: str) -> int:
    """The level of one line the function wrote: a JSON object's ``level``, else INFO."""
    if line.startswith("{"):
        try:
            parsed = orjson.loads(line)
        except orjson.JSONDecodeError:
            return LEVELS["INFO"]
        if isinstance(parsed, dict) and isinstance(parsed.get("level"), str):
            name = parsed["level"].upper()
            return LEVELS.get(_ALIASES.get(name, name), LEVELS["INFO"])
    return LEVELS["INFO"]


def _application(text: str, threshold: int) -> list[str]:
    return [line for line in text.splitlines() if line_level(line) >= threshold]


def _record(kind: str, record: dict[str, Any]) -> str:
    return orjson.dumps({"time": _now(), "type": kind, "record": record}).decode()


def json_log(
    spec: FunctionSpec,
    request_id: str,
    *,
    before: str,
    output: str,
    platform_log: str,
    duration_ms: float,
    init_duration_ms: float | None,
    max_memory_used_mb: int,
    status: str,
    error_type: str | None,
) -> str:
    """The invocation's log, newline-terminated: ``before`` (output of the init), the
    platform's records around the function's ``output``. ``status``: success, failure (the
    handler's error), error or timeout (the platform's)."""
    system = LEVELS.get(spec.system_log_level, LEVELS["INFO"])
    application = LEVELS.get(spec.application_log_level, LEVELS["INFO"])
    info, debug = system <= LEVELS["INFO"], system <= LEVELS["DEBUG"]
    lines: list[str] = []
    if info and init_duration_ms is not None:
        lines.append(
            _record(
                "platform.initStart",
                {
                    "initializationType": spec.initialization_type,
                    "phase": "init",
                    "functionName": spec.function_name,
                    "functionVersion": spec.version,
                },
            )
        )
    lines.extend(_application(before, application))
    if info:
        lines.append(_record("platform.start", {"requestId": request_id, "version": spec.version}))
    lines.extend(_application(output, application))
    lines.extend(platform_log.splitlines())
    if debug:
        done = {
            "requestId": request_id,
            "status": status,
            "metrics": {"durationMs": round(duration_ms, 3)},
        }
        lines.append(_record("platform.runtimeDone", done))
    if info:
        metrics: dict[str, Any] = {
            "durationMs": round(duration_ms, 3),
            "billedDurationMs": max(1, math.ceil(duration_ms)),
            "memorySizeMB": spec.memory_size,
            "maxMemoryUsedMB": max_memory_used_mb,
        }
        if init_duration_ms is not None:
            metrics["initDurationMs"] = round(init_duration_ms, 3)
        report: dict[str, Any] = {"requestId": request_id, "metrics": metrics, "status": status}
        if error_type is not None and status != "success":
            report["errorType"] = error_type
        lines.append(_record("platform.report", report))
    return "".join(line + "\n" for line in lines)
