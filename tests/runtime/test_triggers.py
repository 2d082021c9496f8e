"""The push-trigger seam (``invoke/triggers.py``) over the real ``Invoker`` and runtime pool.

No service calls a function synchronously yet, so a tiny internal caller stands in for
Cognito, API Gateway or Secrets Manager: it names its source and calls ``PushTriggers``. The
control plane is not under test: the functions the invoker resolves are the specs below,
with the resource-policy statements each test gives them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest

from lambdaport.errors import (
    AccessDenied,
    AwsError,
    FunctionError,
    ResourceConflict,
    ResourceNotFound,
    Throttled,
    resource_not_found,
)
from lambdaport.invoke import ConcurrencyLimiter, Invoker, InvokeRequest, ResolvedFunction
from lambdaport.invoke.model import AsyncInvocation
from lambdaport.invoke.triggers import PushTriggers, TriggerResult, TriggerSource, TriggerTimedOut
from lambdaport.runtime.families import CustomFamily, PythonFamily, RuntimeFamilies
from lambdaport.runtime.spec import FunctionSpec
from tests.helpers import wait_until
from tests.runtime.conftest import ACCOUNT, REGION, Harness, make_function
from tests.runtime_api.bootstraps import SHELL_BOOTSTRAP
from tests.runtime_api.helpers import write_executable

USER_POOL = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{REGION}_abc"
COGNITO = TriggerSource.of("cognito-idp.amazonaws.com", USER_POOL, ACCOUNT, REGION)

SOURCE = """
import math, time

def handler(event, context):
    if "reject" in event:
        raise ValueError(event["reject"])
    time.sleep(event.get("sleep", 0))
    if "n" in event:
        return {"nan": math.isnan(event["n"])}
    return {"response": {"autoConfirmUser": True}, "got": event}
"""


def allow(principal: str, source_arn: str) -> dict[str, Any]:
    return {
        "Sid": "trigger",
        "Effect": "Allow",
        "Principal": {"Service": principal},
        "Action": "lambda:InvokeFunction",
        "Condition": {"ArnLike": {"AWS:SourceArn": source_arn}},
    }


@dataclass
class Functions:
    """A ``FunctionResolver`` over the specs a test defines."""

    found: dict[str, tuple[FunctionSpec, Sequence[Mapping[str, Any]], str]] = field(
        default_factory=dict
    )

    def add(self, spec: FunctionSpec, *statements: dict[str, Any], state: str = "Active") -> str:
        self.found[spec.function_arn] = (spec, statements, state)
        return spec.function_arn

    def resolve(
        self, account_id: str, region: str, function_name: str, qualifier: str | None
    ) -> ResolvedFunction:
        if function_name not in self.found:
            raise resource_not_found(f"Function not found: {function_name}")
        spec, statements, state = self.found[function_name]
        return ResolvedFunction(spec, spec.function_arn, state, None, statements)

    def reserved_concurrency_total(self, account_id: str, region: str) -> int:
        return 0


@dataclass
class Queue:
    """An ``AsyncEventQueue`` that keeps what it accepted."""

    accepted: list[AsyncInvocation] = field(default_factory=list)

    async def accept(self, invocation: AsyncInvocation) -> None:
        self.accepted.append(invocation)


@dataclass
class Door:
    harness: Harness
    functions: Functions
    queue: Queue
    invoker: Invoker
    triggers: PushTriggers


def door(harness: Harness, account_limit: int = 10) -> Door:
    functions, queue = Functions(), Queue()
    families = RuntimeFamilies(PythonFamily(), CustomFamily())
    invoker = Invoker(functions, harness.pool, ConcurrencyLimiter(account_limit), queue, families)
    return Door(harness, functions, queue, invoker, PushTriggers(invoker.invoke))


@pytest.fixture
def seam(harness: Harness) -> Iterator[Door]:
    yield door(harness)


def cognito_function(seam: Door, tmp_path: Path) -> str:
    spec = make_function(tmp_path / "fn", SOURCE)
    return seam.functions.add(spec, allow("cognito-idp.amazonaws.com", USER_POOL))


def test_sync_trigger_returns_the_functions_result(seam: Door, tmp_path: Path) -> None:
    target = cognito_function(seam, tmp_path)
    event = {"triggerSource": "PreSignUp_SignUp", "request": {"userAttributes": {}}}
    result = seam.harness.run(seam.triggers.call(COGNITO, target, orjson.dumps(event)))
    assert not result.failed
    assert result.error() is None
    assert json.loads(result.raise_for_error()) == {
        "response": {"autoConfirmUser": True},
        "got": event,
    }
    assert result.executed_version == "$LATEST"


def test_sync_trigger_returns_the_functions_error(seam: Door, tmp_path: Path) -> None:
    target = cognito_function(seam, tmp_path)
    event = orjson.dumps({"reject": "email domain not allowed"})
    result = seam.harness.run(seam.triggers.call(COGNITO, target, event))
    assert result.failed
    assert result.function_error == "Unhandled"
    error = result.error()
    assert error is not None
    assert (error.error_type, error.error_message) == ("ValueError", "email domain not allowed")
    with pytest.raises(FunctionError) as raised:
        result.raise_for_error()
    assert raised.value.error_message == "email domain not allowed"
    assert json.loads(raised.value.payload)["errorType"] == "ValueError"


def test_refusals_are_typed(seam: Door, tmp_path: Path) -> None:
    target = cognito_function(seam, tmp_path)
    other_pool = TriggerSource.of("cognito-idp.amazonaws.com", USER_POOL + "x", ACCOUNT, REGION)
    other_service = TriggerSource.of("s3.amazonaws.com", USER_POOL, ACCOUNT, REGION)
    event = b'{"a": 1}'

    async def refusal(work: Any) -> AwsError:
        try:
            await work
        except AwsError as error:
            return error
        raise AssertionError("the trigger was not refused")

    run, triggers = seam.harness.run, seam.triggers
    for source in (other_pool, other_service):
        for work in (
            triggers.validate(source, target),
            triggers.send(source, target, event),
            triggers.call(source, target, event),
        ):
            denied = run(refusal(work))
            assert isinstance(denied, AccessDenied)
            assert (denied.code, denied.status) == ("AccessDeniedException", 403)
    missing = run(refusal(triggers.call(COGNITO, target + "-gone", event)))
    assert isinstance(missing, ResourceNotFound)
    assert missing.status == 404
    pending = make_function(tmp_path / "pending", SOURCE)
    seam.functions.add(pending, allow("cognito-idp.amazonaws.com", USER_POOL), state="Pending")
    conflict = run(refusal(triggers.call(COGNITO, pending.function_arn, event)))
    assert isinstance(conflict, ResourceConflict)
    assert conflict.status == 409
    assert seam.queue.accepted == []


def test_sync_trigger_past_the_concurrency_limit_is_throttled(
    harness: Harness, tmp_path: Path
) -> None:
    full = door(harness, account_limit=0)
    target = cognito_function(full, tmp_path)
    with pytest.raises(Throttled) as raised:
        harness.run(full.triggers.call(COGNITO, target, b"{}"))
    assert (raised.value.code, raised.value.status) == ("TooManyRequestsException", 429)
    assert raised.value.fields["Reason"] == "ConcurrentInvocationLimitExceeded"


def test_async_trigger_is_accepted_as_encoded(seam: Door, tmp_path: Path) -> None:
    target = cognito_function(seam, tmp_path)
    event = b'{"Records": [{"eventSource": "aws:s3", "s3": {"object": {"key": "a+b.jpg"}}}]}'
    accepted = seam.harness.run(
        seam.triggers.send(COGNITO, target, event, trace_header="Root=1-abc")
    )
    (queued,) = seam.queue.accepted
    assert queued.request_id == accepted.request_id
    assert queued.payload == event
    assert queued.trace_header == "Root=1-abc"
    assert queued.function_arn == target


def test_logs_tries_its_regional_principal_after_the_global_one(seam: Door, tmp_path: Path) -> None:
    group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/app:*"
    regional = f"logs.{REGION}.amazonaws.com"
    logs = TriggerSource(("logs.amazonaws.com", regional), group, ACCOUNT, REGION)
    spec = make_function(tmp_path / "fn", SOURCE)
    target = seam.functions.add(spec, allow(regional, group))
    seam.harness.run(seam.triggers.validate(logs, target))
    seam.harness.run(seam.triggers.send(logs, target, b'{"awslogs": {"data": ""}}'))
    assert len(seam.queue.accepted) == 1
    only_global = TriggerSource(("logs.amazonaws.com",), group, ACCOUNT, REGION)
    with pytest.raises(AccessDenied):
        seam.harness.run(seam.triggers.validate(only_global, target))


def test_trigger_events_are_not_parsed_again(seam: Door, tmp_path: Path) -> None:
    """The door parses an API caller's payload, not a trigger's: a payload orjson refuses
    (NaN) but the function's runtime reads proves which of the two parsed it."""
    target = cognito_function(seam, tmp_path)
    event = b'{"n": NaN}'
    request = InvokeRequest(ACCOUNT, REGION, target, event)
    with pytest.raises(AwsError) as refused:
        seam.harness.run(seam.invoker.invoke(request))
    assert refused.value.code == "InvalidRequestContentException"
    result = seam.harness.run(seam.triggers.call(COGNITO, target, event))
    assert json.loads(result.raise_for_error()) == {"nan": True}


def test_trigger_events_reach_the_function_byte_for_byte(seam: Door, tmp_path: Path) -> None:
    code = tmp_path / "custom"
    code.mkdir()
    write_executable(code / "bootstrap", SHELL_BOOTSTRAP)
    spec = make_function(code, "", module="unused.txt", runtime="provided.al2023")
    target = seam.functions.add(spec, allow("cognito-idp.amazonaws.com", USER_POOL))
    event = '{"b":1,   "a":"\\u00e9 é",  "c":[1.50,2e3]}'.encode()
    result = seam.harness.run(seam.triggers.call(COGNITO, target, event))
    assert result.raise_for_error() == event  # the shell bootstrap answers what it got


def test_a_call_the_service_stopped_waiting_for_runs_to_its_end(seam: Door, tmp_path: Path) -> None:
    target = cognito_function(seam, tmp_path)
    logged_before = len(seam.harness.sink.batches)

    async def scenario() -> None:
        with pytest.raises(TriggerTimedOut) as raised:
            await seam.triggers.call(COGNITO, target, b'{"sleep": 1}', timeout=0.05)
        assert raised.value.timeout == 0.05
        assert seam.triggers.pending == 1
        await wait_until(lambda: seam.triggers.pending == 0, timeout=30)

    seam.harness.run(scenario())
    # The invocation ended as invocations end: its log (START ... REPORT) went to the sink.
    (batch,) = seam.harness.sink.batches[logged_before:]
    assert batch[0].function_arn == target
    assert batch[2][-1].message.startswith("REPORT RequestId:")


def test_a_function_error_that_is_not_an_error_object() -> None:
    result = TriggerResult("id", "$LATEST", b"not json", "Unhandled")
    error = result.error()
    assert error is not None
    assert (error.error_type, error.error_message, error.payload) == ("Unhandled", "", b"not json")
