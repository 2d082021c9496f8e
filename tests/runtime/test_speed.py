"""Loose bounds on the hot paths (the real numbers come from ``tests/runtime/measure.py``)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.runtime.measure import measure


def test_warm_invoke_and_cold_start_are_fast(tmp_path: Path) -> None:
    numbers = asyncio.run(measure(tmp_path, warm_count=300, cold_count=10))
    # Measured on the 2-core machine: warm p50 ~0.11 ms, cold p50 ~7 ms. The bounds leave
    # room for a loaded CI machine while still catching a regression to timer-based waits.
    assert numbers["warm_p50_us"] < 5_000
    assert numbers["server_cpu_per_warm_invoke_us"] < 1_000
    assert numbers["cold_p50_ms"] < 100
