"""FIFO queues: message groups in order, a group locked while it has messages in flight,
deduplication ids (explicit, or the body's SHA-256) remembered for five minutes.

A group's row (``sqs_groups``) says when the group can next be received from: the latest
visibility deadline of its received messages (which always form the head of the group,
since a group is delivered from its head and locked until they are gone or visible again),
or, with none in flight, when its head message becomes visible.
"""

from __future__ import annotations

import hashlib

from lambdaport.services.sqs.models import DEDUPLICATION_WINDOW_MS, Queue, invalid_parameter
from lambdaport.store.sqs import SqsStore, StoredMessage

# Received messages at a group's head are at most one receive's worth (10).
_HEAD_SCAN = 16


def sequence_number(seq: int) -> str:
    """A FIFO message's SequenceNumber: 20 digits, increasing with the queue's order."""
    return str(10_000_000_000_000_000_000 + seq)


def fifo_deduplication_message() -> str:
    return (
        "The queue should either have ContentBasedDeduplication enabled or "
        "MessageDeduplicationId provided explicitly"
    )


def deduplication_id(queue: Queue, body: str, given: str | None) -> str:
    if given:
        return given
    if not queue.content_based_deduplication:
        raise invalid_parameter(fifo_deduplication_message())
    return hashlib.sha256(body.encode()).hexdigest()


def deduplication_key(queue: Queue, group_id: str, dedup_id: str) -> str:
    return f"{group_id}\x00{dedup_id}" if queue.deduplication_per_group else dedup_id


def deduplication_expiry(now: int) -> int:
    return now + DEDUPLICATION_WINDOW_MS


def refresh_group(store: SqsStore, queue_id: int, group_id: str) -> None:
    """Recompute a group's row after its head changed (received, deleted, moved, visible)."""
    rows = store.group_head(queue_id, group_id, _HEAD_SCAN)
    if not rows:
        store.drop_group(queue_id, group_id)
        return
    ready_at = 0
    for row in rows:
        ready_at = max(ready_at, row.visible_at)
        if row.receive_count == 0:
            break
    store.put_group(queue_id, group_id, ready_at, rows[0].seq)


def deliverable(store: SqsStore, queue_id: int, now: int, limit: int) -> list[StoredMessage]:
    """Up to ``limit`` messages from the heads of ready groups, each group in order."""
    out: list[StoredMessage] = []
    for group_id in store.ready_groups(queue_id, now, limit):
        for row in store.group_head(queue_id, group_id, limit - len(out)):
            if row.visible_at > now:
                break
            out.append(row)
        if len(out) >= limit:
            break
    return out


def next_ready_at(store: SqsStore, queue_id: int, now: int) -> int | None:
    return store.next_group_ready_at(queue_id, now)
