"""The benchmark's output: the machine, the figures table, the ratios against the targets, JSON."""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from floor import Floor
from load import LoadSummary
from measure import Summary
from rich.console import Console
from rich.table import Table
from systems import CLIENTS, FUNCTIONS, NODE_COLD_SPACING_S, SystemResult

# issue 13: warm raw p50 within 0.10 ms of the bare-uvicorn floor (was 0.3), cold start
# p50 at most 3 ms (was under 30), and with 32 connections at least half the floor's rate.
TARGET_OVERHEAD_MS = 0.10
TARGET_SPEEDUP = 10.0
TARGET_COLD_MS = 3.0
TARGET_LOAD_CONNECTIONS = 32
TARGET_LOAD_SHARE = 0.5
TARGET_NODE_OVERHEAD_MS = 0.1  # issue 12: Node.js warm overhead within 0.1 ms of Python's
TARGET_NODE_COLD_MS = 40.0  # issue 12: Node.js cold start under 40 ms


@dataclass(frozen=True)
class Ratio:
    name: str
    value: float | None
    target: str
    met: bool | None
    # The best value the figure could reach on this machine (a server costing nothing).
    ceiling: float | None = None


@dataclass(frozen=True)
class RunResult:
    """Everything one run measured; a system that did not run is in `failures` with why."""

    machine: dict[str, str]
    settings: dict[str, str | float]
    systems: dict[str, SystemResult] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    floor: Floor | None = None


def machine_info(extra: dict[str, str]) -> dict[str, str]:
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "nproc": str(os.cpu_count()),
        "cpu_model": model,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        **extra,
    }


def ratios(result: RunResult) -> list[Ratio]:
    lambdaport = result.systems.get("lambdaport")
    ministack = result.systems.get("ministack")
    found: list[Ratio] = []
    overhead = None
    if lambdaport is not None and result.floor is not None:
        raw_p50 = lambdaport.warm_p50("raw", "silent")
        overhead = None if raw_p50 is None else raw_p50 - result.floor.bare_http.p50_ms
    found.append(
        Ratio(
            "lambdaport raw p50 - bare-HTTP floor p50 (ms, silent)",
            overhead,
            f"<= {TARGET_OVERHEAD_MS}",
            None if overhead is None else overhead <= TARGET_OVERHEAD_MS,
            0.0,
        )
    )
    for function in FUNCTIONS:
        speedup = None
        ceiling = None
        theirs = None if ministack is None else ministack.warm_p50("boto3", function.label)
        if theirs is not None and result.floor is not None:
            ceiling = theirs / result.floor.bare_http_boto3.p50_ms
        if lambdaport is not None and ministack is not None:
            ours = lambdaport.warm_p50("boto3", function.label)
            theirs = ministack.warm_p50("boto3", function.label)
            if ours and theirs:
                speedup = theirs / ours
        found.append(
            Ratio(
                f"ministack / lambdaport warm p50 via boto3 ({function.label})",
                speedup,
                f">= {TARGET_SPEEDUP:.0f}x",
                None if speedup is None else speedup >= TARGET_SPEEDUP,
                ceiling,
            )
        )
    cold = None if lambdaport is None else lambdaport.cold.p50_ms
    found.append(
        Ratio(
            "lambdaport cold start p50 (ms)",
            cold,
            f"<= {TARGET_COLD_MS:.0f}",
            None if cold is None else cold <= TARGET_COLD_MS,
        )
    )
    forked = None if lambdaport is None else lambdaport.cold_without_standbys
    found.append(
        Ratio(
            "lambdaport cold start p50 without standby environments (ms)",
            None if forked is None else forked.p50_ms,
            "- (the fork it saves)",
            None,
        )
    )
    found.extend(_load_ratios(result))
    found.extend(_node_ratios(lambdaport))
    return found


def _load_of(series: tuple[LoadSummary, ...], connections: int) -> LoadSummary | None:
    return next((s for s in series if s.connections == connections and s.ok), None)


def _load_ratios(result: RunResult) -> list[Ratio]:
    """lambdaport's saturation rate as a share of the bare floor's, per connection count."""
    lambdaport = result.systems.get("lambdaport")
    found = []
    counts = sorted({s.connections for s in result.floor.load} if result.floor else set())
    for count in counts or [TARGET_LOAD_CONNECTIONS]:
        ours = None if lambdaport is None else _load_of(lambdaport.load, count)
        floor = None if result.floor is None else _load_of(result.floor.load, count)
        share = (
            None if ours is None or floor is None else ours.throughput_rps / floor.throughput_rps
        )
        target = count == TARGET_LOAD_CONNECTIONS
        found.append(
            Ratio(
                f"lambdaport invokes/s / bare-uvicorn req/s, {count} connections",
                share,
                f">= {TARGET_LOAD_SHARE}" if target else "-",
                None if share is None or not target else share >= TARGET_LOAD_SHARE,
                1.0,
            )
        )
    return found


def _node_ratios(lambdaport: SystemResult | None) -> list[Ratio]:
    """Node.js against Python on lambdaport: the warm overhead (raw client, silent) and the
    cold start."""
    overhead = None
    if lambdaport is not None:
        node = lambdaport.warm_p50("raw", "node silent")
        python = lambdaport.warm_p50("raw", "silent")
        overhead = None if node is None or python is None else node - python
    cold = spaced = python_cold = None
    if lambdaport is not None:
        python_cold = lambdaport.cold.p50_ms
    if lambdaport is not None and lambdaport.cold_node is not None:
        cold = lambdaport.cold_node.p50_ms
    if lambdaport is not None and lambdaport.cold_node_spaced is not None:
        spaced = lambdaport.cold_node_spaced.p50_ms
    return [
        Ratio(
            "lambdaport Node.js - Python warm p50, raw (ms, silent)",
            overhead,
            f"<= {TARGET_NODE_OVERHEAD_MS}",
            None if overhead is None else overhead <= TARGET_NODE_OVERHEAD_MS,
        ),
        Ratio(
            "lambdaport Node.js cold start p50, back to back (ms)",
            cold,
            f"< {TARGET_NODE_COLD_MS:.0f}",
            None if cold is None else cold < TARGET_NODE_COLD_MS,
        ),
        Ratio(
            f"lambdaport Node.js cold start p50, {NODE_COLD_SPACING_S:.0f} s apart (ms)",
            spaced,
            f"< {TARGET_NODE_COLD_MS:.0f}",
            None if spaced is None else spaced < TARGET_NODE_COLD_MS,
        ),
        Ratio(  # the same machine's load on both: what the absolute figures cannot show
            f"lambdaport Node.js cold start, {NODE_COLD_SPACING_S:.0f} s apart / Python's",
            None if spaced is None or python_cold is None else spaced / python_cold,
            "-",
            None,
        ),
    ]


def _summary_row(system: str, series: str, summary: Summary) -> list[str]:
    return [
        system,
        series,
        f"{summary.p50_ms:.3f}",
        f"{summary.p99_ms:.3f}",
        f"{summary.throughput_rps:,.0f}",
        str(summary.count),
    ]


def _load_rows(system: str, what: str, series: tuple[LoadSummary, ...]) -> list[list[str]]:
    rows = []
    for load in series:
        label = f"{what}, {load.connections} connections (wrk)"
        if not load.ok:
            label += f" FAILED: {load.errors} errors, {load.non_2xx} non-2xx"
        rows.append(
            [system, label, f"{load.p50_ms:.3f}", f"{load.p99_ms:.3f}",
             f"{load.throughput_rps:,.0f}", str(load.requests)]
        )  # fmt: skip
    return rows


def figure_rows(result: RunResult) -> list[list[str]]:
    rows: list[list[str]] = []
    floor = result.floor
    if floor is not None:
        rows.append(_summary_row("floor", "bare uvicorn, raw client", floor.bare_http))
        rows.append(_summary_row("floor", "bare uvicorn, boto3 client", floor.bare_http_boto3))
        rows.append(_summary_row("floor", "pipe round trip, as scheduled", floor.pipe))
        rows.append(_summary_row("floor", "pipe round trip, same CPU", floor.pipe_same_cpu))
        rows.extend(_load_rows("floor", "bare uvicorn", floor.load))
    for name in ("lambdaport", "ministack"):
        system = result.systems.get(name)
        if system is None:
            reason = result.failures.get(name, "not run")
            rows.append([name, f"pending: {reason[:70]}", "-", "-", "-", "-"])
            continue
        for client in CLIENTS:
            for function in FUNCTIONS:
                for figure in system.warm:
                    if figure.client == client and figure.function == function.label:
                        label = f"warm {client}, {function.label}"
                        rows.append(_summary_row(name, label, figure.summary))
        rows.extend(_load_rows(name, "raw Invoke, silent", system.load))
        cold = system.cold
        rows.append(
            [name, "cold start (first invoke), raw", f"{cold.p50_ms:.3f}", f"{cold.p99_ms:.3f}",
             "-", str(cold.count)]
        )  # fmt: skip
        forked = system.cold_without_standbys
        if forked is not None:
            rows.append(
                [name, "cold start (first invoke), raw, no standby environments",
                 f"{forked.p50_ms:.3f}", f"{forked.p99_ms:.3f}", "-", str(forked.count)]
            )  # fmt: skip
        node_series = (
            ("cold start (first invoke), raw, node, back to back", system.cold_node),
            (f"cold start (first invoke), raw, node, {NODE_COLD_SPACING_S:.0f} s apart",
             system.cold_node_spaced),
        )  # fmt: skip
        for label, node in node_series:
            if node is not None:
                rows.append(
                    [name, label, f"{node.p50_ms:.3f}", f"{node.p99_ms:.3f}", "-",
                     str(node.count)]
                )  # fmt: skip
        rows.extend([name, f"note: {note}", "-", "-", "-", "-"] for note in system.notes)
    return rows


def figures_table(result: RunResult) -> Table:
    table = Table(title="Invoke latency (ms) and throughput: one client, or N connections (wrk)")
    for column in ("system", "series", "p50 ms", "p99 ms", "req/s", "n"):
        table.add_column(column, justify="left" if column in ("system", "series") else "right")
    for row in figure_rows(result):
        table.add_row(*row)
    return table


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _met(ratio: Ratio, no: str) -> str:
    if ratio.target == "-":  # a figure without a target (a comparison)
        return "-"
    return "pending" if ratio.met is None else ("yes" if ratio.met else no)


def ratios_table(found: list[Ratio]) -> Table:
    table = Table(title="Against the targets")
    for column in ("figure", "value", "target", "met", "best possible here"):
        table.add_column(column)
    for ratio in found:
        met = _met(ratio, "NO")
        table.add_row(ratio.name, _number(ratio.value), ratio.target, met, _number(ratio.ceiling))
    return table


def print_report(result: RunResult, console: Console) -> None:
    machine = result.machine
    console.print(
        f"[bold]machine[/]: {machine['nproc']} CPUs, {machine['cpu_model']}, "
        f"Python {machine['python']}"
    )
    if result.floor is not None:
        console.print(f"bare-HTTP floor answers: {result.floor.response_source}")
    console.print(figures_table(result))
    console.print(ratios_table(ratios(result)))


def to_json(result: RunResult) -> dict[str, Any]:
    systems: dict[str, Any] = {}
    for name, system in result.systems.items():
        systems[name] = {
            "status": "ok",
            "startup_seconds": system.startup_seconds,
            "warm": [
                {"client": f.client, "function": f.function, **dataclasses.asdict(f.summary)}
                for f in system.warm
            ],
            "cold_start": dataclasses.asdict(system.cold),
            "cold_start_node": None
            if system.cold_node is None
            else dataclasses.asdict(system.cold_node),
            "cold_start_node_spaced": None
            if system.cold_node_spaced is None
            else dataclasses.asdict(system.cold_node_spaced),
            "notes": list(system.notes),
            "load": [dataclasses.asdict(load) for load in system.load],
            "cold_start_without_standbys": None
            if system.cold_without_standbys is None
            else dataclasses.asdict(system.cold_without_standbys),
        }
    for name, reason in result.failures.items():
        systems[name] = {"status": "not run", "reason": reason}
    return {
        "machine": result.machine,
        "settings": result.settings,
        "floor": None if result.floor is None else dataclasses.asdict(result.floor),
        "systems": systems,
        "ratios": [dataclasses.asdict(ratio) for ratio in ratios(result)],
    }


def _markdown_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def to_markdown(result: RunResult) -> str:
    """The figures and the ratios as Markdown tables, for docs/benchmarks.md."""
    lines = [_markdown_row(["system", "series", "p50 ms", "p99 ms", "req/s", "n"])]
    lines.append(_markdown_row(["---", "---", "---:", "---:", "---:", "---:"]))
    lines += [_markdown_row(row) for row in figure_rows(result)]
    lines += ["", _markdown_row(["figure", "value", "target", "met", "best possible here"])]
    lines.append(_markdown_row(["---", "---:", "---", "---", "---:"]))
    for ratio in ratios(result):
        met = _met(ratio, "no")
        cells = [ratio.name, _number(ratio.value), ratio.target, met, _number(ratio.ceiling)]
        lines.append(_markdown_row(cells))
    return "\n".join(lines) + "\n"


# -- a table of rows, on the terminal and in the results' .md (bench/esm.py, services.py) ------


def _numeric(header: str) -> bool:
    return header.endswith(("ms", "/s", "n"))


def rows_markdown(headers: Sequence[str], cells: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |"]
    lines.append("| " + " | ".join("---:" if _numeric(h) else "---" for h in headers) + " |")
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines) + "\n"


def print_rows(
    title: str,
    headers: Sequence[str],
    cells: Sequence[Sequence[str]],
    failures: Mapping[str, str],
    console: Console,
) -> None:
    table = Table(title=title)
    for header in headers:
        table.add_column(header, justify="right" if _numeric(header) else "left")
    for row in cells:
        table.add_row(*row)
    console.print(table)
    for name, reason in failures.items():
        console.print(f"[yellow]{name}: not measured ({reason})[/]")


def write_results(path: Path, result: Mapping[str, Any], markdown: str, console: Console) -> None:
    """``result`` as JSON at ``path``, the table beside it (``.md``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    path.with_suffix(".md").write_text(markdown)
    console.print(f"results written to {path} (and .md)")
