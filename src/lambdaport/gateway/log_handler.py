"""The server's log handler: request lines written in batches, so a request costs no syscall.

The gateway logs one line per request at info level. Written one ``write`` at a time to a pipe
or a terminal, each line costs a system call and wakes whatever reads the other end (a
terminal, a service manager, ``cat`` copying it to a file), which on a small machine competes
with the request it describes. ``BatchingStreamHandler`` formats each record at once (so a
line says what was true when it was logged) and holds the lines of the ``held`` loggers below
``flush_level``; held lines are written in one ``write``:

- within ``delay_s`` seconds, by a timer on the event loop of the thread that logged;
- together with any other record (lifecycle lines, warnings, errors are never held back, and
  the order of lines is kept), and when ``capacity`` lines are held;
- for records logged outside an event loop, at once;
- on ``flush()`` and ``close()`` (``logging.shutdown`` at exit calls both).

A crash of the whole process (kill -9) loses at most ``delay_s`` seconds of request lines.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TextIO

DEFAULT_DELAY_S = 0.05
DEFAULT_CAPACITY = 256
DEFAULT_HELD = ("lambdaport.gateway",)  # the per-request line


class BatchingStreamHandler(logging.Handler):
    """A ``StreamHandler`` that holds request lines for up to ``delay_s`` seconds."""

    terminator = "\n"

    def __init__(
        self,
        stream: TextIO,
        *,
        delay_s: float = DEFAULT_DELAY_S,
        capacity: int = DEFAULT_CAPACITY,
        flush_level: int = logging.WARNING,
        held: tuple[str, ...] = DEFAULT_HELD,
    ) -> None:
        super().__init__()
        self.stream = stream
        self.delay_s = delay_s
        self.capacity = capacity
        self.flush_level = flush_level
        self.held = frozenset(held)
        self._lines: list[str] = []
        self._timer: asyncio.TimerHandle | None = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
        except Exception:
            self.handleError(record)
            return
        self._lines.append(line)
        urgent = (
            record.levelno >= self.flush_level
            or record.name not in self.held
            or len(self._lines) >= self.capacity
        )
        if urgent or (self._timer is None and not self._schedule()):
            self._write_held()

    def _schedule(self) -> bool:
        """Arm the flush timer on this thread's running loop; False outside a loop."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        self._timer = loop.call_later(self.delay_s, self._on_timer)
        return True

    def _on_timer(self) -> None:
        self.acquire()
        try:
            self._timer = None
            self._write_held()
        finally:
            self.release()

    def _write_held(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        if not self._lines:
            return
        text = "".join(self._lines)
        self._lines.clear()
        try:
            self.stream.write(text)
            self.stream.flush()
        except Exception:
            # A closed or broken stream: the lines are lost, as with a StreamHandler.
            self.handleError(logging.makeLogRecord({"msg": text.rstrip(), "levelno": 20}))

    def flush(self) -> None:
        self.acquire()
        try:
            self._write_held()
        finally:
            self.release()

    def close(self) -> None:
        self.flush()
        super().close()
