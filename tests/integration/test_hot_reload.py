"""Hot reload: a function whose code is a local directory runs edits on the next invoke; the
watch (inotify, off the event loop) never keeps the server from answering, and directories it
must not watch are refused."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from lambdaport.lambda_.code import HOT_RELOAD_FILE_LIMIT
from lambdaport.testing.server import Server
from tests.helpers import ROLE, wait_active, wait_for

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

    from tests.conftest import MakeFunction


def test_edits_are_picked_up(lambda_client: LambdaClient, tmp_path: Path) -> None:
    code = tmp_path / "src"
    code.mkdir()
    (code / "app.py").write_text("def handler(e, c):\n    return 'before'\n")
    lambda_client.create_function(
        FunctionName="hot-fn",
        Runtime="python3.11",
        Role=ROLE,
        Handler="app.handler",
        Code={"S3Bucket": "hot-reload", "S3Key": str(code)},
    )
    try:
        wait_active(lambda_client, "hot-fn")
        first = lambda_client.invoke(FunctionName="hot-fn")["Payload"].read()
        assert json.loads(first) == "before"
        (code / "app.py").write_text("def handler(e, c):\n    return 'after'\n")
        wait_for(
            lambda: (
                json.loads(lambda_client.invoke(FunctionName="hot-fn")["Payload"].read()) == "after"
            ),
            10,
            "the edited code to run",
        )
    finally:
        lambda_client.delete_function(FunctionName="hot-fn")


def _refusal(call: Callable[[], object]) -> dict[str, Any]:
    with pytest.raises(ClientError) as raised:
        call()
    error: dict[str, Any] = dict(raised.value.response["Error"])
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Code"] == "InvalidParameterValueException"
    return error


def _create_hot(client: LambdaClient, name: str, directory: str) -> None:
    client.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=ROLE,
        Handler="app.handler",
        Code={"S3Bucket": "hot-reload", "S3Key": directory},
    )


def test_the_root_directory_is_refused(lambda_client: LambdaClient) -> None:
    error = _refusal(lambda: _create_hot(lambda_client, "hot-root", "/"))
    assert "root directory /" in error["Message"]
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_function(FunctionName="hot-root")


def test_a_directory_above_the_limit_is_refused(
    lambda_client: LambdaClient, make_function: MakeFunction, tmp_path: Path
) -> None:
    big = tmp_path / "big"
    big.mkdir()
    for index in range(HOT_RELOAD_FILE_LIMIT + 1):
        (big / f"f{index}").touch()
    error = _refusal(lambda: _create_hot(lambda_client, "hot-big", str(big)))
    assert f"at most {HOT_RELOAD_FILE_LIMIT} files" in error["Message"]
    name = make_function()
    error = _refusal(
        lambda: lambda_client.update_function_code(
            FunctionName=name, S3Bucket="hot-reload", S3Key=str(big)
        )
    )
    assert str(big) in error["Message"]


def test_a_symbolic_link_loop_is_counted_once(lambda_client: LambdaClient, tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("def handler(e, c):\n    return 'looped'\n")
    (tmp_path / "again").symlink_to(tmp_path)
    _create_hot(lambda_client, "hot-loop", str(tmp_path))
    try:
        wait_active(lambda_client, "hot-loop")
        payload = lambda_client.invoke(FunctionName="hot-loop")["Payload"].read()
        assert json.loads(payload) == "looped"
    finally:
        lambda_client.delete_function(FunctionName="hot-loop")


class _HealthProbe:
    """Asks the server for its health, one request after another, in a thread."""

    def __init__(self, endpoint: str) -> None:
        self._url = endpoint + "/_lambdaport/health"
        self._stop = threading.Event()
        self.answered = 0
        self.failures: list[str] = []
        self._thread = threading.Thread(target=self._run)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with urllib.request.urlopen(self._url, timeout=HEALTH_DEADLINE_S) as response:
                    if response.status == 200:
                        self.answered += 1
            except OSError as e:  # a timeout included
                self.failures.append(repr(e))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


HEALTH_DEADLINE_S = 10.0  # generous: a stalled loop would miss it, a loaded machine not


def test_health_answers_while_a_large_tree_is_watched(
    lambda_client: LambdaClient, server: Server, tmp_path: Path
) -> None:
    code = tmp_path / "large"
    for directory in range(200):
        (code / "tree" / f"d{directory}").mkdir(parents=True)
        for index in range(100):
            (code / "tree" / f"d{directory}" / f"f{index}.txt").touch()
    (code / "lib" / "deep").mkdir(parents=True)
    (code / "lib" / "deep" / "value.py").write_text("VALUE = 'before'\n")
    (code / "app.py").write_text(
        "from lib.deep.value import VALUE\n\ndef handler(e, c):\n    return VALUE\n"
    )
    probe = _HealthProbe(server.endpoint)
    try:
        _create_hot(lambda_client, "hot-large", str(code))
        wait_active(lambda_client, "hot-large")
        first = lambda_client.invoke(FunctionName="hot-large")["Payload"].read()
        assert json.loads(first) == "before"
        (code / "lib" / "deep" / "value.py").write_text("VALUE = 'after'\n")
        wait_for(
            lambda: (
                json.loads(lambda_client.invoke(FunctionName="hot-large")["Payload"].read())
                == "after"
            ),
            30,
            "the edit deep in the tree to run",
        )
        wait_for(lambda: probe.answered >= 3, 30, "health answers")
    finally:
        probe.stop()
        lambda_client.delete_function(FunctionName="hot-large")
    assert probe.failures == []
