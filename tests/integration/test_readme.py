"""The README's quickstart, run as written against a fresh server (only the port differs)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from lambdaport.testing.server import ServerProcess

README = Path(__file__).resolve().parents[2] / "README.md"


def block_after(heading: str, language: str) -> str:
    text = README.read_text()
    section = text[text.index(heading) :]
    match = re.search(rf"```{language}\n(.*?)```", section, re.DOTALL)
    assert match is not None, f"no {language} block after {heading!r}"
    return match.group(1)


def test_quickstart_with_the_aws_cli(tmp_path: Path) -> None:
    with ServerProcess(tmp_path / "data") as server:
        script = block_after("### With the AWS CLI", "sh").replace(
            "http://127.0.0.1:4566", server.endpoint
        )
        venv_bin = str(Path(sys.executable).parent)
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env={**os.environ, "PATH": f"{venv_bin}:{os.environ['PATH']}"},
            timeout=180,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "hello from hello" in result.stdout
        assert "REPORT RequestId" in result.stdout
        assert '{"greeting": "hello lambdaport"}' in result.stdout


def test_quickstart_with_boto3(tmp_path: Path) -> None:
    with ServerProcess(tmp_path / "data") as server:
        code = block_after("### With boto3", "python").replace(
            "http://127.0.0.1:4566", server.endpoint
        )
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
