"""A bootstrap does not outlive a server that is killed outright (the zygote ends it)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import process_gone, wait_until
from tests.runtime_api.helpers import write_executable

SERVER = """
import asyncio, sys
from pathlib import Path
from lambdaport.runtime.custom import start_custom_environment
from lambdaport.runtime.interpreters import PythonInterpreters
from lambdaport.runtime.settings import RuntimeSettings
from lambdaport.runtime.spec import FunctionSpec

async def main() -> None:
    code_dir = sys.argv[1]
    spec = FunctionSpec("fn", "arn:aws:lambda:us-east-1:123456789012:function:fn", "$LATEST",
                        "provided.al2023", "h", code_dir, "r", 128, 3, "us-east-1",
                        "123456789012", "/aws/lambda/fn")
    settings = RuntimeSettings("http://127.0.0.1:4566", Path(code_dir), Path(code_dir))
    env = await start_custom_environment(spec, settings, PythonInterpreters(settings).launcher)
    print(env._process.pid, flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""

BOOTSTRAP = """#!/bin/sh
curl -sS "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/next" >/dev/null
sleep 300
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signals are Linux's")
def test_bootstrap_dies_with_a_killed_server(tmp_path: Path) -> None:
    write_executable(tmp_path / "bootstrap", BOOTSTRAP)
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        bootstrap_pid = int(server.stdout.readline())
        assert not process_gone(bootstrap_pid)
    finally:
        server.kill()
        server.wait()
        if server.stdout is not None:
            server.stdout.close()

    async def check() -> None:
        await wait_until(lambda: process_gone(bootstrap_pid))

    asyncio.run(check())
