"""The official Python runtime interface client (awslambdaric) runs unchanged."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from lambdaport.runtime.custom import CustomEnvironment
from lambdaport.runtime.spec import FunctionSpec, InvocationResult
from tests.runtime_api.helpers import (
    FUNCTION_ARN,
    make_invocation,
    make_settings,
    make_spec,
    with_environment,
    write_executable,
)

APP = """
import os


def handler(event, context):
    if event.get("fail"):
        raise ValueError("handler refused")
    print("hello from the handler")
    return {
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "identity_id": context.identity.cognito_identity_id,
        "identity_pool_id": context.identity.cognito_identity_pool_id,
        "client_custom": context.client_context.custom if context.client_context else None,
        "trace_env": os.environ.get("_X_AMZN_TRACE_ID"),
        "event": event,
    }
"""


def ric_function(tmp_path: Path, handler: str = "app.handler", timeout: int = 30) -> FunctionSpec:
    code_dir = tmp_path / "code"
    code_dir.mkdir()
    (code_dir / "app.py").write_text(APP)
    bootstrap = f'#!/bin/sh\nexec "{sys.executable}" -m awslambdaric "$_HANDLER"\n'
    write_executable(code_dir / "bootstrap", bootstrap)
    return make_spec(code_dir, handler=handler, timeout=timeout)


def test_success_and_the_context_the_handler_sees(tmp_path: Path) -> None:
    spec = ric_function(tmp_path)
    invocation = make_invocation(
        b'{"x": 1}',
        invoked_function_arn=f"{FUNCTION_ARN}:prod",
        client_context='{"custom":{"tenant":"t1"},"env":{},"client":{}}',
        cognito_identity='{"cognitoIdentityId":"id-9","cognitoIdentityPoolId":"pool-9"}',
        trace_id="Root=1-5e1b4151-5ac6c58f5b5daa6532e4f2e8;Parent=53995c3f42cd8ad8;Sampled=1",
    )

    async def scenario(env: CustomEnvironment) -> tuple[InvocationResult, InvocationResult, str]:
        first = await env.invoke(invocation)
        second = await env.invoke(make_invocation(b'{"x": 2}'))
        assert env.alive
        return first, second, env.stream_name

    first, second, stream = with_environment(spec, make_settings(tmp_path), scenario)
    assert first.function_error is None, first.payload
    seen = json.loads(first.payload)
    assert seen["request_id"] == invocation.request_id
    assert seen["function_name"] == "custom-fn"
    assert seen["function_version"] == "$LATEST"
    assert seen["invoked_function_arn"] == f"{FUNCTION_ARN}:prod"
    assert seen["memory_limit_in_mb"] == "128"
    assert seen["log_group_name"] == "/aws/lambda/custom-fn"
    assert seen["log_stream_name"] == stream
    assert 25_000 < seen["remaining_ms"] <= 30_000
    assert (seen["identity_id"], seen["identity_pool_id"]) == ("id-9", "pool-9")
    assert seen["client_custom"] == {"tenant": "t1"}
    assert seen["trace_env"] == invocation.trace_id
    assert seen["event"] == {"x": 1}
    start = first.log.index("START RequestId:")
    assert first.log.index("hello from the handler", start) < first.log.index("END RequestId:")
    assert first.init_duration_ms is not None
    assert json.loads(second.payload)["event"] == {"x": 2}
    assert second.init_duration_ms is None


def test_handler_exception_is_its_error_object(tmp_path: Path) -> None:
    spec = ric_function(tmp_path)
    invocation = make_invocation(b'{"fail": true}')

    async def scenario(env: CustomEnvironment) -> InvocationResult:
        result = await env.invoke(invocation)
        assert env.alive
        return result

    result = with_environment(spec, make_settings(tmp_path), scenario)
    error = json.loads(result.payload)
    assert error["errorType"] == "ValueError"
    assert error["errorMessage"] == "handler refused"
    assert error["requestId"] == invocation.request_id
    assert any('raise ValueError("handler refused")' in frame for frame in error["stackTrace"])
    assert (result.function_error, result.error_type) == ("Unhandled", "ValueError")
    assert "[ERROR] ValueError: handler refused" in result.log


def test_missing_module_is_an_import_error_on_the_first_invocation(tmp_path: Path) -> None:
    spec = ric_function(tmp_path, handler="missing.handler")

    async def scenario(env: CustomEnvironment) -> InvocationResult:
        result = await env.invoke(make_invocation(b"{}"))
        assert not env.alive
        return result

    result = with_environment(spec, make_settings(tmp_path), scenario)
    error = json.loads(result.payload)
    assert error["errorType"] == "Runtime.ImportModuleError"
    assert "Unable to import module 'missing'" in error["errorMessage"]
    assert result.error_type == "Runtime.ImportModuleError"
    assert result.log.index("Runtime.ImportModuleError") < result.log.index("START RequestId:")
