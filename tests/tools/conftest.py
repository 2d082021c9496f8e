"""The tools tier: the real deployment tools (SAM CLI, CDK's CLI, the Serverless Framework, the
AWS CLI) run as a user runs them, against the session's server, pointed at it by
``AWS_ENDPOINT_URL``. ``scripts/tool-deps.sh`` installs them into the cache (``make test``
runs it); a tool that is not there skips its tests with the reason. Every module here
marks its tests ``tools`` (``make test`` runs the tier in a process of its own, beside the rest)."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import boto3
import pytest

from lambdaport.runtime.interpreters import find_interpreter
from lambdaport.testing.server import Server
from tests.helpers import client_options

APPS = Path(__file__).parent / "apps"
TOOLS = (
    Path(os.environ.get("LAMBDAPORT_CACHE_DIR", Path.home() / ".cache" / "lambdaport")) / "tools"
)
SAM = TOOLS / "sam" / "bin" / "sam"
NODE_MODULES = TOOLS / "node" / "node_modules"
RUNTIME = "python3.12"  # the apps' functions' runtime; `sam build` needs its interpreter
TOOL_TIMEOUT = 600.0  # seconds one tool command may take on a loaded 2-core machine


def tool_env(server: Server, **extra: str) -> dict[str, str]:
    """The environment a tool runs in: this process's without its ``AWS_*`` variables, the
    server as every SDK's endpoint, test credentials, no telemetry or version checks, and
    the apps' runtime's interpreter first on PATH (what ``sam build`` builds with)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAMBDAPORT_"))}
    interpreter = find_interpreter(RUNTIME, {})
    env.update(
        AWS_ENDPOINT_URL=server.endpoint,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        AWS_PAGER="",
        SAM_CLI_TELEMETRY="0",
        CDK_DISABLE_VERSION_CHECK="1",
        CDK_DISABLE_CLI_TELEMETRY="1",
        SLS_TELEMETRY_DISABLED="1",
        SLS_NOTIFICATIONS_MODE="off",
        PATH=f"{Path(interpreter.executable).parent}:{NODE_MODULES / '.bin'}:{env['PATH']}",
    )
    env.update(extra)
    return env


def run(
    command: Sequence[str | Path], cwd: Path, env: Mapping[str, str], *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run one tool command; a failure shows what the tool printed."""
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=TOOL_TIMEOUT,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if check:
        assert result.returncode == 0, (
            f"{' '.join(map(str, command))} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"
        )
    return result


def copy_app(name: str, tmp_path: Path) -> Path:
    """A copy of ``apps/<name>`` to work in (tools write their build output next to it)."""
    app = tmp_path / name
    shutil.copytree(APPS / name, app, ignore=shutil.ignore_patterns("node_modules", "cdk.out"))
    return app


@pytest.fixture
def sam() -> Path:
    if not SAM.exists():
        pytest.skip(f"SAM CLI is not installed in {SAM.parent} (scripts/tool-deps.sh)")
    if find_interpreter(RUNTIME, {}).notice:
        pytest.skip(f"no {RUNTIME} interpreter for `sam build`")
    return SAM


@pytest.fixture
def node_modules() -> Path:
    if not (NODE_MODULES / ".bin" / "cdk").exists() or shutil.which("node") is None:
        pytest.skip(f"CDK is not installed in {NODE_MODULES} (scripts/tool-deps.sh)")
    return NODE_MODULES


@pytest.fixture
def aws(server: Server) -> Any:
    """``aws("s3")``: a boto3 client of the session's server."""

    def make(service: str) -> Any:
        return boto3.Session().client(service, **client_options(server.endpoint))  # type: ignore[call-overload]

    return make


@pytest.fixture
def stack_name() -> Iterator[str]:
    yield f"tools-{uuid.uuid4().hex[:8]}"
