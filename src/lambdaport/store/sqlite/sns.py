"""SNS's tables (see ``schema.py``): :class:`lambdaport.store.sns.SnsTables` on SQLite. Each
call is one operation on the store's thread (atomic, committed before it resolves).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from lambdaport.store.sns import DeliveryRow, SubscriptionRow, TopicRow
from lambdaport.store.sqlite.core import Database

_TOPIC_COLUMNS = "arn, account_id, region, name, attributes, tags, deleted, sequence"
_SUB_COLUMNS = (
    "arn, topic_arn, account_id, region, protocol, endpoint, owner, attributes, pending, "
    "token, authenticated"
)


def _topic(row: tuple[Any, ...]) -> TopicRow:
    return TopicRow(
        row[0], row[1], row[2], row[3], orjson.loads(row[4]), orjson.loads(row[5]), row[6], row[7]
    )


def _subscription(row: tuple[Any, ...]) -> SubscriptionRow:
    return SubscriptionRow(
        arn=row[0],
        topic_arn=row[1],
        account_id=row[2],
        region=row[3],
        protocol=row[4],
        endpoint=row[5],
        owner=row[6],
        attributes=orjson.loads(row[7]),
        pending=bool(row[8]),
        token=row[9],
        authenticated=bool(row[10]),
    )


class SnsStatements:
    """The statements, on the store's connection (its thread, its transaction)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    # -- topics ---------------------------------------------------------------------------

    def put_topic(self, topic: TopicRow) -> None:
        self._db.execute(
            f"INSERT OR REPLACE INTO sns_topics ({_TOPIC_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)",
            (
                topic.arn,
                topic.account_id,
                topic.region,
                topic.name,
                orjson.dumps(dict(topic.attributes)),
                orjson.dumps(dict(topic.tags)),
                topic.subscriptions_deleted,
                topic.sequence,
            ),
        )

    def topic(self, arn: str) -> TopicRow | None:
        row = self._db.execute(
            f"SELECT {_TOPIC_COLUMNS} FROM sns_topics WHERE arn = ?", (arn,)
        ).fetchone()
        return None if row is None else _topic(row)

    def topics(self, account_id: str, region: str, after: str, limit: int) -> list[TopicRow]:
        rows = self._db.execute(
            f"SELECT {_TOPIC_COLUMNS} FROM sns_topics WHERE account_id = ? AND region = ? "
            "AND arn > ? ORDER BY arn LIMIT ?",
            (account_id, region, after, limit),
        ).fetchall()
        return [_topic(row) for row in rows]

    def delete_topic(self, arn: str) -> None:
        self._db.execute("DELETE FROM sns_topics WHERE arn = ?", (arn,))
        self._db.execute(
            "DELETE FROM sns_deliveries WHERE subscription_arn IN "
            "(SELECT arn FROM sns_subscriptions WHERE topic_arn = ?)",
            (arn,),
        )
        self._db.execute("DELETE FROM sns_subscriptions WHERE topic_arn = ?", (arn,))
        self._db.execute("DELETE FROM sns_fifo_dedup WHERE topic_arn = ?", (arn,))

    def next_sequence(self, arn: str, step: int) -> int:
        """Advance the topic's FIFO sequence number by ``step``; return the new value."""
        row = self._db.execute(
            "UPDATE sns_topics SET sequence = sequence + ? WHERE arn = ? RETURNING sequence",
            (step, arn),
        ).fetchone()
        return int(row[0]) if row else 0

    # -- subscriptions --------------------------------------------------------------------

    def put_subscription(self, sub: SubscriptionRow) -> None:
        self._db.execute(
            f"INSERT OR REPLACE INTO sns_subscriptions ({_SUB_COLUMNS}) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                sub.arn,
                sub.topic_arn,
                sub.account_id,
                sub.region,
                sub.protocol,
                sub.endpoint,
                sub.owner,
                orjson.dumps(dict(sub.attributes)),
                int(sub.pending),
                sub.token,
                int(sub.authenticated),
            ),
        )

    def subscription(self, arn: str) -> SubscriptionRow | None:
        row = self._db.execute(
            f"SELECT {_SUB_COLUMNS} FROM sns_subscriptions WHERE arn = ?", (arn,)
        ).fetchone()
        return None if row is None else _subscription(row)

    def subscriptions_of_topic(
        self, topic_arn: str, after: str = "", limit: int = -1
    ) -> list[SubscriptionRow]:
        rows = self._db.execute(
            f"SELECT {_SUB_COLUMNS} FROM sns_subscriptions WHERE topic_arn = ? AND arn > ? "
            "ORDER BY arn LIMIT ?",
            (topic_arn, after, limit),
        ).fetchall()
        return [_subscription(row) for row in rows]

    def subscriptions(
        self, account_id: str, region: str, after: str, limit: int
    ) -> list[SubscriptionRow]:
        rows = self._db.execute(
            f"SELECT {_SUB_COLUMNS} FROM sns_subscriptions WHERE account_id = ? AND region = ? "
            "AND arn > ? ORDER BY arn LIMIT ?",
            (account_id, region, after, limit),
        ).fetchall()
        return [_subscription(row) for row in rows]

    def subscription_counts(self, topic_arn: str) -> tuple[int, int]:
        """(confirmed, pending) subscriptions of the topic."""
        row = self._db.execute(
            "SELECT COUNT(*) - COALESCE(SUM(pending), 0), COALESCE(SUM(pending), 0) "
            "FROM sns_subscriptions WHERE topic_arn = ?",
            (topic_arn,),
        ).fetchone()
        return int(row[0]), int(row[1])

    def delete_subscription(self, arn: str, topic_arn: str) -> None:
        self._db.execute("DELETE FROM sns_subscriptions WHERE arn = ?", (arn,))
        self._db.execute("DELETE FROM sns_deliveries WHERE subscription_arn = ?", (arn,))
        self._db.execute("UPDATE sns_topics SET deleted = deleted + 1 WHERE arn = ?", (topic_arn,))

    # -- FIFO deduplication ---------------------------------------------------------------

    def remember_deduplication(
        self,
        topic_arn: str,
        deduplication_id: str,
        message_id: str,
        sequence: str,
        *,
        now: float,
        window: float,
    ) -> tuple[str, str] | None:
        """Record a deduplication id; if it is already live, return its (message id,
        sequence number) instead. Expired ids are forgotten on the way."""
        row = self._db.execute(
            "SELECT message_id, sequence_number, expires_at FROM sns_fifo_dedup "
            "WHERE topic_arn = ? AND deduplication_id = ?",
            (topic_arn, deduplication_id),
        ).fetchone()
        if row is not None and float(row[2]) > now:
            return str(row[0]), str(row[1])
        self._db.execute("DELETE FROM sns_fifo_dedup WHERE expires_at <= ?", (now,))
        self._db.execute(
            "INSERT OR REPLACE INTO sns_fifo_dedup "
            "(topic_arn, deduplication_id, message_id, sequence_number, expires_at) "
            "VALUES (?,?,?,?,?)",
            (topic_arn, deduplication_id, message_id, sequence, now + window),
        )
        return None

    # -- deliveries -----------------------------------------------------------------------

    def add_deliveries(
        self, items: Iterable[tuple[str, Mapping[str, Any]]], now: float
    ) -> list[int]:
        """Queue one delivery per (subscription ARN, message) in one transaction."""
        ids: list[int] = []
        for subscription_arn, message in items:
            cursor = self._db.execute(
                "INSERT INTO sns_deliveries (subscription_arn, message, attempts, not_before) "
                "VALUES (?, ?, 0, ?)",
                (subscription_arn, orjson.dumps(dict(message)), now),
            )
            ids.append(int(cursor.lastrowid or 0))
        return ids

    def delivery(self, delivery_id: int) -> DeliveryRow | None:
        row = self._db.execute(
            "SELECT id, subscription_arn, message, attempts, not_before FROM sns_deliveries "
            "WHERE id = ?",
            (delivery_id,),
        ).fetchone()
        if row is None:
            return None
        return DeliveryRow(int(row[0]), row[1], orjson.loads(row[2]), int(row[3]), float(row[4]))

    def delivery_ids(self) -> list[int]:
        return [int(r[0]) for r in self._db.execute("SELECT id FROM sns_deliveries ORDER BY id")]

    def retry_delivery(self, delivery_id: int, attempts: int, not_before: float) -> None:
        self._db.execute(
            "UPDATE sns_deliveries SET attempts = ?, not_before = ? WHERE id = ?",
            (attempts, not_before, delivery_id),
        )

    def finish_delivery(self, delivery_id: int) -> None:
        self._db.execute("DELETE FROM sns_deliveries WHERE id = ?", (delivery_id,))


class SqliteSns:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def put_topic(self, topic: TopicRow) -> None:
        return await self._db.run(lambda db: SnsStatements(db).put_topic(topic))

    async def topic(self, arn: str) -> TopicRow | None:
        return await self._db.run(lambda db: SnsStatements(db).topic(arn), point=True)

    async def topics(self, account_id: str, region: str, after: str, limit: int) -> list[TopicRow]:
        return await self._db.run(
            lambda db: SnsStatements(db).topics(account_id, region, after, limit)
        )

    async def delete_topic(self, arn: str) -> None:
        return await self._db.run(lambda db: SnsStatements(db).delete_topic(arn))

    async def next_sequence(self, arn: str, step: int) -> int:
        return await self._db.run(lambda db: SnsStatements(db).next_sequence(arn, step), point=True)

    async def put_subscription(self, sub: SubscriptionRow) -> None:
        return await self._db.run(lambda db: SnsStatements(db).put_subscription(sub))

    async def subscription(self, arn: str) -> SubscriptionRow | None:
        return await self._db.run(lambda db: SnsStatements(db).subscription(arn), point=True)

    async def subscriptions_of_topic(
        self, topic_arn: str, after: str = "", limit: int = -1
    ) -> list[SubscriptionRow]:
        return await self._db.run(
            lambda db: SnsStatements(db).subscriptions_of_topic(topic_arn, after, limit)
        )

    async def subscriptions(
        self, account_id: str, region: str, after: str, limit: int
    ) -> list[SubscriptionRow]:
        return await self._db.run(
            lambda db: SnsStatements(db).subscriptions(account_id, region, after, limit)
        )

    async def subscription_counts(self, topic_arn: str) -> tuple[int, int]:
        return await self._db.run(lambda db: SnsStatements(db).subscription_counts(topic_arn))

    async def delete_subscription(self, arn: str, topic_arn: str) -> None:
        return await self._db.run(lambda db: SnsStatements(db).delete_subscription(arn, topic_arn))

    async def remember_deduplication(
        self,
        topic_arn: str,
        deduplication_id: str,
        message_id: str,
        sequence: str,
        *,
        now: float,
        window: float,
    ) -> tuple[str, str] | None:
        return await self._db.run(
            lambda db: SnsStatements(db).remember_deduplication(
                topic_arn, deduplication_id, message_id, sequence, now=now, window=window
            ),
            point=True,
        )

    async def add_deliveries(
        self, items: Iterable[tuple[str, Mapping[str, Any]]], now: float
    ) -> list[int]:
        items = list(items)
        return await self._db.run(lambda db: SnsStatements(db).add_deliveries(items, now))

    async def delivery(self, delivery_id: int) -> DeliveryRow | None:
        return await self._db.run(lambda db: SnsStatements(db).delivery(delivery_id), point=True)

    async def delivery_ids(self) -> list[int]:
        return await self._db.run(lambda db: SnsStatements(db).delivery_ids())

    async def retry_delivery(self, delivery_id: int, attempts: int, not_before: float) -> None:
        return await self._db.run(
            lambda db: SnsStatements(db).retry_delivery(delivery_id, attempts, not_before),
            point=True,
        )

    async def finish_delivery(self, delivery_id: int) -> None:
        return await self._db.run(
            lambda db: SnsStatements(db).finish_delivery(delivery_id), point=True
        )
