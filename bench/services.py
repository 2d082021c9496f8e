"""The service-plane benchmark: S3 PutObject, SQS SendMessage and ReceiveMessage per second,
SQS receive latency at 0, 1,000, 10,000 and 100,000 messages deep, Kinesis PutRecord per
second and GetRecords latency (100 records of 100 bytes from a stream 2,000 records deep), and
DynamoDB PutItem per second on a table without and with a stream (NEW_AND_OLD_IMAGES), and
DynamoDB Streams GetRecords latency (100 records from a stream 2,000 records deep), on
lambdaport, moto's server and ministack, in one run.

    python bench/services.py [--requests N] [--depths 0,10000,100000]
                             [--only lambdaport|moto|ministack]...
                             [--series s3|sqs|kinesis|dynamodb]...

Every series is closed-loop through boto3 (one client, one request in flight, dummy
credentials, no retries), as in bench/invoke.py. A receive takes one message
(``MaxNumberOfMessages=1``) and keeps it in flight (``VisibilityTimeout=600``), so the depth
stays put while it is measured; the depth is built with ``SendMessageBatch`` (10 a call).
Slow systems are bounded: a series stops after ``--max-seconds`` once it has 5 samples, a
fill that outlasts ``--fill-timeout`` skips the depths beyond it, and a depth whose first
receive takes longer than ``--slow-receive`` seconds skips the deeper ones. Everything
listens on 127.0.0.1 on a free port and is stopped at the end. Results: a table, and
``bench/.work/services-results.json`` / ``.md``.
"""

from __future__ import annotations

import argparse
import itertools
import shlex
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError
from clients import aws_client
from invoke import find_ministack_python
from measure import Budget, Summary, measure, time_once
from report import machine_info, print_rows, rows_markdown, write_results
from rich.console import Console
from servers import (
    LOG_DIR,
    RunningServer,
    ServerSpec,
    free_port,
    interrupt_on_signals,
    measure_each,
)
from systems import server_specs

BENCH_DIR = Path(__file__).resolve().parent
WORK_DIR = BENCH_DIR / ".work"
RESULTS_PATH = WORK_DIR / "services-results.json"
PARTS = ("lambdaport", "moto", "ministack")
SERIES = ("s3", "sqs", "kinesis", "dynamodb")
REGION = "us-east-1"
BODY_1K = b"x" * 1024


@dataclass(frozen=True)
class Options:
    budget: Budget
    depths: tuple[int, ...]
    parts: tuple[str, ...]
    series: tuple[str, ...]
    lambdaport_cmd: str
    moto_cmd: str
    ministack_python: str | None
    fill_timeout: float
    slow_receive: float
    results_path: Path


@dataclass(frozen=True)
class Row:
    system: str
    series: str
    summary: Summary | None
    note: str = ""


def parse_options(argv: list[str] | None = None) -> Options:
    bin_dir = Path(sys.executable).parent
    parser = argparse.ArgumentParser(description="lambdaport service-plane benchmark")
    parser.add_argument("--requests", type=int, default=1000, help="measured requests a series")
    parser.add_argument("--warmup", type=int, default=100, help="warm-up requests a series")
    parser.add_argument("--max-seconds", type=float, default=8.0, help="wall-time cap a series")
    parser.add_argument("--depths", default="0,1000,10000,100000", help="receive depths")
    parser.add_argument("--only", action="append", choices=PARTS, help="repeatable")
    parser.add_argument("--series", action="append", choices=SERIES, help="repeatable")
    parser.add_argument("--lambdaport-cmd", default=f"{bin_dir / 'lambdaport'} up")
    parser.add_argument("--moto-cmd", default=str(bin_dir / "moto_server"))
    parser.add_argument("--ministack-python", help="Python with ministack (auto-detected)")
    parser.add_argument("--fill-timeout", type=float, default=180.0, help="seconds per fill")
    parser.add_argument("--slow-receive", type=float, default=5.0, help="seconds; see above")
    parser.add_argument("--results", type=Path, default=RESULTS_PATH)
    args = parser.parse_args(argv)
    return Options(
        budget=Budget(args.warmup, args.requests, args.max_seconds, min_requests=5),
        depths=tuple(sorted(int(d) for d in args.depths.split(","))),
        parts=tuple(args.only) if args.only else PARTS,
        series=tuple(args.series) if args.series else SERIES,
        lambdaport_cmd=args.lambdaport_cmd,
        moto_cmd=args.moto_cmd,
        ministack_python=args.ministack_python,
        fill_timeout=args.fill_timeout,
        slow_receive=args.slow_receive,
        results_path=args.results,
    )


def moto_spec(command: str) -> ServerSpec:
    port = free_port()
    return ServerSpec(
        name="moto",
        argv=(*shlex.split(command), "-H", "127.0.0.1", "-p", str(port)),
        port=port,
        health_path="/moto-api/",
        log_path=LOG_DIR / "moto.log",
    )


def client(service: str, endpoint_url: str) -> Any:
    return aws_client(service, endpoint_url)


# -- series ---------------------------------------------------------------------------------


def s3_put_series(server: RunningServer, budget: Budget) -> Row:
    s3 = client("s3", server.endpoint_url)
    bucket = f"bench-{uuid.uuid4().hex[:8]}"
    try:
        s3.create_bucket(Bucket=bucket)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        return Row(server.spec.name, "S3 PutObject 1 KiB", None, f"pending: {code}")
    counter = iter(range(10**9))

    def put() -> None:
        s3.put_object(Bucket=bucket, Key=f"k/{next(counter)}", Body=BODY_1K)

    return Row(server.spec.name, "S3 PutObject 1 KiB", measure(put, budget))


def sqs_send_series(sqs: Any, system: str, budget: Budget) -> Row:
    url = sqs.create_queue(QueueName=f"send-{uuid.uuid4().hex[:8]}")["QueueUrl"]

    def send() -> None:
        sqs.send_message(QueueUrl=url, MessageBody="x" * 100)

    return Row(system, "SQS SendMessage", measure(send, budget))


def fill(sqs: Any, url: str, count: int, deadline: float) -> bool:
    """Send ``count`` messages in batches of 10; False when the deadline passed first."""
    sent = 0
    while sent < count:
        size = min(10, count - sent)
        entries = [{"Id": str(i), "MessageBody": f"m{sent + i}"} for i in range(size)]
        result = sqs.send_message_batch(QueueUrl=url, Entries=entries)
        if result.get("Failed"):
            raise RuntimeError(f"SendMessageBatch failed: {result['Failed'][:1]}")
        sent += size
        if time.monotonic() > deadline:
            return sent >= count
    return True


def receive_once(sqs: Any, url: str, expect_message: bool) -> None:
    response = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=600)
    if expect_message and not response.get("Messages"):
        raise RuntimeError("ReceiveMessage returned nothing from a non-empty queue")


def receive_series(sqs: Any, system: str, options: Options, console: Console) -> list[Row]:
    rows: list[Row] = []
    url = sqs.create_queue(QueueName=f"depth-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    depth = 0
    for target in options.depths:
        series = f"SQS ReceiveMessage at {target:,} deep"
        started = time.monotonic()
        if not fill(sqs, url, target - depth, started + options.fill_timeout):
            rows.append(Row(system, series, None, f"skipped: fill > {options.fill_timeout:.0f} s"))
            break
        depth = target
        console.print(f"[dim]  {system}: {target:,} deep in {time.monotonic() - started:.1f} s[/]")
        call = partial(receive_once, sqs, url, target > 0)
        probe, _ = time_once(call)
        budget = options.budget
        if target > 0:  # each receive keeps a message in flight: never empty the queue
            budget = Budget(budget.warmup, min(budget.requests, target // 4), budget.max_seconds, 5)
        summary = measure(call, budget)
        rows.append(Row(system, series, summary))
        if probe / 1e9 > options.slow_receive:
            note = f"skipped: one receive took {probe / 1e9:.1f} s at {target:,} deep"
            rows += [
                Row(system, f"SQS ReceiveMessage at {deeper:,} deep", None, note)
                for deeper in options.depths
                if deeper > target
            ]
            break
    return rows


KINESIS_DEPTH = 2000


def kinesis_series(server: RunningServer, budget: Budget) -> list[Row]:
    system = server.spec.name
    kinesis = client("kinesis", server.endpoint_url)
    stream = f"bench-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=stream, WaiterConfig={"Delay": 1})

    def put() -> None:
        kinesis.put_record(StreamName=stream, Data=b"x" * 100, PartitionKey="key")

    rows = [Row(system, "Kinesis PutRecord", measure(put, budget))]
    for start in range(0, KINESIS_DEPTH, 500):
        kinesis.put_records(
            StreamName=stream,
            Records=[{"Data": b"y" * 100, "PartitionKey": str(start + i)} for i in range(500)],
        )
    iterator = kinesis.get_shard_iterator(
        StreamName=stream, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]

    def get() -> None:  # the same iterator each time: the same 100 records (AWS allows it)
        if len(kinesis.get_records(ShardIterator=iterator, Limit=100)["Records"]) != 100:
            raise RuntimeError("GetRecords returned fewer than 100 records")

    rows.append(Row(system, "Kinesis GetRecords (100 records)", measure(get, budget)))
    return rows


DYNAMODB_DEPTH = 2000


def _table(dynamodb: Any, stream: bool) -> str:
    name = f"bench-{uuid.uuid4().hex[:8]}"
    extra: dict[str, Any] = {}
    if stream:
        extra["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )
    return name


def dynamodb_series(server: RunningServer, budget: Budget) -> list[Row]:
    """PutItem (a new item of about 100 bytes each time) without and with a stream, then
    GetRecords of 100 records from the streamed table, 2,000 records deep."""
    system = server.spec.name
    dynamodb = client("dynamodb", server.endpoint_url)
    rows: list[Row] = []
    tables = {stream: _table(dynamodb, stream) for stream in (False, True)}
    for stream, table in tables.items():
        numbers = itertools.count()

        def put(table: str = table, numbers: Iterator[int] = numbers) -> None:
            item = {"pk": {"S": f"k{next(numbers)}"}, "v": {"S": "x" * 100}}
            dynamodb.put_item(TableName=table, Item=item)

        label = "with a stream" if stream else "no stream"
        rows.append(Row(system, f"DynamoDB PutItem ({label})", measure(put, budget)))
    table = tables[True]
    for start in range(0, DYNAMODB_DEPTH, 25):
        requests = [
            {"PutRequest": {"Item": {"pk": {"S": f"fill{start + i}"}, "v": {"S": "y" * 100}}}}
            for i in range(25)
        ]
        dynamodb.batch_write_item(RequestItems={table: requests})
    try:
        streams = client("dynamodbstreams", server.endpoint_url)
        arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
    except (ClientError, KeyError, IndexError) as error:
        note = f"streams not served: {type(error).__name__}"
        return [*rows, Row(system, "DynamoDB Streams GetRecords (100 records)", None, note)]

    def get() -> None:  # the same iterator each time: the same 100 records
        if len(streams.get_records(ShardIterator=iterator, Limit=100)["Records"]) != 100:
            raise RuntimeError("GetRecords returned fewer than 100 records")

    try:
        summary = measure(get, budget)
    except (ClientError, RuntimeError) as error:
        note = f"GetRecords failed: {str(error).splitlines()[0][:60]}"
        return [*rows, Row(system, "DynamoDB Streams GetRecords (100 records)", None, note)]
    rows.append(Row(system, "DynamoDB Streams GetRecords (100 records)", summary))
    return rows


def measure_system(server: RunningServer, options: Options, console: Console) -> list[Row]:
    system = server.spec.name
    console.print(f"[dim]{system} healthy in {server.startup_seconds:.2f} s; measuring[/]")
    rows: list[Row] = []
    if "s3" in options.series:
        rows.append(s3_put_series(server, options.budget))
    if "sqs" in options.series:
        sqs = client("sqs", server.endpoint_url)
        rows.append(sqs_send_series(sqs, system, options.budget))
        rows += receive_series(sqs, system, options, console)
    if "kinesis" in options.series:
        rows += kinesis_series(server, options.budget)
    if "dynamodb" in options.series:
        rows += dynamodb_series(server, options.budget)
    return rows


# -- run and report -------------------------------------------------------------------------


def run(options: Options, console: Console) -> tuple[list[Row], dict[str, str]]:
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=WORK_DIR, prefix="services-") as scratch:
        ministack = find_ministack_python(options.ministack_python)
        specs = {
            **server_specs(options.lambdaport_cmd, ministack, Path(scratch)),
            "moto": partial(moto_spec, options.moto_cmd),
        }
        return measure_each(
            options.parts,
            specs,
            lambda server: measure_system(server, options, console),
            console.print,
        )


def _cells(row: Row) -> list[str]:
    if row.summary is None:
        return [row.system, row.series, "-", "-", "-", "-", row.note]
    s = row.summary
    return [
        row.system,
        row.series,
        f"{s.p50_ms:.3f}",
        f"{s.p99_ms:.3f}",
        f"{s.throughput_rps:,.0f}",
        str(s.count),
        row.note,
    ]


HEADERS = ["system", "series", "p50 ms", "p99 ms", "req/s", "n", "note"]


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
    print_rows(
        "Service plane (closed loop, boto3, one connection)", HEADERS, cells, failures, console
    )
    result = {
        "machine": machine_info({}),
        "settings": {**asdict(options.budget), "depths": list(options.depths)},
        "rows": [asdict(row) for row in rows],
        "failures": failures,
    }
    write_results(options.results_path, result, rows_markdown(HEADERS, cells), console)
    return 0


if __name__ == "__main__":
    sys.exit(main())
