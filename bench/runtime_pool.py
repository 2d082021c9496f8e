"""Measures the runtime's hot paths: ``.venv/bin/python bench/runtime_pool.py``.

* warm invoke: end-to-end latency of a trivial handler on a warm environment, and the
  server's own CPU time per invoke (pool acquire, frame write, frame read, log drain, result,
  log events), measured with ``time.process_time`` over many sequential invokes;
* cold start: latency of the first invoke of a new environment (fork from the zygote, import
  the handler, run it), zygote already running.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo root: tests' helpers

from lambdaport.runtime.families import CustomFamily, PythonFamily, RuntimeFamilies
from lambdaport.runtime.pool import RuntimePool
from lambdaport.runtime.settings import RuntimeSettings
from tests.runtime.conftest import RecordingSink, invocation, make_function

SOURCE = "def handler(event, context):\n    return event\n"


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


async def measure(root: Path, warm_count: int = 5000, cold_count: int = 100) -> dict[str, float]:
    settings = RuntimeSettings("http://127.0.0.1:4566", root / "data", root / "cache")
    sink = RecordingSink()
    pool = RuntimePool(settings, sink, RuntimeFamilies(PythonFamily(), CustomFamily()))
    await pool.start()
    try:
        spec = make_function(root / "code", SOURCE)
        await pool.invoke(spec, invocation(spec))  # start the zygote and one environment
        latencies = []
        cpu_started = time.process_time()
        for _ in range(warm_count):
            started = time.perf_counter()
            await pool.invoke(spec, invocation(spec, b'{"k": 1}'))
            latencies.append((time.perf_counter() - started) * 1e6)
        cpu_us = (time.process_time() - cpu_started) / warm_count * 1e6
        sink.batches.clear()
        colds = []
        for index in range(cold_count):
            cold = make_function(root / f"cold{index}", SOURCE)
            started = time.perf_counter()
            await pool.invoke(cold, invocation(cold))
            colds.append((time.perf_counter() - started) * 1e3)
            pool.retire(cold.function_arn)
        return {
            "warm_p50_us": statistics.median(latencies),
            "warm_p99_us": _percentile(latencies, 0.99),
            "server_cpu_per_warm_invoke_us": cpu_us,
            "cold_p50_ms": statistics.median(colds),
            "cold_p99_ms": _percentile(colds, 0.99),
        }
    finally:
        await pool.stop()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name, value in asyncio.run(measure(Path(tmp))).items():
            print(f"{name}: {value:.1f}")


if __name__ == "__main__":
    main()
