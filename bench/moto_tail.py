"""The moto tail's overhead: a moto call through lambdaport against the same call to moto.

    python bench/moto_tail.py [--requests N] [--recovery WRITES]

Three ways to the same moto code, closed loop, one request in flight:

- in process: moto's Flask app called directly, and the same request through the tail's
  ``call`` on its worker thread (environ, lock, executor hop): the tail's own cost; and a
  DynamoDB PutItem through ``MotoEngine.execute`` without and with a journal (seed, backend
  count, one journal write): durability's own cost;
- over HTTP: boto3 against lambdaport (durable, as by default, and ``--ephemeral``, with no
  journal: the tail as it was before durability) and against moto's own server
  (``moto_server``), all on 127.0.0.1: what a user sees.

Operations: STS GetCallerIdentity (query/XML), DynamoDB GetItem and PutItem (JSON).
``--recovery WRITES``: how long a start takes after that many PutItems, replaying the
journal (after ``kill -9``) and loading the snapshot (after a clean stop).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from measure import Budget, Summary, measure
from rich.console import Console
from rich.table import Table
from servers import running
from services import client, moto_spec

from lambdaport.services.moto_tail import MotoCall, MotoTail
from lambdaport.services.moto_tail.durability import MotoDurability
from lambdaport.services.moto_tail.protocol import ClientWire, TailProtocol
from lambdaport.services.moto_tail.wsgi import WsgiRequest, build_environ, call_wsgi
from lambdaport.testing.server import ServerProcess

TABLE = "bench"
KEY = {"pk": {"S": "a"}}


def prepare(endpoint: str) -> dict[str, Callable[[], object]]:
    dynamodb = client("dynamodb", endpoint)
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName=TABLE, Item=KEY)
    sts = client("sts", endpoint)
    counter = itertools.count()

    def put_item() -> object:
        item = {"pk": {"S": f"k{next(counter) % 1000}"}, "v": {"S": "x" * 100}}
        return dynamodb.put_item(TableName=TABLE, Item=item)

    return {
        "sts GetCallerIdentity": sts.get_caller_identity,
        "dynamodb GetItem": lambda: dynamodb.get_item(TableName=TABLE, Key=KEY),
        "dynamodb PutItem": put_item,
    }


def in_process(budget: Budget) -> dict[str, tuple[Summary, Summary]]:
    tail = MotoTail()
    asyncio.run(tail.start())
    auth = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sts/aws4_request, Signature=0"
    form = b"Action=GetCallerIdentity&Version=2011-06-15"
    headers = (("content-type", "application/x-www-form-urlencoded"), ("authorization", auth))
    request = WsgiRequest("POST", "/", "", headers, form)
    extra = {"x-moto-account-id": "000000000000"}
    tail.call("sts", request, extra)
    from moto.moto_server.werkzeug_app import create_backend_app

    app = create_backend_app("sts")

    loop = asyncio.new_event_loop()

    def via_tail() -> object:  # the event loop's view: one hop to a worker thread and back
        return loop.run_until_complete(loop.run_in_executor(None, tail.call, "sts", request, extra))

    direct = measure(lambda: call_wsgi(app, build_environ(request, extra)), budget)
    through = measure(via_tail, budget)
    loop.close()
    asyncio.run(tail.stop())
    return {"sts GetCallerIdentity": (direct, through)}


def journal_cost(budget: Budget) -> tuple[Summary, Summary]:
    """DynamoDB PutItem through the engine, without and with a journal (in process)."""
    with tempfile.TemporaryDirectory() as scratch:
        plain, durable = MotoTail(), MotoTail(durability=MotoDurability(Path(scratch) / "moto"))
        for tail in (plain, durable):
            tail.endpoints(excluded=())
        asyncio.run(plain.start())
        loop = asyncio.new_event_loop()
        loop.run_until_complete(durable.start())
        auth = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, S=0"
        headers = (
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", "DynamoDB_20120810.CreateTable"),
            ("authorization", auth),
        )
        table = {
            "TableName": "journal-bench",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        }
        extra = {"x-moto-account-id": "000000000000"}
        plain.call(
            "dynamodb", WsgiRequest("POST", "/", "", headers, json.dumps(table).encode()), extra
        )
        put_headers = (headers[0], ("x-amz-target", "DynamoDB_20120810.PutItem"), headers[2])
        body = {"TableName": "journal-bench", "Item": {"pk": {"S": "a"}, "v": {"S": "x" * 100}}}
        request = WsgiRequest("POST", "/", "", put_headers, json.dumps(body).encode())
        call = _read(request)

        def through(tail: MotoTail) -> Callable[[], object]:
            return lambda: loop.run_until_complete(tail.engine.execute(call, extra))

        without = measure(through(plain), budget)
        with_journal = measure(through(durable), budget)
        loop.run_until_complete(durable.stop())
        loop.close()
        asyncio.run(plain.stop())
    return without, with_journal


def _read(request: WsgiRequest) -> MotoCall:
    call = TailProtocol(ClientWire("dynamodb", served=True)).read(request)
    assert isinstance(call, MotoCall), call
    return call


def over_http(budget: Budget) -> dict[str, dict[str, Summary]]:
    results: dict[str, dict[str, Summary]] = {}
    for label, args in (("lambdaport", ()), ("lambdaport --ephemeral", ("--ephemeral",))):
        with (
            tempfile.TemporaryDirectory() as scratch,
            ServerProcess(Path(scratch) / "d", extra_args=args) as server,
        ):
            for name, call in prepare(server.endpoint).items():
                results.setdefault(name, {})[label] = measure(call, budget)
    with running(moto_spec(str(Path(sys.executable).parent / "moto_server"))) as moto:
        for name, call in prepare(moto.endpoint_url).items():
            results.setdefault(name, {})["moto_server"] = measure(call, budget)
    return results


def recovery(writes: int) -> dict[str, float]:
    """Seconds to start again after ``writes`` PutItems: after a kill -9 (the journal
    replayed) and after a clean stop (the snapshot loaded), and the snapshot's size."""
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = Path(scratch) / "d"
        server = ServerProcess(data_dir)
        server.start()
        put = prepare(server.endpoint)["dynamodb PutItem"]
        for _ in range(writes):
            put()
        server.stop(signal.SIGKILL)
        for label in ("after kill -9 (replay)", "after a clean stop (snapshot)"):
            started = time.perf_counter()
            server = ServerProcess(data_dir)
            server.start()
            timings[label] = time.perf_counter() - started
            server.stop()
        timings["snapshot MiB"] = (data_dir / "moto" / "snapshot").stat().st_size / 2**20
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--recovery", type=int, default=0, help="PutItems before a restart")
    args = parser.parse_args()
    budget = Budget(warmup=50, requests=args.requests, max_seconds=60.0)
    table = Table(title="moto tail: p50 latency (ms)")
    for column in ("operation", "path", "moto", "through lambdaport", "overhead"):
        table.add_column(column)
    report: dict[str, Any] = {}
    for name, (direct, through) in in_process(budget).items():
        overhead = through.p50_ms - direct.p50_ms
        table.add_row(
            name, "in process", f"{direct.p50_ms:.3f}", f"{through.p50_ms:.3f}", f"{overhead:+.3f}"
        )
        report[f"{name} in process"] = [direct.p50_ms, through.p50_ms]
    without, with_journal = journal_cost(budget)
    overhead = with_journal.p50_ms - without.p50_ms
    table.add_row(
        "dynamodb PutItem",
        "in process, engine without / with journal",
        f"{without.p50_ms:.3f}",
        f"{with_journal.p50_ms:.3f}",
        f"{overhead:+.3f}",
    )
    report["dynamodb PutItem journal"] = [without.p50_ms, with_journal.p50_ms]
    for name, by_server in over_http(budget).items():
        moto = by_server["moto_server"]
        for label in ("lambdaport --ephemeral", "lambdaport"):
            ours = by_server[label]
            overhead = ours.p50_ms - moto.p50_ms
            table.add_row(
                name,
                f"HTTP, {label}",
                f"{moto.p50_ms:.3f}",
                f"{ours.p50_ms:.3f}",
                f"{overhead:+.3f}",
            )
            report[f"{name} HTTP {label}"] = [moto.p50_ms, ours.p50_ms]
    Console().print(table)
    if args.recovery:
        for label, value in recovery(args.recovery).items():
            print(f"{args.recovery} PutItems, start {label}: {value:.2f}")
            report[f"recovery {label}"] = value
    print(json.dumps(report))


if __name__ == "__main__":
    main()
