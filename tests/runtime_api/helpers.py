"""Shared pieces of the custom-runtime tests: specs, bootstraps, and waiting on conditions."""

from __future__ import annotations

import asyncio
import stat
import uuid
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from lambdaport.runtime.custom import CustomEnvironment, start_custom_environment
from lambdaport.runtime.interpreters import PythonInterpreters
from lambdaport.runtime.settings import RuntimeSettings
from lambdaport.runtime.spec import FunctionSpec, Invocation

T = TypeVar("T")

REGION = "us-east-1"
ACCOUNT = "123456789012"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:custom-fn"


def make_spec(
    code_dir: Path,
    *,
    timeout: int = 5,
    environment: Mapping[str, str] | None = None,
    handler: str = "app.handler",
) -> FunctionSpec:
    return FunctionSpec(
        function_name="custom-fn",
        function_arn=FUNCTION_ARN,
        version="$LATEST",
        runtime="provided.al2023",
        handler=handler,
        code_dir=str(code_dir),
        revision_id="rev-1",
        memory_size=128,
        timeout=timeout,
        region=REGION,
        account_id=ACCOUNT,
        log_group="/aws/lambda/custom-fn",
        environment=dict(environment or {}),
    )


def make_settings(data_dir: Path) -> RuntimeSettings:
    return RuntimeSettings(
        endpoint_url="http://127.0.0.1:4566", data_dir=data_dir, cache_dir=data_dir
    )


def make_invocation(payload: bytes, **fields: Any) -> Invocation:
    return Invocation(
        request_id=str(uuid.uuid4()),
        payload=payload,
        invoked_function_arn=fields.pop("invoked_function_arn", FUNCTION_ARN),
        **fields,
    )


def write_executable(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def with_environment(
    spec: FunctionSpec,
    settings: RuntimeSettings,
    scenario: Callable[[CustomEnvironment], Awaitable[T]],
) -> T:
    """Start an environment, run ``scenario`` on it, always stop it."""

    async def main() -> T:
        interpreters = PythonInterpreters(settings)
        try:
            environment = await start_custom_environment(spec, settings, interpreters.launcher)
            try:
                return await scenario(environment)
            finally:
                await environment.stop()
        finally:
            await interpreters.stop()

    return asyncio.run(main())


def read_pid(path: Path) -> int:
    return int(path.read_text().strip())


def pid_file_written(path: Path) -> Callable[[], bool]:
    return lambda: path.exists() and path.read_text().strip().isdigit()
