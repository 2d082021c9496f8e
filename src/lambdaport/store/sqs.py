"""Amazon SQS's store: queues, messages, FIFO message groups and deduplication ids, the
records they are kept as, and the protocol.

Every method is one atomic operation, committed before it returns. The operations the
queue's life is made of are whole methods (a send with its deduplication, a receive that
claims messages and redrives the ones received too often, a delete or a visibility change
checked against the receipt), never a read followed by a write the caller would run. The
results say what changed, so the caller can keep its node-local counts. Times are epoch
milliseconds.

A purged or deleted queue's ``queue_id`` is retired rather than emptied in the request;
:meth:`SqsTables.sweep_retired` deletes the rows of retired ids in bounded chunks.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


def sequence_number(seq: int) -> str:
    """A FIFO message's SequenceNumber: 20 digits, increasing with the queue's order."""
    return str(10_000_000_000_000_000_000 + seq)


@dataclass(frozen=True, slots=True)
class StoredQueue:
    queue_id: int
    account_id: str
    region: str
    name: str
    attributes: bytes  # JSON object of attribute name -> string value
    tags: bytes  # JSON object
    created_at: int  # epoch seconds
    modified_at: int
    last_purged_at: int  # epoch ms, 0 when never purged


@dataclass(frozen=True, slots=True)
class StoredMessage:
    seq: int
    queue_id: int
    message_id: str
    body: str
    attributes: bytes | None  # JSON of the message attributes (binary values base64)
    system_attributes: bytes | None  # JSON of the message system attributes
    md5_body: str
    md5_attributes: str | None
    md5_system_attributes: str | None
    sent_at: int
    visible_at: int
    receive_count: int
    first_received_at: int | None
    receipt: str | None  # the nonce of the latest receive
    group_id: str | None
    deduplication_id: str | None
    sender_id: str
    dead_letter_source_arn: str | None


@dataclass(frozen=True, slots=True)
class HiddenMessage:
    """A message that is not visible now (delayed, or in flight)."""

    seq: int
    visible_at: int
    receive_count: int
    group_id: str | None


@dataclass(frozen=True, slots=True)
class MessageToSend:
    """A message to insert (``row.seq`` is ignored). On a FIFO queue, ``deduplication_key``
    is set: a send with a key remembered and unexpired is not inserted again."""

    row: StoredMessage
    deduplication_key: str | None = None
    deduplication_expires_at: int = 0


@dataclass(frozen=True, slots=True)
class SentMessage:
    """``seq`` None: a duplicate (the first send's id and sequence number are answered)."""

    seq: int | None
    message_id: str
    sequence_number: str | None


@dataclass(frozen=True, slots=True)
class Redrive:
    """Where messages received ``max_receive_count`` times go instead of being received."""

    max_receive_count: int
    dead_letter_queue_id: int
    dead_letter_fifo: bool
    source_arn: str


@dataclass(frozen=True, slots=True)
class Moved:
    """A message the receive moved to the dead-letter queue, as it was, and its new seq."""

    row: StoredMessage
    seq: int


@dataclass(frozen=True, slots=True)
class Received:
    """The messages a receive took (as they were before it), and those it redrove."""

    rows: tuple[StoredMessage, ...]
    moved: tuple[Moved, ...]


class ReceiptCheck(enum.Enum):
    """How a receipt handle's message stands (delete, change visibility)."""

    DONE = "done"  # the change was made
    GONE = "gone"  # no such message any more
    STALE = "stale"  # not the latest receive's handle
    EXPIRED = "expired"  # FIFO: the handle's visibility timeout has passed
    NOT_IN_FLIGHT = "not-in-flight"  # change visibility: the message is visible


@dataclass(frozen=True, slots=True)
class ReceiptOutcome:
    check: ReceiptCheck
    group_id: str | None = None


class SqsTables(Protocol):
    # -- queues -------------------------------------------------------------------------

    async def queues(self) -> list[StoredQueue]: ...

    async def insert_queue(self, queue: StoredQueue) -> int:
        """Insert (``queue.queue_id`` is ignored) and return the new queue id."""
        ...

    async def update_queue(self, queue: StoredQueue) -> None: ...

    async def retire_queue(self, queue_id: int) -> None:
        """Delete the queue; its messages go with the next sweeps."""
        ...

    async def renew_queue(self, queue: StoredQueue) -> int:
        """PurgeQueue: the same queue under a new id, the old id's messages retired."""
        ...

    async def sweep_retired(self, limit: int = 2000) -> int:
        """Delete up to ``limit`` rows of retired queues; returns how many went."""
        ...

    async def count(self, queue_id: int) -> int: ...

    async def hidden(self, queue_id: int, now: int) -> list[HiddenMessage]:
        """Messages not visible at ``now`` (read once at start for the counters)."""
        ...

    # -- messages -----------------------------------------------------------------------

    async def send(
        self, queue_id: int, fifo: bool, messages: Sequence[MessageToSend], now: int
    ) -> list[SentMessage]:
        """Insert the messages (a FIFO queue's duplicates skipped), in order, atomically."""
        ...

    async def receive(
        self,
        queue_id: int,
        fifo: bool,
        *,
        now: int,
        limit: int,
        visible_at: int,
        receipt: str,
        redrive: Redrive | None,
        refills: int,
    ) -> Received:
        """Take up to ``limit`` deliverable messages (a standard queue's longest visible,
        a FIFO queue's ready group heads), hidden until ``visible_at`` under ``receipt``;
        with ``redrive``, messages received too often move to the dead-letter queue
        instead, and up to ``refills`` more reads fill their places."""
        ...

    async def message(self, seq: int) -> StoredMessage | None: ...

    async def delete(
        self, queue_id: int, fifo: bool, seq: int, receipt: str, now: int
    ) -> ReceiptOutcome:
        """Delete the message if ``receipt`` is its latest receive's (on a FIFO queue, and
        its visibility timeout has not passed)."""
        ...

    async def delete_many(
        self, queue_id: int, fifo: bool, receipts: Sequence[tuple[int, str]], now: int
    ) -> list[ReceiptOutcome]:
        """:meth:`delete` of each (seq, receipt), in order, in one transaction."""
        ...

    async def change_visibility(
        self, queue_id: int, fifo: bool, seq: int, receipt: str, now: int, visible_at: int
    ) -> ReceiptOutcome:
        """Hide the in-flight message until ``visible_at`` if ``receipt`` is its latest."""
        ...

    async def next_visible_at(self, queue_id: int, fifo: bool, now: int) -> int | None:
        """When something hidden becomes deliverable (a FIFO queue: a group ready)."""
        ...

    async def expire(self, queue_id: int, fifo: bool, sent_before: int) -> list[HiddenMessage]:
        """Delete messages sent before ``sent_before`` (retention); returns what went."""
        ...

    async def forget_deduplication(self, now: int, limit: int = 5000) -> int: ...
