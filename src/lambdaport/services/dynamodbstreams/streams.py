"""The tables' streams as DynamoDB's writes see them (:class:`TableStreamDirectory`, the
:class:`~lambdaport.services.interfaces.TableStreams` the moto tail's hooks feed).

Which table has which stream is kept in memory (loaded from the store at start) so a write
can look it up under moto's lock at no cost; every change — a stream enabled or disabled, a
write's records — is staged there, in moto's order, and committed by :meth:`flush` (awaited
before the write is answered) in that order, many staged changes in one transaction. The
doorbell rings for each stream that got records once they are committed.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from lambdaport.services.dynamodbstreams.models import (
    Clock,
    new_shard_id,
    stream_arn,
    stream_label,
)
from lambdaport.services.dynamodbstreams.records import new_record
from lambdaport.services.interfaces import ItemChange, TableStream
from lambdaport.store.dynamodb_streams import (
    DynamoDBStreamTables,
    RecordsAppended,
    StoredStream,
    StreamChange,
    StreamCreated,
    StreamDisabled,
)
from lambdaport.stream_signals import StreamSignals

TableKey = tuple[str, str, str]  # account, region, table name


@dataclass(slots=True)
class _Staged:
    change: StreamChange
    gone: str | None = None  # a stream that went with this change


class TableStreamDirectory:
    def __init__(self, store: DynamoDBStreamTables, clock: Clock, signals: StreamSignals) -> None:
        self._store = store
        self._clock = clock
        self._signals = signals
        self._lock = threading.Lock()  # the map and the staged changes (moto's thread, loop)
        self._latest: dict[TableKey, TableStream] = {}
        self._view_types: dict[str, str] = {}  # enabled stream ARN -> view type
        self._staged: list[_Staged] = []
        self._last_at = 0.0
        self._flushing = asyncio.Lock()

    async def load(self) -> None:
        """The latest stream of every table, from the store (before anything is served)."""
        latest: dict[TableKey, StoredStream] = {}
        for stream in await self._store.all_streams():
            key = (stream.account_id, stream.region, stream.table_name)
            if stream.table_deleted:
                latest.pop(key, None)
            else:
                latest[key] = stream
        with self._lock:
            for key, stream in latest.items():
                self._latest[key] = TableStream(
                    stream.stream_arn, stream.label, stream.view_type, stream.enabled
                )
                if stream.enabled:
                    self._view_types[stream.stream_arn] = stream.view_type

    # -- under moto's lock (TableStreams) ----------------------------------------------

    def stream_of(self, account_id: str, region: str, table_name: str) -> TableStream | None:
        with self._lock:
            return self._latest.get((account_id, region, table_name))

    def enable(
        self,
        account_id: str,
        region: str,
        table_name: str,
        key_schema: Sequence[tuple[str, str]],
        view_type: str,
    ) -> TableStream:
        with self._lock:
            at = self._now()
            previous = self._latest.get((account_id, region, table_name))
            label = stream_label(at)
            if previous is not None and previous.label == label:  # two in one millisecond
                at += 0.001
                label = stream_label(at)
            arn = stream_arn(account_id, region, table_name, label)
            stored = StoredStream(
                0, arn, account_id, region, table_name, label, view_type, tuple(key_schema),
                at, None,
            )  # fmt: skip
            gone = None
            if previous is not None and previous.enabled:
                self._view_types.pop(previous.stream_arn, None)
                gone = previous.stream_arn
            stream = TableStream(arn, label, view_type, True)
            self._latest[(account_id, region, table_name)] = stream
            self._view_types[arn] = view_type
            self._staged.append(_Staged(StreamCreated(stored, new_shard_id(at)), gone))
            return stream

    def disable(self, account_id: str, region: str, table_name: str) -> None:
        self._disable((account_id, region, table_name), table_deleted=False)

    def table_deleted(self, account_id: str, region: str, table_name: str) -> None:
        self._disable((account_id, region, table_name), table_deleted=True)

    def _disable(self, key: TableKey, *, table_deleted: bool) -> None:
        with self._lock:
            stream = self._latest.get(key)
            if table_deleted:
                self._latest.pop(key, None)  # a table made again starts without one
            if stream is None or not stream.enabled:
                return
            if not table_deleted:
                self._latest[key] = TableStream(
                    stream.stream_arn, stream.label, stream.view_type, False
                )
            self._view_types.pop(stream.stream_arn, None)
            change = StreamDisabled(stream.stream_arn, self._now(), table_deleted)
            self._staged.append(_Staged(change, stream.stream_arn))

    def record(self, stream_arn: str, changes: Sequence[ItemChange]) -> None:
        if not changes:
            return
        with self._lock:
            view_type = self._view_types.get(stream_arn)
            if view_type is None:
                return
            at = self._now()
            records = tuple(new_record(change, view_type, at) for change in changes)
            self._staged.append(_Staged(RecordsAppended(stream_arn, records)))

    def _now(self) -> float:
        """The clock, never going back (records of a shard are in time order)."""
        self._last_at = max(self._clock(), self._last_at)
        return self._last_at

    # -- on the event loop -------------------------------------------------------------

    def pending(self) -> int:
        with self._lock:
            return len(self._staged)

    async def flush(self) -> None:
        async with self._flushing:  # one flush at a time keeps the staged order
            with self._lock:
                staged, self._staged = self._staged, []
            if not staged:
                return
            await self._store.apply([item.change for item in staged])
        for item in staged:
            if isinstance(item.change, RecordsAppended):
                self._signals.ring(item.change.stream_arn)
            if item.gone is not None:
                self._signals.deleted(item.gone)
