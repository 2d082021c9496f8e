"""The ``lambdaport`` command: ``up`` runs the server; the rest talk to one over HTTP."""

from __future__ import annotations

import base64
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import orjson
from rich.console import Console
from rich.table import Table

from lambdaport.cli.client import get_json, lambda_client
from lambdaport.cli.errors import FAILED, endpoint_option
from lambdaport.cli.status import print_status

if TYPE_CHECKING:
    from lambdaport.config import Settings

console = Console()
err_console = Console(stderr=True)

data_dir_option = click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="The server's data directory, whose token --strict-auth asks for "
    "(env LAMBDAPORT_DATA_DIR) [default: ./.lambdaport].",
)


@click.group()
@click.version_option(package_name="lambdaport")
def main() -> None:
    """lambdaport: AWS Lambda and its triggers on your machine, without Docker."""


@main.command()
@click.option("--host", default=None, help="Address to listen on [default: 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port [default: 4566].")
@click.option(
    "--data-dir", type=click.Path(path_type=Path), default=None, help="[default: ./.lambdaport]"
)
@click.option("--ephemeral", is_flag=True, default=None, help="Keep nothing after exit.")
@click.option("--strict-auth", is_flag=True, default=None, help="Verify SigV4 signatures.")
@click.option("--config", "config_file", type=click.Path(path_type=Path), default=None)
@click.option("--log-level", default=None, help="debug, info, warning [default: info].")
@click.option(
    "--async-delay-scale",
    type=float,
    default=None,
    help="Multiply async retry delays, backoff and maximum event age (0.01: 1 min -> 0.6 s) "
    "[default: 1].",
)
@click.option(
    "--allowed-origins",
    default=None,
    help="Browser origins allowed besides localhost's, comma-separated; '*' allows all.",
)
@click.option(
    "--allowed-hosts",
    default=None,
    help="Host names allowed besides loopback, localhost and AWS-style virtual hosts, "
    "comma-separated ('*.example.test' patterns; '*' allows all).",
)
@click.option(
    "--request-idle-timeout",
    type=float,
    default=None,
    help="Seconds a request body may stall before RequestTimeout [default: 20].",
)
@click.option(
    "--function-paths",
    type=click.Choice(["directories", "aws"]),
    default=None,
    help="Where functions see their code, layers and /tmp: the data dir's directories, or "
    "AWS's /var/task, /opt and a private /tmp through a mount namespace [default: directories].",
)
@click.option(
    "--websocket-timeout-scale",
    type=float,
    default=None,
    help="Multiply WebSocket APIs' idle (10 min) and maximum-duration (2 h) timeouts [default: 1].",
)
def up(
    host: str | None,
    port: int | None,
    data_dir: Path | None,
    ephemeral: bool | None,
    strict_auth: bool | None,
    config_file: Path | None,
    log_level: str | None,
    async_delay_scale: float | None,
    allowed_origins: str | None,
    allowed_hosts: str | None,
    request_idle_timeout: float | None,
    function_paths: str | None,
    websocket_timeout_scale: float | None,
) -> None:
    """Start the server (Ctrl-C or SIGTERM stops it cleanly)."""
    import uvicorn

    from lambdaport.app import create_app
    from lambdaport.gateway.log_handler import BatchingStreamHandler
    from lambdaport.http_fronts.websocket.connections import MAX_MESSAGE as WEBSOCKET_MAX_MESSAGE

    settings = _up_settings(
        host=host,
        port=port,
        data_dir=data_dir,
        ephemeral=ephemeral,
        strict_auth=strict_auth,
        config_file=config_file,
        log_level=log_level,
        async_delay_scale=async_delay_scale,
        allowed_origins=allowed_origins,
        allowed_hosts=allowed_hosts,
        request_idle_timeout=request_idle_timeout,
        function_paths=function_paths,
        websocket_timeout_scale=websocket_timeout_scale,
    )
    # The request log line is on the hot path: a plain format (rich's costs ~1 ms) written in
    # batches (one write per line costs a system call and a wake-up of the reader).
    handler = BatchingStreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter(
            "%(asctime)s.%(msecs)03d %(levelname)-5s %(name)s %(message)s", datefmt="%H:%M:%S"
        )
    )
    logging.basicConfig(level=settings.log_level.upper(), handlers=[handler])
    app = create_app(settings)
    where = "a temporary directory" if settings.ephemeral else str(settings.data_dir)
    logging.getLogger("lambdaport").info(
        "lambdaport listening on %s (data in %s)", settings.endpoint_url, where
    )
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        proxy_headers=False,  # nothing reads the client address; saves a middleware a request
        log_config=None,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=5,
        ws_max_size=WEBSOCKET_MAX_MESSAGE,
    )
    try:
        uvicorn.Server(config).run()
    finally:
        handler.flush()


def _up_settings(*, config_file: Path | None, **flags: Any) -> Settings:
    from lambdaport.config import load_settings

    return load_settings(flags, config_file=config_file)


def up_settings(args: Sequence[str]) -> Settings:
    """The settings ``lambdaport up ARGS`` runs with (for a server embedded in a process,
    such as ``lambdaport.testing.inprocess``)."""
    with up.make_context("up", list(args)) as context:
        return _up_settings(**context.params)


def _payload(value: str | None) -> bytes:
    if value is None:
        return b"{}"
    if value.startswith("@"):
        try:
            return Path(value[1:]).read_bytes()
        except OSError as error:
            raise click.BadParameter(f"cannot read {value[1:]}: {error.strerror}") from None
    return value.encode()


@main.command()
@click.argument("name")
@click.option("--payload", default=None, help="JSON, or @file to read it from a file.")
@click.option("--qualifier", default=None, help="A version or alias.")
@endpoint_option
def invoke(name: str, payload: str | None, qualifier: str | None, endpoint: str) -> None:
    """Invoke a function synchronously and print its result and log tail (exit 1 when the
    function fails)."""
    body = _payload(payload)
    client = lambda_client(endpoint)
    kwargs: dict[str, Any] = {"FunctionName": name, "Payload": body, "LogType": "Tail"}
    if qualifier:
        kwargs["Qualifier"] = qualifier
    response = client.invoke(**kwargs)
    log = base64.b64decode(response.get("LogResult", "")).decode(errors="replace")
    if log:
        err_console.print(log.rstrip("\n"), style="dim", markup=False, highlight=False)
    result = response["Payload"].read().decode(errors="replace")
    console.print(result, markup=False, highlight=False, soft_wrap=True)
    if response.get("FunctionError"):
        sys.exit(FAILED)


@main.command()
@endpoint_option
def functions(endpoint: str) -> None:
    """List the functions."""
    client = lambda_client(endpoint)
    table = Table("Name", "Runtime", "Handler", "Memory", "Timeout", "State", "Last modified")
    for page in client.get_paginator("list_functions").paginate():
        for fn in page["Functions"]:
            table.add_row(
                fn["FunctionName"],
                fn.get("Runtime", ""),
                fn.get("Handler", ""),
                str(fn.get("MemorySize", "")),
                str(fn.get("Timeout", "")),
                fn.get("State", ""),
                fn.get("LastModified", "")[:19].replace("T", " "),
            )
    console.print(table)


def _print_events(events: list[dict[str, Any]]) -> None:
    for event in events:
        stamp = datetime.fromtimestamp(event["timestamp"] / 1000, UTC).strftime("%H:%M:%S.%f")
        message = event["message"].rstrip("\n")
        console.print(f"[dim]{stamp[:-3]}[/dim] ", end="")
        console.print(message, markup=False, highlight=False)


@main.command()
@click.argument("name")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines.")
@click.option("--lines", "-n", default=100, show_default=True, help="How many past lines.")
@endpoint_option
@data_dir_option
def logs(name: str, follow: bool, lines: int, endpoint: str, data_dir: Path | None) -> None:
    """Print a function's log (START/END/REPORT lines and its output)."""
    query = {"function": name, "after": str(-lines)}
    answer = get_json(endpoint, "/_lambdaport/logs", query, data_dir=data_dir)
    if not answer["events"]:
        # Nothing logged yet, or no such function: say which (a deleted function's log
        # group outlives it, so this is asked only when there is nothing to show).
        lambda_client(endpoint).get_function_configuration(FunctionName=name)
    _print_events(answer["events"])
    try:
        while follow:
            answer = get_json(
                endpoint,
                "/_lambdaport/logs",
                {"function": name, "after": str(answer["last"]), "wait": "20"},
                data_dir=data_dir,
            )
            _print_events(answer["events"])
    except KeyboardInterrupt:
        pass


@main.command()
@click.option("--services", "list_services", is_flag=True, help="List the services too.")
@click.option("--json", "as_json", is_flag=True, help="Print the raw health document.")
@endpoint_option
@data_dir_option
def status(list_services: bool, as_json: bool, endpoint: str, data_dir: Path | None) -> None:
    """Show the server's version, uptime, functions, async queues and services."""
    health = get_json(endpoint, "/_lambdaport/health", data_dir=data_dir)
    if as_json:
        click.echo(orjson.dumps(health, option=orjson.OPT_INDENT_2).decode())
        return
    print_status(console, health, endpoint, list_services=list_services)
