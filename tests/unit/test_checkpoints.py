"""The event source mappings' checkpoints and the generic leases on a real SQLite store: one
owner at a time, taken over only after expiry, positions moved only under a live lease."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from lambdaport.store.sqlite import SqliteStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "data")
    yield opened
    opened.close()


def test_a_checkpoint_has_one_owner_until_its_lease_expires(store: SqliteStore) -> None:
    checkpoints = store.checkpoints

    async def scenario() -> None:
        first = await checkpoints.claim("m1", "shard-0", "node-a", now=100.0, ttl=10.0)
        assert first is not None and (first.owner, first.position) == ("node-a", "")
        assert await checkpoints.claim("m1", "shard-0", "node-b", now=105.0, ttl=10.0) is None
        assert await checkpoints.advance("m1", "shard-0", "node-a", "seq-5", now=106.0)
        assert not await checkpoints.advance("m1", "shard-0", "node-b", "seq-9", now=106.0)
        taken = await checkpoints.claim("m1", "shard-0", "node-b", now=111.0, ttl=10.0)
        assert taken is not None and (taken.owner, taken.position) == ("node-b", "seq-5")
        # The old owner's lease is gone: its late write does not move the position back.
        assert not await checkpoints.advance("m1", "shard-0", "node-a", "seq-6", now=112.0)
        await checkpoints.release("m1", "shard-0", "node-b")
        again = await checkpoints.claim("m1", "shard-0", "node-a", now=113.0, ttl=10.0)
        assert again is not None and again.position == "seq-5"
        assert [c.shard for c in await checkpoints.checkpoints("m1")] == ["shard-0"]
        await checkpoints.forget("m1")
        assert await checkpoints.checkpoints("m1") == []

    asyncio.run(scenario())


def test_a_lease_is_renewed_by_its_owner_and_fenced_when_taken_over(store: SqliteStore) -> None:
    leases = store.leases

    async def scenario() -> None:
        first = await leases.acquire("poller/m1", "node-a", now=0.0, ttl=10.0)
        assert first is not None and first.token == 1
        renewed = await leases.acquire("poller/m1", "node-a", now=5.0, ttl=10.0)
        assert renewed is not None and (renewed.token, renewed.expires_at) == (1, 15.0)
        assert await leases.acquire("poller/m1", "node-b", now=14.0, ttl=10.0) is None
        taken = await leases.acquire("poller/m1", "node-b", now=15.0, ttl=10.0)
        assert taken is not None and (taken.owner, taken.token) == ("node-b", 2)
        holder = await leases.holder("poller/m1", now=16.0)
        assert holder is not None and holder.owner == "node-b"
        await leases.release("poller/m1", "node-a")  # not the holder: nothing happens
        assert await leases.holder("poller/m1", now=16.0) is not None
        await leases.release("poller/m1", "node-b")
        assert await leases.holder("poller/m1", now=16.0) is None

    asyncio.run(scenario())


def test_checkpoints_survive_a_reopen(tmp_path: Path) -> None:
    first = SqliteStore(tmp_path / "data")

    async def write() -> None:
        await first.checkpoints.claim("m1", "p-3", "node-a", now=0.0, ttl=60.0)
        assert await first.checkpoints.advance("m1", "p-3", "node-a", "offset-42", now=1.0)

    asyncio.run(write())
    first.close()
    second = SqliteStore(tmp_path / "data")
    try:
        (found,) = asyncio.run(second.checkpoints.checkpoints("m1"))
        assert (found.position, found.owner) == ("offset-42", "node-a")
    finally:
        second.close()
