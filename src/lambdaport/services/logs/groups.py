"""Log groups and log streams: create, describe, delete, retention and tags.

The groups and streams a function writes to are created on demand (as the
AWSLambdaBasicExecutionRole lets Lambda do); ``ensure_stream`` remembers what exists so the
function-log path costs no query once a stream is known.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from lambdaport.services.logs.models import (
    DAY_MS,
    GROUP_NOT_FOUND,
    RETENTION_DAYS,
    STREAM_NOT_FOUND,
    already_exists,
    group_arn,
    group_name_of,
    invalid_parameter,
    not_found,
    now_ms,
    page_token,
    parse_page_token,
    stream_arn,
)
from lambdaport.store.logs import GroupKey, LogGroupRow, Logs, LogStreamRow

_STREAM_NAME = re.compile(r"[^:*]{1,512}")
_GROUP_NAME = re.compile(r"[.\-_/#A-Za-z0-9]{1,512}")


def describe_group(group: LogGroupRow) -> dict[str, Any]:
    key = (group.account_id, group.region, group.name)
    result: dict[str, Any] = {
        "logGroupName": group.name,
        "creationTime": group.creation_time,
        "metricFilterCount": 0,
        "arn": f"{group_arn(key)}:*",
        "logGroupArn": group_arn(key),
        "storedBytes": group.stored_bytes,
        "logGroupClass": group.log_group_class,
    }
    if group.retention_in_days is not None:
        result["retentionInDays"] = group.retention_in_days
    if group.kms_key_id:
        result["kmsKeyId"] = group.kms_key_id
    return result


def describe_stream(key: GroupKey, stream: LogStreamRow) -> dict[str, Any]:
    result: dict[str, Any] = {
        "logStreamName": stream.name,
        "creationTime": stream.creation_time,
        "arn": stream_arn(key, stream.name),
        "storedBytes": 0,  # AWS stopped reporting stream sizes in 2019
        "uploadSequenceToken": f"{stream.sequence + 1:056d}",
    }
    if stream.first_event_timestamp is not None:
        result["firstEventTimestamp"] = stream.first_event_timestamp
        result["lastEventTimestamp"] = stream.last_event_timestamp
    if stream.last_ingestion_time is not None:
        result["lastIngestionTime"] = stream.last_ingestion_time
    return result


def _page(names: Sequence[str], token: str | None, limit: int | None) -> tuple[int, int]:
    start = 0
    if token:
        value = parse_page_token(token)
        if not isinstance(value, int):
            raise invalid_parameter("The specified nextToken is invalid.")
        start = value
    return start, start + (limit or 50)


class LogGroups:
    def __init__(self, store: Logs, on_delete: Callable[[GroupKey], Awaitable[None]]) -> None:
        self._store = store
        self._on_delete = on_delete
        self._known: set[GroupKey] = set()
        self._known_streams: set[tuple[GroupKey, str]] = set()

    # -- groups -------------------------------------------------------------------------

    async def create_log_group(
        self,
        key: GroupKey,
        *,
        kms_key_id: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        if _GROUP_NAME.fullmatch(key[2]) is None:
            raise invalid_parameter(
                f"1 validation error detected: Value '{key[2]}' at 'logGroupName' failed to "
                "satisfy constraint: Member must satisfy regular expression pattern: "
                "[\\.\\-_/#A-Za-z0-9]+"
            )
        group = LogGroupRow(*key, now_ms(), kms_key_id=kms_key_id, tags=tuple((tags or {}).items()))
        if not await self._store.create_group(group):
            raise already_exists("The specified log group already exists")
        self._known.add(key)

    async def require(self, key: GroupKey) -> LogGroupRow:
        group = await self._store.group(key)
        if group is None:
            raise not_found(GROUP_NOT_FOUND)
        return group

    async def delete_log_group(self, key: GroupKey) -> None:
        if not await self._store.delete_group(key):
            raise not_found(GROUP_NOT_FOUND)
        self._forget(key)
        await self._on_delete(key)

    def _forget(self, key: GroupKey, stream: str | None = None) -> None:
        if stream is not None:
            self._known_streams.discard((key, stream))
            return
        self._known.discard(key)
        self._known_streams = {known for known in self._known_streams if known[0] != key}

    async def describe_log_groups(
        self,
        account_id: str,
        region: str,
        *,
        prefix: str = "",
        pattern: str = "",
        identifiers: Sequence[str] = (),
        token: str | None = None,
        limit: int | None = None,
    ) -> dict[str, Any]:
        if prefix and pattern:
            raise invalid_parameter(
                "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters."
            )
        groups = await self._store.groups(account_id, region, prefix=prefix)
        if pattern:
            groups = [g for g in groups if pattern.lower() in g.name.lower()]
        if identifiers:
            wanted = {group_name_of(identifier) for identifier in identifiers}
            groups = [g for g in groups if g.name in wanted]
        start, end = _page([g.name for g in groups], token, limit)
        result: dict[str, Any] = {"logGroups": [describe_group(g) for g in groups[start:end]]}
        if end < len(groups):
            result["nextToken"] = page_token(end)
        return result

    async def put_retention_policy(self, key: GroupKey, days: int) -> None:
        if days not in RETENTION_DAYS:
            raise invalid_parameter(
                f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to "
                "satisfy constraint: Member must satisfy enum value set: "
                f"[{', '.join(str(d) for d in RETENTION_DAYS)}]"
            )
        await self.require(key)
        await self._store.set_retention(key, days)
        await self._store.prune(key, now_ms() - days * DAY_MS)

    async def delete_retention_policy(self, key: GroupKey) -> None:
        await self.require(key)
        await self._store.set_retention(key, None)

    async def prune_expired(self) -> int:
        """Apply every group's retention; the number of events deleted."""
        now = now_ms()
        deleted = 0
        for group in await self._store.retained_groups():
            days = group.retention_in_days or 0
            key = (group.account_id, group.region, group.name)
            deleted += await self._store.prune(key, now - days * DAY_MS)
        return deleted

    # -- tags ---------------------------------------------------------------------------

    async def tags(self, key: GroupKey) -> dict[str, str]:
        return dict((await self.require(key)).tags)

    async def tag(self, key: GroupKey, tags: Mapping[str, str]) -> None:
        merged = {**await self.tags(key), **tags}
        if len(merged) > 50:
            raise invalid_parameter("A log group can have at most 50 tags.")
        await self._store.set_tags(key, merged)

    async def untag(self, key: GroupKey, keys: Sequence[str]) -> None:
        remaining = {k: v for k, v in (await self.tags(key)).items() if k not in set(keys)}
        await self._store.set_tags(key, remaining)

    # -- streams ------------------------------------------------------------------------

    async def create_log_stream(self, key: GroupKey, name: str) -> None:
        if _STREAM_NAME.fullmatch(name) is None:
            raise invalid_parameter(
                f"1 validation error detected: Value '{name}' at 'logStreamName' failed to "
                "satisfy constraint: Member must satisfy regular expression pattern: [^:*]*"
            )
        await self.require(key)
        if not await self._store.create_stream(key, name, now_ms()):
            raise already_exists("The specified log stream already exists")
        self._known_streams.add((key, name))

    async def require_stream(self, key: GroupKey, name: str) -> LogStreamRow:
        await self.require(key)
        stream = await self._store.stream(key, name)
        if stream is None:
            raise not_found(STREAM_NOT_FOUND)
        return stream

    async def ensure_stream(self, key: GroupKey, name: str) -> None:
        """Create the group and the stream unless they exist (function logs)."""
        if (key, name) in self._known_streams:
            return
        if key not in self._known:
            await self._store.create_group(LogGroupRow(*key, now_ms()))
            self._known.add(key)
        await self._store.create_stream(key, name, now_ms())
        self._known_streams.add((key, name))

    async def delete_log_stream(self, key: GroupKey, name: str) -> None:
        await self.require(key)
        if not await self._store.delete_stream(key, name):
            raise not_found(STREAM_NOT_FOUND)
        self._forget(key, name)

    async def describe_log_streams(
        self,
        key: GroupKey,
        *,
        prefix: str = "",
        order_by: str = "LogStreamName",
        descending: bool = False,
        token: str | None = None,
        limit: int | None = None,
    ) -> dict[str, Any]:
        if prefix and order_by == "LastEventTime":
            raise invalid_parameter("Cannot order by LastEventTime with a logStreamNamePrefix.")
        await self.require(key)
        streams = [s for s in await self._store.streams(key) if s.name.startswith(prefix)]
        if order_by == "LastEventTime":
            streams.sort(key=lambda s: (s.last_event_timestamp or 0, s.name))
        if descending:
            streams.reverse()
        start, end = _page([s.name for s in streams], token, limit)
        result: dict[str, Any] = {
            "logStreams": [describe_stream(key, s) for s in streams[start:end]]
        }
        if end < len(streams):
            result["nextToken"] = page_token(end)
        return result

    async def stream_names(self, key: GroupKey, prefix: str = "") -> list[str]:
        return [s.name for s in await self._store.streams(key) if s.name.startswith(prefix)]
