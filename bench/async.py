"""The asynchronous-invocation benchmark: events accepted and delivered per second.

    python bench/async.py [--events N] [--only lambdaport|ministack|floor]...

For each server, a trivial handler (it appends its request id to a file, which is how
delivery is counted on both servers) gets N ``Event`` invocations with a 1 KB payload, posted
one after another on a keep-alive connection:

- accepted/s: N / the time to get the N 202s;
- delivered/s: N / the time from the first post until the N-th request id is in the file.

In the same run, the floors of this machine:

- plain HTTP: the bare uvicorn app of ``floor_app.py`` answering every post with a fixed,
  empty answer, posted the same 1 KB the same way;
- durable queue: the same inserts, claims and deletes lambdaport's queue does (its
  ``SqliteAsyncEvents`` on a fresh SQLite file, each call awaited from an event loop as the
  server awaits it), in one process, without HTTP or functions.

Everything started listens on 127.0.0.1 on a free port and is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import shlex
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from clients import AUTHORIZATION, FunctionSpec, deploy, lambda_client
from floor import FixedResponse, bare_http_spec
from invoke import find_ministack_python
from rich.console import Console
from rich.table import Table
from servers import HOST, RunningServer, ServerSpec, running
from systems import lambdaport_spec, ministack_spec

from lambdaport.store.async_events import QueuedEvent
from lambdaport.store.sqlite import SqliteStore

BENCH_DIR = Path(__file__).resolve().parent
WORK_DIR = BENCH_DIR / ".work"
PARTS = ("lambdaport", "floor", "ministack")
PAYLOAD = json.dumps({"data": "x" * 1000}).encode()  # ~1 KB
SINK = FunctionSpec(
    "sink",
    """import os

def handler(event, context):
    with open(os.environ["OUT"], "a") as out:
        out.write(context.aws_request_id + "\\n")
""",
)


@dataclass(frozen=True)
class AsyncFigures:
    system: str
    events: int
    accepted_per_s: float
    delivered_per_s: float | None


class EventPoster:
    """One keep-alive connection posting ``Event`` invocations."""

    def __init__(self, port: int) -> None:
        self._connection = http.client.HTTPConnection(HOST, port, timeout=60)
        self._headers = {
            "Authorization": AUTHORIZATION,
            "Content-Type": "application/json",
            "X-Amz-Invocation-Type": "Event",
        }

    def post(self, function_name: str, payload: bytes) -> int:
        path = f"/2015-03-31/functions/{function_name}/invocations"
        self._connection.request("POST", path, body=payload, headers=self._headers)
        response = self._connection.getresponse()
        response.read()
        return response.status

    def close(self) -> None:
        self._connection.close()


def _count_lines(path: Path) -> int:
    if not path.exists():
        return 0
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def wait_delivered(path: Path, count: int, timeout: float) -> float | None:
    """perf_counter time at which ``path`` had ``count`` lines, or None at the deadline."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if _count_lines(path) >= count:
            return time.perf_counter()
        time.sleep(0.01)  # polling the file, bounded by the deadline
    return None


def measure_server(
    server: RunningServer, system: str, events: int, work_dir: Path, timeout: float
) -> AsyncFigures:
    client = lambda_client(server.endpoint_url)
    name = f"async-bench-{uuid.uuid4().hex[:8]}"
    out = work_dir / f"{system}-delivered.txt"
    deploy(client, name, SINK, Environment={"Variables": {"OUT": str(out)}})
    client.invoke(FunctionName=name, Payload=b"{}")  # warm, and counted below
    warm = _count_lines(out)
    poster = EventPoster(server.port)
    try:
        started = time.perf_counter()
        for _ in range(events):
            status = poster.post(name, PAYLOAD)
            if status != 202:
                raise RuntimeError(f"{system} answered {status} to an Event invoke")
        accepted = time.perf_counter()
    finally:
        poster.close()
    done = wait_delivered(out, warm + events, timeout)
    client.close()
    return AsyncFigures(
        system,
        events,
        events / (accepted - started),
        None if done is None else events / (done - started),
    )


def http_floor(events: int, work_dir: Path) -> float:
    # 200, not 202: the floor app's health check (and `running`) wants a 200.
    response = FixedResponse(200, (("content-type", "application/json"),), b"", "fixed, empty")
    with running(bare_http_spec(work_dir, response)) as server:
        poster = EventPoster(server.port)
        try:
            for _ in range(50):
                poster.post("floor", PAYLOAD)
            started = time.perf_counter()
            for _ in range(events):
                poster.post("floor", PAYLOAD)
            return events / (time.perf_counter() - started)
        finally:
            poster.close()


def queue_floor(events: int, work_dir: Path, batch: int = 32) -> tuple[float, float]:
    """(inserts/s, inserted+claimed+deleted/s) on lambdaport's queue table, one process."""
    return asyncio.run(_queue_floor(events, work_dir, batch))


async def _queue_floor(events: int, work_dir: Path, batch: int) -> tuple[float, float]:
    store = SqliteStore(work_dir / "queue-floor")
    queue = store.async_events
    arn = "arn:aws:lambda:us-east-1:000000000000:function:floor"
    try:
        started = time.perf_counter()
        for _ in range(events):
            now = time.time()
            await queue.enqueue(
                QueuedEvent(
                    str(uuid.uuid4()),
                    arn,
                    arn,
                    "000000000000",
                    "us-east-1",
                    PAYLOAD,
                    None,
                    0,
                    0,
                    now,
                    now,
                )
            )
        inserted = time.perf_counter()
        while claimed := await queue.claim(arn, time.time(), batch):
            for event in claimed:
                await queue.finish(event.request_id)
        finished = time.perf_counter()
    finally:
        store.close()
    return events / (inserted - started), events / (finished - started)


def lambdaport_command() -> str:
    return f"{Path(sys.executable).parent / 'lambdaport'} up"


def _ratio(floor: float | None, value: float | None) -> str:
    if not floor or not value:
        return "-"
    return f"{floor / value:.2f}x"


def report(
    console: Console,
    figures: list[AsyncFigures],
    http_rps: float | None,
    queue_rates: tuple[float, float] | None,
) -> None:
    table = Table(title="Asynchronous invocation (Event), 1 KB payload, one client")
    for column in (
        "system",
        "events",
        "accepted/s",
        "delivered/s",
        "HTTP floor / accepted",
        "queue floor / delivered",
    ):
        table.add_column(column, justify="right" if column != "system" else "left")
    queue_e2e = queue_rates[1] if queue_rates else None
    for figure in figures:
        table.add_row(
            figure.system,
            str(figure.events),
            f"{figure.accepted_per_s:,.0f}",
            "timed out" if figure.delivered_per_s is None else f"{figure.delivered_per_s:,.0f}",
            _ratio(http_rps, figure.accepted_per_s),
            _ratio(queue_e2e, figure.delivered_per_s),
        )
    if http_rps:
        table.add_row("floor: plain HTTP (fixed answer)", "", f"{http_rps:,.0f}", "", "", "")
    if queue_rates:
        table.add_row(
            "floor: durable queue (SQLite)",
            "",
            f"{queue_rates[0]:,.0f}",
            f"{queue_rates[1]:,.0f}",
            "",
            "",
        )
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="lambdaport async benchmark")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--timeout", type=float, default=300.0, help="delivery deadline (s)")
    parser.add_argument("--only", action="append", choices=PARTS)
    parser.add_argument("--lambdaport-cmd", default=lambdaport_command())
    parser.add_argument("--ministack-python", default=None)
    args = parser.parse_args(argv)
    parts = tuple(args.only) if args.only else PARTS
    console = Console(width=120)
    figures: list[AsyncFigures] = []
    http_rps: float | None = None
    queue_rates: tuple[float, float] | None = None
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=WORK_DIR, prefix="async-") as scratch:
        work_dir = Path(scratch)
        if "lambdaport" in parts:
            spec: ServerSpec = lambdaport_spec(args.lambdaport_cmd, work_dir)
            with running(spec) as server:
                figures.append(
                    measure_server(server, "lambdaport", args.events, work_dir, args.timeout)
                )
        if "floor" in parts:
            http_rps = http_floor(args.events, work_dir)
            queue_rates = queue_floor(args.events, work_dir)
        if "ministack" in parts:
            python = find_ministack_python(args.ministack_python)
            if python is None:
                console.print("[yellow]ministack==1.5.33 not installed: not measured[/]")
            else:
                with running(ministack_spec(python, work_dir)) as server:
                    figures.append(
                        measure_server(server, "ministack", args.events, work_dir, args.timeout)
                    )
    report(console, figures, http_rps, queue_rates)
    console.print(f"command: {shlex.join(sys.argv)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
