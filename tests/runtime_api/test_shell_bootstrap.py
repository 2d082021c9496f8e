"""A custom runtime written in POSIX shell with curl, driven through CustomEnvironment."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import time
from pathlib import Path

import pytest

from lambdaport.runtime.custom import CustomEnvironment
from lambdaport.runtime.runtime_api import RESPONSE_SIZE_LIMIT
from lambdaport.runtime.spec import FunctionSpec, InvocationResult
from tests.helpers import process_gone, wait_until
from tests.runtime_api.bootstraps import SHELL_BOOTSTRAP
from tests.runtime_api.helpers import (
    make_invocation,
    make_settings,
    make_spec,
    pid_file_written,
    read_pid,
    with_environment,
    write_executable,
)

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="needs the curl command")


def shell_function(tmp_path: Path, **spec_fields: object) -> FunctionSpec:
    code_dir = tmp_path / "code"
    code_dir.mkdir()
    write_executable(code_dir / "bootstrap", SHELL_BOOTSTRAP)
    return make_spec(code_dir, **spec_fields)  # type: ignore[arg-type]


def section(log: str, request_id: str) -> str:
    """The part of ``log`` between the START and END lines of ``request_id``."""
    start = log.index(f"START RequestId: {request_id} Version: $LATEST\n")
    end = log.index(f"END RequestId: {request_id}\n")
    return log[start:end]


def test_success_echoes_event_and_captures_the_log(tmp_path: Path) -> None:
    spec = shell_function(tmp_path)

    first_invocation = make_invocation(b'{"hello": "world"}')

    async def scenario(env: CustomEnvironment) -> tuple[InvocationResult, InvocationResult]:
        first = await env.invoke(first_invocation)
        second = await env.invoke(make_invocation(b'{"again": true}'))
        assert env.alive
        return first, second

    first, second = with_environment(spec, make_settings(tmp_path), scenario)
    assert first.payload == b'{"hello": "world"}'
    assert first.function_error is None and first.error_type is None
    assert second.payload == b'{"again": true}'
    # Init output comes before the first START; each invocation's own output sits inside it.
    assert first.log.index("init done\n") < first.log.index("START RequestId:")
    request_id = first_invocation.request_id
    assert f"handling {request_id}: " in section(first.log, request_id)
    assert first.init_duration_ms is not None and first.init_duration_ms > 0
    assert "\tInit Duration: " in first.log
    assert second.init_duration_ms is None and "Init Duration" not in second.log
    report = second.log.splitlines()[-1]
    assert report.startswith("REPORT RequestId: ") and "\tMemory Size: 128 MB\t" in report
    assert "Status:" not in report
    assert second.log.endswith("\t\n")


def test_error_post_is_relayed_verbatim(tmp_path: Path) -> None:
    spec = shell_function(tmp_path)

    async def scenario(env: CustomEnvironment) -> InvocationResult:
        result = await env.invoke(make_invocation(b'"error"'))
        assert env.alive  # a handler error does not end the environment
        return result

    result = with_environment(spec, make_settings(tmp_path), scenario)
    assert result.payload == b'{"errorMessage":"it broke","errorType":"Custom.Failure"}'
    assert result.function_error == "Unhandled"
    assert result.error_type == "Custom.Failure"
    assert "Status:" not in result.log  # handler errors leave the REPORT line plain


def test_init_error_is_the_first_invocations_error(tmp_path: Path) -> None:
    spec = shell_function(tmp_path, environment={"INIT_FAIL": "1"})

    async def scenario(env: CustomEnvironment) -> InvocationResult:
        assert env.alive  # it must still be handed the first invocation
        result = await env.invoke(make_invocation(b"{}"))
        assert not env.alive
        return result

    result = with_environment(spec, make_settings(tmp_path), scenario)
    assert json.loads(result.payload) == {
        "errorMessage": "no config",
        "errorType": "Custom.InitFailed",
    }
    assert result.function_error == "Unhandled"
    assert result.error_type == "Custom.InitFailed"
    assert result.log.index("init is failing\n") < result.log.index("START RequestId:")
    assert "\tStatus: error\tError Type: Custom.InitFailed\t" in result.log
    assert result.init_duration_ms is not None


def test_timeout_kills_the_environment_and_its_children(tmp_path: Path) -> None:
    spec = shell_function(tmp_path, timeout=1)
    invocation = make_invocation(b'"sleep"')

    async def scenario(env: CustomEnvironment) -> InvocationResult:
        result = await env.invoke(invocation)
        assert not env.alive
        sleeper = read_pid(Path(spec.code_dir) / ".work" / "sleep.pid")
        await wait_until(lambda: process_gone(sleeper))
        return result

    started = time.monotonic()
    result = with_environment(spec, make_settings(tmp_path), scenario)
    assert time.monotonic() - started < 10
    message = f"RequestId: {invocation.request_id} Error: Task timed out after 1.00 seconds"
    assert json.loads(result.payload) == {"errorType": "Sandbox.Timedout", "errorMessage": message}
    assert result.function_error == "Unhandled"
    assert result.error_type == "Sandbox.Timedout"
    assert result.duration_ms >= 1000
    # AWS reports the time the invocation ran, which a loaded machine stretches past 1.0x s.
    assert re.search(rf"{invocation.request_id} Task timed out after 1\.\d\d seconds", result.log)
    assert "handling " in section(result.log, invocation.request_id)
    assert result.log.splitlines()[-1].endswith("\tStatus: timeout\t")


@pytest.mark.parametrize(
    ("event", "reason"),
    [(b'"exit"', "exit status 3"), (b'"killself"', "signal: killed")],
)
def test_exit_during_an_invocation(tmp_path: Path, event: bytes, reason: str) -> None:
    spec = shell_function(tmp_path)
    invocation = make_invocation(event)

    async def scenario(env: CustomEnvironment) -> InvocationResult:
        result = await env.invoke(invocation)
        assert not env.alive
        return result

    result = with_environment(spec, make_settings(tmp_path), scenario)
    message = f"RequestId: {invocation.request_id} Error: Runtime exited with error: {reason}"
    assert json.loads(result.payload) == {"errorType": "Runtime.ExitError", "errorMessage": message}
    assert result.function_error == "Unhandled"
    assert result.error_type == "Runtime.ExitError"
    assert f"{message}\nRuntime.ExitError\n" in result.log
    assert "\tStatus: error\tError Type: Runtime.ExitError\t" in result.log


def test_exit_before_the_first_invocation(tmp_path: Path) -> None:
    spec = shell_function(tmp_path, environment={"EXIT_AT_INIT": "2"})
    invocation = make_invocation(b"{}")

    async def scenario(env: CustomEnvironment) -> InvocationResult:
        return await env.invoke(invocation)

    result = with_environment(spec, make_settings(tmp_path), scenario)
    assert json.loads(result.payload)["errorMessage"] == (
        f"RequestId: {invocation.request_id} Error: Runtime exited with error: exit status 2"
    )
    assert result.error_type == "Runtime.ExitError"
    assert result.log.index("leaving during init") < result.log.index("START")


def test_exit_while_idle_makes_a_warm_environment_not_alive(tmp_path: Path) -> None:
    spec = shell_function(tmp_path)

    async def scenario(env: CustomEnvironment) -> bool:
        await env.invoke(make_invocation(b'"orphan"'))
        orphan = read_pid(Path(spec.code_dir) / ".work" / "orphan.pid")
        assert env.alive
        # The runtime dies between invocations (here: something killed it).
        assert env._process is not None
        env._process.kill()
        await wait_until(lambda: not env.alive)
        await wait_until(lambda: process_gone(orphan))
        return env.alive

    assert with_environment(spec, make_settings(tmp_path), scenario) is False


def test_headers_deadline_and_environment(tmp_path: Path) -> None:
    spec = shell_function(tmp_path, timeout=7)
    client_context = '{"custom":{"k":"v"},"env":{},"client":{}}'
    identity = '{"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool-1"}'
    trace = "Root=1-5e1b4151-5ac6c58f5b5daa6532e4f2e8;Parent=1234567890abcdef;Sampled=1"
    invocation = make_invocation(
        b'"context"',
        invoked_function_arn=f"{spec.function_arn}:live",
        client_context=client_context,
        cognito_identity=identity,
        trace_id=trace,
    )

    async def scenario(env: CustomEnvironment) -> tuple[InvocationResult, str]:
        return await env.invoke(invocation), env.stream_name

    before_ms = time.time() * 1000
    result, stream = with_environment(spec, make_settings(tmp_path), scenario)
    seen = json.loads(result.payload)
    assert seen["request_id"] == invocation.request_id
    assert seen["arn"] == f"{spec.function_arn}:live"
    assert seen["trace"] == trace
    assert seen["client_context"] == json.loads(client_context)
    assert seen["identity"] == json.loads(identity)
    assert before_ms + 7000 <= int(seen["deadline_ms"]) <= time.time() * 1000 + 7000
    assert seen["stream"] == stream and "/[$LATEST]" in stream
    assert seen["api"].startswith("127.0.0.1:")


def test_absent_optional_headers_are_omitted_and_a_trace_id_is_made(tmp_path: Path) -> None:
    spec = shell_function(tmp_path)

    async def scenario(env: CustomEnvironment) -> InvocationResult:
        return await env.invoke(make_invocation(b'"context"'))

    seen = json.loads(with_environment(spec, make_settings(tmp_path), scenario).payload)
    assert seen["client_context"] is None and seen["identity"] is None
    assert seen["trace"].startswith("Root=1-") and ";Sampled=0" in seen["trace"]


def test_chunked_response_body(tmp_path: Path) -> None:
    spec = shell_function(tmp_path)

    async def scenario(env: CustomEnvironment) -> InvocationResult:
        return await env.invoke(make_invocation(b'{"mode": "chunked", "n": 1}'))

    result = with_environment(spec, make_settings(tmp_path), scenario)
    assert result.payload == b'{"mode": "chunked", "n": 1}'
    assert result.function_error is None


def test_oversized_response_fails_the_invocation_but_not_the_environment(tmp_path: Path) -> None:
    spec = shell_function(tmp_path)

    async def scenario(env: CustomEnvironment) -> tuple[InvocationResult, InvocationResult]:
        large = await env.invoke(make_invocation(b'"large"'))
        assert env.alive
        return large, await env.invoke(make_invocation(b'"after"'))

    large, after = with_environment(spec, make_settings(tmp_path), scenario)
    assert json.loads(large.payload) == {
        "errorType": "Function.ResponseSizeTooLarge",
        "errorMessage": "Response payload size exceeded maximum allowed payload size "
        f"({RESPONSE_SIZE_LIMIT} bytes).",
    }
    assert large.function_error == "Unhandled"
    assert large.error_type == "Function.ResponseSizeTooLarge"
    assert after.payload == b'"after"'
    # What the runtime wrote after its post (curl saw 413) is in one of the two logs: the
    # tail of this invocation's or, once the runtime asked for the next event, before START.
    assert (large.log + after.log).count("large post answered 413") == 1


def test_stop_leaves_no_orphans(tmp_path: Path) -> None:
    spec = shell_function(tmp_path)
    pid_file = Path(spec.code_dir) / ".work" / "orphan.pid"
    pids: list[int] = []

    async def scenario(env: CustomEnvironment) -> InvocationResult:
        result = await env.invoke(make_invocation(b'"orphan"'))
        await wait_until(pid_file_written(pid_file))
        assert env._process is not None
        pids.extend([env._process.pid, read_pid(pid_file)])
        assert not any(process_gone(pid) for pid in pids)
        return result

    result = with_environment(spec, make_settings(tmp_path), scenario)
    assert result.payload == b'"orphaned"'
    assert "started an orphan" in result.log  # stderr shares the log pipe

    async def check() -> None:
        await wait_until(lambda: all(process_gone(pid) for pid in pids))

    asyncio.run(check())


def test_missing_bootstrap_is_an_invalid_entrypoint(tmp_path: Path) -> None:
    code_dir = tmp_path / "empty"
    code_dir.mkdir()
    spec = make_spec(code_dir)
    invocation = make_invocation(b"{}")

    async def scenario(env: CustomEnvironment) -> InvocationResult:
        assert env.alive
        result = await env.invoke(invocation)
        assert not env.alive
        return result

    result = with_environment(spec, make_settings(tmp_path), scenario)
    error = json.loads(result.payload)
    assert error["errorType"] == "Runtime.InvalidEntrypoint"
    assert error["errorMessage"] == (
        f"RequestId: {invocation.request_id} Error: Couldn't find valid bootstrap(s): "
        f"[{code_dir}/bootstrap]"
    )
    assert result.function_error == "Unhandled"


def test_unexecutable_bootstrap_is_an_invalid_entrypoint(tmp_path: Path) -> None:
    code_dir = tmp_path / "code"
    code_dir.mkdir()
    (code_dir / "bootstrap").write_text(SHELL_BOOTSTRAP)  # not executable
    spec = make_spec(code_dir)

    async def scenario(env: CustomEnvironment) -> InvocationResult:
        return await env.invoke(make_invocation(b"{}"))

    result = with_environment(spec, make_settings(tmp_path), scenario)
    assert result.error_type == "Runtime.InvalidEntrypoint"
    assert json.loads(result.payload)["errorMessage"].endswith(
        f"fork/exec {code_dir}/bootstrap: permission denied"
    )
