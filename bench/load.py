"""Saturation series: many keep-alive connections posting the raw Invoke request at once.

`wrk` (Debian's `wrk` package: `apt-get install -y wrk`) drives the load, because a Python
client cannot saturate even the bare-uvicorn floor on two cores: it is C, one event loop a
thread, and costs the machine far less per request than the servers it measures. Every
connection posts the raw client's request (`{}` with the constant SigV4-shaped
`Authorization` header, `clients.AUTHORIZATION`) to the same URL as soon as its previous
answer is read (closed loop, `connections` requests in flight). A series is a warm-up run
(which, on lambdaport, also starts one execution environment per connection) and then the
measured run; req/s is requests completed over the run's duration, p50/p99 are wrk's.

Every answer must be a 2xx: a series with errors or other statuses is reported as failed,
never as a rate.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from clients import AUTHORIZATION

CONNECTIONS = (8, 32)
WRK = "wrk"

# wrk's Lua: the request, and one JSON line of the figures at the end (latency in µs).
_SCRIPT = """\
wrk.method = "POST"
wrk.body = "{}"
wrk.headers["Authorization"] = "%(authorization)s"
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "LOADJSON {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"errors\\": %%d, "
    .. "\\"non_2xx\\": %%d, \\"p50_us\\": %%d, \\"p99_us\\": %%d}\\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout,
    e.status, latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass(frozen=True)
class LoadSummary:
    """One saturation series: requests/s with `connections` in flight, and latencies."""

    connections: int
    requests: int
    seconds: float
    throughput_rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    non_2xx: int

    @property
    def ok(self) -> bool:
        return self.errors == 0 and self.non_2xx == 0 and self.requests > 0


def have_wrk() -> bool:
    return shutil.which(WRK) is not None


def _script(directory: Path) -> Path:
    path = directory / "invoke.lua"
    path.write_text(_SCRIPT % {"authorization": AUTHORIZATION})
    return path


def run_wrk(url: str, connections: int, seconds: float, script: Path) -> LoadSummary:
    """One wrk run of `seconds` with `connections` (two threads, as there are two CPUs)."""
    threads = min(2, connections)
    argv = [
        WRK,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "30s",
        "-s",
        str(script),
        url,
    ]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=seconds + 90)
    line = next((row for row in done.stdout.splitlines() if row.startswith("LOADJSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr[-500:]}")
    figures = json.loads(line.removeprefix("LOADJSON "))
    duration = figures["duration_us"] / 1e6
    return LoadSummary(
        connections=connections,
        requests=figures["requests"],
        seconds=duration,
        throughput_rps=figures["requests"] / duration if duration else 0.0,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        errors=figures["errors"],
        non_2xx=figures["non_2xx"],
    )


def measure_load(
    url: str,
    seconds: float,
    warmup_seconds: float = 2.0,
    connections: tuple[int, ...] = CONNECTIONS,
) -> tuple[LoadSummary, ...]:
    """The saturation series of `url`, one per connection count, each after a warm-up."""
    with tempfile.TemporaryDirectory(prefix="wrk-") as scratch:
        script = _script(Path(scratch))
        found = []
        for count in connections:
            run_wrk(url, count, warmup_seconds, script)
            found.append(run_wrk(url, count, seconds, script))
        return tuple(found)
