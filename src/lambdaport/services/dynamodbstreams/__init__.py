"""Amazon DynamoDB Streams, served by lambdaport itself and durable in the store
(``store/dynamodb_streams.py``), fed by DynamoDB's writes (the moto tail's DynamoDB hooks,
through :class:`~lambdaport.services.interfaces.TableStreams`).

:class:`DynamoDBStreamsService` is what ``app.py`` builds: the gateway endpoint (DescribeStream,
GetShardIterator, GetRecords, ListStreams), the ``TableStreams`` the hooks feed, the
:class:`~lambdaport.services.interfaces.StreamReader` in-process readers use, and the
housekeeping loop: records older than 24 hours go (and streams disabled that long ago), and a
stream's open shard older than ``SHARD_ROLLOVER_S`` is closed and followed by a child, as AWS
rolls its shards over every few hours.
"""

from __future__ import annotations

import asyncio
import logging
import time

from lambdaport.endpoint import BufferedEndpoint
from lambdaport.services.dynamodbstreams.api import DynamoDBStreamsApi
from lambdaport.services.dynamodbstreams.models import (
    RETENTION_S,
    SHARD_ROLLOVER_S,
    Clock,
    new_shard_id,
)
from lambdaport.services.dynamodbstreams.reader import DynamoDBStreamReader
from lambdaport.services.dynamodbstreams.shards import StreamShards
from lambdaport.services.dynamodbstreams.streams import TableStreamDirectory
from lambdaport.services.dynamodbstreams.wire import DynamoDBStreamsProtocol
from lambdaport.store.dynamodb_streams import DynamoDBStreamTables
from lambdaport.stream_signals import StreamSignals

logger = logging.getLogger("lambdaport.dynamodbstreams")

HOUSEKEEPING_INTERVAL_S = 60.0


class DynamoDBStreamsService:
    def __init__(self, store: DynamoDBStreamTables, clock: Clock = time.time) -> None:
        self.store = store
        self.clock = clock
        self.signals = StreamSignals()
        self.tables = TableStreamDirectory(store, clock, self.signals)
        self.shards = StreamShards(store)
        self.api = DynamoDBStreamsApi(self.shards, clock)
        self.reader = DynamoDBStreamReader(self.shards, self.signals)
        self.endpoint = BufferedEndpoint(DynamoDBStreamsProtocol(), self.api.dispatch)

    async def load(self) -> None:
        await self.tables.load()

    async def housekeeping(self) -> int:
        """Roll over open shards past their age, then the retention; how many records went."""
        await self.tables.flush()
        now = self.clock()
        for stream in await self.store.all_streams():
            if not stream.enabled:
                continue
            shards = await self.store.shards(stream.stream_id)
            old = [s for s in shards if s.is_open and now - s.created_at >= SHARD_ROLLOVER_S]
            if old and await self.store.roll(stream.stream_id, new_shard_id(now), now):
                self.signals.ring(stream.stream_arn)  # readers find the shard's end
        return await self.store.expire(now - RETENTION_S)

    async def run_housekeeping(self, interval: float = HOUSEKEEPING_INTERVAL_S) -> None:
        while True:
            try:
                await self.housekeeping()
            except Exception:
                logger.exception("dynamodb streams housekeeping failed")
            await asyncio.sleep(interval)


__all__ = ["DynamoDBStreamReader", "DynamoDBStreamsService"]
