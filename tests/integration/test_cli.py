"""The ``lambdaport`` command as a subprocess: no command prints a traceback. With no server
at the endpoint each says so in one line and exits 2; with something else there, one line and
2; an AWS error (a function that does not exist, a payload that is not JSON) is one line and
exit 1. ``status`` is a summary (version, uptime, functions, services, async queue per
function), ``--services`` lists the services and ``--json`` prints the health document."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from lambdaport.testing.aws import health, wait_drained
from lambdaport.testing.server import Server, free_port
from tests.conftest import MakeFunction
from tests.helpers import HOLD_UNTIL_FILE

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

COMMANDS = (
    ("invoke", "hello"),
    ("invoke", "hello", "--payload", '{"a": 1}', "--qualifier", "prod"),
    ("functions",),
    ("logs", "hello"),
    ("logs", "hello", "--follow"),
    ("status",),
    ("status", "--services"),
    ("status", "--json"),
)


def run_cli(endpoint: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lambdaport", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "LAMBDAPORT_ENDPOINT": endpoint, "COLUMNS": "200"},
        timeout=120,
        check=False,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The command's stderr, asserted to be exactly one line and no traceback."""
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.endswith("\n") and result.stderr.count("\n") == 1, result.stderr
    return result.stderr.rstrip("\n")


@pytest.fixture(scope="module")
def not_lambdaport() -> Iterator[str]:
    """An HTTP server that is not lambdaport: 404 with an HTML page to everything."""

    class Handler(BaseHTTPRequestHandler):
        def answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_error(404)

        do_GET = do_POST = do_PUT = do_DELETE = answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(10)


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_no_server_is_one_line_and_exit_2(args: tuple[str, ...]) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    result = run_cli(endpoint, *args)
    assert result.returncode == 2
    assert one_line(result) == f"lambdaport: no server at {endpoint} (is `lambdaport up` running?)"
    assert result.stdout == ""


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_something_else_at_the_endpoint_is_one_line_and_exit_2(
    not_lambdaport: str, args: tuple[str, ...]
) -> None:
    result = run_cli(not_lambdaport, *args)
    assert result.returncode == 2
    assert one_line(result) == f"lambdaport: no lambdaport at {not_lambdaport}: it answered 404"


def test_an_endpoint_that_is_no_url() -> None:
    result = run_cli("not-a-url", "functions")
    assert result.returncode == 2
    assert one_line(result) == "lambdaport: not an endpoint URL: 'not-a-url'"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("invoke", "no-such-function"), "ResourceNotFoundException: Function not found: "),
        (("logs", "no-such-function"), "ResourceNotFoundException: Function not found: "),
        (
            ("invoke", "no-such-function", "--qualifier", "prod"),
            "ResourceNotFoundException: Function not found: ",
        ),
    ],
)
def test_an_aws_error_is_one_line_and_exit_1(
    server: Server, args: tuple[str, ...], expected: str
) -> None:
    result = run_cli(server.endpoint, *args)
    assert result.returncode == 1
    line = one_line(result)
    assert line.startswith(f"lambdaport: {expected}arn:aws:lambda:us-east-1:"), line
    assert result.stdout == ""


def test_a_payload_that_is_not_json(server: Server, make_function: MakeFunction) -> None:
    name = make_function()
    result = run_cli(server.endpoint, "invoke", name, "--payload", "{not json")
    assert result.returncode == 1
    assert one_line(result).startswith("lambdaport: InvalidRequestContentException: ")


def test_a_payload_file_that_does_not_exist(server: Server, tmp_path: Path) -> None:
    result = run_cli(server.endpoint, "invoke", "f", "--payload", f"@{tmp_path / 'missing'}")
    assert result.returncode == 2  # a usage error, as click reports them
    assert "Traceback" not in result.stderr
    assert "cannot read" in result.stderr and "No such file or directory" in result.stderr


def test_status_is_a_summary(server: Server, make_function: MakeFunction) -> None:
    make_function()
    document = health(server.endpoint)
    result = run_cli(server.endpoint, "status")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"lambdaport {document['version']} at {server.endpoint}"
    labels = ("uptime", "functions", "services", "async queue", "sns")
    fields = {label: line[12:] for line in lines for label in labels if line.startswith(label)}
    assert set(fields) == set(labels), result.stdout
    assert fields["uptime"].endswith("s")
    assert int(fields["functions"]) >= 1
    assert fields["services"] == f"{len(document['services'])} (--services lists them)"
    assert fields["sns"].endswith(" in flight")
    assert "sqs" not in result.stdout.split()


def test_status_services_lists_them(server: Server) -> None:
    result = run_cli(server.endpoint, "status", "--services")
    assert result.returncode == 0, result.stderr
    listed = set(result.stdout.split())
    assert {"lambda", "s3", "sqs", "sns", "logs", "dynamodb"} <= listed
    assert len(set(health(server.endpoint)["services"]) - listed) == 0


def test_status_json_is_the_health_document(server: Server) -> None:
    result = run_cli(server.endpoint, "status", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    expected = health(server.endpoint)
    assert set(document) == set(expected)
    assert document["services"] == expected["services"]
    assert document["version"] == expected["version"]


def test_status_shows_each_function_s_async_queue(
    server: Server, lambda_client: LambdaClient, make_function: MakeFunction, tmp_path: Path
) -> None:
    name = make_function(HOLD_UNTIL_FILE)
    until = tmp_path / "release"
    for _ in range(2):
        lambda_client.invoke(
            FunctionName=name, InvocationType="Event", Payload=json.dumps({"until": str(until)})
        )
    try:
        result = run_cli(server.endpoint, "status")
        assert result.returncode == 0, result.stderr
        (row,) = (line for line in result.stdout.splitlines() if f" {name} " in line)
        cells = [cell.strip() for cell in row.strip("│ ").split("│")]
        assert cells[:4] == [name, "us-east-1", "000000000000", "2"], row
        assert cells[4] in ("1", "2") and cells[5].endswith("s ago"), row
        assert "async queue" in result.stdout
    finally:
        until.touch()
    wait_drained(server.endpoint, 60)


def test_cli_invoke_functions_logs(
    server: Server, lambda_client: LambdaClient, make_function: MakeFunction, tmp_path: Path
) -> None:
    name = make_function(
        "def handler(e, c):\n    print('cli-line', e.get('n'))\n"
        "    if e.get('fail'):\n        raise RuntimeError('nope')\n    return {'n': e['n']}\n"
    )
    ok = run_cli(server.endpoint, "invoke", name, "--payload", '{"n": 5}')
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout) == {"n": 5}
    assert "cli-line 5" in ok.stderr and "REPORT RequestId" in ok.stderr
    payload_file = tmp_path / "event.json"
    payload_file.write_text('{"n": 1, "fail": true}')
    failed = run_cli(server.endpoint, "invoke", name, "--payload", f"@{payload_file}")
    assert failed.returncode == 1
    assert json.loads(failed.stdout)["errorType"] == "RuntimeError"
    listed = run_cli(server.endpoint, "functions")
    assert listed.returncode == 0 and name in listed.stdout
    logs = run_cli(server.endpoint, "logs", name)
    assert logs.returncode == 0
    assert "cli-line 5" in logs.stdout and "START RequestId" in logs.stdout
    status = run_cli(server.endpoint, "status", "--json")
    assert status.returncode == 0 and "lambda" in json.loads(status.stdout)["services"]


def test_cli_logs_follow_sees_new_lines(
    server: Server, lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function("def handler(e, c):\n    print('followed', e['i'])\n")
    follower = subprocess.Popen(
        [sys.executable, "-m", "lambdaport", "logs", name, "--follow"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "LAMBDAPORT_ENDPOINT": server.endpoint},
    )
    try:
        lambda_client.invoke(FunctionName=name, Payload=b'{"i": 42}')
        assert follower.stdout is not None
        for line in follower.stdout:  # blocks until the follower prints; pytest-timeout guards
            if "followed 42" in line:
                break
    finally:
        follower.terminate()
        follower.wait(10)
        if follower.stdout is not None:
            follower.stdout.close()
