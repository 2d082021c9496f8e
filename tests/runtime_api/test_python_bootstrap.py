"""A custom runtime written with Python's standard library only (``urllib``)."""

from __future__ import annotations

import json
from pathlib import Path

from lambdaport.runtime.custom import CustomEnvironment
from lambdaport.runtime.spec import FunctionSpec, InvocationResult
from tests.runtime_api.bootstraps import python_bootstrap
from tests.runtime_api.helpers import (
    make_invocation,
    make_settings,
    make_spec,
    with_environment,
    write_executable,
)


def python_function(tmp_path: Path, **environment: str) -> FunctionSpec:
    code_dir = tmp_path / "code"
    code_dir.mkdir()
    write_executable(code_dir / "bootstrap", python_bootstrap())
    return make_spec(code_dir, environment=environment)


def test_success_and_error_on_a_warm_environment(tmp_path: Path) -> None:
    spec = python_function(tmp_path)
    ok = make_invocation(b'{"action": "echo"}', trace_id="Root=1-abc;Parent=def;Sampled=0")

    async def scenario(env: CustomEnvironment) -> tuple[InvocationResult, InvocationResult]:
        first = await env.invoke(ok)
        second = await env.invoke(make_invocation(b'{"action": "error"}'))
        assert env.alive
        return first, second

    first, second = with_environment(spec, make_settings(tmp_path), scenario)
    seen = json.loads(first.payload)
    assert seen["event"] == {"action": "echo"}
    assert seen["headers"]["lambda-runtime-aws-request-id"] == ok.request_id
    assert seen["headers"]["lambda-runtime-trace-id"] == "Root=1-abc;Parent=def;Sampled=0"
    assert "lambda-runtime-client-context" not in seen["headers"]
    assert "python runtime got {'action': 'echo'}" in first.log
    assert first.function_error is None
    assert json.loads(second.payload)["errorMessage"] == "python says no"
    assert (second.function_error, second.error_type) == ("Unhandled", "ValueError")


def test_init_error(tmp_path: Path) -> None:
    spec = python_function(tmp_path, INIT_FAIL="1")

    async def scenario(env: CustomEnvironment) -> InvocationResult:
        return await env.invoke(make_invocation(b"{}"))

    result = with_environment(spec, make_settings(tmp_path), scenario)
    assert json.loads(result.payload) == {"errorMessage": "bad init", "errorType": "Custom.PyInit"}
    assert result.error_type == "Custom.PyInit"
    assert result.log.index("python init is failing") < result.log.index("START")
