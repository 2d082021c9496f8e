"""Amazon SQS, served by lambdaport itself: json and query protocols on one endpoint,
standard and FIFO queues, durable in the store (``store/sqs.py``).

:class:`SqsService` is what ``app.py`` builds: the gateway endpoint, the ``QueueSink`` other
services use, the asynchronous-invocation destination, and the housekeeping loop.
"""

from __future__ import annotations

import asyncio
import logging

from lambdaport.endpoint import BufferedEndpoint
from lambdaport.services.sqs.api import SqsApi
from lambdaport.services.sqs.messages import Messages
from lambdaport.services.sqs.queues import Clock, QueueDirectory, now_ms
from lambdaport.services.sqs.reader import SqsQueueReader
from lambdaport.services.sqs.sink import QueueDestination, SqsQueueSink
from lambdaport.services.sqs.wire import SqsProtocols, required_members
from lambdaport.store.sqs import SqsTables

logger = logging.getLogger("lambdaport.sqs")

HOUSEKEEPING_INTERVAL_S = 10.0


class SqsService:
    def __init__(self, store: SqsTables, default_endpoint: str, clock: Clock = now_ms) -> None:
        self.directory = QueueDirectory(store, clock)
        self.messages = Messages(self.directory)
        self.api = SqsApi(self.directory, self.messages, default_endpoint, required_members())
        self.sink = SqsQueueSink(self.messages)
        self.reader = SqsQueueReader(self.messages)  # the event source mappings' QueueReader
        self.destination = QueueDestination(self.sink)
        protocols = SqsProtocols()
        self.endpoint = BufferedEndpoint(protocols.json, self.api.dispatch, select=protocols.select)

    async def load(self) -> None:
        """At start: the node-local directory of queues and their counts."""
        await self.directory.load()

    async def run_housekeeping(self, interval: float = HOUSEKEEPING_INTERVAL_S) -> None:
        """Retention, deduplication ids and retired queues' rows, every ``interval`` s."""
        while True:
            try:
                await self.messages.housekeeping()
            except Exception:
                logger.exception("sqs housekeeping failed")
            await asyncio.sleep(interval)


__all__ = ["SqsQueueSink", "SqsService"]
