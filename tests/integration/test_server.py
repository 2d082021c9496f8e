"""The server process: health, unknown services, restart persistence, clean shutdown."""

from __future__ import annotations

import json
import os
import signal
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from lambdaport.testing.inprocess import InProcessServer
from lambdaport.testing.server import Server, ServerProcess
from tests.helpers import client_for, client_options, create_function

if TYPE_CHECKING:
    pass


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_health_endpoints(server: Server) -> None:
    for path in ("/_lambdaport/health", "/_localstack/health"):
        status, body = get(server.endpoint + path)
        health = json.loads(body)
        assert status == 200
        assert health["services"]["lambda"] == "running"
        assert health["version"] and health["uptime"] >= 0


def test_unserved_service_gets_an_aws_error(server: Server) -> None:
    import boto3

    # AppFlow: served neither by lambdaport nor by the moto tail.
    appflow = boto3.client("appflow", **client_options(server.endpoint))
    with pytest.raises(ClientError) as excinfo:
        appflow.list_flows()
    assert "appflow" in excinfo.value.response["Error"]["Message"]


def test_unknown_route_is_an_aws_error(server: Server) -> None:
    request = urllib.request.Request(server.endpoint + "/2015-03-31/nothing-here", method="GET")
    try:
        urllib.request.urlopen(request)
    except urllib.error.HTTPError as error:
        assert error.code in (400, 404)
        assert error.headers["x-amzn-ErrorType"]
    else:
        pytest.fail("an unknown route answered 2xx")


def test_everything_survives_a_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    source = "def handler(e, c):\n    return {'version': c.function_version}\n"
    with ServerProcess(data_dir) as first:
        client = client_for(first.endpoint)
        create_function(client, source, name="durable", Tags={"k": "v"})
        client.publish_version(FunctionName="durable")
        client.create_alias(FunctionName="durable", Name="prod", FunctionVersion="1")
        client.add_permission(
            FunctionName="durable",
            StatementId="sns",
            Action="lambda:InvokeFunction",
            Principal="sns.amazonaws.com",
        )
        client.put_function_concurrency(FunctionName="durable", ReservedConcurrentExecutions=7)
        before = client.get_function(FunctionName="durable")
        policy_before = client.get_policy(FunctionName="durable")["Policy"]
    with ServerProcess(data_dir) as second:
        client = client_for(second.endpoint)
        after = client.get_function(FunctionName="durable")
        assert after["Configuration"] == before["Configuration"]
        assert after["Tags"] == {"k": "v"}
        assert after["Concurrency"] == {"ReservedConcurrentExecutions": 7}
        assert client.get_alias(FunctionName="durable", Name="prod")["FunctionVersion"] == "1"
        assert client.get_policy(FunctionName="durable")["Policy"] == policy_before
        response = client.invoke(FunctionName="durable", Qualifier="prod")
        assert json.loads(response["Payload"].read()) == {"version": "1"}
        assert client.publish_version(FunctionName="durable")["Version"] == "1"


def test_sigterm_stops_cleanly_without_orphans(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data")
    server.start()
    try:
        client = client_for(server.endpoint)
        create_function(
            client, "import os\ndef handler(e, c):\n    return os.getpid()\n", name="pid"
        )
        worker_pid = json.loads(client.invoke(FunctionName="pid")["Payload"].read())
        assert os.path.exists(f"/proc/{worker_pid}")
    finally:
        code = server.stop(signal.SIGTERM)
    # uvicorn re-raises the signal after a graceful shutdown, as a well-behaved process does.
    assert code in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in server.log()
    assert not _alive(worker_pid)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_ephemeral_leaves_nothing(tmp_path: Path) -> None:
    server = InProcessServer(tmp_path / "unused", extra_args=("--ephemeral",))
    with server:
        client = client_for(server.endpoint)
        assert client.list_functions()["Functions"] == []
    assert not (tmp_path / "unused").exists()


def test_strict_auth_checks_signatures(tmp_path: Path) -> None:
    import boto3

    with InProcessServer(tmp_path / "data", extra_args=("--strict-auth",)) as server:
        good = client_for(server.endpoint)
        assert good.list_functions()["Functions"] == []
        bad = boto3.client(
            "lambda",
            endpoint_url=server.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="wrong",
        )
        with pytest.raises(ClientError) as excinfo:
            bad.list_functions()
        assert excinfo.value.response["Error"]["Code"] == "InvalidSignatureException"
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        status, _ = get(server.endpoint + "/2015-03-31/functions/")
        assert status == 403


def test_relative_data_dir_as_make_up_uses(tmp_path: Path) -> None:
    """`make up` starts with the default ./.lambdaport: code paths must still resolve."""
    with ServerProcess(Path(".lambdaport"), cwd=tmp_path) as server:
        client = client_for(server.endpoint)
        create_function(client, "def handler(e, c):\n    return 'ok'\n", name="relative")
        response = client.invoke(FunctionName="relative")
        assert "FunctionError" not in response
        assert json.loads(response["Payload"].read()) == "ok"
    assert (tmp_path / ".lambdaport" / "lambdaport.sqlite3").is_file()
