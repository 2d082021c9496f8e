"""The README's examples, run as written against a fresh server (only the port differs): the
quickstart (AWS CLI and boto3) and the Services section's upload that triggers a function."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from lambdaport.testing.server import ServerProcess
from tests.helpers import wait_for

README = Path(__file__).resolve().parents[2] / "README.md"
README_ENDPOINT = "http://127.0.0.1:4566"


def block_after(heading: str, language: str) -> str:
    text = README.read_text()
    section = text[text.index(heading) :]
    match = re.search(rf"```{language}\n(.*?)```", section, re.DOTALL)
    assert match is not None, f"no {language} block after {heading!r}"
    return match.group(1)


def run_sh(script: str, cwd: Path, endpoint: str) -> subprocess.CompletedProcess[str]:
    """Run a README shell block with the venv's tools (its ``aws`` too) first on PATH."""
    venv_bin = str(Path(sys.executable).parent)
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script.replace(README_ENDPOINT, endpoint)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{venv_bin}:{os.environ['PATH']}"},
        timeout=180,
        check=False,
    )


def test_quickstart_with_the_aws_cli(tmp_path: Path) -> None:
    with ServerProcess(tmp_path / "data") as server:
        result = run_sh(block_after("### With the AWS CLI", "sh"), tmp_path, server.endpoint)
        assert result.returncode == 0, result.stderr
        assert "hello from hello" in result.stdout
        assert "REPORT RequestId" in result.stdout
        assert '{"greeting": "hello lambdaport"}' in result.stdout


def test_quickstart_with_boto3(tmp_path: Path) -> None:
    with ServerProcess(tmp_path / "data") as server:
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


def test_services_an_upload_triggers_a_function(tmp_path: Path) -> None:
    """In the quickstart's shell (its exports); the block's last command reads the function's
    log, which the asynchronous invocation fills a moment later: it is repeated until then."""
    exports = "\n".join(
        line for line in block_after("### With the AWS CLI", "sh").splitlines() if "export" in line
    )
    setup, _, check = block_after("## Services", "sh").rpartition("\naws logs ")
    with ServerProcess(tmp_path / "data") as server:
        result = run_sh(f"{exports}\n{setup}", tmp_path, server.endpoint)
        assert result.returncode == 0, result.stderr

        def logged() -> str | None:
            found = run_sh(f"{exports}\naws logs {check}", tmp_path, server.endpoint)
            return found.stdout if found.returncode == 0 and "uploaded" in found.stdout else None

        output = wait_for(logged, 60, "the function's log line", interval=0.5)
        assert "uploaded photos incoming/on_upload.py" in output
