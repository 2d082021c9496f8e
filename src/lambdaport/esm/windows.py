"""Tumbling windows (``TumblingWindowInSeconds``,
https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-windows.html): a stream's
records are grouped by arrival into windows of that many seconds, aligned on the epoch; each
invocation of a window carries ``window`` {start, end} (ISO 8601), the ``state`` the previous
invocation of the window returned (``{}`` first), ``shardId``, ``eventSourceARN``,
``isFinalInvokeForWindow`` and ``isWindowTerminatedEarly``. Once the window has ended (or the
shard has), one more invocation with no records and ``isFinalInvokeForWindow: true`` hands the
function the window's last state. The function answers ``{"state": ..., "batchItemFailures":
[...]}``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from lambdaport.esm.source import SourceRecord


def window_of(arrival: float, seconds: int) -> float:
    """The start (epoch seconds) of the window a record that arrived then belongs to."""
    return math.floor(arrival / seconds) * seconds


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def window_event(
    records: Sequence[SourceRecord],
    *,
    start: float,
    seconds: int,
    state: Any,
    shard_id: str,
    stream_arn: str,
    final: bool,
    terminated_early: bool,
) -> bytes:
    extra = orjson.dumps(
        {
            "window": {"start": _iso(start), "end": _iso(start + seconds)},
            "state": state,
            "shardId": shard_id,
            "eventSourceARN": stream_arn,
            "isFinalInvokeForWindow": final,
            "isWindowTerminatedEarly": terminated_early,
        }
    )
    return b'{"Records":[' + b",".join(r.record for r in records) + b"]," + extra[1:]


def returned_state(payload: bytes) -> Any:
    """The ``state`` a window's invocation answered (``{}`` when it answered none)."""
    try:
        response = orjson.loads(payload) if payload.strip() else None
    except orjson.JSONDecodeError:
        return {}
    if isinstance(response, dict) and response.get("state") is not None:
        return response["state"]
    return {}
