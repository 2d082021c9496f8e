"""Amazon Kinesis Data Streams, served by lambdaport itself and durable in the store
(``store/kinesis.py``): streams, shards with their lineage, records, consumers and tags on
the json protocol boto3 and the AWS CLI send.

:class:`KinesisService` is what ``app.py`` builds: the gateway endpoint, the
:class:`~lambdaport.services.interfaces.StreamReader` in-process readers use, and the
housekeeping loop (retention, deleted streams' records).
"""

from __future__ import annotations

import asyncio
import logging
import time

from lambdaport.endpoint import BufferedEndpoint
from lambdaport.services.kinesis.api import KinesisApi
from lambdaport.services.kinesis.consumers import Consumers
from lambdaport.services.kinesis.models import Clock
from lambdaport.services.kinesis.reader import KinesisStreamReader
from lambdaport.services.kinesis.records import Records, retention_start
from lambdaport.services.kinesis.shards import Shards
from lambdaport.services.kinesis.streams import Streams
from lambdaport.services.kinesis.wire import KinesisProtocol
from lambdaport.store.kinesis import KinesisTables
from lambdaport.stream_signals import StreamSignals

logger = logging.getLogger("lambdaport.kinesis")

HOUSEKEEPING_INTERVAL_S = 60.0


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class KinesisService:
    def __init__(self, store: KinesisTables, clock: Clock = now_ms) -> None:
        self.store = store
        self.clock = clock
        self.signals = StreamSignals()
        self.streams = Streams(store, clock, self.signals)
        self.shards = Shards(self.streams, clock)
        self.records = Records(self.streams, clock, self.signals)
        self.consumers = Consumers(self.streams, clock)
        self.api = KinesisApi(self.streams, self.shards, self.records, self.consumers, clock)
        self.reader = KinesisStreamReader(self.streams, self.records, self.signals)
        self.endpoint = BufferedEndpoint(KinesisProtocol(), self.api.dispatch)

    async def housekeeping(self) -> int:
        """Retention: records past each stream's retention go, and closed shards whose
        records all went; then a chunk of deleted streams' records. How many records went."""
        now = self.clock()
        removed = 0
        for stream in await self.store.all_streams():
            removed += await self.store.expire(stream.stream_id, retention_start(stream, now))
        while swept := await self.store.sweep_retired():
            removed += swept
        return removed

    async def run_housekeeping(self, interval: float = HOUSEKEEPING_INTERVAL_S) -> None:
        while True:
            try:
                await self.housekeeping()
            except Exception:
                logger.exception("kinesis housekeeping failed")
            await asyncio.sleep(interval)


__all__ = ["KinesisService", "KinesisStreamReader"]
