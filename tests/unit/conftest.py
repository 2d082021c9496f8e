"""Shared by the unit tests of the async queue: a real SQLite store, and queued events."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lambdaport.store.async_events import QueuedEvent
from lambdaport.store.sqlite import SqliteStore

ARN = "arn:aws:lambda:us-east-1:000000000000:function:"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "data")
    yield opened
    opened.close()


def queued(request_id: str, function: str = "a", not_before: float = 0.0) -> QueuedEvent:
    """An event for function ``ARN + function``, due at ``not_before``, never attempted."""
    return QueuedEvent(
        request_id=request_id,
        function_arn=ARN + function,
        invoked_arn=ARN + function,
        account_id="000000000000",
        region="us-east-1",
        payload=b"{}",
        trace_header=None,
        attempts=0,
        requeues=0,
        accepted_at=not_before,
        not_before=not_before,
    )
