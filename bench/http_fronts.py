"""The HTTP fronts benchmark: a GET through a REST API proxy integration, an HTTP API 2.0
route and a function URL, beside a direct raw Invoke of the same function and the bare-HTTP
floor, on lambdaport and on ministack (which serves the same through its path forms), in one
run.

    python bench/http_fronts.py [--requests N] [--clients 32] [--only lambdaport|ministack|floor]...

Every series is closed-loop over reused keep-alive ``http.client`` connections: with one
client (one request in flight; a system's series take turns in rounds of 50, so the noise of
a loaded machine falls on each alike) and with ``--clients`` concurrent clients (one thread
and one connection each, all started together); latency is per request, throughput the
requests completed over the series' wall time. The function is a silent handler answering
``{"statusCode": 200, "body": "{\"ok\": true}"}`` (a proxy answer all three fronts read);
the HTTP API's route is ``GET /bench`` on the ``$default`` stage with a Lambda proxy
integration (payload 2.0); the REST API's resource ``/bench``, method ``GET`` (no
authorization), a Lambda proxy integration (``AWS_PROXY``) deployed to stage ``prod``; the
URL's AuthType NONE with both permission statements. lambdaport also serves a
WebSocket API whose ``$default`` route is two-way (a ``$default`` route response): a series
is one message sent and its answer received on an open connection (the ``websockets``
client), one connection per client. Everything listens on 127.0.0.1 on a free port and is
stopped at the end.
Results: a table, and ``bench/.work/http-fronts-results.json`` / ``.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import signal
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import boto3
from botocore.config import Config
from clients import AUTHORIZATION, FunctionSpec, deploy, lambda_client
from floor import DEFAULT_RESPONSE, bare_http_spec
from invoke import find_ministack_python
from measure import Budget, Summary, summarise
from report import machine_info
from rich.console import Console
from rich.table import Table
from servers import HOST, RunningServer, ServerStartError, running
from systems import lambdaport_spec, ministack_spec
from websockets.sync.client import connect as ws_connect

BENCH_DIR = Path(__file__).resolve().parent
WORK_DIR = BENCH_DIR / ".work"
RESULTS_PATH = WORK_DIR / "http-fronts-results.json"
PARTS = ("lambdaport", "floor", "ministack")
REGION = "us-east-1"
ACCOUNT = "000000000000"


@dataclass(frozen=True)
class Options:
    budget: Budget
    clients: int
    per_client: int
    parts: tuple[str, ...]
    lambdaport_cmd: str
    ministack_python: str | None
    results_path: Path


@dataclass(frozen=True)
class Row:
    system: str
    series: str
    clients: int
    summary: Summary | None
    note: str = ""


def parse_options(argv: list[str] | None = None) -> Options:
    bin_dir = Path(sys.executable).parent
    parser = argparse.ArgumentParser(description="lambdaport HTTP fronts benchmark")
    parser.add_argument("--requests", type=int, default=2000, help="measured requests, 1 client")
    parser.add_argument("--warmup", type=int, default=200, help="warm-up requests a series")
    parser.add_argument("--max-seconds", type=float, default=10.0, help="wall-time cap a series")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients")
    parser.add_argument("--per-client", type=int, default=100, help="requests per client")
    parser.add_argument("--only", action="append", choices=PARTS, help="repeatable")
    parser.add_argument("--lambdaport-cmd", default=f"{bin_dir / 'lambdaport'} up")
    parser.add_argument("--ministack-python", help="Python with ministack (auto-detected)")
    parser.add_argument("--results", type=Path, default=RESULTS_PATH)
    args = parser.parse_args(argv)
    return Options(
        budget=Budget(args.warmup, args.requests, args.max_seconds),
        clients=args.clients,
        per_client=args.per_client,
        parts=tuple(args.only) if args.only else PARTS,
        lambdaport_cmd=args.lambdaport_cmd,
        ministack_python=args.ministack_python,
        results_path=args.results,
    )


class KeepAlive:
    """One reused connection sending one fixed request; reconnects once if the server
    closed the idle connection."""

    def __init__(self, port: int, method: str, path: str, headers: dict[str, str], body: bytes):
        self._connection = http.client.HTTPConnection(HOST, port, timeout=60)
        self._request = (method, path, body, headers)

    def _send(self) -> int:
        method, path, body, headers = self._request
        self._connection.request(method, path, body=body, headers=headers)
        response = self._connection.getresponse()
        response.read()
        return response.status

    def __call__(self) -> int:
        try:
            status = self._send()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            self._connection.close()
            status = self._send()
        if status != 200:
            raise RuntimeError(f"{self._request[0]} {self._request[1]} answered {status}")
        return status

    def close(self) -> None:
        self._connection.close()


class WebSocketRoundTrip:
    """One open WebSocket connection; a call is a message sent and its answer received."""

    def __init__(self, port: int, url: str) -> None:
        sock = socket.create_connection((HOST, port), timeout=60)
        self._open = contextlib.ExitStack()
        self._connection = self._open.enter_context(
            ws_connect(url, sock=sock, open_timeout=60, max_size=None)
        )

    def __call__(self) -> int:
        self._connection.send("{}")
        answer = self._connection.recv(timeout=60)
        if answer != '{"ok":true}' and answer != '{"ok": true}':
            raise RuntimeError(f"the WebSocket route answered {answer!r}")
        return 200

    def close(self) -> None:
        self._open.close()


Target = Callable[[], KeepAlive | WebSocketRoundTrip]


def concurrent(make: Target, clients: int, per_client: int, warmup: int) -> Summary:
    """``clients`` threads, each with its own connection, ``per_client`` requests each."""
    samples: list[list[int]] = [[] for _ in range(clients)]
    errors: list[BaseException] = []
    ready = threading.Barrier(clients + 1)
    done = threading.Barrier(clients + 1)

    def work(index: int) -> None:
        call = make()
        try:
            for _ in range(warmup):
                call()
            ready.wait()
            clock = time.perf_counter_ns
            mine = samples[index]
            for _ in range(per_client):
                before = clock()
                call()
                mine.append(clock() - before)
        except BaseException as failure:  # reported after the run
            errors.append(failure)
            ready.abort()
        finally:
            call.close()
            with contextlib.suppress(threading.BrokenBarrierError):
                done.wait()

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    with contextlib.suppress(threading.BrokenBarrierError):
        ready.wait()
    started = time.perf_counter_ns()
    with contextlib.suppress(threading.BrokenBarrierError):
        done.wait()
    elapsed = time.perf_counter_ns() - started
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{len(errors)} clients failed: {errors[0]!r}")
    return summarise([s for mine in samples for s in mine], elapsed)


def cpu_seconds(pid: int) -> float:
    """The user and system CPU time ``pid`` has used (``/proc/PID/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def interleaved(
    calls: dict[str, KeepAlive | WebSocketRoundTrip], budget: Budget, pid: int, per_round: int = 50
) -> tuple[dict[str, Summary], dict[str, float]]:
    """One client per series, the series taking turns in rounds of ``per_round`` requests
    (the order rotating each round), so a loaded machine's noise falls on all of them alike;
    each series' throughput is its requests over its own share of the time. Also the
    server's CPU time per request of each series (µs; its functions run in other processes)."""
    for call in calls.values():
        for _ in range(budget.warmup):
            call()
    names = list(calls)
    samples: dict[str, list[int]] = {name: [] for name in names}
    spent = dict.fromkeys(names, 0)
    cpu = dict.fromkeys(names, 0.0)
    clock = time.perf_counter_ns
    deadline = clock() + int(budget.max_seconds * 1e9) * len(names)
    turn = 0
    while len(samples[names[0]]) < budget.requests and clock() < deadline:
        order = names[turn % len(names) :] + names[: turn % len(names)]
        for name in order:
            call, mine = calls[name], samples[name]
            cpu_before = cpu_seconds(pid)
            started = clock()
            for _ in range(per_round):
                before = clock()
                call()
                mine.append(clock() - before)
            spent[name] += clock() - started
            cpu[name] += cpu_seconds(pid) - cpu_before
        turn += 1
    summaries = {name: summarise(samples[name], spent[name]) for name in names}
    return summaries, {name: cpu[name] / len(samples[name]) * 1e6 for name in names}


def _series(
    rows: list[Row], system: str, targets: dict[str, Target], options: Options, pid: int
) -> None:
    singles = {name: make() for name, make in targets.items()}
    try:
        summaries, cpu = interleaved(singles, options.budget, pid)
        for name, summary in summaries.items():
            rows.append(Row(system, name, 1, summary, f"server CPU {cpu[name]:.0f} µs/request"))
    finally:
        for single in singles.values():
            single.close()
    warmup = max(1, options.budget.warmup // options.clients)
    for name, make in targets.items():
        summary = concurrent(make, options.clients, options.per_client, warmup)
        rows.append(Row(system, name, options.clients, summary))


def _client(service: str, endpoint: str) -> Any:
    config = Config(region_name=REGION, retries={"total_max_attempts": 1, "mode": "standard"})
    session: Any = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION
    )
    return session.client(service, endpoint_url=endpoint, config=config)


@dataclass(frozen=True)
class Fronts:
    function: str
    api_id: str
    url_id: str
    rest_api_id: str


REST_STAGE = "prod"
# The silent handler, answering in the proxy shape every front reads (a REST API's proxy
# integration refuses any other answer).
PROXY_SILENT = FunctionSpec(
    "proxy silent",
    'def handler(event, context):\n    return {"statusCode": 200, "body": \'{"ok": true}\'}\n',
)


def rest_api(endpoint: str, name: str) -> str:
    """A REST API with ``GET /bench`` through a Lambda proxy integration, deployed."""
    apigateway = _client("apigateway", endpoint)
    api_id = str(apigateway.create_rest_api(name=name)["id"])
    root = next(r for r in apigateway.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    resource = apigateway.create_resource(restApiId=api_id, parentId=root["id"], pathPart="bench")
    where = {"restApiId": api_id, "resourceId": resource["id"], "httpMethod": "GET"}
    apigateway.put_method(**where, authorizationType="NONE")
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    apigateway.put_integration(
        **where,
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}/invocations",
    )
    apigateway.create_deployment(restApiId=api_id, stageName=REST_STAGE)
    return api_id


def set_up(server: RunningServer) -> Fronts:
    """The silent function, its URL (NONE, both statements) and an HTTP API route to it."""
    endpoint = server.endpoint_url
    lam = lambda_client(endpoint)
    name = f"http-bench-{uuid.uuid4().hex[:8]}"
    deploy(lam, name, PROXY_SILENT)
    url = lam.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    lam.add_permission(
        FunctionName=name,
        StatementId="url",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    lam.add_permission(
        FunctionName=name,
        StatementId="url-invoke",
        Action="lambda:InvokeFunction",
        Principal="*",
        InvokedViaFunctionUrl=True,
    )
    apigw = _client("apigatewayv2", endpoint)
    api_id = apigw.create_api(Name=name, ProtocolType="HTTP")["ApiId"]
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    integration = apigw.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=arn,
        PayloadFormatVersion="2.0",
    )["IntegrationId"]
    apigw.create_route(ApiId=api_id, RouteKey="GET /bench", Target=f"integrations/{integration}")
    apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    lam.add_permission(
        FunctionName=name,
        StatementId="api",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*",
    )
    rest_api_id = rest_api(endpoint, name)
    lam.add_permission(
        FunctionName=name,
        StatementId="rest-api",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{rest_api_id}/*",
    )
    url_id = url.split("//", 1)[1].split(".", 1)[0]
    return Fronts(name, api_id, url_id, rest_api_id)


def set_up_websocket(server: RunningServer, function: str) -> str:
    """A WebSocket API whose two-way ``$default`` route goes to ``function``; its id."""
    apigw = _client("apigatewayv2", server.endpoint_url)
    api_id = apigw.create_api(
        Name=function, ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}"
    integration = apigw.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=arn
    )["IntegrationId"]
    route = apigw.create_route(
        ApiId=api_id, RouteKey="$default", Target=f"integrations/{integration}"
    )["RouteId"]
    apigw.create_route_response(ApiId=api_id, RouteId=route, RouteResponseKey="$default")
    apigw.create_stage(ApiId=api_id, StageName="bench", AutoDeploy=True)
    lambda_client(server.endpoint_url).add_permission(
        FunctionName=function,
        StatementId="websocket-api",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*",
    )
    return str(api_id)


def run_system(server: RunningServer, options: Options, rows: list[Row], host_form: bool) -> None:
    system, port = server.spec.name, server.port
    fronts = set_up(server)
    invoke_path = f"/2015-03-31/functions/{fronts.function}/invocations"
    invoke_headers = {"Authorization": AUTHORIZATION, "Content-Type": "application/json"}
    if host_form:  # lambdaport: the addresses FunctionUrl and the index give
        api = ("/bench", {"Host": f"{fronts.api_id}.execute-api.localhost:{port}"})
        url = ("/", {"Host": f"{fronts.url_id}.lambda-url.{REGION}.localhost:{port}"})
        rest = (
            f"/{REST_STAGE}/bench",
            {"Host": f"{fronts.rest_api_id}.execute-api.localhost:{port}"},
        )
    else:  # ministack: its path forms
        api = (f"/_aws/execute-api/{fronts.api_id}/bench", {})
        url = (f"/_aws/lambda-url/{fronts.url_id}/", {})
        rest = (f"/_aws/execute-api/{fronts.rest_api_id}/{REST_STAGE}/bench", {})
    targets: dict[str, Target] = {
        "raw Invoke": lambda: KeepAlive(port, "POST", invoke_path, invoke_headers, b"{}"),
        "REST API GET (proxy)": lambda: KeepAlive(port, "GET", *rest, b""),
        "HTTP API GET (2.0)": lambda: KeepAlive(port, "GET", *api, b""),
        "function URL GET": lambda: KeepAlive(port, "GET", *url, b""),
    }
    if host_form:  # lambdaport: a WebSocket API too (ministack serves none)
        ws_api = set_up_websocket(server, fronts.function)
        ws_url = f"ws://{ws_api}.execute-api.localhost:{port}/bench"
        targets["WebSocket $default round trip"] = lambda: WebSocketRoundTrip(port, ws_url)
    _series(rows, system, targets, options, server.pid)


def run_floor(work_dir: Path, options: Options, rows: list[Row]) -> None:
    with running(bare_http_spec(work_dir, DEFAULT_RESPONSE)) as server:
        headers = {"Authorization": AUTHORIZATION, "Content-Type": "application/json"}
        path = "/2015-03-31/functions/floor/invocations"
        targets: dict[str, Target] = {
            "bare uvicorn": lambda: KeepAlive(server.port, "POST", path, headers, b"{}")
        }
        _series(rows, "floor", targets, options, server.pid)


def table(rows: list[Row]) -> Table:
    out = Table(title="HTTP fronts (closed loop, keep-alive)")
    for column in ("system", "series", "clients", "p50 ms", "p99 ms", "req/s", "n", "note"):
        out.add_column(column)
    for row in rows:
        s = row.summary
        if s is None:
            out.add_row(row.system, row.series, str(row.clients), "-", "-", "-", "-", row.note)
            continue
        out.add_row(
            row.system,
            row.series,
            str(row.clients),
            f"{s.p50_ms:.3f}",
            f"{s.p99_ms:.3f}",
            f"{s.throughput_rps:,.0f}",
            str(s.count),
            row.note,
        )
    return out


def overheads(rows: list[Row]) -> dict[str, float]:
    """p50 of each front minus the raw Invoke's, per system and client count (ms)."""
    found: dict[str, float] = {}
    base = {(r.system, r.clients): r.summary for r in rows if r.series == "raw Invoke"}
    for row in rows:
        raw = base.get((row.system, row.clients))
        if row.series == "raw Invoke" or raw is None or row.summary is None:
            continue
        key = f"{row.system} {row.series} x{row.clients}"
        found[key] = round(row.summary.p50_ms - raw.p50_ms, 3)
    return found


def markdown(rows: list[Row], extra: dict[str, float]) -> str:
    lines = [
        "| system | series | clients | p50 ms | p99 ms | req/s | note |",
        "|---|---|---|---:|---:|---:|---|",
    ]
    for row in rows:
        s = row.summary
        if s is None:
            lines.append(
                f"| {row.system} | {row.series} | {row.clients} | - | - | - | {row.note} |"
            )
        else:
            lines.append(
                f"| {row.system} | {row.series} | {row.clients} | {s.p50_ms:.3f} | "
                f"{s.p99_ms:.3f} | {s.throughput_rps:,.0f} | {row.note} |"
            )
    lines += ["", "| p50 over raw Invoke | ms |", "|---|---|"]
    lines += [f"| {key} | {value:+.3f} |" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    console = Console()
    signal.signal(signal.SIGTERM, _raise_interrupt)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="http-fronts-bench-") as work:
        work_dir = Path(work)
        if "lambdaport" in options.parts:
            with running(lambdaport_spec(options.lambdaport_cmd, work_dir)) as server:
                run_system(server, options, rows, host_form=True)
        if "floor" in options.parts:
            run_floor(work_dir, options, rows)
        if "ministack" in options.parts:
            python = find_ministack_python(options.ministack_python)
            if python is None:
                rows.append(Row("ministack", "all", 0, None, "not installed"))
            else:
                try:
                    with running(ministack_spec(python, work_dir)) as server:
                        run_system(server, options, rows, host_form=False)
                except (ServerStartError, RuntimeError) as failure:
                    rows.append(Row("ministack", "all", 0, None, f"failed: {failure}"[:200]))
    console.print(table(rows))
    extra = overheads(rows)
    for key, value in extra.items():
        console.print(f"{key}: {value:+.3f} ms p50 over raw Invoke")
    options.results_path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "machine": machine_info({}),
        "rows": [{**asdict(r), "summary": asdict(r.summary) if r.summary else None} for r in rows],
        "overheads_ms": extra,
    }
    options.results_path.write_text(json.dumps(document, indent=2))
    options.results_path.with_suffix(".md").write_text(markdown(rows, extra))
    return 0


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
