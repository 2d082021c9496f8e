"""The asynchronous-invocation benchmark: events accepted and delivered per second.

    python bench/async.py [--events N] [--repeat R] [--only lambdaport|ministack|floor]...

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

Each figure is reported as the ratio of the floor measured in the same run to it, beside the
issue's target (accepted within 1.5x of the HTTP floor, delivered within 2x of the queue floor)
and whether it is met. With ``--repeat R`` the floors and lambdaport run R times in turn and
every run is a row (the machine is shared: a ratio is only meaningful against the floor of its
own run). Beside the rates, lambdaport's own CPU time per event (user + system of the server
process from ``/proc``, over the N events until the last is delivered), which a loaded machine
moves far less than it moves the rates, and a DryRun series: the same posts with
``X-Amz-Invocation-Type: DryRun`` (the gateway and the invoker's checks, no queue, no
delivery), the rate no acceptance can beat through the same door. The load average is printed
at the start and the end.

Everything started listens on 127.0.0.1 on a free port and is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
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
ACCEPT_TARGET = 1.5  # HTTP floor / accepted, at most (issue 13)
DELIVER_TARGET = 2.0  # queue floor / delivered, at most (issue 13)
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
    server_cpu_us: float | None = None  # the server process's CPU per event
    dry_run_per_s: float | None = None  # DryRun invokes/s through the same door


@dataclass(frozen=True)
class Floors:
    http_per_s: float
    inserts_per_s: float
    queue_per_s: float  # inserted + claimed + deleted


@dataclass(frozen=True)
class Run:
    """One round: the floors and the servers, measured one after the other."""

    figures: list[AsyncFigures]
    floors: Floors | None


class EventPoster:
    """One keep-alive connection posting ``Event`` invocations."""

    def __init__(self, port: int) -> None:
        self._connection = http.client.HTTPConnection(HOST, port, timeout=60)
        self._headers = {
            "Authorization": AUTHORIZATION,
            "Content-Type": "application/json",
            "X-Amz-Invocation-Type": "Event",
        }

    def post(self, function_name: str, payload: bytes, invocation_type: str = "Event") -> int:
        path = f"/2015-03-31/functions/{function_name}/invocations"
        headers = {**self._headers, "X-Amz-Invocation-Type": invocation_type}
        self._connection.request("POST", path, body=payload, headers=headers)
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


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU of one process (Linux ``/proc``), None where there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def post_all(poster: EventPoster, name: str, events: int, invocation_type: str, want: int) -> float:
    """Post ``events`` invokes one after another; the seconds it took."""
    started = time.perf_counter()
    for _ in range(events):
        status = poster.post(name, PAYLOAD, invocation_type)
        if status != want:
            raise RuntimeError(f"answered {status} to a {invocation_type} invoke")
    return time.perf_counter() - started


def measure_server(
    server: RunningServer,
    system: str,
    events: int,
    work_dir: Path,
    timeout: float,
    *,
    dry_run: bool = False,
) -> AsyncFigures:
    client = lambda_client(server.endpoint_url)
    name = f"async-bench-{uuid.uuid4().hex[:8]}"
    out = work_dir / f"{system}-{name}-delivered.txt"
    deploy(client, name, SINK, Environment={"Variables": {"OUT": str(out)}})
    client.invoke(FunctionName=name, Payload=b"{}")  # warm, and counted below
    warm = _count_lines(out)
    poster = EventPoster(server.port)
    try:
        dry_run_per_s = None
        if dry_run:
            post_all(poster, name, min(events, 200), "DryRun", 204)  # warm the door
            dry_run_per_s = events / post_all(poster, name, events, "DryRun", 204)
        cpu_before = process_cpu_seconds(server.pid)
        started = time.perf_counter()
        post_all(poster, name, events, "Event", 202)
        accepted = time.perf_counter()
    finally:
        poster.close()
    done = wait_delivered(out, warm + events, timeout)
    cpu_after = process_cpu_seconds(server.pid)
    client.close()
    cpu = None
    if cpu_before is not None and cpu_after is not None and done is not None:
        cpu = (cpu_after - cpu_before) / events * 1e6
    return AsyncFigures(
        system,
        events,
        events / (accepted - started),
        None if done is None else events / (done - started),
        cpu,
        dry_run_per_s,
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


def _ratio(floor: float | None, value: float | None, target: float) -> str:
    if not floor or not value:
        return "-"
    ratio = floor / value
    return f"{ratio:.2f}x ({'met' if ratio <= target else 'not met'})"


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def report(console: Console, runs: list[Run]) -> None:
    table = Table(title="Asynchronous invocation (Event), 1 KB payload, one client")
    columns = (
        "run",
        "system",
        "events",
        "accepted/s",
        "delivered/s",
        f"HTTP floor / accepted (target {ACCEPT_TARGET}x)",
        f"queue floor / delivered (target {DELIVER_TARGET}x)",
        "server CPU µs/event",
        "DryRun/s",
    )
    for column in columns:
        table.add_column(column, justify="left" if column == "system" else "right")
    for number, run in enumerate(runs, 1):
        floors = run.floors
        http = floors.http_per_s if floors else None
        queue = floors.queue_per_s if floors else None
        for figure in run.figures:
            delivered = figure.delivered_per_s
            table.add_row(
                str(number),
                figure.system,
                str(figure.events),
                f"{figure.accepted_per_s:,.0f}",
                "timed out" if delivered is None else f"{delivered:,.0f}",
                _ratio(http, figure.accepted_per_s, ACCEPT_TARGET),
                _ratio(queue, delivered, DELIVER_TARGET),
                _rate(figure.server_cpu_us),
                _rate(figure.dry_run_per_s),
            )
        if floors:
            blank = ("",) * 4
            table.add_row(str(number), "floor: plain HTTP", "", _rate(http), *blank)
            table.add_row(
                str(number),
                "floor: queue, inserts | +claim+delete",
                "",
                _rate(floors.inserts_per_s),
                _rate(queue),
                *blank,
            )
    console.print(table)


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="lambdaport async benchmark")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=1, help="rounds of floors and servers")
    parser.add_argument("--timeout", type=float, default=300.0, help="delivery deadline (s)")
    parser.add_argument("--only", action="append", choices=PARTS)
    parser.add_argument("--lambdaport-cmd", default=lambdaport_command())
    parser.add_argument("--ministack-python", default=None)
    args = parser.parse_args(argv)
    parts = tuple(args.only) if args.only else PARTS
    console = Console(width=160)
    console.print(f"load average at the start: {_load()}")
    ministack = find_ministack_python(args.ministack_python) if "ministack" in parts else None
    if "ministack" in parts and ministack is None:
        console.print("[yellow]ministack==1.5.33 not installed: not measured[/]")
    runs: list[Run] = []
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    for _ in range(max(1, args.repeat)):
        with tempfile.TemporaryDirectory(dir=WORK_DIR, prefix="async-") as scratch:
            runs.append(measure_run(args, parts, ministack, Path(scratch)))
    report(console, runs)
    console.print(f"load average at the end: {_load()}")
    console.print(f"command: {shlex.join(sys.argv)}")
    return 0


def measure_run(
    args: argparse.Namespace, parts: tuple[str, ...], ministack: str | None, work_dir: Path
) -> Run:
    figures: list[AsyncFigures] = []
    floors = None
    if "floor" in parts:
        inserts, queue = queue_floor(args.events, work_dir)
        floors = Floors(http_floor(args.events, work_dir), inserts, queue)
    if "lambdaport" in parts:
        spec: ServerSpec = lambdaport_spec(args.lambdaport_cmd, work_dir)
        with running(spec) as server:
            figures.append(
                measure_server(
                    server, "lambdaport", args.events, work_dir, args.timeout, dry_run=True
                )
            )
    if ministack is not None:
        with running(ministack_spec(ministack, work_dir)) as server:
            figures.append(measure_server(server, "ministack", args.events, work_dir, args.timeout))
    return Run(figures, floors)


if __name__ == "__main__":
    raise SystemExit(main())
