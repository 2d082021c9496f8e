"""The invoke benchmark: lambdaport against the floor of this machine and against ministack.

    python bench/invoke.py [--requests N] [--warmup N] [--only lambdaport|ministack|floor]...
                           [--load-seconds S] [--cold N] [--no-standbys-series]
                           [--lambdaport-cmd "lambdaport up"] [--ministack-python PATH]

`make bench` runs it. Everything it starts listens on 127.0.0.1 on a free port and is
stopped when it is done, on an exception or on Ctrl-C. The figures are printed as a table
and written to bench/.work/invoke-results.json.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from types import FrameType

from floor import DEFAULT_RESPONSE, FixedResponse, Floor, measure_floor
from load import have_wrk
from measure import Budget
from report import RunResult, machine_info, print_report, to_json, to_markdown
from rich.console import Console
from servers import ServerStartError, running
from systems import (
    SystemResult,
    lambdaport_spec,
    measure_cold_only,
    measure_system,
    ministack_spec,
)

BENCH_DIR = Path(__file__).resolve().parent
WORK_DIR = BENCH_DIR / ".work"
RESULTS_PATH = WORK_DIR / "invoke-results.json"
PARTS = ("lambdaport", "floor", "ministack")
# The environment of the second lambdaport, whose cold starts fork (no standby environments).
NO_STANDBYS = {"LAMBDAPORT_PYTHON_STANDBYS": "0"}


@dataclass(frozen=True)
class Options:
    budget: Budget
    cold: int
    parts: tuple[str, ...]
    lambdaport_cmd: str
    ministack_python: str | None
    results_path: Path
    verbose: bool
    load_seconds: float | None = None  # None: no saturation series (no wrk, or 0)
    standbys_series: bool = True


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description="lambdaport invoke benchmark")
    parser.add_argument("--requests", type=int, default=2000, help="measured requests a series")
    parser.add_argument("--warmup", type=int, default=200, help="warm-up requests a series")
    parser.add_argument(
        "--max-seconds", type=float, default=12.0, help="wall-time cap of one series (default 12)"
    )
    parser.add_argument(
        "--cold", type=int, default=20, help="cold starts timed (distinct functions)"
    )
    parser.add_argument(
        "--only", action="append", choices=PARTS, help="run only this part (repeatable)"
    )
    parser.add_argument(
        "--lambdaport-cmd",
        default=f"{Path(sys.executable).parent / 'lambdaport'} up",
        help="command that starts lambdaport; --host/--port/--data-dir are appended",
    )
    parser.add_argument(
        "--ministack-python", help="Python that has ministack==1.5.33 installed (auto-detected)"
    )
    parser.add_argument(
        "--load-seconds",
        type=float,
        default=5.0,
        help="measured seconds of each saturation series (wrk, 8 and 32 connections); 0: none",
    )
    parser.add_argument(
        "--no-standbys-series",
        action="store_true",
        help="skip the cold starts of a second lambdaport without standby environments",
    )
    parser.add_argument("--results", type=Path, default=RESULTS_PATH, help="JSON output path")
    parser.add_argument("--verbose", action="store_true", help="print progress to stderr")
    args = parser.parse_args(argv)
    return Options(
        budget=Budget(warmup=args.warmup, requests=args.requests, max_seconds=args.max_seconds),
        cold=args.cold,
        parts=tuple(args.only) if args.only else PARTS,
        lambdaport_cmd=args.lambdaport_cmd,
        ministack_python=args.ministack_python,
        results_path=args.results,
        verbose=args.verbose,
        load_seconds=args.load_seconds if args.load_seconds > 0 and have_wrk() else None,
        standbys_series=not args.no_standbys_series,
    )


def _has_ministack(python: str) -> bool:
    probe = subprocess.run(
        [python, "-c", "import ministack"], capture_output=True, check=False, timeout=60
    )
    return probe.returncode == 0


def find_ministack_python(explicit: str | None) -> str | None:
    """The given Python, else the bench venv's, else this one, whichever has ministack."""
    if explicit:
        return explicit
    bench_venv = WORK_DIR / "venv" / "bin" / "python"
    if bench_venv.exists() and _has_ministack(str(bench_venv)):
        return str(bench_venv)
    if importlib.util.find_spec("ministack") is not None:
        return sys.executable
    return None


def _version_of(python: str, package: str) -> str:
    code = f"import importlib.metadata as m; print(m.version({package!r}))"
    probe = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    return probe.stdout.strip() or "unknown"


def _installed_version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _log(console: Console, message: str) -> None:
    console.print(f"[dim]{message}[/]")


def run_lambdaport(options: Options, work_dir: Path, console: Console) -> SystemResult:
    executable = shlex.split(options.lambdaport_cmd)[0]
    if shutil.which(executable) is None and not Path(executable).exists():
        raise ServerStartError(f"lambdaport command not found: {executable}")
    with running(lambdaport_spec(options.lambdaport_cmd, work_dir)) as server:
        _log(console, f"lambdaport healthy in {server.startup_seconds:.2f} s; measuring")
        result = measure_system(
            server, "lambdaport", options.budget, options.cold, options.verbose,
            options.load_seconds,
        )  # fmt: skip
    if not options.standbys_series:
        return result
    spec = lambdaport_spec(options.lambdaport_cmd, work_dir, NO_STANDBYS, "lambdaport-no-standbys")
    with running(spec) as server:
        _log(console, "lambdaport without standby environments: cold starts")
        cold = measure_cold_only(server, options.cold, options.verbose)
    return replace(result, cold_without_standbys=cold)


def run_ministack(python: str, options: Options, work_dir: Path, console: Console) -> SystemResult:
    with running(ministack_spec(python, work_dir)) as server:
        _log(console, f"ministack healthy in {server.startup_seconds:.2f} s; measuring")
        return measure_system(server, "ministack", options.budget, options.cold, options.verbose)


def run_floor(options: Options, work_dir: Path, response: FixedResponse, console: Console) -> Floor:
    _log(console, f"floor: bare uvicorn answering {response.source}; pipe round trip")
    return measure_floor(work_dir, response, options.budget, options.load_seconds)


def _attempt(
    name: str,
    measure_it: Callable[[], SystemResult],
    options: Options,
    console: Console,
    failures: dict[str, str],
) -> SystemResult | None:
    """Measure one system; when other parts run too, a failure is recorded, not fatal."""
    try:
        return measure_it()
    except Exception as error:
        if len(options.parts) == 1:
            raise
        reason = (str(error).splitlines() or [type(error).__name__])[0]
        failures[name] = reason
        console.print(f"[yellow]{name} not measured: {error}[/]")
        console.print_exception()
        return None


def run(options: Options, console: Console) -> RunResult:
    systems: dict[str, SystemResult] = {}
    failures: dict[str, str] = {}
    floor: Floor | None = None
    response = DEFAULT_RESPONSE
    ministack_python = find_ministack_python(options.ministack_python)
    extra = {"uvicorn": importlib.metadata.version("uvicorn")}
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=WORK_DIR, prefix="run-") as scratch:
        work_dir = Path(scratch)
        if "lambdaport" in options.parts:
            extra["lambdaport"] = _installed_version("lambdaport")
            lambdaport = _attempt(
                "lambdaport",
                partial(run_lambdaport, options, work_dir, console),
                options,
                console,
                failures,
            )
            if lambdaport is not None:
                systems["lambdaport"] = lambdaport
                captured = lambdaport.silent_response
                response = FixedResponse.captured(captured, "lambdaport's own (captured)")
        if "floor" in options.parts:
            floor = run_floor(options, work_dir, response, console)
        if "ministack" in options.parts:
            if ministack_python is None:
                failures["ministack"] = "ministack==1.5.33 not installed (pip install it)"
            else:
                extra["ministack"] = _version_of(ministack_python, "ministack")
                ministack = _attempt(
                    "ministack",
                    partial(run_ministack, ministack_python, options, work_dir, console),
                    options,
                    console,
                    failures,
                )
                if ministack is not None:
                    systems["ministack"] = ministack
    for part in ("lambdaport", "ministack"):
        if part not in options.parts:
            failures.setdefault(part, "not selected (--only)")
    settings: dict[str, str | float] = {
        "lambdaport_cmd": options.lambdaport_cmd,
        "requests": options.budget.requests,
        "warmup": options.budget.warmup,
        "max_seconds_per_series": options.budget.max_seconds,
        "cold_starts": options.cold,
        "load_seconds": options.load_seconds or 0.0,
    }
    return RunResult(
        machine=machine_info(extra),
        settings=settings,
        systems=systems,
        failures=failures,
        floor=floor,
    )


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    # Ctrl-C and SIGTERM both unwind through the `with` blocks that stop the servers, even
    # when started from a shell that ignores SIGINT for background jobs.
    signal.signal(signal.SIGINT, _raise_interrupt)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    console = Console()
    if not console.is_terminal:
        console = Console(width=120)
    try:
        result = run(options, console)
    except ServerStartError as error:
        console.print(f"[red]{error}[/]")
        return 1
    except KeyboardInterrupt:
        console.print("[red]interrupted; every server started has been stopped[/]")
        return 130
    print_report(result, console)
    options.results_path.parent.mkdir(parents=True, exist_ok=True)
    options.results_path.write_text(json.dumps(to_json(result), indent=2) + "\n")
    markdown_path = options.results_path.with_suffix(".md")
    markdown_path.write_text(to_markdown(result))
    console.print(f"results written to {options.results_path} and {markdown_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
