"""Every way an invocation fails, in AWS's shapes (``../shared/docs/AWS-SEMANTICS.md`` A.2,
A.6)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.helpers import wait_for
from tests.runtime.conftest import Harness, make_function, pid_exists

SOURCE = """
import os, sys, time

def handler(event, context):
    return {"pid": os.getpid()}

def fails(event, context):
    raise ValueError("something broke")

def unserialisable(event, context):
    return {1, 2}

def too_large(event, context):
    return "x" * 7000000

def sleeps(event, context):
    print("going to sleep")
    time.sleep(event.get("seconds", 30))
    return {"pid": os.getpid()}

def exits(event, context):
    print("about to exit")
    os._exit(event.get("code", 1))

def system_exit(event, context):
    sys.exit(3)

def segfault(event, context):
    import ctypes
    ctypes.string_at(0)

def hog(event, context):
    chunks = []
    for _ in range(100):
        chunks.append(b"x" * (8 * 1024 * 1024))
        time.sleep(0.01)
    time.sleep(30)
"""


def test_handler_exception(harness: Harness, tmp_path: Path) -> None:
    spec = make_function(tmp_path, SOURCE, handler="app.fails")
    request_id = "0e0e0e0e-1111-2222-3333-444444444444"
    result = harness.invoke(spec, request_id=request_id)
    assert result.function_error == "Unhandled"
    assert result.error_type == "ValueError"
    error = json.loads(result.payload)
    assert list(error) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert error["errorMessage"] == "something broke"
    assert error["errorType"] == "ValueError"
    assert error["requestId"] == request_id
    assert len(error["stackTrace"]) == 1
    assert error["stackTrace"][0].startswith(f'  File "{tmp_path}/app.py", line 8, in fails\n')
    assert "[ERROR] ValueError: something broke\nTraceback (most recent call last):\n" in result.log
    assert "Status:" not in result.log  # a handler exception is not a platform error


def test_handler_exception_keeps_the_environment(harness: Harness, tmp_path: Path) -> None:
    source = SOURCE + "\nCALLS = []\ndef flaky(event, context):\n"
    source += "    CALLS.append(1)\n    if len(CALLS) == 1:\n        raise KeyError('k')\n"
    source += "    return {'pid': os.getpid(), 'calls': len(CALLS)}\n"
    spec = make_function(tmp_path, source, handler="app.flaky")
    assert harness.invoke(spec).error_type == "KeyError"
    assert json.loads(harness.invoke(spec).payload)["calls"] == 2


@pytest.mark.parametrize(
    ("source", "handler", "error_type", "message"),
    [
        (
            "import not_a_module\n",
            "app.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'app': No module named 'not_a_module'",
        ),
        (
            "def handler(e, c):\n    return 1\n",
            "app.nope",
            "Runtime.HandlerNotFound",
            "Handler 'nope' missing on module 'app'",
        ),
        (
            "def handler(e, c)\n    return 1\n",
            "app.handler",
            "Runtime.UserCodeSyntaxError",
            "Syntax error in module 'app': ",
        ),
        (
            "def handler(e, c):\n    return 1\n",
            "nodot",
            "Runtime.MalformedHandlerName",
            "Bad handler 'nodot': not enough values to unpack (expected 2, got 1)",
        ),
        ("raise RuntimeError('init failed')\n", "app.handler", "RuntimeError", "init failed"),
    ],
)
def test_init_errors_are_reported_on_the_first_invoke_and_replace_the_environment(
    harness: Harness, tmp_path: Path, source: str, handler: str, error_type: str, message: str
) -> None:
    spec = make_function(tmp_path, source, handler=handler)
    result = harness.invoke(spec)
    assert result.function_error == "Unhandled"
    assert result.error_type == error_type
    error = json.loads(result.payload)
    assert error["errorType"] == error_type
    assert error["errorMessage"].startswith(message)
    assert error["requestId"] == ""
    assert f"[ERROR] {error_type}: {message}" in result.log
    assert result.log.index("[ERROR]") < result.log.index("START RequestId")
    assert f"Status: error\tError Type: {error_type}" in result.log
    assert "Init Duration" in result.log
    # The failed environment is not reused: the next invoke initialises again.
    again = harness.invoke(spec)
    assert again.error_type == error_type
    assert "Init Duration" in again.log


def test_marshal_error(harness: Harness, tmp_path: Path) -> None:
    result = harness.invoke(make_function(tmp_path, SOURCE, handler="app.unserialisable"))
    assert result.error_type == "Runtime.MarshalError"
    error = json.loads(result.payload)
    assert error["errorMessage"] == (
        "Unable to marshal response: Object of type set is not JSON serializable"
    )
    assert error["stackTrace"] == []


def test_unmarshal_error(harness: Harness, tmp_path: Path) -> None:
    result = harness.invoke(make_function(tmp_path, SOURCE), b"{not json")
    assert result.error_type == "Runtime.UnmarshalError"
    assert json.loads(result.payload)["errorMessage"].startswith("Unable to unmarshal input: ")


def test_response_too_large_keeps_the_environment(harness: Harness, tmp_path: Path) -> None:
    source = SOURCE + "\ndef both(event, context):\n"
    source += "    return 'x' * 7000000 if event.get('big') else {'pid': os.getpid()}\n"
    spec = make_function(tmp_path, source, handler="app.both")
    first = json.loads(harness.invoke(spec).payload)["pid"]
    result = harness.invoke(spec, b'{"big": true}')
    assert result.function_error == "Unhandled"
    assert result.error_type == "Function.ResponseSizeTooLarge"
    assert json.loads(result.payload) == {
        "errorType": "Function.ResponseSizeTooLarge",
        "errorMessage": "Response payload size exceeded maximum allowed payload size "
        "(6291556 bytes).",
    }
    assert json.loads(harness.invoke(spec).payload)["pid"] == first


def test_timeout_kills_and_replaces_the_environment(harness: Harness, tmp_path: Path) -> None:
    spec = make_function(tmp_path, SOURCE, handler="app.sleeps", timeout=1)
    warm = json.loads(harness.invoke(spec, b'{"seconds": 0}').payload)["pid"]
    request_id = "71717171-0000-0000-0000-000000000000"
    result = harness.invoke(spec, b'{"seconds": 30}', request_id=request_id)
    assert result.function_error == "Unhandled"
    assert result.error_type == "Sandbox.Timedout"
    assert json.loads(result.payload) == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {request_id} Error: Task timed out after 1.00 seconds",
    }
    assert 1000 <= result.duration_ms < 2000
    assert "going to sleep\n" in result.log
    assert re.search(
        rf"^\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z {request_id} "
        r"Task timed out after 1\.\d\d seconds$",
        result.log,
        re.MULTILINE,
    )
    assert "\tStatus: timeout\t\n" in result.log
    wait_for(lambda: not pid_exists(warm), 10, "the worker to exit")
    fresh = json.loads(harness.invoke(spec, b'{"seconds": 0}').payload)["pid"]
    assert fresh != warm


@pytest.mark.parametrize(
    ("handler", "payload", "status"),
    [
        ("app.exits", b'{"code": 1}', "exit status 1"),
        ("app.system_exit", b"{}", "exit status 3"),
        ("app.segfault", b"{}", "signal: segmentation fault"),
    ],
)
def test_crash_is_runtime_exit_error(
    harness: Harness, tmp_path: Path, handler: str, payload: bytes, status: str
) -> None:
    spec = make_function(tmp_path, SOURCE, handler=handler)
    request_id = "dead0000-0000-0000-0000-000000000000"
    result = harness.invoke(spec, payload, request_id=request_id)
    assert result.function_error == "Unhandled"
    assert result.error_type == "Runtime.ExitError"
    message = f"RequestId: {request_id} Error: Runtime exited with error: {status}"
    assert json.loads(result.payload) == {"errorType": "Runtime.ExitError", "errorMessage": message}
    assert f"{message}\nRuntime.ExitError\n" in result.log
    assert "\tStatus: error\tError Type: Runtime.ExitError\t\n" in result.log
    # The next invocation gets a new environment.
    assert harness.invoke(spec, b'{"code": 0}').error_type == "Runtime.ExitError"


def test_exit_output_is_kept(harness: Harness, tmp_path: Path) -> None:
    spec = make_function(tmp_path, SOURCE, handler="app.exits")
    result = harness.invoke(spec, b'{"code": 2}')
    assert "about to exit\n" in result.log
    assert "exit status 2" in json.loads(result.payload)["errorMessage"]


def test_out_of_memory(harness: Harness, tmp_path: Path) -> None:
    spec = make_function(tmp_path, SOURCE, handler="app.hog", memory_size=128, timeout=20)
    request_id = "00000000-0000-0000-0000-0000000000aa"
    result = harness.invoke(spec, request_id=request_id)
    assert result.function_error == "Unhandled"
    assert result.error_type == "Runtime.OutOfMemory"
    assert json.loads(result.payload) == {
        "errorType": "Runtime.OutOfMemory",
        "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: signal: killed",
    }
    assert "\tStatus: error\tError Type: Runtime.OutOfMemory\t\n" in result.log
    assert result.max_memory_used_mb > 128
    assert result.duration_ms < 10000
