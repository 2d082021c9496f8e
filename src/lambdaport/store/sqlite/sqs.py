"""SQS's tables (see ``schema.py``): :class:`lambdaport.store.sqs.SqsTables` on SQLite.

Each operation is one job on the store's thread, so it is atomic; it is made of the index
seeks of ``sqs_statements.py``, whatever the queue's depth.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace

from lambdaport.store.sqlite.core import Database
from lambdaport.store.sqlite.sqs_statements import SqsStatements
from lambdaport.store.sqs import (
    HiddenMessage,
    MessageToSend,
    Moved,
    ReceiptCheck,
    ReceiptOutcome,
    Received,
    Redrive,
    SentMessage,
    StoredMessage,
    StoredQueue,
    sequence_number,
)

# Received messages at a group's head are at most one receive's worth (10).
_HEAD_SCAN = 16


class SqsOperations(SqsStatements):
    """The whole operations: each runs as one job on the store's thread (one transaction)."""

    # -- FIFO message groups (see services/sqs/fifo.py for the rules) ---------------------

    def refresh_group(self, queue_id: int, group_id: str) -> None:
        """Recompute a group's row after its head changed (received, deleted, moved,
        visible): ready when the latest visibility deadline of its received head passed,
        or, with none in flight, when its head message becomes visible."""
        rows = self.group_head(queue_id, group_id, _HEAD_SCAN)
        if not rows:
            self.drop_group(queue_id, group_id)
            return
        ready_at = 0
        for row in rows:
            ready_at = max(ready_at, row.visible_at)
            if row.receive_count == 0:
                break
        self.put_group(queue_id, group_id, ready_at, rows[0].seq)

    def deliverable(self, queue_id: int, now: int, limit: int) -> list[StoredMessage]:
        """Up to ``limit`` messages from the heads of ready groups, each group in order."""
        out: list[StoredMessage] = []
        for group_id in self.ready_groups(queue_id, now, limit):
            for row in self.group_head(queue_id, group_id, limit - len(out)):
                if row.visible_at > now:
                    break
                out.append(row)
            if len(out) >= limit:
                break
        return out

    # -- the operations -------------------------------------------------------------------

    def send(
        self, queue_id: int, fifo: bool, messages: Sequence[MessageToSend], now: int
    ) -> list[SentMessage]:
        out: list[SentMessage] = []
        for message in messages:
            row, key = message.row, message.deduplication_key
            if fifo and key is not None:
                known = self.deduplicated(queue_id, key, now)
                if known is not None:
                    out.append(SentMessage(None, known[0], known[1]))
                    continue
            seq = self.insert_message(replace(row, queue_id=queue_id))
            sequence = None
            if fifo and row.group_id is not None and key is not None:
                sequence = sequence_number(seq)
                self.add_group(queue_id, row.group_id, row.visible_at, seq)
                self.remember_deduplication(
                    queue_id, key, row.message_id, sequence, message.deduplication_expires_at
                )
            out.append(SentMessage(seq, row.message_id, sequence))
        return out

    def receive(
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
        out: list[StoredMessage] = []
        moved: list[Moved] = []
        for _ in range(refills):
            want = limit - len(out)
            rows = (
                self.deliverable(queue_id, now, want) if fifo else self.visible(queue_id, now, want)
            )
            if not rows:
                break
            moved_now = False
            taken: list[StoredMessage] = []
            for row in rows:
                if redrive is not None and row.receive_count >= redrive.max_receive_count:
                    moved.append(Moved(row, self._move(fifo, redrive, row, now)))
                    moved_now = True
                else:
                    taken.append(row)
            if taken:
                self.mark_received([row.seq for row in taken], visible_at, receipt, now)
                if fifo:
                    for group_id in {row.group_id for row in taken if row.group_id is not None}:
                        self.refresh_group(queue_id, group_id)
            out.extend(taken)
            if not moved_now or len(out) >= limit:
                break
        return Received(tuple(out), tuple(moved))

    def _move(self, fifo: bool, redrive: Redrive, row: StoredMessage, now: int) -> int:
        """Redrive: the message leaves its queue for the dead-letter queue (same id, body
        and attributes; standard queues keep the enqueue time, FIFO queues restart it)."""
        self.delete_message(row.seq)
        if fifo and row.group_id is not None:
            self.refresh_group(row.queue_id, row.group_id)
        target = redrive.dead_letter_queue_id
        moved = replace(
            row,
            queue_id=target,
            sent_at=now if redrive.dead_letter_fifo else row.sent_at,
            visible_at=now,
            receive_count=0,
            first_received_at=None,
            receipt=None,
            dead_letter_source_arn=redrive.source_arn,
        )
        seq = self.insert_message(moved)
        if redrive.dead_letter_fifo and row.group_id is not None:
            self.add_group(target, row.group_id, now, seq)
        return seq

    def _received_row(self, queue_id: int, seq: int) -> StoredMessage | None:
        row = self.message(seq)
        return None if row is None or row.queue_id != queue_id else row

    def delete(self, queue_id: int, fifo: bool, seq: int, receipt: str, now: int) -> ReceiptOutcome:
        row = self._received_row(queue_id, seq)
        if row is None:
            return ReceiptOutcome(ReceiptCheck.GONE)
        if fifo and (row.receipt != receipt or row.visible_at <= now):
            return ReceiptOutcome(ReceiptCheck.EXPIRED)
        if row.receipt != receipt:
            return ReceiptOutcome(ReceiptCheck.STALE)
        self.delete_message(seq)
        if fifo and row.group_id is not None:
            self.refresh_group(queue_id, row.group_id)
        return ReceiptOutcome(ReceiptCheck.DONE, row.group_id)

    def delete_many(
        self, queue_id: int, fifo: bool, receipts: Sequence[tuple[int, str]], now: int
    ) -> list[ReceiptOutcome]:
        """One statement per receipt nonce (a batch's messages share their receive's): each
        message deleted if the nonce is its latest receive's (on a FIFO queue, and before its
        visibility timeout passed); the others are answered GONE (nothing deleted)."""
        by_nonce: dict[str, list[int]] = {}
        for seq, nonce in receipts:
            by_nonce.setdefault(nonce, []).append(seq)
        done: dict[int, str | None] = {}
        for nonce, seqs in by_nonce.items():
            done.update(self.delete_received(queue_id, fifo, seqs, nonce, now))
        if fifo:
            for group_id in {g for g in done.values() if g is not None}:
                self.refresh_group(queue_id, group_id)
        return [
            ReceiptOutcome(ReceiptCheck.DONE, done[seq])
            if seq in done
            else ReceiptOutcome(ReceiptCheck.GONE)
            for seq, _ in receipts
        ]

    def change_visibility(
        self, queue_id: int, fifo: bool, seq: int, receipt: str, now: int, visible_at: int
    ) -> ReceiptOutcome:
        row = self._received_row(queue_id, seq)
        if row is None or row.receipt != receipt:
            return ReceiptOutcome(ReceiptCheck.GONE)
        if row.visible_at <= now:
            return ReceiptOutcome(ReceiptCheck.NOT_IN_FLIGHT)
        self.set_visible_at(seq, visible_at)
        if fifo and row.group_id is not None:
            self.refresh_group(queue_id, row.group_id)
        return ReceiptOutcome(ReceiptCheck.DONE, row.group_id)

    def next_visible_at(self, queue_id: int, fifo: bool, now: int) -> int | None:
        if fifo:
            return self.next_group_ready_at(queue_id, now)
        return self.next_message_visible_at(queue_id, now)

    def expire(self, queue_id: int, fifo: bool, sent_before: int) -> list[HiddenMessage]:
        gone = self.expire_sent_before(queue_id, sent_before)
        if fifo:
            for group_id in {m.group_id for m in gone if m.group_id is not None}:
                self.refresh_group(queue_id, group_id)
        return gone


class SqliteSqs:
    """:class:`lambdaport.store.sqs.SqsTables` of one database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def queues(self) -> list[StoredQueue]:
        return await self._db.run(lambda db: SqsOperations(db).queues())

    async def insert_queue(self, queue: StoredQueue) -> int:
        return await self._db.run(lambda db: SqsOperations(db).insert_queue(queue))

    async def update_queue(self, queue: StoredQueue) -> None:
        await self._db.run(lambda db: SqsOperations(db).update_queue(queue))

    async def retire_queue(self, queue_id: int) -> None:
        await self._db.run(lambda db: SqsOperations(db).retire_queue(queue_id))

    async def renew_queue(self, queue: StoredQueue) -> int:
        return await self._db.run(lambda db: SqsOperations(db).renew_queue(queue))

    async def sweep_retired(self, limit: int = 2000) -> int:
        return await self._db.run(lambda db: SqsOperations(db).sweep_retired(limit))

    async def count(self, queue_id: int) -> int:
        return await self._db.run(lambda db: SqsOperations(db).count(queue_id))

    async def hidden(self, queue_id: int, now: int) -> list[HiddenMessage]:
        return await self._db.run(lambda db: SqsOperations(db).hidden(queue_id, now))

    async def send(
        self, queue_id: int, fifo: bool, messages: Sequence[MessageToSend], now: int
    ) -> list[SentMessage]:
        messages = list(messages)
        return await self._db.run(
            lambda db: SqsOperations(db).send(queue_id, fifo, messages, now), point=True
        )

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
        return await self._db.run(
            lambda db: SqsOperations(db).receive(
                queue_id,
                fifo,
                now=now,
                limit=limit,
                visible_at=visible_at,
                receipt=receipt,
                redrive=redrive,
                refills=refills,
            ),
            point=True,
        )

    async def message(self, seq: int) -> StoredMessage | None:
        return await self._db.run(lambda db: SqsOperations(db).message(seq), point=True)

    async def delete(
        self, queue_id: int, fifo: bool, seq: int, receipt: str, now: int
    ) -> ReceiptOutcome:
        return await self._db.run(
            lambda db: SqsOperations(db).delete(queue_id, fifo, seq, receipt, now), point=True
        )

    async def delete_many(
        self, queue_id: int, fifo: bool, receipts: Sequence[tuple[int, str]], now: int
    ) -> list[ReceiptOutcome]:
        def delete(db: sqlite3.Connection) -> list[ReceiptOutcome]:
            return SqsOperations(db).delete_many(queue_id, fifo, receipts, now)

        return await self._db.run(delete, point=len(receipts) <= 10)

    async def change_visibility(
        self, queue_id: int, fifo: bool, seq: int, receipt: str, now: int, visible_at: int
    ) -> ReceiptOutcome:
        return await self._db.run(
            lambda db: SqsOperations(db).change_visibility(
                queue_id, fifo, seq, receipt, now, visible_at
            ),
            point=True,
        )

    async def next_visible_at(self, queue_id: int, fifo: bool, now: int) -> int | None:
        return await self._db.run(
            lambda db: SqsOperations(db).next_visible_at(queue_id, fifo, now), point=True
        )

    async def expire(self, queue_id: int, fifo: bool, sent_before: int) -> list[HiddenMessage]:
        return await self._db.run(lambda db: SqsOperations(db).expire(queue_id, fifo, sent_before))

    async def forget_deduplication(self, now: int, limit: int = 5000) -> int:
        return await self._db.run(lambda db: SqsOperations(db).forget_deduplication(now, limit))
