"""The README's examples, run as written against a fresh server (in this process; only the
port differs): the quickstart with the AWS CLI (with the venv's v1 and with the system's v2,
Debian 12's 2.9, which reads no ``AWS_ENDPOINT_URL``) followed by lambdaport's own CLI in the
same shell, the boto3 quickstart, the Services section's upload that triggers a function,
and the CloudFormation section's stack deployed with ``aws cloudformation deploy``."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lambdaport.testing.aws import wait_drained
from lambdaport.testing.inprocess import InProcessServer
from lambdaport.testing.server import Server
from tests.helpers import AWS_CLI, aws_cli_v2

README = Path(__file__).resolve().parents[2] / "README.md"
README_ENDPOINT = "http://127.0.0.1:4566"
VENV = Path(sys.executable).parent.parent


def block_after(heading: str, language: str) -> str:
    text = README.read_text()
    section = text[text.index(heading) :]
    match = re.search(rf"```{language}\n(.*?)```", section, re.DOTALL)
    assert match is not None, f"no {language} block after {heading!r}"
    return match.group(1)


def quickstart_shell() -> str:
    """The quickstart's first paragraph: the shell every later block assumes."""
    return block_after("### With the AWS CLI", "sh").split("\n\n")[0]


@pytest.fixture(params=["v1", "v2"])
def aws_cli(request: pytest.FixtureRequest) -> str:
    """The AWS CLI a README block runs with: the venv's v1 (from PyPI) or the system's v2."""
    if request.param == "v1":
        return str(AWS_CLI)
    found = aws_cli_v2()
    if found is None:
        pytest.skip("no AWS CLI v2 (LAMBDAPORT_AWS_CLI_V2, /usr/bin/aws on Debian 12)")
    return found


def run_sh(
    script: str, cwd: Path, server: Server, aws_cli: str
) -> subprocess.CompletedProcess[str]:
    """Run a README shell block in ``cwd`` with ``aws_cli`` as ``aws`` and the venv as
    ``.venv`` (its tools next on PATH), none of this process's ``AWS_*`` variables."""
    tools = cwd / ".tools"
    tools.mkdir(exist_ok=True)
    if not (tools / "aws").exists():
        (tools / "aws").symlink_to(aws_cli)
    if not (cwd / ".venv").exists():
        (cwd / ".venv").symlink_to(VENV)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAMBDAPORT_"))}
    env["PATH"] = f"{tools}:{VENV / 'bin'}:{os.environ['PATH']}"
    env["LAMBDAPORT_ENDPOINT"] = server.endpoint  # the README's CLI uses the default endpoint
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script.replace(README_ENDPOINT, server.endpoint)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        check=False,
    )


def test_the_quickstart_then_lambdaport_s_cli(tmp_path: Path, aws_cli: str) -> None:
    quickstart = block_after("### With the AWS CLI", "sh")
    own_cli = block_after("### With lambdaport's own CLI", "sh")
    with InProcessServer(tmp_path / "data") as server:
        result = run_sh(f"{quickstart}\n{own_cli}", tmp_path, server, aws_cli)
    assert result.returncode == 0, result.stderr
    version = "aws-cli/1." if aws_cli == str(AWS_CLI) else "aws-cli/2."
    assert result.stdout.startswith(version) or result.stderr.startswith(version)
    assert "hello from hello" in result.stdout
    assert "REPORT RequestId" in result.stdout
    assert '{"greeting": "hello lambdaport"}' in result.stdout  # out.json
    # lambdaport's CLI: the table, the two invokes (the second through the prod alias), the
    # log and the status summary.
    assert re.search(r"│ hello\s+│ python3\.12", result.stdout), result.stdout
    assert '{"greeting": "hello you"}' in result.stdout
    assert result.stdout.count('{"greeting": "hello lambdaport"}') == 2
    assert "START RequestId" in result.stdout
    assert re.search(r"^functions\s+1$", result.stdout, re.MULTILINE), result.stdout


def test_quickstart_with_boto3(tmp_path: Path) -> None:
    with InProcessServer(tmp_path / "data") as server:
        code = block_after("### With boto3", "python").replace(README_ENDPOINT, server.endpoint)
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "b'{\"sum\": 5}'"


def test_function_settings_example(tmp_path: Path) -> None:
    """Function settings: provisioned concurrency READY and serving, recursion control."""
    with InProcessServer(tmp_path / "data") as server:
        code = block_after("## Function settings", "python")
        result = subprocess.run(
            [sys.executable, "-c", code.replace(README_ENDPOINT, server.endpoint)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["b'\"provisioned-concurrency\"'", "Allow"]


def test_a_node_function(tmp_path: Path) -> None:
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed")
    with InProcessServer(tmp_path / "data") as server:
        code = block_after("### A Node.js function", "python")
        code = code.replace(README_ENDPOINT, server.endpoint)
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        answer = ast.literal_eval(result.stdout.strip())
        assert answer["hello"] == "node" and answer["buckets"] == 0
        assert answer["node"].startswith("v")


def test_services_an_upload_triggers_a_function(tmp_path: Path, aws_cli: str) -> None:
    """In the quickstart's shell; the block's last command reads the function's log, which
    the asynchronous invocation fills a moment later: it runs once the server is drained."""
    shell = quickstart_shell()
    setup, _, check = block_after("## Services", "sh").rpartition("\naws logs ")
    with InProcessServer(tmp_path / "data") as server:
        result = run_sh(f"{shell}\n{setup}", tmp_path, server, aws_cli)
        assert result.returncode == 0, result.stderr
        wait_drained(server.endpoint, 60)
        logged = run_sh(f"{shell}\naws logs {check}", tmp_path, server, aws_cli)
        assert logged.returncode == 0, logged.stderr
        assert "uploaded photos incoming/on_upload.py" in logged.stdout


def test_layers_a_function_imports_from_its_layer(tmp_path: Path, aws_cli: str) -> None:
    """The Layers and extensions section's block, in the quickstart's shell."""
    with InProcessServer(tmp_path / "data") as server:
        block = block_after("## Layers and extensions", "sh")
        result = run_sh(f"{quickstart_shell()}\n{block}", tmp_path, server, aws_cli)
    assert result.returncode == 0, result.stderr
    assert '{"word": "from a layer"}' in result.stdout


def test_sqs_a_message_triggers_a_function(tmp_path: Path, aws_cli: str) -> None:
    """The SQS section's example in the quickstart's shell: the log is read once the
    server is drained (the message was received, invoked and deleted)."""
    shell = quickstart_shell()
    setup, _, check = block_after("### SQS → function", "sh").rpartition("\naws logs ")
    with InProcessServer(tmp_path / "data") as server:
        result = run_sh(f"{shell}\n{setup}", tmp_path, server, aws_cli)
        assert result.returncode == 0, result.stderr
        wait_drained(server.endpoint, 60)
        logged = run_sh(f"{shell}\naws logs {check}", tmp_path, server, aws_cli)
        assert logged.returncode == 0, logged.stderr
        assert "received order 42" in logged.stdout


def test_deploy_with_cloudformation(tmp_path: Path, aws_cli: str) -> None:
    """``aws cloudformation deploy`` of the section's template; the upload then runs the
    function the stack made (its log read once the server is drained)."""
    shell = quickstart_shell()
    setup, _, check = block_after("## Deploy with CloudFormation", "sh").rpartition("\naws logs ")
    with InProcessServer(tmp_path / "data") as server:
        result = run_sh(f"{shell}\n{setup}", tmp_path, server, aws_cli)
        assert result.returncode == 0, result.stderr + result.stdout
        assert "Successfully created/updated stack - app" in result.stdout
        assert "app-uploads" in result.stdout  # the stack's output
        wait_drained(server.endpoint, 60)
        logged = run_sh(f"{shell}\naws logs {check}", tmp_path, server, aws_cli)
        assert logged.returncode == 0, logged.stderr
        assert logged.stdout.strip().endswith("\nuploaded app.yaml"), logged.stdout


def test_http_a_function_url_and_an_api_answer_curl(tmp_path: Path) -> None:
    """With the venv's AWS CLI v1: the system's v2 (2.9) predates ``--invoked-via-function-url``."""
    shell = quickstart_shell()
    block = block_after("## HTTP: function URLs and HTTP APIs", "sh")
    with InProcessServer(tmp_path / "data") as server:
        result = run_sh(f"{shell}\n{block}", tmp_path, server, str(AWS_CLI))
    assert result.returncode == 0, result.stderr
    assert '{"hello": "curl", "path": "/greet"}' in result.stdout
    assert '{"hello": "api", "path": "/hello/you"}' in result.stdout
    assert '"httpApis":[{"apiId"' in result.stdout
    assert ".lambda-url.us-east-1.localhost:" in result.stdout


def test_http_a_websocket_api_answers_and_pushes(tmp_path: Path) -> None:
    with InProcessServer(tmp_path / "data") as server:
        code = block_after("### WebSocket APIs", "python").replace(README_ENDPOINT, server.endpoint)
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['pushed', 'you said {\"hello\": \"there\"}']"
