"""Shards: listing them (ListShards' filters and paging) and resharding — SplitShard,
MergeShards and UpdateShardCount's uniform scaling, each a list of splits and merges the
store applies at one point of the sequence, parents closed and children opened there.

UpdateShardCount is done as AWS does it, by splits and merges: first every open shard is
split at each boundary of the target's even ranges that falls inside it, then the pieces of
each target range are merged left to right. Intermediate shards are opened and closed at
the same point (empty); every child has at most two parents, as the API can show.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson

from lambdaport.request import RequestContext
from lambdaport.services.kinesis.models import (
    ITERATOR_TTL_MS,
    Clock,
    in_use,
    invalid_argument,
    limit_exceeded,
    not_found,
    shard_id,
    shard_index,
    uniform_ranges,
)
from lambdaport.services.kinesis.streams import Streams, arn_of, not_on_demand
from lambdaport.store.kinesis import NewShard, Reshard, StoredShard, StoredStream

Params = Mapping[str, Any]
MAX_SHARDS_PER_STREAM = 10_000  # lambdaport's bound; AWS's is the account's shard quota


def opened_at(shard: StoredShard, by_index: Mapping[int, StoredShard], stream: StoredStream) -> int:
    """When a shard opened (epoch ms): when its parent closed, else with the stream."""
    parent = by_index.get(shard.parent) if shard.parent is not None else None
    if parent is not None and parent.closed_at is not None:
        return parent.closed_at
    return int(stream.created_at * 1000)


def _filtered(stream: StoredStream, shards: list[StoredShard], spec: Params) -> list[StoredShard]:
    kind = str(spec["Type"])
    by_index = {shard.shard_index: shard for shard in shards}
    if kind == "AFTER_SHARD_ID":
        if not spec.get("ShardId"):
            raise invalid_argument("ShardId must be provided for the AFTER_SHARD_ID ShardFilter.")
        after = shard_index(str(spec["ShardId"]))
        return [s for s in shards if after is None or s.shard_index > after]
    if kind == "AT_LATEST":
        return [s for s in shards if s.is_open]
    if kind == "FROM_TRIM_HORIZON":
        return shards
    if kind == "AT_TRIM_HORIZON":  # the oldest shards kept: their parents are gone
        return [s for s in shards if s.parent not in by_index and s.adjacent_parent not in by_index]
    moment = spec.get("Timestamp")
    if not isinstance(moment, datetime):
        raise invalid_argument(f"Timestamp must be provided for the {kind} ShardFilter.")
    at = int(moment.timestamp() * 1000)

    def open_at(shard: StoredShard) -> bool:
        return shard.closed_at is None or shard.closed_at >= at

    if kind == "FROM_TIMESTAMP":
        return [s for s in shards if open_at(s)]
    return [s for s in shards if opened_at(s, by_index, stream) <= at and open_at(s)]


def _token(stream: StoredStream, last: int, now: int) -> str:
    body = orjson.dumps([stream.account_id, stream.region, stream.name, last, now])
    return base64.urlsafe_b64encode(body).decode()


def _read_token(token: str, now: int) -> tuple[str, str, str, int]:
    try:
        account, region, name, last, made = orjson.loads(base64.urlsafe_b64decode(token))
    except (ValueError, TypeError):
        raise invalid_argument("Invalid NextToken.") from None
    if now - int(made) > ITERATOR_TTL_MS:
        raise invalid_argument("NextToken has expired.")
    return str(account), str(region), str(name), int(last)


class Shards:
    def __init__(self, streams: Streams, clock: Clock) -> None:
        self.streams = streams
        self.store = streams.store
        self.clock = clock

    async def of(self, stream: StoredStream) -> list[StoredShard]:
        return await self.store.shards(stream.stream_id)

    async def page(
        self, ctx: RequestContext, params: Params
    ) -> tuple[StoredStream, list[StoredShard], str | None]:
        """ListShards: a page of the stream's shards and the token of the next."""
        token = params.get("NextToken")
        after: int | None = None
        if token:
            if params.get("StreamName"):
                raise invalid_argument("NextToken and StreamName cannot be provided together.")
            account, region, name, after = _read_token(str(token), self.clock())
            stream = await self.streams.find(ctx, {"StreamARN": None, "StreamName": name})
            if (stream.account_id, stream.region) != (account, region):
                raise invalid_argument("Invalid NextToken.")
        else:
            stream = await self.streams.find(ctx, params)
            start = params.get("ExclusiveStartShardId")
            after = shard_index(str(start)) if start else None
        shards = await self.of(stream)
        if params.get("ShardFilter"):
            shards = _filtered(stream, shards, params["ShardFilter"])
        if after is not None:
            shards = [s for s in shards if s.shard_index > after]
        limit = int(params.get("MaxResults") or 1000)
        if len(shards) <= limit:
            return stream, shards, None
        page = shards[:limit]
        return stream, page, _token(stream, page[-1].shard_index, self.clock())

    # -- resharding ----------------------------------------------------------------------

    async def _apply(self, stream: StoredStream, steps: list[Reshard], next_shard: int) -> None:
        if not await self.store.reshard(stream.stream_id, steps, next_shard, self.clock()):
            raise in_progress(stream)
        self.streams.signals.ring(arn_of(stream))  # readers find their shards' ends

    async def split(self, ctx: RequestContext, params: Params) -> None:
        stream = await self.streams.find(ctx, params)
        shards = await self.of(stream)
        shard = _open_shard(stream, shards, str(params["ShardToSplit"]))
        at = int(params["NewStartingHashKey"])
        if not shard.starting_hash + 1 < at < shard.ending_hash:
            raise invalid_argument(
                f"NewStartingHashKey {at} used in SplitShard() on shard "
                f"{shard_id(shard.shard_index)} in stream {stream.name} under account "
                f"{stream.account_id} is not both greater "
                f"than one plus the shard's StartingHashKey {shard.starting_hash} and less than "
                f"the shard's EndingHashKey {shard.ending_hash}."
            )
        _check_capacity(stream, shards, 1)
        step, next_shard = _split(shard, at, stream.next_shard)
        await self._apply(stream, [step], next_shard)

    async def merge(self, ctx: RequestContext, params: Params) -> None:
        stream = await self.streams.find(ctx, params)
        shards = await self.of(stream)
        first = _open_shard(stream, shards, str(params["ShardToMerge"]))
        second = _open_shard(stream, shards, str(params["AdjacentShardToMerge"]))
        if first.ending_hash + 1 == second.starting_hash:
            low, high = first, second
        elif second.ending_hash + 1 == first.starting_hash:
            low, high = second, first
        else:
            raise invalid_argument(
                f"Shards {shard_id(first.shard_index)} and {shard_id(second.shard_index)} in "
                f"stream {stream.name} under account {stream.account_id} are not an adjacent "
                "pair of shards eligible for merging"
            )
        step = _merge(low, high, stream.next_shard, parent=first.shard_index)
        await self._apply(stream, [step], stream.next_shard + 1)

    async def update_count(self, ctx: RequestContext, params: Params) -> tuple[StoredStream, int]:
        """UpdateShardCount; the stream and its open shard count before."""
        stream = await self.streams.find(ctx, params)
        not_on_demand(stream)
        target = int(params["TargetShardCount"])
        shards = await self.of(stream)
        current = [s for s in shards if s.is_open]
        if target > 2 * len(current) or target * 2 < len(current):
            raise limit_exceeded(
                f"UpdateShardCount cannot scale the stream {stream.name} under account "
                f"{stream.account_id} from {len(current)} to {target} shards: a single call "
                "can at most double or halve the number of open shards."
            )
        _check_capacity(stream, shards, 3 * target)
        if target != len(current):
            steps, next_shard = _uniform(current, target, stream.next_shard)
            await self._apply(stream, steps, next_shard)
        return stream, len(current)


def in_progress(stream: StoredStream) -> Exception:
    return in_use(
        f"Stream {stream.name} under account {stream.account_id} is being resharded; try again."
    )


def _open_shard(stream: StoredStream, shards: Sequence[StoredShard], name: str) -> StoredShard:
    index = shard_index(name)
    for shard in shards:
        if shard.shard_index == index:
            if not shard.is_open:
                raise invalid_argument(
                    f"Shard {shard_id(shard.shard_index)} in stream {stream.name} under account "
                    f"{stream.account_id} has already been merged or split, and thus is not "
                    "eligible for merging or splitting."
                )
            return shard
    raise not_found(
        f"Could not find shard {name} in stream {stream.name} under account {stream.account_id}."
    )


def _check_capacity(stream: StoredStream, shards: Sequence[StoredShard], more: int) -> None:
    if len(shards) + more > MAX_SHARDS_PER_STREAM:
        raise limit_exceeded(
            f"Stream {stream.name} under account {stream.account_id} would have more than "
            f"{MAX_SHARDS_PER_STREAM} shards."
        )


def _split(shard: StoredShard, at: int, next_index: int) -> tuple[Reshard, int]:
    low = NewShard(next_index, shard.shard_index, None, shard.starting_hash, at - 1)
    high = NewShard(next_index + 1, shard.shard_index, None, at, shard.ending_hash)
    return Reshard((shard.shard_index,), (low, high)), next_index + 2


def _merge(low: _Range, high: _Range, index: int, *, parent: int | None = None) -> Reshard:
    first = low.shard_index if parent is None else parent
    adjacent = high.shard_index if first == low.shard_index else low.shard_index
    child = NewShard(index, first, adjacent, low.starting_hash, high.ending_hash)
    return Reshard((low.shard_index, high.shard_index), (child,))


_Range = StoredShard | NewShard


def _uniform(current: list[StoredShard], target: int, next_index: int) -> tuple[list[Reshard], int]:
    steps: list[Reshard] = []
    pieces: list[_Range] = []
    boundaries = [start for start, _ in uniform_ranges(target)[1:]]
    for shard in sorted(current, key=lambda s: s.starting_hash):
        piece: _Range = shard
        for at in boundaries:
            if piece.starting_hash < at <= piece.ending_hash:
                low = NewShard(next_index, piece.shard_index, None, piece.starting_hash, at - 1)
                high = NewShard(next_index + 1, piece.shard_index, None, at, piece.ending_hash)
                steps.append(Reshard((piece.shard_index,), (low, high)))
                next_index += 2
                pieces.append(low)
                piece = high
        pieces.append(piece)
    for start, end in uniform_ranges(target):
        group = [p for p in pieces if start <= p.starting_hash and p.ending_hash <= end]
        merged = group[0]
        for piece in group[1:]:
            step = _merge(merged, piece, next_index)
            steps.append(step)
            merged = step.open[0]
            next_index += 1
    return steps, next_index
