"""Contract of the hooks around moto's operations (``moto_tail/operation_hooks.py``): where
each part runs, what it sees and how its answer becomes the response. An in-process tail
with hooks of the tests' own, driven through its ASGI door."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from lambdaport.endpoint import WordedError
from lambdaport.errors import AwsError
from lambdaport.protocol.base import HttpResponse
from lambdaport.request import RequestContext
from lambdaport.services.moto_tail import MotoTail
from lambdaport.services.moto_tail.operation_hooks import MotoResult, OperationHook, OperationHooks
from lambdaport.services.moto_tail.protocol import MotoCall

ACCOUNT = "123456789012"
AUTH = (
    "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/secretsmanager/aws4_request, "
    "SignedHeaders=host, Signature=00"
)


@pytest.fixture
def hooked() -> Iterator[MotoTail]:
    tail = MotoTail(hooks=OperationHooks())
    tail.endpoints(excluded=())
    yield tail
    asyncio.run(tail.stop())


def request(tail: MotoTail, operation: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """One Secrets Manager call through the tail's ASGI door: (status, JSON body)."""
    headers = {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": f"secretsmanager.{operation}",
        "authorization": AUTH,
        "host": "127.0.0.1",
    }
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
    }
    messages = [{"type": "http.request", "body": json.dumps(body).encode(), "more_body": False}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    ctx = RequestContext(ACCOUNT, "us-east-1", "req-1", service="secretsmanager")
    try:
        asyncio.run(tail.handle(scope, receive, send, ctx))
    except WordedError as worded:  # what the gateway answers for a raw endpoint
        answer = worded.errors.error_response(worded.error, ctx.request_id)
        return answer.status, json.loads(answer.body)
    status = int(sent[0]["status"])
    return status, json.loads(sent[1]["body"] or b"{}")


def secret_names(tail: MotoTail) -> list[str]:
    status, body = request(tail, "ListSecrets", {})
    assert status == 200, body
    return [secret["Name"] for secret in body["SecretList"]]


def test_registration_checks_the_model() -> None:
    hooks = OperationHooks()
    with pytest.raises(ValueError, match="no operation"):
        hooks.register("secretsmanager", "CreateSecrets", OperationHook())
    with pytest.raises(ValueError, match="does not serve"):
        hooks.register("lambda", "Invoke", OperationHook())


def test_before_refuses_and_moto_never_sees_the_call(hooked: MotoTail) -> None:
    seen: list[MotoCall] = []

    async def refuse(call: MotoCall, ctx: RequestContext) -> HttpResponse | None:
        seen.append(call)
        await asyncio.sleep(0)  # on the event loop: it may await
        raise AwsError("InvalidRequestException", "refused by a hook", 400)

    hooked.hooks.register("secretsmanager", "CreateSecret", OperationHook(before=refuse))
    name = f"refused-{uuid.uuid4().hex[:8]}"
    status, body = request(hooked, "CreateSecret", {"Name": name, "SecretString": "v"})
    assert (status, body["__type"], body["Message"]) == (
        400,
        "InvalidRequestException",
        "refused by a hook",
    )
    assert [(c.operation, c.params["Name"]) for c in seen] == [("CreateSecret", name)]
    assert name not in secret_names(hooked)


def test_before_answers_instead_of_moto(hooked: MotoTail) -> None:
    async def answer(call: MotoCall, ctx: RequestContext) -> HttpResponse | None:
        return HttpResponse(200, [("content-type", "application/json")], b'{"Name": "mine"}')

    hooked.hooks.register("secretsmanager", "CreateSecret", OperationHook(before=answer))
    name = f"answered-{uuid.uuid4().hex[:8]}"
    assert request(hooked, "CreateSecret", {"Name": name, "SecretString": "v"}) == (
        200,
        {"Name": "mine"},
    )
    assert name not in secret_names(hooked)


def test_capture_sees_moto_under_the_lock_and_after_runs_outside(hooked: MotoTail) -> None:
    threads: dict[str, str] = {}

    def prepare(call: MotoCall, ctx: RequestContext) -> Callable[[MotoCall, MotoResult], list[str]]:
        threads["prepare"] = threading.current_thread().name
        before = secret_names_in_moto()

        def capture(call: MotoCall, result: MotoResult) -> list[str]:
            threads["capture"] = threading.current_thread().name
            assert call.params["Name"] not in before  # prepare looked before moto ran it
            return secret_names_in_moto()

        return capture

    async def after(
        call: MotoCall, result: MotoResult, captured: list[str], ctx: RequestContext
    ) -> HttpResponse | None:
        threads["after"] = threading.current_thread().name
        # The lock is free: a read of moto's state from here does not wait for this call.
        names = await hooked.engine.read(lambda: secret_names_in_moto())
        assert call.params["Name"] in captured and call.params["Name"] in names
        assert result.ok and result.parsed["ARN"].startswith("arn:aws:secretsmanager:")
        body = json.dumps({"ARN": result.parsed["ARN"], "Seen": len(captured)}).encode()
        return HttpResponse(201, [("content-type", "application/json")], body)

    hooked.hooks.register(
        "secretsmanager",
        "CreateSecret",
        OperationHook(prepare=prepare, after=after),
    )
    name = f"seen-{uuid.uuid4().hex[:8]}"
    status, body = request(hooked, "CreateSecret", {"Name": name, "SecretString": "v"})
    assert status == 201 and body["ARN"].split(":")[-1].startswith(f"{name}-")
    assert threads["prepare"].startswith("moto-tail")
    assert threads["capture"].startswith("moto-tail")
    assert threads["after"] == threading.main_thread().name
    assert name in secret_names(hooked)


def test_before_may_hand_moto_the_call_without_members(hooked: MotoTail) -> None:
    seen: list[object] = []

    async def before(call: MotoCall, ctx: RequestContext) -> MotoCall:
        return call.without("Description")

    def capture(call: MotoCall, result: MotoResult) -> object:
        seen.append(call.params.get("Description"))  # the client's parameters stay
        from moto.secretsmanager.models import secretsmanager_backends

        secret = secretsmanager_backends[ACCOUNT]["us-east-1"].secrets[call.params["Name"]]
        return secret.description

    async def after(
        call: MotoCall, result: MotoResult, captured: object, ctx: RequestContext
    ) -> None:
        seen.append(captured)

    hooked.hooks.register(
        "secretsmanager", "CreateSecret", OperationHook(before=before, capture=capture, after=after)
    )
    name = f"bare-{uuid.uuid4().hex[:8]}"
    status, _ = request(
        hooked, "CreateSecret", {"Name": name, "SecretString": "v", "Description": "hidden"}
    )
    assert status == 200
    assert seen[0] == "hidden" and not seen[1]  # moto never saw the Description


def test_a_hook_has_a_prepare_or_a_capture() -> None:
    def capture(call: MotoCall, result: MotoResult) -> None:
        return None

    with pytest.raises(ValueError, match="one of the two"):
        OperationHook(prepare=lambda call, ctx: capture, capture=capture)


def test_after_sees_moto_errors_parsed(hooked: MotoTail) -> None:
    results: list[MotoResult] = []

    async def after(
        call: MotoCall, result: MotoResult, captured: None, ctx: RequestContext
    ) -> HttpResponse | None:
        results.append(result)
        return None

    hooked.hooks.register("secretsmanager", "DescribeSecret", OperationHook(after=after))
    status, body = request(hooked, "DescribeSecret", {"SecretId": f"none-{uuid.uuid4().hex}"})
    assert body["__type"] == "ResourceNotFoundException"
    assert results[0].status == status and not results[0].ok
    assert results[0].parsed["Error"]["Code"] == "ResourceNotFoundException"


def secret_names_in_moto() -> list[str]:
    from moto.secretsmanager.models import secretsmanager_backends

    return [s.name for s in secretsmanager_backends[ACCOUNT]["us-east-1"].secrets.values()]
