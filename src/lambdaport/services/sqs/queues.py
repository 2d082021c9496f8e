"""The queues: create, find, configure, tag, purge and delete.

The store's queues are the record; :class:`QueueDirectory` is this node's cache of them
(with each queue's counts and doorbell, ``state.py``): loaded at start, and written through
by every change, so a lookup never touches the store. The invalidation point a second node
would need is the queue's row (``modified_at``, and ``queue_id``, which PurgeQueue renews):
a directory shared by several nodes reloads a queue whose row changed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace

import orjson

from lambdaport.errors import AwsError
from lambdaport.services.sqs import attributes
from lambdaport.services.sqs.models import (
    PURGE_INTERVAL_MS,
    Queue,
    check_queue_name,
    invalid_parameter,
    queue_arn,
    queue_does_not_exist,
    split_queue_arn,
)
from lambdaport.services.sqs.state import QueueState
from lambdaport.store.sqs import SqsTables, StoredQueue

Clock = Callable[[], int]  # epoch milliseconds
Key = tuple[str, str, str]  # account, region, name
MAX_TAGS = 50


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def _stored(queue: Queue) -> StoredQueue:
    return StoredQueue(
        queue.queue_id,
        queue.account_id,
        queue.region,
        queue.name,
        orjson.dumps(dict(queue.attributes)),
        orjson.dumps(dict(queue.tags)),
        queue.created_at,
        queue.modified_at,
        queue.last_purged_at,
    )


def _queue(row: StoredQueue) -> Queue:
    return Queue(
        row.queue_id,
        row.account_id,
        row.region,
        row.name,
        orjson.loads(row.attributes),
        orjson.loads(row.tags),
        row.created_at,
        row.modified_at,
        row.last_purged_at,
    )


def check_tags(tags: Mapping[str, str]) -> None:
    """Tag keys and values as SQS takes them (TagQueue, CreateQueue's tags); their number
    is checked with the queue's (:func:`check_tag_count`)."""
    for key, value in tags.items():
        check_tag_key(key)
        if len(value) > 256:
            raise invalid_parameter("Tag values must be at most 256 characters in length.")


def check_tag_count(name: str, tags: Mapping[str, str]) -> None:
    if len(tags) > MAX_TAGS:
        raise invalid_parameter(f"Too many tags added for queue {name}.")


def check_tag_key(key: str) -> None:
    if not 1 <= len(key) <= 128:
        raise invalid_parameter("Tag keys must be between 1 and 128 characters in length.")
    if key.lower().startswith("aws:"):
        raise invalid_parameter(f"Tag key {key} is invalid: the aws: prefix is reserved.")


class QueueDirectory:
    """Every queue's :class:`QueueState`, by (account, region, name)."""

    def __init__(self, store: SqsTables, clock: Clock = now_ms) -> None:
        self.store = store
        self.clock = clock
        self._queues: dict[Key, QueueState] = {}
        self._by_id: dict[int, QueueState] = {}
        self._creating = asyncio.Lock()  # CreateQueue: one name, one queue
        self._deleted_listeners: list[Callable[[str], None]] = []

    async def load(self) -> None:
        """At start: every queue, its counts rebuilt from its messages."""
        store = self.store
        now = self.clock()
        for row in await store.queues():
            state = QueueState(_queue(row))
            counts = state.counts
            counts.total = await store.count(row.queue_id)
            for hidden in await store.hidden(row.queue_id, now):
                counts.hide(hidden.seq, hidden.visible_at, delayed=hidden.receive_count == 0)
            self._add(state)

    def _add(self, state: QueueState) -> None:
        queue = state.queue
        self._queues[(queue.account_id, queue.region, queue.name)] = state
        self._by_id[queue.queue_id] = state

    # -- lookups ------------------------------------------------------------------------

    def find(self, account_id: str, region: str, name: str) -> QueueState:
        state = self._queues.get((account_id, region, name))
        if state is None:
            raise queue_does_not_exist()
        return state

    def find_arn(self, arn: str) -> QueueState | None:
        parts = split_queue_arn(arn)
        return None if parts is None else self._queues.get((parts[1], parts[0], parts[2]))

    def queue_by_arn(self, arn: str) -> Queue | None:
        state = self.find_arn(arn)
        return None if state is None else state.queue

    def by_id(self, queue_id: int) -> QueueState | None:
        return self._by_id.get(queue_id)

    def in_region(self, account_id: str, region: str) -> Iterator[Queue]:
        for (account, where, _), state in self._queues.items():
            if account == account_id and where == region:
                yield state.queue

    def all(self) -> list[QueueState]:
        return list(self._queues.values())

    # -- changes ------------------------------------------------------------------------

    async def create(
        self,
        account_id: str,
        region: str,
        name: str,
        requested: Mapping[str, str],
        tags: Mapping[str, str],
    ) -> Queue:
        fifo = requested.get("FifoQueue", "false").lower() == "true"
        attributes.check_names(requested, fifo=fifo, creating=True)
        check_queue_name(name, fifo)
        check_tags(tags)
        check_tag_count(name, tags)
        arn = queue_arn(region, account_id, name)
        given = attributes.validate(
            requested, fifo=fifo, queue_arn=arn, find=self.queue_by_arn, creating=True
        )
        async with self._creating:
            return await self._create(account_id, region, name, given, tags, fifo)

    async def _create(
        self,
        account_id: str,
        region: str,
        name: str,
        given: Mapping[str, str],
        tags: Mapping[str, str],
        fifo: bool,
    ) -> Queue:
        existing = self._queues.get((account_id, region, name))
        if existing is not None:
            for key, value in given.items():
                if existing.queue.attributes.get(key, "") != value:
                    raise AwsError(
                        "QueueNameExists",
                        "A queue already exists with the same name and a different value "
                        f"for attribute {key}",
                        400,
                    )
            return existing.queue
        defaults = attributes.FIFO_DEFAULTS if fifo else attributes.STANDARD_DEFAULTS
        now = self.clock() // 1000
        queue = Queue(
            0,
            account_id,
            region,
            name,
            attributes.merged(defaults, given),
            dict(tags),
            now,
            now,
        )
        queue_id = await self.store.insert_queue(_stored(queue))
        created = replace(queue, queue_id=queue_id)
        self._add(QueueState(created))
        return created

    async def set_attributes(self, state: QueueState, requested: Mapping[str, str]) -> Queue:
        queue = state.queue
        given = attributes.validate(
            requested,
            fifo=queue.fifo,
            queue_arn=queue.arn,
            find=self.queue_by_arn,
            creating=False,
        )
        changed = replace(
            queue,
            attributes=attributes.merged(queue.attributes, given),
            modified_at=self.clock() // 1000,
        )
        await self.store.update_queue(_stored(changed))
        state.queue = changed
        state.doorbell.ring()  # a long poll's wait or visibility may have changed
        return changed

    async def tag(self, state: QueueState, tags: Mapping[str, str]) -> None:
        """Add or overwrite tags (already checked with :func:`check_tags`)."""
        merged = {**state.queue.tags, **tags}
        check_tag_count(state.queue.name, merged)
        await self._retag(state, merged)

    async def untag(self, state: QueueState, keys: list[str]) -> None:
        await self._retag(state, {k: v for k, v in state.queue.tags.items() if k not in keys})

    async def _retag(self, state: QueueState, tags: Mapping[str, str]) -> None:
        changed = replace(state.queue, tags=dict(tags))
        await self.store.update_queue(_stored(changed))
        state.queue = changed

    async def delete(self, state: QueueState) -> None:
        queue = state.queue
        await self.store.retire_queue(queue.queue_id)
        self._queues.pop((queue.account_id, queue.region, queue.name), None)
        self._by_id.pop(queue.queue_id, None)
        state.deleted = True
        state.doorbell.ring()
        for listener in list(self._deleted_listeners):
            listener(queue.arn)

    def on_deleted(self, listener: Callable[[str], None]) -> Callable[[], None]:
        """Call ``listener(queue_arn)`` when a queue is deleted; returns the unsubscribe."""
        self._deleted_listeners.append(listener)
        return lambda: self._deleted_listeners.remove(listener)

    async def purge(self, state: QueueState) -> None:
        """Empty the queue at once: its messages are retired with its old id."""
        now = self.clock()
        queue = state.queue
        if queue.last_purged_at and now - queue.last_purged_at < PURGE_INTERVAL_MS:
            raise AwsError(
                "PurgeQueueInProgress",
                f"Only one PurgeQueue operation on {queue.name} is allowed every 60 seconds.",
                403,
            )
        renewed = replace(queue, last_purged_at=now)
        queue_id = await self.store.renew_queue(_stored(renewed))
        self._by_id.pop(queue.queue_id, None)
        state.queue = replace(renewed, queue_id=queue_id)
        state.counts.clear()
        self._by_id[queue_id] = state

    def dead_letter_sources(self, state: QueueState) -> list[Queue]:
        target = state.queue
        sources = []
        for queue in self.in_region(target.account_id, target.region):
            policy = queue.redrive_policy
            if policy is not None and policy.dead_letter_target_arn == target.arn:
                sources.append(queue)
        return sorted(sources, key=lambda q: q.name)
