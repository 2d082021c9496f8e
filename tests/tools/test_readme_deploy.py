"""The README's "Deploy with SAM or CDK" example, run as written in the quickstart's shell
against the session's server (only the port differs), with the tools tier's SAM CLI."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from lambdaport.testing.server import Server
from tests.integration.test_readme import README_ENDPOINT, VENV, block_after, quickstart_shell
from tests.tools.conftest import SAM, TOOL_TIMEOUT, tool_env

pytestmark = [pytest.mark.tools, pytest.mark.timeout(1500)]


def test_deploy_with_sam(server: Server, sam: Path, tmp_path: Path) -> None:
    script = f"{quickstart_shell()}\n{block_after('## Deploy with SAM or CDK', 'sh')}"
    env = tool_env(server)
    env["PATH"] = f"{SAM.parent}:{VENV / 'bin'}:{env['PATH']}"
    for key in [k for k in env if k.startswith("AWS_")]:
        del env[key]  # the README's shell sets its own
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script.replace(README_ENDPOINT, server.endpoint)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=TOOL_TIMEOUT * 2,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-6000:] + result.stdout[-6000:]
    assert "Successfully created/updated stack - sam-app" in result.stdout
    assert '{"message": "hello world"}\n' in result.stdout  # curl
    assert '"statusCode": 200' in result.stdout  # sam remote invoke
    assert "hello world for /remote" in result.stdout  # sam logs
    assert "Deleted successfully" in result.stdout
