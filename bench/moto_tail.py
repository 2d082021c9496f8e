"""The moto tail's overhead: a moto call through lambdaport against the same call to moto.

    python bench/moto_tail.py [--requests N]

Three ways to the same moto code, closed loop, one request in flight:

- in process: moto's Flask app called directly, and the same request through the tail's
  ``call`` on its worker thread (environ, lock, executor hop): the tail's own cost;
- over HTTP: boto3 against lambdaport and against moto's own server (``moto_server``), both
  on 127.0.0.1: what a user sees.

Operations: STS GetCallerIdentity (query/XML) and DynamoDB GetItem (JSON).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from measure import Budget, Summary, measure
from rich.console import Console
from rich.table import Table
from servers import running
from services import client, moto_spec

from lambdaport.services.moto_tail import MotoTail
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
    return {
        "sts GetCallerIdentity": sts.get_caller_identity,
        "dynamodb GetItem": lambda: dynamodb.get_item(TableName=TABLE, Key=KEY),
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


def over_http(budget: Budget) -> dict[str, dict[str, Summary]]:
    results: dict[str, dict[str, Summary]] = {}
    with tempfile.TemporaryDirectory() as scratch, ServerProcess(Path(scratch) / "d") as server:
        for name, call in prepare(server.endpoint).items():
            results.setdefault(name, {})["lambdaport"] = measure(call, budget)
    with running(moto_spec(str(Path(sys.executable).parent / "moto_server"))) as moto:
        for name, call in prepare(moto.endpoint_url).items():
            results.setdefault(name, {})["moto_server"] = measure(call, budget)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=500)
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
    for name, by_server in over_http(budget).items():
        moto, ours = by_server["moto_server"], by_server["lambdaport"]
        overhead = ours.p50_ms - moto.p50_ms
        table.add_row(name, "HTTP", f"{moto.p50_ms:.3f}", f"{ours.p50_ms:.3f}", f"{overhead:+.3f}")
        report[f"{name} HTTP"] = [moto.p50_ms, ours.p50_ms]
    Console().print(table)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
