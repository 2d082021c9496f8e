"""SQS's statements on its tables (see ``schema.py``), which ``sqs.py``'s operations are made of.

Every query the hot path runs is an index seek: receiving from a standard queue reads
``sqs_messages_visible (queue_id, visible_at, seq)`` from its start, a FIFO queue's ready
groups come from ``sqs_groups_ready (queue_id, ready_at, head_seq)`` and a group's head from
``sqs_messages_group (queue_id, group_id, seq)``; messages are addressed by ``seq`` (the
primary key) through their receipt handles. Each operation is one job on the store's thread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from lambdaport.store.sqs import (
    HiddenMessage,
    StoredMessage,
    StoredQueue,
)

_MESSAGE_COLUMNS = (
    "seq, queue_id, message_id, body, attributes, system_attributes, md5_body, md5_attributes, "
    "md5_system_attributes, sent_at, visible_at, receive_count, first_received_at, receipt, "
    "group_id, deduplication_id, sender_id, dead_letter_source_arn"
)
_INSERT_COLUMNS = _MESSAGE_COLUMNS.split(", ", 1)[1]


def _message(row: Sequence[Any]) -> StoredMessage:
    return StoredMessage(
        seq=int(row[0]),
        queue_id=int(row[1]),
        message_id=row[2],
        body=row[3],
        attributes=None if row[4] is None else bytes(row[4]),
        system_attributes=None if row[5] is None else bytes(row[5]),
        md5_body=row[6],
        md5_attributes=row[7],
        md5_system_attributes=row[8],
        sent_at=int(row[9]),
        visible_at=int(row[10]),
        receive_count=int(row[11]),
        first_received_at=None if row[12] is None else int(row[12]),
        receipt=row[13],
        group_id=row[14],
        deduplication_id=row[15],
        sender_id=row[16],
        dead_letter_source_arn=row[17],
    )


def _queue(row: Sequence[Any]) -> StoredQueue:
    return StoredQueue(
        int(row[0]), row[1], row[2], row[3], bytes(row[4]), bytes(row[5]), *map(int, row[6:9])
    )


class SqsStatements:
    """SQS's statements on the store's connection (its thread, its transaction); the
    operations of :class:`lambdaport.store.sqs.SqsTables` are made of them."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    # -- queues -------------------------------------------------------------------------

    def queues(self) -> list[StoredQueue]:
        rows = self._db.execute(
            "SELECT queue_id, account_id, region, name, attributes, tags, created_at, "
            "modified_at, last_purged_at FROM sqs_queues ORDER BY queue_id"
        ).fetchall()
        return [_queue(row) for row in rows]

    def insert_queue(self, queue: StoredQueue) -> int:
        """Insert (``queue.queue_id`` is ignored) and return the new queue id."""
        row = self._db.execute(
            "INSERT INTO sqs_queues (account_id, region, name, attributes, tags, created_at, "
            "modified_at, last_purged_at) VALUES (?,?,?,?,?,?,?,?) RETURNING queue_id",
            (
                queue.account_id,
                queue.region,
                queue.name,
                queue.attributes,
                queue.tags,
                queue.created_at,
                queue.modified_at,
                queue.last_purged_at,
            ),
        ).fetchone()
        return int(row[0])

    def update_queue(self, queue: StoredQueue) -> None:
        self._db.execute(
            "UPDATE sqs_queues SET attributes = ?, tags = ?, modified_at = ? WHERE queue_id = ?",
            (queue.attributes, queue.tags, queue.modified_at, queue.queue_id),
        )

    def retire_queue(self, queue_id: int) -> None:
        """Delete the queue; its messages go with the next sweeps."""
        self._db.execute("DELETE FROM sqs_queues WHERE queue_id = ?", (queue_id,))
        self._db.execute("INSERT OR IGNORE INTO sqs_retired (queue_id) VALUES (?)", (queue_id,))

    def renew_queue(self, queue: StoredQueue) -> int:
        """PurgeQueue: the same queue under a new id, the old id's messages retired."""
        self._db.execute("DELETE FROM sqs_queues WHERE queue_id = ?", (queue.queue_id,))
        self._db.execute(
            "INSERT OR IGNORE INTO sqs_retired (queue_id) VALUES (?)", (queue.queue_id,)
        )
        return self.insert_queue(queue)

    def sweep_retired(self, limit: int = 2000) -> int:
        """Delete up to ``limit`` rows of retired queues; returns how many went."""
        done = 0
        for (queue_id,) in self._db.execute("SELECT queue_id FROM sqs_retired").fetchall():
            gone = self._db.execute(
                "DELETE FROM sqs_messages WHERE seq IN (SELECT seq FROM sqs_messages "
                "WHERE queue_id = ? LIMIT ?)",
                (queue_id, limit - done),
            ).rowcount
            if gone < limit - done:
                self._db.execute("DELETE FROM sqs_groups WHERE queue_id = ?", (queue_id,))
                self._db.execute("DELETE FROM sqs_deduplication WHERE queue_id = ?", (queue_id,))
                self._db.execute("DELETE FROM sqs_retired WHERE queue_id = ?", (queue_id,))
            done += gone
            if done >= limit:
                break
        return done

    # -- messages -----------------------------------------------------------------------

    def insert_message(self, message: StoredMessage) -> int:
        """Insert (``message.seq`` is ignored) and return the new message's seq."""
        values = (
            message.queue_id,
            message.message_id,
            message.body,
            message.attributes,
            message.system_attributes,
            message.md5_body,
            message.md5_attributes,
            message.md5_system_attributes,
            message.sent_at,
            message.visible_at,
            message.receive_count,
            message.first_received_at,
            message.receipt,
            message.group_id,
            message.deduplication_id,
            message.sender_id,
            message.dead_letter_source_arn,
        )
        row = self._db.execute(
            f"INSERT INTO sqs_messages ({_INSERT_COLUMNS}) VALUES "
            "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING seq",
            values,
        ).fetchone()
        return int(row[0])

    def message(self, seq: int) -> StoredMessage | None:
        row = self._db.execute(
            f"SELECT {_MESSAGE_COLUMNS} FROM sqs_messages WHERE seq = ?", (seq,)
        ).fetchone()
        return None if row is None else _message(row)

    def visible(self, queue_id: int, now: int, limit: int) -> list[StoredMessage]:
        """A standard queue's visible messages, longest visible first."""
        rows = self._db.execute(
            f"SELECT {_MESSAGE_COLUMNS} FROM sqs_messages WHERE queue_id = ? AND visible_at <= ? "
            "ORDER BY visible_at, seq LIMIT ?",
            (queue_id, now, limit),
        ).fetchall()
        return [_message(row) for row in rows]

    def mark_received(self, seqs: Iterable[int], visible_at: int, receipt: str, now: int) -> None:
        self._db.executemany(
            "UPDATE sqs_messages SET visible_at = ?, receive_count = receive_count + 1, "
            "first_received_at = COALESCE(first_received_at, ?), receipt = ? WHERE seq = ?",
            [(visible_at, now, receipt, seq) for seq in seqs],
        )

    def set_visible_at(self, seq: int, visible_at: int) -> None:
        self._db.execute("UPDATE sqs_messages SET visible_at = ? WHERE seq = ?", (visible_at, seq))

    def delete_received(
        self, queue_id: int, fifo: bool, seqs: Sequence[int], receipt: str, now: int
    ) -> dict[int, str | None]:
        """Delete those of ``seqs`` whose latest receive is ``receipt`` (a FIFO queue's only
        while still in flight); seq -> group id of each deleted."""
        marks = ", ".join("?" * len(seqs))
        in_flight = " AND +visible_at > ?" if fifo else ""
        # By seq (the rowid) only: the unary + keeps the planner off the queue's indexes.
        rows = self._db.execute(
            f"DELETE FROM sqs_messages WHERE seq IN ({marks}) AND +queue_id = ? "
            f"AND +receipt = ?{in_flight} RETURNING seq, group_id",
            (*seqs, queue_id, receipt, *((now,) if fifo else ())),
        ).fetchall()
        return {int(seq): group_id for seq, group_id in rows}

    def delete_message(self, seq: int) -> None:
        self._db.execute("DELETE FROM sqs_messages WHERE seq = ?", (seq,))

    def next_message_visible_at(self, queue_id: int, now: int) -> int | None:
        row = self._db.execute(
            "SELECT MIN(visible_at) FROM sqs_messages WHERE queue_id = ? AND visible_at > ?",
            (queue_id, now),
        ).fetchone()
        return None if row[0] is None else int(row[0])

    def expire_sent_before(self, queue_id: int, sent_before: int) -> list[HiddenMessage]:
        """Delete messages sent before ``sent_before`` (retention); returns what went."""
        rows = self._db.execute(
            "DELETE FROM sqs_messages WHERE queue_id = ? AND sent_at < ? "
            "RETURNING seq, visible_at, receive_count, group_id",
            (queue_id, sent_before),
        ).fetchall()
        return [HiddenMessage(int(s), int(v), int(r), g) for s, v, r, g in rows]

    def count(self, queue_id: int) -> int:
        row = self._db.execute(
            "SELECT COUNT(*) FROM sqs_messages WHERE queue_id = ?", (queue_id,)
        ).fetchone()
        return int(row[0])

    def hidden(self, queue_id: int, now: int) -> list[HiddenMessage]:
        """Messages not visible at ``now`` (read once at start for the counters)."""
        rows = self._db.execute(
            "SELECT seq, visible_at, receive_count, group_id FROM sqs_messages "
            "WHERE queue_id = ? AND visible_at > ?",
            (queue_id, now),
        ).fetchall()
        return [HiddenMessage(int(s), int(v), int(r), g) for s, v, r, g in rows]

    # -- FIFO message groups ------------------------------------------------------------

    def group_head(self, queue_id: int, group_id: str, limit: int) -> list[StoredMessage]:
        rows = self._db.execute(
            f"SELECT {_MESSAGE_COLUMNS} FROM sqs_messages WHERE queue_id = ? AND group_id = ? "
            "ORDER BY seq LIMIT ?",
            (queue_id, group_id, limit),
        ).fetchall()
        return [_message(row) for row in rows]

    def put_group(self, queue_id: int, group_id: str, ready_at: int, head_seq: int) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO sqs_groups (queue_id, group_id, ready_at, head_seq) "
            "VALUES (?,?,?,?)",
            (queue_id, group_id, ready_at, head_seq),
        )

    def add_group(self, queue_id: int, group_id: str, ready_at: int, head_seq: int) -> None:
        """Record a group that had no messages; a known group is left as it is."""
        self._db.execute(
            "INSERT OR IGNORE INTO sqs_groups (queue_id, group_id, ready_at, head_seq) "
            "VALUES (?,?,?,?)",
            (queue_id, group_id, ready_at, head_seq),
        )

    def drop_group(self, queue_id: int, group_id: str) -> None:
        self._db.execute(
            "DELETE FROM sqs_groups WHERE queue_id = ? AND group_id = ?", (queue_id, group_id)
        )

    def ready_groups(self, queue_id: int, now: int, limit: int) -> list[str]:
        rows = self._db.execute(
            "SELECT group_id FROM sqs_groups WHERE queue_id = ? AND ready_at <= ? "
            "ORDER BY ready_at, head_seq LIMIT ?",
            (queue_id, now, limit),
        ).fetchall()
        return [str(row[0]) for row in rows]

    def next_group_ready_at(self, queue_id: int, now: int) -> int | None:
        row = self._db.execute(
            "SELECT MIN(ready_at) FROM sqs_groups WHERE queue_id = ? AND ready_at > ?",
            (queue_id, now),
        ).fetchone()
        return None if row[0] is None else int(row[0])

    # -- FIFO deduplication -------------------------------------------------------------

    def deduplicated(self, queue_id: int, key: str, now: int) -> tuple[str, str | None] | None:
        """(message id, sequence number) of an unexpired send with this deduplication key."""
        row = self._db.execute(
            "SELECT message_id, sequence_number FROM sqs_deduplication "
            "WHERE queue_id = ? AND dedup_key = ? AND expires_at > ?",
            (queue_id, key, now),
        ).fetchone()
        return None if row is None else (str(row[0]), row[1])

    def remember_deduplication(
        self, queue_id: int, key: str, message_id: str, sequence_number: str, expires_at: int
    ) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO sqs_deduplication (queue_id, dedup_key, message_id, "
            "sequence_number, expires_at) VALUES (?,?,?,?,?)",
            (queue_id, key, message_id, sequence_number, expires_at),
        )

    def forget_deduplication(self, now: int, limit: int = 5000) -> int:
        return self._db.execute(
            "DELETE FROM sqs_deduplication WHERE rowid IN (SELECT rowid FROM sqs_deduplication "
            "WHERE expires_at <= ? LIMIT ?)",
            (now, limit),
        ).rowcount
