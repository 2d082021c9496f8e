"""What in-process readers of a stream (Kinesis's, DynamoDB's) wait on: a doorbell per
stream, rung after every put that committed, and the listeners told when a stream is deleted
(or, for DynamoDB, stops taking records). Node-local: a second node would carry the same
rings over a notification channel (``LISTEN``/``NOTIFY``, say)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

logger = logging.getLogger("lambdaport.streams")

DeletionListener = Callable[[str], None]  # called with the deleted stream's ARN


class StreamSignals:
    def __init__(self) -> None:
        self._generations: dict[str, int] = {}
        self._events: dict[str, asyncio.Event] = {}
        self._listeners: list[DeletionListener] = []

    def generation(self, stream_arn: str) -> int:
        return self._generations.get(stream_arn, 0)

    def ring(self, stream_arn: str) -> None:
        self._generations[stream_arn] = self._generations.get(stream_arn, 0) + 1
        event = self._events.pop(stream_arn, None)
        if event is not None:
            event.set()

    async def wait(self, stream_arn: str, since: int, timeout: float) -> None:
        """Return once rung after generation ``since`` (at once if it was already), or
        after ``timeout`` seconds."""
        if timeout <= 0 or since != self.generation(stream_arn):
            return
        event = self._events.setdefault(stream_arn, asyncio.Event())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)

    def on_deleted(self, listener: DeletionListener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def deleted(self, stream_arn: str) -> None:
        self.ring(stream_arn)  # waiters wake and find the stream gone
        self._generations.pop(stream_arn, None)
        for listener in list(self._listeners):
            try:
                listener(stream_arn)
            except Exception:
                logger.exception("a stream deletion listener failed")
