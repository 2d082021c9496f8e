"""Timing loops and the latency/throughput summary every figure of the benchmark is made of.

A series is closed-loop and sequential: one client, one request in flight, the next sent as
soon as the previous answer is read. Throughput is therefore requests completed divided by
the wall time of the measured loop (1 / mean latency), the rate a single caller sees.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Budget:
    """How many requests a series warms up with and measures, and its wall-time cap."""

    warmup: int
    requests: int
    max_seconds: float
    min_requests: int = 50


@dataclass(frozen=True)
class Summary:
    """p50/p99 latency in milliseconds, throughput in requests/s, and the sample count."""

    p50_ms: float
    p99_ms: float
    mean_ms: float
    min_ms: float
    max_ms: float
    throughput_rps: float
    count: int


def percentile(sorted_values: Sequence[int], fraction: float) -> int:
    """The nearest-rank percentile of already sorted values."""
    if not sorted_values:
        raise ValueError("no samples")
    rank = max(1, -(-len(sorted_values) * fraction // 1))  # ceil(n * fraction), at least 1
    return sorted_values[int(rank) - 1]


def summarise(samples_ns: Sequence[int], elapsed_ns: int) -> Summary:
    ordered = sorted(samples_ns)
    count = len(ordered)
    return Summary(
        p50_ms=percentile(ordered, 0.50) / 1e6,
        p99_ms=percentile(ordered, 0.99) / 1e6,
        mean_ms=sum(ordered) / count / 1e6,
        min_ms=ordered[0] / 1e6,
        max_ms=ordered[-1] / 1e6,
        throughput_rps=count / (elapsed_ns / 1e9) if elapsed_ns else 0.0,
        count=count,
    )


def measure(call: Callable[[], object], budget: Budget) -> Summary:
    """Warm up with `call`, then time up to `budget.requests` calls of it, one at a time.

    The loop stops early once `budget.max_seconds` have passed and at least
    `budget.min_requests` samples are in, so a slow system cannot stretch the run.
    """
    warmup_deadline = time.perf_counter_ns() + int(budget.max_seconds * 1e9)
    for _ in range(budget.warmup):
        call()
        if time.perf_counter_ns() > warmup_deadline:
            break
    samples: list[int] = []
    clock = time.perf_counter_ns
    started = clock()
    deadline = started + int(budget.max_seconds * 1e9)
    for _ in range(budget.requests):
        before = clock()
        call()
        after = clock()
        samples.append(after - before)
        if after > deadline and len(samples) >= budget.min_requests:
            break
    return summarise(samples, clock() - started)


def time_once(call: Callable[[], T]) -> tuple[int, T]:
    """Nanoseconds one call of `call` takes, and what it returned."""
    before = time.perf_counter_ns()
    value = call()
    return time.perf_counter_ns() - before, value
