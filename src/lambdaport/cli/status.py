"""``lambdaport status``: the health document as a short summary for people."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.columns import Columns
from rich.console import Console
from rich.table import Table


def duration(seconds: float) -> str:
    """``3.2s``, ``4m 05s``, ``2h 03m 04s``, ``3d 02h 01m``."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours:02d}h {minutes:02d}m"
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    return f"{minutes}m {secs:02d}s"


def _plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {words or word + 's'}"


def summary_lines(health: Mapping[str, Any], endpoint: str, *, list_services: bool) -> list[str]:
    services: Mapping[str, str] = health.get("services") or {}
    queue = health.get("asyncQueue") or {}
    queued = queue.get("functions") or []
    not_running = sum(1 for state in services.values() if state != "running")
    service_line = f"{len(services)}" + (f" ({not_running} not running)" if not_running else "")
    if not list_services:
        service_line += " (--services lists them)"
    lines = [
        f"lambdaport {health.get('version', '?')} at {endpoint}",
        f"{'uptime':<12}{duration(float(health.get('uptime', 0)))}",
        f"{'functions':<12}{health.get('functions', 0)}",
        f"{'services':<12}{service_line}",
        f"{'async queue':<12}{_plural(int(queue.get('depth', 0)), 'event')}"
        + (f" for {_plural(len(queued), 'function')}" if queued else ""),
    ]
    sns = health.get("sns")
    if sns is not None:
        lines.append(
            f"{'sns':<12}{_plural(sns['deliveriesInFlight'], 'delivery', 'deliveries')} in flight"
        )
    mappings = health.get("eventSourceMappings")
    if mappings:
        in_flight = sum(int(m.get("recordsInFlight", 0)) for m in mappings)
        lines.append(
            f"{'mappings':<12}{_plural(len(mappings), 'poller')}, "
            f"{_plural(in_flight, 'record')} in flight"
        )
    return lines


def print_status(
    console: Console, health: Mapping[str, Any], endpoint: str, *, list_services: bool
) -> None:
    for line in summary_lines(health, endpoint, list_services=list_services):
        console.print(line, markup=False, highlight=False)
    queued = (health.get("asyncQueue") or {}).get("functions") or []
    if queued:
        table = Table("function", "region", "account", "events", "running", "oldest event")
        for entry in queued:
            arn = str(entry["functionArn"]).split(
                ":", 6
            )  # arn:aws:lambda:REGION:ACCOUNT:function:NAME
            table.add_row(
                arn[-1],
                arn[3],
                arn[4],
                str(entry["depth"]),
                str(entry["running"]),
                f"{duration(float(entry['oldestEventAgeSeconds']))} ago",
            )
        console.print(table)
    mappings = health.get("eventSourceMappings") or []
    if mappings:
        table = Table("mapping", "source", "function", "invoked", "ok", "failed", "filtered")
        for entry in mappings:
            table.add_row(
                str(entry["uuid"]),
                str(entry["eventSourceArn"]).rsplit(":", 1)[-1],
                str(entry["functionArn"]).split(":", 6)[-1],
                str(entry["recordsInvoked"]),
                str(entry["recordsSucceeded"]),
                str(entry["recordsFailed"]),
                str(entry["recordsFilteredOut"]),
            )
        console.print(table)
    if list_services:
        services: Mapping[str, str] = health.get("services") or {}
        names = [n if s == "running" else f"{n} ({s})" for n, s in sorted(services.items())]
        console.print(Columns(names, padding=(0, 2)), markup=False, highlight=False)
