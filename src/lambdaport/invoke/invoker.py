"""``Invoker``: the one door into function execution.

The Lambda API's Invoke, every push trigger, every HTTP front and every event source mapping
call :meth:`Invoker.invoke` with an :class:`InvokeRequest`. It resolves the function and
qualifier, checks the state, the payload, the caller's permission and concurrency, then runs
the invocation on the runtime pool (or, for ``Event``, queues it durably). The async
dispatcher delivers queued events through :meth:`Invoker.run`, with the resolution it made.
A response that streams (``InvokeWithResponseStream``, ``RESPONSE_STREAM`` function URLs) goes
through :meth:`Invoker.invoke_streaming`: the same checks, then the function writes to a
``runtime.spec.ResponseStream`` while it runs.

A payload must be JSON when the runtime's family says so (``runtime/families.py``); an event
lambdaport encoded itself (``InvokeRequest.trusted_payload``: push triggers, ``invoke/triggers``)
is not parsed again.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from typing import Protocol

import orjson

from lambdaport.errors import AwsError, resource_conflict
from lambdaport.invoke.concurrency import ConcurrencyLimiter
from lambdaport.invoke.ids import new_request_id, new_trace_header
from lambdaport.invoke.model import (
    AsyncEventQueue,
    AsyncInvocation,
    FunctionResolver,
    InvokeRequest,
    InvokeResponse,
    ResolvedFunction,
    StreamingInvoke,
)
from lambdaport.invoke.permissions import check_invoke_permission
from lambdaport.invoke.recursion import carried, is_recursive, recursive_invocation
from lambdaport.runtime.families import RuntimeFamilies
from lambdaport.runtime.spec import FunctionSpec, Invocation, InvocationResult, ResponseStream

SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024  # 6 MB: RequestResponse and DryRun
ASYNC_PAYLOAD_LIMIT = 1024 * 1024  # 1 MB: Event
CLIENT_CONTEXT_LIMIT = 3583
LOG_TAIL_BYTES = 4096


class Executor(Protocol):
    """Runs invocations in execution environments (the runtime pool). ``provisioned``: the
    key of the provisioned environments the invocation may run on (its version's or
    alias's, when it holds a unit of their capacity)."""

    async def invoke(
        self, spec: FunctionSpec, invocation: Invocation, provisioned: str | None = None
    ) -> InvocationResult: ...

    def retire(self, function_arn: str, version: str | None = None) -> None: ...


def _too_large(limit: int) -> AwsError:
    return AwsError(
        "RequestTooLargeException",
        f"Request must be smaller than {limit} bytes for the InvokeFunction operation",
        413,
        fields={"Type": "User"},
    )


def _invalid_content(message: str) -> AwsError:
    return AwsError("InvalidRequestContentException", message, 400, fields={"Type": "User"})


def _decode_client_context(value: str | None) -> str | None:
    if not value:
        return None
    if len(value) > CLIENT_CONTEXT_LIMIT:
        raise _invalid_content("Client context must be smaller than 3583 bytes.")
    try:
        text = base64.b64decode(value, validate=True).decode()
        orjson.loads(text)
    except (binascii.Error, UnicodeDecodeError, orjson.JSONDecodeError):
        raise _invalid_content(
            "Client context must be a valid Base64-encoded JSON object."
        ) from None
    return text


def _check_active(resolved: ResolvedFunction) -> None:
    if resolved.state != "Active":
        raise resource_conflict(
            "The operation cannot be performed at this time. The function is currently "
            f"in the following state: {resolved.state}"
        )


def _traced(resolved: ResolvedFunction, trace_header: str | None) -> str:
    """The invocation's trace header, its Lineage counting it; a recursive loop is stopped
    here unless the function allows it (``invoke/recursion.py``)."""
    header, before = carried(trace_header or new_trace_header(), resolved.spec.function_arn)
    if is_recursive(before) and resolved.recursive_loop == "Terminate":
        raise recursive_invocation()
    return header


def _check_json(payload: bytes) -> bytes:
    if not payload:
        return b"{}"
    try:
        orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise _invalid_content(
            f"Could not parse request body into json: Could not parse payload into json: {exc}"
        ) from None
    return payload


class Invoker:
    def __init__(
        self,
        resolver: FunctionResolver,
        executor: Executor,
        limiter: ConcurrencyLimiter,
        events: AsyncEventQueue,
        families: RuntimeFamilies,
    ) -> None:
        self._resolver = resolver
        self._executor = executor
        self._limiter = limiter
        self._events = events
        self._families = families

    def retire(self, function_arn: str, version: str | None = None) -> None:
        """Code or configuration changed (or the function is gone): no warm reuse."""
        self._executor.retire(function_arn, version)

    async def invoke(self, request: InvokeRequest) -> InvokeResponse:
        resolved, payload, client_context, request_id = self._admit(request)
        if request.invocation_type == "DryRun":
            return InvokeResponse(204, request_id, resolved.executed_version)
        if request.invocation_type == "Event":
            spec = resolved.spec
            await self._events.accept(
                AsyncInvocation(
                    request_id=request_id,
                    function_arn=spec.function_arn,
                    invoked_arn=resolved.invoked_arn,
                    account_id=spec.account_id,
                    region=spec.region,
                    payload=payload,
                    trace_header=request.trace_header,
                    resolved=resolved,
                )
            )
            return InvokeResponse(202, request_id, resolved.executed_version)
        trace_header = _traced(resolved, request.trace_header)
        return await self._run(
            resolved, payload, request_id, trace_header, client_context, request.log_type
        )

    async def invoke_streaming(
        self, request: InvokeRequest, stream: ResponseStream
    ) -> StreamingInvoke:
        """A ``RequestResponse`` (or ``DryRun``) invocation whose function streams its
        response to ``stream`` (``InvokeWithResponseStream``, ``RESPONSE_STREAM`` function
        URLs): the door's checks raise here; the invocation runs on in the answer's ``done``."""
        resolved, payload, client_context, request_id = self._admit(request)
        loop = asyncio.get_running_loop()
        version = resolved.executed_version
        done: asyncio.Future[InvokeResponse]
        if request.invocation_type == "DryRun":
            done = loop.create_future()
            done.set_result(InvokeResponse(204, request_id, version))
        else:
            running = self._run(
                resolved,
                payload,
                request_id,
                _traced(resolved, request.trace_header),
                client_context,
                request.log_type,
                stream,
            )
            done = loop.create_task(running)
        return StreamingInvoke(request_id, version, done)

    def _admit(self, request: InvokeRequest) -> tuple[ResolvedFunction, bytes, str | None, str]:
        """The door's checks: (resolved function, payload, client context, request id)."""
        limit = ASYNC_PAYLOAD_LIMIT if request.invocation_type == "Event" else SYNC_PAYLOAD_LIMIT
        if len(request.payload) > limit:
            raise _too_large(limit)
        resolved = self._resolver.resolve(
            request.account_id, request.region, request.function_name, request.qualifier
        )
        _check_active(resolved)
        spec = resolved.spec
        check_invoke_permission(
            resolved.policy_statements,
            request.caller,
            resolved.invoked_arn,
            request.account_id,
            spec.account_id,
        )
        payload = request.payload
        if not request.trusted_payload and self._families.family(spec.runtime).json_payloads:
            payload = _check_json(payload)
        client_context = _decode_client_context(request.client_context)
        request_id = request.request_id or new_request_id()
        return resolved, payload, client_context, request_id

    async def run(
        self, resolved: ResolvedFunction, payload: bytes, request_id: str, trace_header: str | None
    ) -> InvokeResponse:
        """Run a queued asynchronous event synchronously. The async dispatcher has resolved
        the function itself (its version, config and limits decide the event's fate), and
        the payload passed the door's checks when the event was accepted. A recursive loop
        raises ``RecursiveInvocationException``: the dispatcher sends the event to the
        failure destination or dead-letter queue."""
        _check_active(resolved)
        traced = _traced(resolved, trace_header)
        return await self._run(resolved, payload, request_id, traced, None, "None")

    async def _run(
        self,
        resolved: ResolvedFunction,
        payload: bytes,
        request_id: str,
        trace_header: str,
        client_context: str | None,
        log_type: str,
        stream: ResponseStream | None = None,
    ) -> InvokeResponse:
        spec = resolved.spec
        invocation = Invocation(
            request_id=request_id,
            payload=payload,
            invoked_function_arn=resolved.invoked_arn,
            client_context=client_context,
            trace_id=trace_header,
            stream=stream,
        )
        account_key = (spec.account_id, spec.region)
        reserved = resolved.reserved_concurrency
        reserved_total = self._resolver.reserved_concurrency_total(*account_key)
        reserved_total += resolved.provisioned_unreserved_total
        key = resolved.provisioned_key
        provisioned = None if key is None else (key, resolved.provisioned_concurrency)
        limiter = self._limiter
        on_provisioned = limiter.acquire(
            account_key, spec.function_arn, reserved, reserved_total, provisioned
        )
        lease = key if on_provisioned else None
        try:
            result = await self._executor.invoke(spec, invocation, lease)
        finally:
            limiter.release(account_key, spec.function_arn, reserved, lease)
        log_result = None
        if log_type == "Tail":
            tail = result.log.encode()[-LOG_TAIL_BYTES:]
            log_result = base64.b64encode(tail).decode()
        return InvokeResponse(
            status_code=200,
            request_id=request_id,
            executed_version=resolved.executed_version,
            payload=result.payload,
            function_error=result.function_error,
            log_result=log_result,
        )
