"""FIFO queues: message groups in order, a group locked while it has messages in flight,
deduplication ids (explicit, or the body's SHA-256) remembered for five minutes.

The store keeps, per group, when the group can next be received from: the latest
visibility deadline of its received messages (which always form the head of the group,
since a group is delivered from its head and locked until they are gone or visible again),
or, with none in flight, when its head message becomes visible (``store/sqlite/sqs.py``'s
``refresh_group``).
"""

from __future__ import annotations

import hashlib

from lambdaport.services.sqs.models import DEDUPLICATION_WINDOW_MS, Queue, invalid_parameter


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
