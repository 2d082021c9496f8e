"""Streams: finding one by StreamName or StreamARN, creating and deleting, listing, and the
settings kept on the stream (retention, mode, encryption, enhanced monitoring, tags).

Status changes are instantaneous: a stream is ACTIVE when CreateStream answers (so the
``stream_exists`` waiter passes at its first call), resharding leaves it ACTIVE, and a
deleted stream is gone at once (``stream_not_exists``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from lambdaport.errors import AwsError
from lambdaport.request import RequestContext
from lambdaport.services.kinesis.models import (
    DEFAULT_MAX_RECORD_SIZE_KIB,
    DEFAULT_RETENTION_HOURS,
    MAX_RETENTION_HOURS,
    MAX_TAGS,
    MIN_RETENTION_HOURS,
    ON_DEMAND_SHARDS,
    SHARD_LEVEL_METRICS,
    Clock,
    in_use,
    invalid_argument,
    parse_stream_arn,
    stream_arn,
    stream_not_found,
    uniform_ranges,
    validation_error,
)
from lambdaport.store.kinesis import KinesisTables, NewShard, StoredStream
from lambdaport.stream_signals import StreamSignals

Params = Mapping[str, Any]


def arn_of(stream: StoredStream) -> str:
    return stream_arn(stream.region, stream.account_id, stream.name)


def locate(ctx: RequestContext, params: Params) -> tuple[str, str, str]:
    """(account, region, name) of the stream a request names by StreamARN or StreamName."""
    arn = params.get("StreamARN")
    if arn:
        parsed = parse_stream_arn(str(arn))
        if parsed is None:
            raise invalid_argument(f"Invalid StreamARN {arn}.")
        region, account, name = parsed
        return account, region, name
    given = params.get("StreamName")
    if not given:
        raise invalid_argument("Either StreamName or StreamARN must be provided.")
    return ctx.account_id, ctx.region, str(given)


def _retention_checked(hours: int) -> int:
    if hours < MIN_RETENTION_HOURS:
        raise invalid_argument(
            f"Minimum allowed retention period is {MIN_RETENTION_HOURS} hours. "
            f"Requested retention period ({hours} hours) is too short."
        )
    if hours > MAX_RETENTION_HOURS:
        raise invalid_argument(
            f"Maximum allowed retention period is {MAX_RETENTION_HOURS} hours. "
            f"Requested retention period ({hours} hours) is too long."
        )
    return hours


def check_tags(stream_name: str, account: str, current: Mapping[str, str], new: Params) -> None:
    if len({**current, **new}) > MAX_TAGS:
        raise invalid_argument(
            f"Failed to add tags to stream {stream_name} under account {account} because a "
            f"given stream cannot have more than {MAX_TAGS} tags associated with it."
        )


class Streams:
    def __init__(self, store: KinesisTables, clock: Clock, signals: StreamSignals) -> None:
        self.store = store
        self.clock = clock
        self.signals = signals

    async def find(self, ctx: RequestContext, params: Params) -> StoredStream:
        account, region, name = locate(ctx, params)
        stream = await self.store.stream(account, region, name)
        if stream is None:
            raise stream_not_found(name, account)
        return stream

    async def by_arn(self, arn: str) -> StoredStream | None:
        parsed = parse_stream_arn(arn)
        if parsed is None:
            return None
        region, account, name = parsed
        return await self.store.stream(account, region, name)

    async def create(self, ctx: RequestContext, params: Params) -> StoredStream:
        name = str(params["StreamName"])
        mode = str((params.get("StreamModeDetails") or {}).get("StreamMode") or "PROVISIONED")
        count = params.get("ShardCount")
        if mode == "ON_DEMAND":
            if count is not None:
                raise validation_error(
                    "ShardCount must not be specified for streams in ON_DEMAND mode."
                )
            count = ON_DEMAND_SHARDS
        elif count is None:
            count = ON_DEMAND_SHARDS  # AWS's default for a stream created without a count
        tags = dict(params.get("Tags") or {})
        check_tags(name, ctx.account_id, {}, tags)
        ranges = uniform_ranges(int(count))
        stream = StoredStream(
            stream_id=0,
            account_id=ctx.account_id,
            region=ctx.region,
            name=name,
            status="ACTIVE",
            mode=mode,
            created_at=self.clock() / 1000,
            retention_hours=DEFAULT_RETENTION_HOURS,
            encryption_type="NONE",
            key_id=None,
            shard_level_metrics=(),
            max_record_size_kib=int(
                params.get("MaxRecordSizeInKiB") or DEFAULT_MAX_RECORD_SIZE_KIB
            ),
            tags=tags,
            next_shard=len(ranges),
        )
        shards = [NewShard(i, None, None, start, end) for i, (start, end) in enumerate(ranges)]
        created = await self.store.create_stream(stream, shards)
        if created is None:
            raise in_use(f"Stream {name} under account {ctx.account_id} already exists.")
        return created

    async def delete(self, ctx: RequestContext, params: Params) -> None:
        stream = await self.find(ctx, params)
        consumers = await self.store.consumers(stream.stream_id)
        if consumers and not params.get("EnforceConsumerDeletion"):
            raise in_use(
                f"DeleteStream can't delete {stream.account_id}:{stream.name} because there "
                f"are consumers associated with this data stream. To delete {stream.name} "
                "anyway, set the EnforceConsumerDeletion parameter to true to force the "
                "deletion of all the consumers that are associated with it."
            )
        if not await self.store.delete_stream(stream.stream_id):
            raise stream_not_found(stream.name, stream.account_id)
        self.signals.deleted(arn_of(stream))

    async def _update(self, stream: StoredStream) -> StoredStream:
        if not await self.store.update_stream(stream):
            raise stream_not_found(stream.name, stream.account_id)
        return stream

    async def increase_retention(self, ctx: RequestContext, params: Params) -> None:
        stream = await self.find(ctx, params)
        hours = _retention_checked(int(params["RetentionPeriodHours"]))
        if hours < stream.retention_hours:
            raise invalid_argument(
                f"Requested retention period ({hours} hours) for stream {stream.name} can not "
                f"be shorter than existing retention period ({stream.retention_hours} hours). "
                "Use DecreaseRetentionPeriod API."
            )
        await self._update(replace(stream, retention_hours=hours))

    async def decrease_retention(self, ctx: RequestContext, params: Params) -> None:
        stream = await self.find(ctx, params)
        hours = _retention_checked(int(params["RetentionPeriodHours"]))
        if hours > stream.retention_hours:
            raise invalid_argument(
                f"Requested retention period ({hours} hours) for stream {stream.name} can not "
                f"be longer than existing retention period ({stream.retention_hours} hours). "
                "Use IncreaseRetentionPeriod API."
            )
        await self._update(replace(stream, retention_hours=hours))

    async def set_mode(self, ctx: RequestContext, params: Params) -> None:
        stream = await self.find(ctx, params)
        mode = str(params["StreamModeDetails"]["StreamMode"])
        await self._update(replace(stream, mode=mode))

    async def start_encryption(self, ctx: RequestContext, params: Params) -> None:
        stream = await self.find(ctx, params)
        if params["EncryptionType"] != "KMS":
            raise invalid_argument("EncryptionType must be KMS to start stream encryption.")
        await self._update(replace(stream, encryption_type="KMS", key_id=str(params["KeyId"])))

    async def stop_encryption(self, ctx: RequestContext, params: Params) -> None:
        stream = await self.find(ctx, params)
        await self._update(replace(stream, encryption_type="NONE", key_id=None))

    async def monitoring(
        self, ctx: RequestContext, params: Params, *, enable: bool
    ) -> tuple[StoredStream, tuple[str, ...]]:
        """Enable or disable shard-level metrics; the stream as it was, and the metrics now."""
        stream = await self.find(ctx, params)
        asked = [str(name) for name in params["ShardLevelMetrics"]]
        names = set(SHARD_LEVEL_METRICS) if "ALL" in asked else set(asked)
        current = set(stream.shard_level_metrics)
        after = current | names if enable else current - names
        metrics = tuple(name for name in SHARD_LEVEL_METRICS if name in after)
        await self._update(replace(stream, shard_level_metrics=metrics))
        return stream, metrics

    async def tag(self, stream: StoredStream, tags: Params) -> None:
        check_tags(stream.name, stream.account_id, stream.tags, tags)
        await self._update(replace(stream, tags={**stream.tags, **tags}))

    async def untag(self, stream: StoredStream, keys: list[str]) -> None:
        remaining = {k: v for k, v in stream.tags.items() if k not in set(keys)}
        await self._update(replace(stream, tags=remaining))

    async def in_region(self, ctx: RequestContext) -> list[StoredStream]:
        return await self.store.streams(ctx.account_id, ctx.region)


def not_on_demand(stream: StoredStream) -> None:
    if stream.mode == "ON_DEMAND":
        raise AwsError(
            "ValidationException",
            f"Request is invalid. Stream {stream.name} under account {stream.account_id} "
            "is in On-Demand mode.",
            400,
        )
