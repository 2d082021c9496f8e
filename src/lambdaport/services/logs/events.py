"""Log events: PutLogEvents (AWS's ordering and age rules), GetLogEvents (``f/``/``b/``
tokens) and FilterLogEvents (filter patterns over the group, interleaved by time).

Every accepted batch goes to the ``Appended`` listener (subscription filters, followers).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lambdaport.services.logs.groups import LogGroups
from lambdaport.services.logs.models import (
    DAY_MS,
    EVENT_OVERHEAD,
    MAX_BATCH_BYTES,
    MAX_BATCH_SPAN_MS,
    MAX_EVENT_BYTES,
    MAX_RESPONSE_BYTES,
    TOO_NEW_MS,
    TOO_OLD_MS,
    event_id,
    invalid_parameter,
    now_ms,
    page_token,
    parse_page_token,
    parse_stream_token,
    stream_token,
)
from lambdaport.services.logs.patterns import FilterPattern, InvalidPatternError, compile_pattern
from lambdaport.store.logs import GroupKey, LogEventRow, Logs, Position

END_OF_TIME = 2**62
_SCAN_CHUNK = 1000
_SCAN_LIMIT = 100_000  # rows one FilterLogEvents call reads before it answers with a token


@dataclass(frozen=True, slots=True)
class AppendedEvents:
    """A batch that was stored: where, what, and (for function logs) whose."""

    key: GroupKey
    stream: str
    events: tuple[LogEventRow, ...]
    function_arn: str | None = None  # the function that wrote them, for loop avoidance


@dataclass(frozen=True, slots=True)
class AppendedBatch:
    """Events to store in one stream."""

    key: GroupKey
    stream: str
    events: Sequence[tuple[int, str]]
    function_arn: str | None = None


Appended = Callable[[AppendedEvents], None]


def pattern_or_error(text: str | None) -> FilterPattern:
    try:
        return compile_pattern(text)
    except InvalidPatternError as e:
        raise invalid_parameter(f"Invalid filter pattern: {e}") from None


def _batch_checks(events: Sequence[tuple[int, str]]) -> None:
    size = 0
    for _, message in events:
        event_size = len(message.encode()) + EVENT_OVERHEAD
        if event_size > MAX_EVENT_BYTES:
            raise invalid_parameter(
                f"Log event too large: {event_size} bytes exceeds limit of {MAX_EVENT_BYTES}"
            )
        size += event_size
    if size > MAX_BATCH_BYTES:
        raise invalid_parameter(
            f"Upload too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}"
        )
    timestamps = [ts for ts, _ in events]
    if any(b < a for a, b in itertools.pairwise(timestamps)):
        raise invalid_parameter(
            "Log events in a single PutLogEvents request must be in chronological order."
        )
    if timestamps and timestamps[-1] - timestamps[0] > MAX_BATCH_SPAN_MS:
        raise invalid_parameter(
            "The batch of log events in a single PutLogEvents request cannot span more than "
            "24 hours."
        )


def _output_event(row: LogEventRow) -> dict[str, Any]:
    return {"timestamp": row.timestamp, "message": row.message, "ingestionTime": row.ingestion_time}


def _within_response(rows: list[LogEventRow]) -> list[LogEventRow]:
    size = 0
    for index, row in enumerate(rows):
        size += len(row.message.encode()) + EVENT_OVERHEAD
        if size > MAX_RESPONSE_BYTES and index > 0:
            return rows[:index]
    return rows


class LogEvents:
    def __init__(self, store: Logs, groups: LogGroups, appended: Appended) -> None:
        self._store = store
        self._groups = groups
        self._appended = appended

    async def append(self, batches: Sequence[AppendedBatch]) -> list[AppendedEvents]:
        """Store batches (streams must exist) in one transaction and tell the listener."""
        ingestion = now_ms()
        ids = await self._store.append([(b.key, b.stream, b.events) for b in batches], ingestion)
        stored: list[AppendedEvents] = []
        for batch, batch_ids in zip(batches, ids, strict=True):
            rows = tuple(
                LogEventRow(row_id, batch.stream, ts, ingestion, message)
                for row_id, (ts, message) in zip(batch_ids, batch.events, strict=True)
            )
            if rows:
                appended = AppendedEvents(batch.key, batch.stream, rows, batch.function_arn)
                stored.append(appended)
                self._appended(appended)
        return stored

    async def put_log_events(
        self, key: GroupKey, stream: str, events: Sequence[tuple[int, str]]
    ) -> dict[str, Any]:
        group = await self._groups.require(key)
        current = await self._groups.require_stream(key, stream)
        _batch_checks(events)
        now = now_ms()
        too_old = now - TOO_OLD_MS
        expired = now - (group.retention_in_days or 0) * DAY_MS
        rejected: dict[str, int] = {}
        accepted: list[tuple[int, str]] = []
        for index, (ts, message) in enumerate(events):
            if ts > now + TOO_NEW_MS:
                rejected.setdefault("tooNewLogEventStartIndex", index)
            elif ts < too_old:
                rejected["tooOldLogEventEndIndex"] = index
            elif group.retention_in_days is not None and ts < expired:
                rejected["expiredLogEventEndIndex"] = index
            else:
                accepted.append((ts, message))
        if accepted:
            await self.append([AppendedBatch(key, stream, accepted)])
        sequence = current.sequence + (2 if accepted else 1)
        result: dict[str, Any] = {"nextSequenceToken": f"{sequence:056d}"}
        if rejected:
            result["rejectedLogEventsInfo"] = rejected
        return result

    async def _retained_start(self, key: GroupKey, start: int) -> int:
        days = (await self._groups.require(key)).retention_in_days
        return start if days is None else max(start, now_ms() - days * DAY_MS)

    async def get_log_events(
        self,
        key: GroupKey,
        stream: str,
        *,
        start: int | None,
        end: int | None,
        token: str | None,
        limit: int | None,
        start_from_head: bool,
    ) -> dict[str, Any]:
        await self._groups.require_stream(key, stream)
        direction, position = parse_stream_token(token) if token else ("", (0, 0))
        forward = direction == "f" or (not direction and start_from_head)
        rows = await self._store.stream_events(
            key,
            stream,
            start=await self._retained_start(key, start or 0),
            end=end if end is not None else END_OF_TIME,
            after=position if direction == "f" else None,
            before=position if direction == "b" else None,
            limit=limit or 10_000,
            newest_first=not forward,
        )
        rows = _within_response(rows)
        if not forward:
            rows.reverse()
        first: Position = rows[0].position if rows else position
        last: Position = rows[-1].position if rows else position
        return {
            "events": [_output_event(row) for row in rows],
            "nextForwardToken": stream_token("f", last),
            "nextBackwardToken": stream_token("b", first),
        }

    async def filter_log_events(
        self,
        key: GroupKey,
        *,
        stream_names: Sequence[str] | None,
        stream_prefix: str | None,
        start: int | None,
        end: int | None,
        pattern: str | None,
        token: str | None,
        limit: int | None,
    ) -> dict[str, Any]:
        if stream_names and stream_prefix:
            raise invalid_parameter(
                "logStreamNames and logStreamNamePrefix are mutually exclusive parameters."
            )
        matcher = pattern_or_error(pattern)
        await self._groups.require(key)
        streams = (
            list(stream_names)
            if stream_names
            else await self._groups.stream_names(key, stream_prefix or "")
        )
        after = _filter_position(token)
        found, next_position = await self._scan(
            key,
            streams if (stream_names or stream_prefix) else None,
            matcher,
            start=await self._retained_start(key, start or 0),
            end=end if end is not None else END_OF_TIME,
            after=after,
            limit=limit or 10_000,
        )
        result: dict[str, Any] = {
            "events": [
                {
                    "logStreamName": row.log_stream,
                    "timestamp": row.timestamp,
                    "message": row.message,
                    "ingestionTime": row.ingestion_time,
                    "eventId": event_id(row.position),
                }
                for row in found
            ],
            "searchedLogStreams": [
                {"logStreamName": name, "searchedCompletely": next_position is None}
                for name in streams
            ],
        }
        if next_position is not None:
            result["nextToken"] = page_token(list(next_position))
        return result

    async def _scan(
        self,
        key: GroupKey,
        streams: list[str] | None,
        matcher: FilterPattern,
        *,
        start: int,
        end: int,
        after: Position | None,
        limit: int,
    ) -> tuple[list[LogEventRow], Position | None]:
        """Matching events in order, and where to go on (None when the range is done)."""
        found: list[LogEventRow] = []
        size = scanned = 0
        while True:
            rows = await self._store.group_events(
                key, streams=streams, start=start, end=end, after=after, limit=_SCAN_CHUNK
            )
            for row in rows:
                scanned += 1
                after = row.position
                if not matcher.matches(row.message):
                    continue
                size += len(row.message.encode()) + EVENT_OVERHEAD
                found.append(row)
                if len(found) >= limit or size >= MAX_RESPONSE_BYTES:
                    return found, after
            if len(rows) < _SCAN_CHUNK:
                return found, None
            if scanned >= _SCAN_LIMIT:
                return found, after


def _filter_position(token: str | None) -> Position | None:
    if not token:
        return None
    value = parse_page_token(token)
    if not isinstance(value, list) or len(value) != 2 or not all(isinstance(v, int) for v in value):
        raise invalid_parameter("The specified nextToken is invalid.")
    return (value[0], value[1])
