"""Where event source mappings will keep their place: one checkpoint per (mapping, shard or
partition) with a lease, and a generic lease table, so pollers can later be spread across
nodes (the next issue adds the mappings; this is the store's side, ready for them).

A lease is held by an ``owner`` (a node's or poller's id) until ``expires_at`` (epoch
seconds); an owner renews it before then, anyone may take it once it has expired. Every
write of a checkpoint's position names its owner and happens only while that owner holds
the lease, so a poller whose lease was taken over cannot move the position back.
Positions are opaque strings (a Kinesis sequence number, a Kafka offset, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Checkpoint:
    mapping_uuid: str
    shard: str  # shard id or partition ('' for a source without shards)
    position: str  # '' before the first advance
    owner: str | None  # the lease's holder, None when never leased or released
    lease_expires_at: float
    updated_at: float


@dataclass(frozen=True, slots=True)
class Lease:
    name: str
    owner: str
    expires_at: float
    token: int  # grows every time the lease changes hands (a fencing token)


class Checkpoints(Protocol):
    async def claim(
        self, mapping_uuid: str, shard: str, owner: str, *, now: float, ttl: float
    ) -> Checkpoint | None:
        """Take or renew the lease of the (mapping, shard) checkpoint, creating it at
        position '' if new; None while another owner's lease is live."""
        ...

    async def advance(
        self, mapping_uuid: str, shard: str, owner: str, position: str, *, now: float
    ) -> bool:
        """Move the position if ``owner`` holds a live lease; False (nothing written) if not."""
        ...

    async def release(self, mapping_uuid: str, shard: str, owner: str) -> None:
        """Give the lease up (the position stays) if ``owner`` holds it."""
        ...

    async def checkpoints(self, mapping_uuid: str) -> list[Checkpoint]:
        """The mapping's checkpoints, by shard."""
        ...

    async def forget(self, mapping_uuid: str) -> None:
        """The mapping was deleted: its checkpoints go."""
        ...


class Leases(Protocol):
    async def acquire(self, name: str, owner: str, *, now: float, ttl: float) -> Lease | None:
        """Take the lease if free or expired, renew it if ``owner`` holds it; None while
        another owner's lease is live."""
        ...

    async def release(self, name: str, owner: str) -> None: ...

    async def holder(self, name: str, *, now: float) -> Lease | None:
        """The live lease of that name, if any."""
        ...
