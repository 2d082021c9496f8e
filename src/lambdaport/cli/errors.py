"""What a command says when it cannot do its work: one line on stderr and an exit code, never
a traceback. Every command that talks to a server takes ``--endpoint`` through
:func:`endpoint_option`, which also maps whatever the call raised to that line."""

from __future__ import annotations

import functools
import os
import socket
import sys
import urllib.error
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click
import orjson
from botocore import exceptions as botocore_errors

from lambdaport.cli.client import DEFAULT_ENDPOINT

FAILED = 1  # the server answered an error, or the function failed (invoke)
NO_SERVER = 2  # no lambdaport answered at the endpoint (click's usage errors are 2 as well)

MAX_LINE = 400

F = TypeVar("F", bound=Callable[..., Any])


class CliError(Exception):
    def __init__(self, message: str, exit_code: int = FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def fail(message: str, exit_code: int = FAILED) -> NoReturn:
    """Print ``lambdaport: message`` as one line on stderr and exit."""
    line = " ".join(message.split())
    if len(line) > MAX_LINE:
        line = line[: MAX_LINE - 3] + "..."
    click.echo(f"lambdaport: {line}", err=True)
    sys.exit(exit_code)


def explain(error: Exception, endpoint: str) -> CliError:
    """The one line (and exit code) for an error a command met talking to ``endpoint``."""
    no_server = CliError(f"no server at {endpoint} (is `lambdaport up` running?)", NO_SERVER)
    if isinstance(error, botocore_errors.ClientError):
        details = error.response.get("Error", {})
        code = str(details.get("Code") or "")
        if not code or code.isdigit():  # no AWS error in the body: not lambdaport answering
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", code)
            return CliError(f"no lambdaport at {endpoint}: it answered {status}", NO_SERVER)
        return CliError(f"{code}: {details.get('Message') or error}")
    if isinstance(error, botocore_errors.ReadTimeoutError | TimeoutError | socket.timeout):
        return CliError(f"no answer from {endpoint} in time")
    if isinstance(error, urllib.error.HTTPError):
        return _http_error(error, endpoint)
    if isinstance(
        error,
        botocore_errors.EndpointConnectionError
        | botocore_errors.ConnectionClosedError
        | botocore_errors.ConnectTimeoutError
        | urllib.error.URLError
        | ConnectionError,
    ):
        return no_server
    if isinstance(error, orjson.JSONDecodeError):
        return CliError(f"no lambdaport at {endpoint}: it answered no JSON", NO_SERVER)
    if isinstance(error, ValueError) and (
        "endpoint" in str(error).lower() or "url" in str(error).lower()
    ):
        return CliError(f"not an endpoint URL: {endpoint!r}", NO_SERVER)
    hint = "" if os.environ.get("LAMBDAPORT_DEBUG") else " (LAMBDAPORT_DEBUG=1 shows where)"
    return CliError(f"unexpected {type(error).__name__}: {error}{hint}")


def _http_error(error: urllib.error.HTTPError, endpoint: str) -> CliError:
    try:
        message = orjson.loads(error.read()).get("message")
    except (orjson.JSONDecodeError, AttributeError, OSError):
        message = None
    if message is None:  # lambdaport's own endpoints always answer JSON
        return CliError(f"no lambdaport at {endpoint}: it answered {error.code}", NO_SERVER)
    return CliError(f"the server answered {error.code}: {message}")


def endpoint_option(command: F) -> F:
    """``--endpoint`` (env ``LAMBDAPORT_ENDPOINT``), and errors met talking to it as one line."""

    @functools.wraps(command)
    def run(*args: Any, endpoint: str, **kwargs: Any) -> Any:
        try:
            return command(*args, endpoint=endpoint, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as error:
            if os.environ.get("LAMBDAPORT_DEBUG"):
                raise
            explained = explain(error, endpoint)
            fail(explained.message, explained.exit_code)

    option = click.option(
        "--endpoint",
        envvar="LAMBDAPORT_ENDPOINT",
        default=DEFAULT_ENDPOINT,
        show_default=True,
        help="The lambdaport server (env LAMBDAPORT_ENDPOINT).",
    )
    return option(run)  # type: ignore[return-value]
