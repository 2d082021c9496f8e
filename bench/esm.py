"""The event source mapping benchmark: how fast an SQS mapping drains a full queue and how
soon a message on an idle queue starts the function, on lambdaport and ministack, against
the floor, in one run.

    python bench/esm.py [--messages 20000] [--latency-samples 200]
                        [--only floor|lambdaport|ministack]...

- **drain**: the queue is filled with ``--messages`` messages (``SendMessageBatch``, 10 a
  call) before the mapping exists; then ``CreateEventSourceMapping`` (BatchSize 10, and
  BatchSize 100 with a 1-second window, which AWS requires above 10) and the clock runs
  until ``GetQueueAttributes`` counts no message visible or in flight: messages per second.
  The function returns at once.
- **idle latency**: one mapping on an empty queue; each sample sends one message whose body
  is the send time (``time.time()`` just before ``SendMessage``) and the function, which
  appends its own start time and the body to a file, is waited on; the difference is the
  latency from SendMessage to the function starting (p50/p99). Both clocks are this
  machine's.
- **floor**: the same number of messages received (10 at a time, the queue's visibility
  timeout) and deleted from lambdaport's store with no invoke and no HTTP, through SQS's
  ``QueueReader``, as the poller reads them: the most a mapping could do on this machine.
- **Kinesis** (``esm_kinesis``): records per second from a pre-filled stream of 1 and of 4
  shards (``--kinesis-records``), and its floor: the same records read from the store.

ministack runs from its own venv (``bench/.work/venv``, ministack==1.5.33). Everything
listens on 127.0.0.1 on a free port and is stopped at the end. Results: a table, and
``bench/.work/esm-results.json`` / ``.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import esm_kinesis
from clients import ROLE, aws_client
from invoke import find_ministack_python
from measure import summarise
from report import machine_info, print_rows, rows_markdown, write_results
from rich.console import Console
from servers import RunningServer, interrupt_on_signals, measure_each
from systems import server_specs

from lambdaport.testing.server import zip_files

BENCH_DIR = Path(__file__).resolve().parent
WORK_DIR = BENCH_DIR / ".work"
RESULTS_PATH = WORK_DIR / "esm-results.json"
PARTS = ("floor", "lambdaport", "ministack")
COUNTS_EVERY_S = 0.1  # how often a drain reads the queue's counts (both systems alike)
REGION = "us-east-1"
ACCOUNT = "000000000000"

QUICK = 'def handler(event, context):\n    return {"batchItemFailures": []}\n'
# Appends "<start time> <body>" per record to the file named by $OUT.
STAMPING = """
import os, time

def handler(event, context):
    started = time.time()
    with open(os.environ["OUT"], "a") as out:
        for record in event["Records"]:
            out.write(f"{started!r} {record['body']}\\n")
"""


@dataclass(frozen=True)
class Options:
    messages: int
    latency_samples: int
    kinesis_records: int
    parts: tuple[str, ...]
    lambdaport_cmd: str
    ministack_python: str | None
    drain_timeout: float
    latency_seconds: float
    results_path: Path


@dataclass(frozen=True)
class Row:
    system: str
    series: str
    messages_per_s: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    count: int = 0
    note: str = ""


def parse_options(argv: list[str] | None = None) -> Options:
    bin_dir = Path(sys.executable).parent
    parser = argparse.ArgumentParser(description="lambdaport event source mapping benchmark")
    parser.add_argument("--messages", type=int, default=20_000, help="messages to drain")
    parser.add_argument("--latency-samples", type=int, default=200)
    parser.add_argument("--kinesis-records", type=int, default=20_000, help="0: no Kinesis")
    parser.add_argument("--only", action="append", choices=PARTS, help="repeatable")
    parser.add_argument("--lambdaport-cmd", default=f"{bin_dir / 'lambdaport'} up")
    parser.add_argument("--ministack-python", help="Python with ministack (auto-detected)")
    parser.add_argument("--drain-timeout", type=float, default=300.0, help="seconds a drain")
    parser.add_argument("--latency-seconds", type=float, default=60.0, help="cap a series")
    parser.add_argument("--results", type=Path, default=RESULTS_PATH)
    args = parser.parse_args(argv)
    return Options(
        messages=args.messages,
        latency_samples=args.latency_samples,
        kinesis_records=args.kinesis_records,
        parts=tuple(args.only) if args.only else PARTS,
        lambdaport_cmd=args.lambdaport_cmd,
        ministack_python=args.ministack_python,
        drain_timeout=args.drain_timeout,
        latency_seconds=args.latency_seconds,
        results_path=args.results,
    )


def client(service: str, endpoint_url: str) -> Any:
    return aws_client(service, endpoint_url, max_pool_connections=8)


# -- the floor: the store, no invoke, no HTTP ----------------------------------------------


async def _floor(messages: int, data_dir: Path) -> float:
    from lambdaport.services.sqs import SqsService
    from lambdaport.services.sqs.models import OutgoingMessage
    from lambdaport.store.sqlite import SqliteStore

    store = SqliteStore(data_dir)
    try:
        sqs = SqsService(store.sqs, "http://127.0.0.1:4566")
        await sqs.load()
        queue = await sqs.directory.create(ACCOUNT, REGION, "floor", {}, {})
        state = sqs.directory.find(ACCOUNT, REGION, queue.name)
        arn = queue.arn
        for start in range(0, messages, 10):
            batch = [
                OutgoingMessage(f"m{i}", {}, {}, sender_id=ACCOUNT)
                for i in range(start, min(start + 10, messages))
            ]
            await sqs.messages.send(state, batch)
        reader = sqs.reader
        done = 0
        began = time.perf_counter()
        while done < messages:
            received = await reader.receive(arn, 10, wait_seconds=0)
            if not received:
                break
            await reader.delete(arn, [m.receipt_handle for m in received])
            done += len(received)
        elapsed = time.perf_counter() - began
        if done != messages:
            raise RuntimeError(f"the floor read {done} of {messages} messages")
        return messages / elapsed
    finally:
        store.close()


def floor_rows(options: Options, work_dir: Path) -> list[Row]:
    rate = asyncio.run(_floor(options.messages, work_dir / "floor-data"))
    rows = [Row("floor", "receive+delete, no invoke", rate, count=options.messages)]
    if options.kinesis_records:
        records = options.kinesis_records
        for shards, rate in esm_kinesis.floor_rates(records, work_dir).items():
            rows.append(
                Row("floor", f"Kinesis read, {shards} shard(s), no invoke", rate, count=records)
            )
    return rows


# -- a server: drain and idle latency ------------------------------------------------------


def deploy(lam: Any, name: str, source: str, env: dict[str, str] | None = None) -> str:
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": zip_files({"app.py": source})},
        Timeout=30,
        Environment={"Variables": env or {}},
    )
    deadline = time.monotonic() + 60
    while lam.get_function_configuration(FunctionName=name)["State"] != "Active":
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not become Active")
        time.sleep(0.05)  # waiting for Active, bounded by the deadline
    return str(lam.get_function_configuration(FunctionName=name)["FunctionArn"])


def _queue(sqs: Any, name: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return str(url), str(arn)


def _fill(endpoint: str, url: str, messages: int) -> None:
    def send(start: int, sqs: Any) -> None:
        entries = [
            {"Id": str(i), "MessageBody": f"m{i}"} for i in range(start, min(start + 10, messages))
        ]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)

    clients = [client("sqs", endpoint) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        list(
            pool.map(
                lambda i: send(i * 10, clients[i % 4]),
                range((messages + 9) // 10),
            )
        )


def _left(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def drain_row(server: RunningServer, options: Options, batch_size: int, console: Console) -> Row:
    system = server.spec.name
    lam, sqs = client("lambda", server.endpoint_url), client("sqs", server.endpoint_url)
    tag = uuid.uuid4().hex[:8]
    name = deploy(lam, f"drain-{batch_size}-{tag}", QUICK)
    url, arn = _queue(sqs, f"drain-{batch_size}-{tag}")
    _fill(server.endpoint_url, url, options.messages)
    if _left(sqs, url) != options.messages:
        raise RuntimeError(f"{system}: the queue holds {_left(sqs, url)} messages after the fill")
    extra = {"MaximumBatchingWindowInSeconds": 1} if batch_size > 10 else {}
    console.print(f"[dim]{system}: {options.messages} messages queued; draining[/]")
    began = time.perf_counter()
    mapping = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, BatchSize=batch_size, **extra
    )
    deadline = began + options.drain_timeout
    left = options.messages
    while left:
        if time.perf_counter() > deadline:
            lam.delete_event_source_mapping(UUID=mapping["UUID"])
            done = options.messages - left
            rate = done / options.drain_timeout
            note = f"{done} of {options.messages} in {options.drain_timeout:.0f} s"
            return Row(system, f"drain, BatchSize {batch_size}", rate, count=done, note=note)
        time.sleep(COUNTS_EVERY_S)  # polling the queue's counts, bounded by the deadline
        left = _left(sqs, url)
    elapsed = time.perf_counter() - began
    lam.delete_event_source_mapping(UUID=mapping["UUID"])
    console.print(f"[dim]{system}: drained {options.messages} in {elapsed:.2f} s[/]")
    return Row(
        system,
        f"drain, BatchSize {batch_size}",
        options.messages / elapsed,
        count=options.messages,
    )


def latency_row(server: RunningServer, options: Options, work_dir: Path) -> Row:
    system = server.spec.name
    lam, sqs = client("lambda", server.endpoint_url), client("sqs", server.endpoint_url)
    tag = uuid.uuid4().hex[:8]
    out = work_dir / f"latency-{system}-{tag}.txt"
    name = deploy(lam, f"latency-{tag}", STAMPING, {"OUT": str(out)})
    url, arn = _queue(sqs, f"latency-{tag}")
    mapping = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name)
    deadline = time.monotonic() + 60
    while lam.get_event_source_mapping(UUID=mapping["UUID"])["State"] != "Enabled":
        if time.monotonic() > deadline:
            raise RuntimeError(f"{system}: the mapping did not become Enabled")
        time.sleep(0.05)  # waiting for Enabled, bounded by the deadline

    def seen() -> int:
        return len(out.read_text().splitlines()) if out.exists() else 0

    def one(index: int) -> None:
        sqs.send_message(QueueUrl=url, MessageBody=repr(time.time()))
        wait_until = time.monotonic() + 30
        while seen() <= index:
            if time.monotonic() > wait_until:
                raise RuntimeError(f"{system}: message {index} did not start the function")
            time.sleep(0.0005)  # watching the function's file, bounded by the deadline

    one(0)  # the environment is warm from here on
    samples: list[int] = []
    cap = time.monotonic() + options.latency_seconds
    for index in range(1, options.latency_samples + 1):
        one(index)
        if time.monotonic() > cap and index >= 5:
            break
    lines = out.read_text().splitlines()[1:]
    for line in lines:
        started, sent = (float(part) for part in line.split(" ", 1))
        samples.append(int((started - sent) * 1e9))
    lam.delete_event_source_mapping(UUID=mapping["UUID"])
    summary = summarise(samples, sum(samples))
    return Row(
        system,
        "idle SendMessage → function start",
        p50_ms=summary.p50_ms,
        p99_ms=summary.p99_ms,
        count=summary.count,
    )


def measure_system(
    server: RunningServer, options: Options, work_dir: Path, console: Console
) -> list[Row]:
    console.print(f"[dim]{server.spec.name} healthy in {server.startup_seconds:.2f} s[/]")
    rows = [drain_row(server, options, 10, console), drain_row(server, options, 100, console)]
    rows.append(latency_row(server, options, work_dir))
    for shards in esm_kinesis.SHARD_COUNTS if options.kinesis_records else ():
        rows.append(kinesis_row(server, options, shards, work_dir))
    return rows


def kinesis_row(server: RunningServer, options: Options, shards: int, work_dir: Path) -> Row:
    records = options.kinesis_records
    rate, seen = esm_kinesis.drain_rate(
        client, server.endpoint_url, deploy, records, shards, work_dir, options.drain_timeout
    )
    note = "" if seen >= records else f"{seen} of {records} in {options.drain_timeout:.0f} s"
    return Row(
        server.spec.name, f"Kinesis, {shards} shard(s), BatchSize 100", rate, count=seen, note=note
    )


# -- run and report -------------------------------------------------------------------------


def run(options: Options, console: Console) -> tuple[list[Row], dict[str, str]]:
    rows: list[Row] = []
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=WORK_DIR, prefix="esm-") as scratch:
        work_dir = Path(scratch)
        if "floor" in options.parts:
            rows += floor_rows(options, work_dir)
        ministack = find_ministack_python(options.ministack_python)
        specs = server_specs(options.lambdaport_cmd, ministack, work_dir)
        servers = [name for name in options.parts if name != "floor"]
        measured, failures = measure_each(
            servers,
            specs,
            lambda server: measure_system(server, options, work_dir, console),
            console.print,
        )
    return rows + measured, failures


HEADERS = ["system", "series", "records/s", "p50 ms", "p99 ms", "n", "note"]


def _cells(row: Row) -> list[str]:
    def number(value: float | None, spec: str) -> str:
        return "-" if value is None else format(value, spec)

    return [
        row.system,
        row.series,
        number(row.messages_per_s, ",.0f"),
        number(row.p50_ms, ".2f"),
        number(row.p99_ms, ".2f"),
        str(row.count),
        row.note,
    ]


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    interrupt_on_signals()
    console = Console() if Console().is_terminal else Console(width=140)
    try:
        rows, failures = run(options, console)
    except KeyboardInterrupt:
        console.print("[red]interrupted; every server started has been stopped[/]")
        return 130
    cells = [_cells(row) for row in rows]
    print_rows("SQS event source mapping", HEADERS, cells, failures, console)
    result = {
        "machine": machine_info({}),
        "settings": {
            "messages": options.messages,
            "latency_samples": options.latency_samples,
            "kinesis_records": options.kinesis_records,
        },
        "rows": [asdict(row) for row in rows],
        "failures": failures,
    }
    write_results(options.results_path, result, rows_markdown(HEADERS, cells), console)
    return 0


if __name__ == "__main__":
    sys.exit(main())
