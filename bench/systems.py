"""The servers under test, lambdaport and ministack, and the figures measured on each.

Both are measured the same way: the silent and the printing function, in Python and in
Node.js, are created through boto3 and waited on until Active; each is invoked warm through
boto3 and through the raw keep-alive client; then cold start is timed as the first invoke of
each of N freshly created (and Active) functions, Python's and Node.js's; Node.js's twice: back
to back, and spaced ``NODE_COLD_SPACING_S`` apart (the way a developer's cold starts come,
which leaves a standby process the time to start). A system that cannot
run the Node.js functions (no Node.js here, or no support) is measured without them and says
why in ``notes``.
"""

from __future__ import annotations

import json
import shlex
import sys
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from clients import (
    NODE_PRINTING,
    NODE_SILENT,
    PRINTING,
    SILENT,
    FunctionSpec,
    RawInvoker,
    RawResponse,
    deploy,
    lambda_client,
)
from load import LoadSummary, measure_load
from measure import Budget, Summary, measure, summarise, time_once
from mypy_boto3_lambda import LambdaClient
from servers import HOST, LOG_DIR, RunningServer, ServerSpec, SpecOrReason, free_port

CLIENTS = ("boto3", "raw")
PYTHON_FUNCTIONS = (SILENT, PRINTING)
NODE_FUNCTIONS = (NODE_SILENT, NODE_PRINTING)
FUNCTIONS = (*PYTHON_FUNCTIONS, *NODE_FUNCTIONS)
NODE_COLD_SPACING_S = 1.0


@dataclass(frozen=True)
class WarmFigure:
    client: str
    function: str
    summary: Summary


@dataclass(frozen=True)
class SystemResult:
    """Everything measured on one server in one run."""

    system: str
    startup_seconds: float
    warm: tuple[WarmFigure, ...]
    cold: Summary
    silent_response: RawResponse
    cold_node: Summary | None = None
    cold_node_spaced: Summary | None = None
    notes: tuple[str, ...] = ()
    # Saturation series (``load.py``): raw Invoke of the silent function, N connections.
    load: tuple[LoadSummary, ...] = ()
    # Cold starts again on a server without standby environments (``--no-standbys`` run).
    cold_without_standbys: Summary | None = None

    def warm_p50(self, client: str, function: str) -> float | None:
        for figure in self.warm:
            if figure.client == client and figure.function == function:
                return figure.summary.p50_ms
        return None


def lambdaport_spec(
    command: str, work_dir: Path, env: dict[str, str] | None = None, name: str = "lambdaport"
) -> ServerSpec:
    port = free_port()
    data_dir = work_dir / f"{name}-data"
    argv = (
        *shlex.split(command),
        "--host",
        HOST,
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
    )
    return ServerSpec(
        name=name,
        argv=argv,
        port=port,
        health_path="/_lambdaport/health",
        log_path=LOG_DIR / f"{name}.log",
        env=env or {},
        start_timeout=180.0,  # a deadline: on a machine shared with test suites, 60 s is short
    )


def server_specs(
    lambdaport_cmd: str, ministack_python: str | None, work_dir: Path
) -> dict[str, SpecOrReason]:
    """lambdaport and ministack as ``servers.measure_each`` takes them (ministack: the
    Python ``invoke.find_ministack_python`` found, or why not)."""
    return {
        "lambdaport": partial(lambdaport_spec, lambdaport_cmd, work_dir),
        "ministack": partial(ministack_spec, ministack_python, work_dir)
        if ministack_python
        else "ministack==1.5.33 not installed",
    }


def ministack_spec(python: str, work_dir: Path) -> ServerSpec:
    """ministack from its installed package, bound to the loopback, Lambda run locally."""
    port = free_port()
    tmp_dir = work_dir / "ministack-tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    env = {
        "GATEWAY_PORT": str(port),
        "BIND_HOST": HOST,
        "MINISTACK_HOST": HOST,
        "LAMBDA_EXECUTOR": "local",
        "LOG_LEVEL": "WARNING",
        "TMPDIR": str(tmp_dir),
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    return ServerSpec(
        name="ministack",
        argv=(python, "-m", "ministack"),
        port=port,
        health_path="/_ministack/health",
        log_path=LOG_DIR / "ministack.log",
        env=env,
    )


def _check_raw(response: RawResponse, name: str) -> None:
    errors = [v for k, v in response.headers if k.lower() == "x-amz-function-error"]
    if response.status != 200 or errors or json.loads(response.body) != {"ok": True}:
        raise RuntimeError(
            f"raw invoke of {name} answered {response.status} {errors} {response.body[:300]!r}"
        )


def _invoke_boto3(client: LambdaClient, name: str) -> bytes:
    response = client.invoke(FunctionName=name, Payload=b"{}")
    body = response["Payload"].read()
    if "FunctionError" in response:
        raise RuntimeError(f"boto3 invoke of {name}: {response['FunctionError']} {body[:300]!r}")
    return body


def _measure_warm(
    client: LambdaClient,
    raw: RawInvoker,
    names: dict[str, str],
    budget: Budget,
    functions: tuple[FunctionSpec, ...],
) -> list[WarmFigure]:
    figures: list[WarmFigure] = []
    for function in functions:
        name = names[function.label]
        _check_raw(raw.invoke(name), name)
        if json.loads(_invoke_boto3(client, name)) != {"ok": True}:
            raise RuntimeError(f"boto3 invoke of {name} did not return the handler's result")
        boto3_summary = measure(partial(_invoke_boto3, client, name), budget)
        figures.append(WarmFigure("boto3", function.label, boto3_summary))
        raw_summary = measure(partial(raw.invoke, name), budget)
        figures.append(WarmFigure("raw", function.label, raw_summary))
    return figures


def _measure_cold(
    client: LambdaClient,
    raw: RawInvoker,
    prefix: str,
    count: int,
    log: bool,
    function: FunctionSpec = SILENT,
    spacing_s: float = 0.0,
) -> Summary:
    samples: list[int] = []
    for index in range(count):
        name = f"{prefix}-cold-{index}"
        if spacing_s:
            time.sleep(spacing_s)  # the series' spacing, not a wait for a condition
        deploy(client, name, function)
        elapsed, response = time_once(partial(raw.invoke, name))
        samples.append(elapsed)
        _check_raw(response, name)
        if log:
            print(f"  cold start {index + 1}/{count}: {samples[-1] / 1e6:.1f} ms", file=sys.stderr)
    return summarise(samples, sum(samples))


def measure_cold_only(server: RunningServer, cold_count: int, verbose: bool) -> Summary:
    """Python cold starts alone (the series of a second server, configured otherwise)."""
    client = lambda_client(server.endpoint_url)
    try:
        with RawInvoker(HOST, server.port) as raw:
            return _measure_cold(client, raw, "bench", cold_count, verbose)
    finally:
        client.close()


def invocations_url(server: RunningServer, name: str) -> str:
    return f"{server.endpoint_url}/2015-03-31/functions/{name}/invocations"


def measure_system(
    server: RunningServer,
    system: str,
    budget: Budget,
    cold_count: int,
    verbose: bool,
    load_seconds: float | None = None,
) -> SystemResult:
    """Every series on one server; with ``load_seconds``, the saturation series too."""
    client = lambda_client(server.endpoint_url)
    names = {f.label: f"bench-{f.label.replace(' ', '-')}" for f in FUNCTIONS}
    for function in PYTHON_FUNCTIONS:
        deploy(client, names[function.label], function)
    notes: list[str] = []
    with RawInvoker(HOST, server.port) as raw:
        warm = _measure_warm(client, raw, names, budget, PYTHON_FUNCTIONS)
        silent_response = raw.invoke(names[SILENT.label])
        _check_raw(silent_response, names[SILENT.label])
        load: tuple[LoadSummary, ...] = ()
        if load_seconds is not None:
            load = measure_load(invocations_url(server, names[SILENT.label]), load_seconds)
        cold = _measure_cold(client, raw, "bench", cold_count, verbose)
        cold_node = cold_node_spaced = None
        try:
            for function in NODE_FUNCTIONS:
                deploy(client, names[function.label], function)
            warm += _measure_warm(client, raw, names, budget, NODE_FUNCTIONS)
            cold_node = _measure_cold(client, raw, "bench-node", cold_count, verbose, NODE_SILENT)
            cold_node_spaced = _measure_cold(
                client, raw, "bench-node-spaced", cold_count, verbose, NODE_SILENT,
                NODE_COLD_SPACING_S,
            )  # fmt: skip
        except Exception as error:  # the system cannot run Node.js functions: say why
            reason = (str(error).splitlines() or [type(error).__name__])[0]
            notes.append(f"Node.js not measured: {reason[:200]}")
    client.close()
    return SystemResult(
        system,
        server.startup_seconds,
        tuple(warm),
        cold,
        silent_response,
        cold_node=cold_node,
        cold_node_spaced=cold_node_spaced,
        notes=tuple(notes),
        load=load,
    )
