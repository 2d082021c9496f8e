"""``LogFormat`` JSON inside a Python worker, as AWS's Python runtime writes it
(https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html): every ``logging`` record as
one JSON object (``timestamp``, ``level``, ``message``, ``logger``, ``requestId``; with an
exception ``errorType``, ``errorMessage``, ``stackTrace`` and ``location``; the record's own
extra attributes), and an unhandled error as ``{"timestamp", "level": "ERROR",
"errorMessage", "errorType", "requestId", "stackTrace"}``. ``print`` output stays as it is.
Stdlib only: this runs in the function's interpreter.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from datetime import datetime, timezone
from typing import Any

# A LogRecord's own attributes: anything else on a record is the caller's ``extra``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "aws_request_id",
    "tenant_id",
}


def _level(record: logging.LogRecord) -> str:
    """The record's level, rounded down to a standard one (as AWS's runtime does)."""
    return logging.getLevelName(min(50, max(0, record.levelno)) // 10 * 10)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, tz=timezone.utc)  # noqa: UP017 - 3.9 has no UTC
        entry: dict[str, Any] = {
            "timestamp": when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z",
            "level": _level(record),
            "message": record.getMessage(),
            "logger": record.name,
            "requestId": getattr(record, "aws_request_id", None) or None,
        }
        if record.exc_info and record.exc_info[0] is not None:
            entry["stackTrace"] = traceback.format_tb(record.exc_info[2])
            entry["errorType"] = record.exc_info[0].__name__
            entry["errorMessage"] = str(record.exc_info[1])
            entry["location"] = f"{record.pathname}:{record.funcName}:{record.lineno}"
        for name, value in vars(record).items():
            if name not in _STANDARD and name not in entry:
                entry[name] = value
        return (
            json.dumps(
                {k: v for k, v in entry.items() if v is not None},
                ensure_ascii=False,
                default=str,
            )
            + "\n"
        )


def error_line(error: dict[str, Any]) -> str:
    """An unhandled error (the AWS error object) as the runtime logs it in JSON."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    return json.dumps({"timestamp": stamp, "level": "ERROR", **error}, ensure_ascii=False) + "\n"
