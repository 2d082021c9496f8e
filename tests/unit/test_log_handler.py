"""The server's batching log handler: request lines held briefly, nothing else held back."""

from __future__ import annotations

import asyncio
import io
import logging

from lambdaport.gateway.log_handler import BatchingStreamHandler
from tests.helpers import wait_until


class CountingStream(io.StringIO):
    """A text stream that counts the writes it gets."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def _logger(name: str, handler: logging.Handler) -> logging.Logger:
    logger = logging.getLogger(name)
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger


def _handler(
    stream: CountingStream, *, delay_s: float, capacity: int = 256
) -> BatchingStreamHandler:
    handler = BatchingStreamHandler(
        stream, delay_s=delay_s, capacity=capacity, held=("test.requests",)
    )
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    return handler


def test_request_lines_in_a_loop_are_written_together_by_the_timer() -> None:
    stream = CountingStream()
    requests = _logger("test.requests", _handler(stream, delay_s=0.02))

    async def scenario() -> None:
        for n in range(5):
            requests.info("request %d", n)
        assert stream.getvalue() == ""  # held, not yet written
        await wait_until(lambda: stream.getvalue() != "", timeout=5.0)

    asyncio.run(scenario())
    assert stream.getvalue() == "".join(f"INFO request {n}\n" for n in range(5))
    assert stream.writes == 1


def test_other_records_and_warnings_flush_at_once_in_order() -> None:
    stream = CountingStream()
    handler = _handler(stream, delay_s=60.0)
    requests = _logger("test.requests", handler)
    lifecycle = _logger("test.lifecycle", handler)

    async def scenario() -> None:
        requests.info("first request")
        lifecycle.info("shutting down")
        assert stream.getvalue() == "INFO first request\nINFO shutting down\n"
        requests.info("second request")
        requests.warning("slow request")
        assert stream.getvalue().endswith("INFO second request\nWARNING slow request\n")

    asyncio.run(scenario())


def test_outside_a_loop_lines_are_written_at_once_and_flush_empties_the_rest() -> None:
    stream = CountingStream()
    handler = _handler(stream, delay_s=60.0)
    requests = _logger("test.requests", handler)
    requests.info("no loop")
    assert stream.getvalue() == "INFO no loop\n"

    async def held() -> None:
        requests.info("held line")

    asyncio.run(held())
    assert "held line" not in stream.getvalue()
    handler.flush()
    assert stream.getvalue().endswith("INFO held line\n")


def test_capacity_writes_a_full_batch() -> None:
    stream = CountingStream()
    requests = _logger("test.requests", _handler(stream, delay_s=60.0, capacity=3))

    async def scenario() -> None:
        for n in range(3):
            requests.info("line %d", n)

    asyncio.run(scenario())
    assert stream.getvalue().count("\n") == 3
    assert stream.writes == 1
