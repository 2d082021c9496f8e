"""Push triggers: how an AWS service's event reaches a function (the seam "service → function").

A service that pushes events (S3 notifications, SNS deliveries, Logs subscription filters,
and the synchronous triggers to come: Cognito user pools, API Gateway, Secrets Manager
rotation, ...) names a :class:`TriggerSource` (its service principal, the source ARN and the
source account; an event source mapping's poller names the function's execution role) and
goes through :class:`PushTriggers`, over ``Invoker.invoke``:

* ``validate``: the ``DryRun`` permission check a configuration save does;
* ``send``: an ``Event`` invocation, queued durably (the async dispatcher runs it with
  retries and destinations), answered with :class:`Accepted`;
* ``call``: a ``RequestResponse`` invocation answered with :class:`TriggerResult` (the
  function's payload, and its error when it failed); with ``timeout`` the service stops
  waiting (:class:`TriggerTimedOut`, API Gateway's 29 s) while the function runs on;
* ``stream``: a ``RequestResponse`` invocation whose response the function streams
  (``Invoker.invoke_streaming``: a ``RESPONSE_STREAM`` function URL), answered once admitted.

An event is encoded once by its service, as JSON lambdaport built, and reaches the function
byte for byte: the door does not parse it again (``InvokeRequest.trusted_payload``). When
the function cannot be invoked, the door's refusal is raised as its kind from ``errors.py``
(``AccessDenied``, ``ResourceNotFound``, ``ResourceConflict``, ``Throttled``, whatever the
door raised them as), which each service words as its own (S3's "Unable to validate the
following destination configurations", Logs' "Could not execute the lambda function").
A source that policies may name in more than one way (CloudWatch Logs: ``logs.amazonaws.com``,
then ``logs.REGION.amazonaws.com``) is tried principal by principal, the next one only when
a policy refused the one before.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import orjson

from lambdaport.errors import AccessDenied, AwsError, FunctionError, typed
from lambdaport.invoke.model import (
    API_CALLER,
    Caller,
    InvocationType,
    Invoke,
    InvokeRequest,
    InvokeResponse,
    StreamingInvoke,
)
from lambdaport.runtime.spec import ResponseStream

logger = logging.getLogger("lambdaport.triggers")

DRY_RUN_EVENT = b"{}"

T = TypeVar("T")
InvokeStreaming = Callable[[InvokeRequest, ResponseStream], Awaitable[StreamingInvoke]]


@dataclass(frozen=True, slots=True)
class TriggerSource:
    """Who pushes: the service as resource policies name it (``principals``, tried in
    order), the resource the event comes from and its account; ``region`` is where a target
    given without an ARN is looked up."""

    principals: tuple[str, ...]
    source_arn: str
    source_account: str
    region: str
    # A function URL's request: its AuthType; the principal is "*" (NONE) or the signer's
    # account (AWS_IAM), checked against ``lambda:InvokeFunctionUrl`` (invoke/permissions).
    function_url_auth_type: str | None = None

    @classmethod
    def of(cls, principal: str, source_arn: str, source_account: str, region: str) -> TriggerSource:
        return cls((principal,), source_arn, source_account, region)

    @classmethod
    def function_url(cls, auth_type: str, caller_account: str | None, region: str) -> TriggerSource:
        """A function URL's caller: anyone (NONE) or the account that signed (AWS_IAM)."""
        principal = "*" if caller_account is None else caller_account
        return cls((principal,), "", caller_account or "", region, auth_type)

    @classmethod
    def execution_role(
        cls, role_arn: str, source_arn: str, account_id: str, region: str
    ) -> TriggerSource:
        """A poller's invocations (event source mappings): Lambda reads the source and
        invokes the function as the function's own execution role, an identity of the
        function's account, so no resource-based policy is needed."""
        return cls((role_arn,), source_arn, account_id, region)

    @classmethod
    def operator(cls, source_arn: str, account: str, region: str) -> TriggerSource:
        """A service acting with its caller's own credentials: CloudFormation invokes a custom
        resource's function as the stack's operator (AWS-SEMANTICS D.7), so in the same
        account no resource-policy statement is needed and none for a service principal
        applies."""
        return cls((API_CALLER.principal,), source_arn, account, region)

    def callers(self) -> tuple[Caller, ...]:
        return tuple(
            Caller(
                principal,
                source_arn=self.source_arn or None,
                source_account=self.source_account or None,
                function_url_auth_type=self.function_url_auth_type,
            )
            for principal in self.principals
        )


@dataclass(frozen=True, slots=True)
class Accepted:
    """An ``Event`` invocation the function's queue holds now."""

    request_id: str


@dataclass(frozen=True, slots=True)
class TriggerResult:
    """What a synchronous trigger's function returned. ``function_error`` (``Unhandled``,
    as in ``X-Amz-Function-Error``) says ``payload`` is the function's error object."""

    request_id: str
    executed_version: str
    payload: bytes
    function_error: str | None = None

    @property
    def failed(self) -> bool:
        return self.function_error is not None

    def error(self) -> FunctionError | None:
        """The function's error (type and message from its error object), if it failed."""
        if self.function_error is None:
            return None
        try:
            body = orjson.loads(self.payload)
        except orjson.JSONDecodeError:
            body = None
        if not isinstance(body, dict):
            return FunctionError(self.function_error, "", self.payload)
        error_type = body.get("errorType") or self.function_error
        return FunctionError(str(error_type), str(body.get("errorMessage") or ""), self.payload)

    def raise_for_error(self) -> bytes:
        """The payload of a function that succeeded; a failure raised as ``FunctionError``."""
        error = self.error()
        if error is not None:
            raise error
        return self.payload


class TriggerTimedOut(Exception):
    """The service stopped waiting for the function (which runs on to its own timeout)."""

    def __init__(self, target: str, timeout: float) -> None:
        super().__init__(f"{target} did not answer within {timeout:g} s")
        self.target = target
        self.timeout = timeout


def account_of(target: str) -> str:
    """The account a target ARN names (a function URL's caller may be anonymous)."""
    parts = target.split(":")
    return parts[4] if target.startswith("arn:") and len(parts) > 4 else ""


class PushTriggers:
    """The one way services invoke functions: over ``Invoker.invoke`` (``invoke``)."""

    def __init__(self, invoke: Invoke, invoke_streaming: InvokeStreaming | None = None) -> None:
        self._invoke = invoke
        self._invoke_streaming = invoke_streaming
        self._running: set[asyncio.Task[InvokeResponse]] = set()

    async def validate(self, source: TriggerSource, target: str) -> None:
        """May ``source`` invoke ``target``? Raises the refusal (``DryRun``)."""
        await self._through(source, target, DRY_RUN_EVENT, "DryRun", None, self._invoke)

    async def send(
        self, source: TriggerSource, target: str, event: bytes, *, trace_header: str | None = None
    ) -> Accepted:
        """Invoke ``target`` asynchronously with ``event`` (JSON lambdaport encoded)."""
        response = await self._through(source, target, event, "Event", trace_header, self._invoke)
        return Accepted(response.request_id)

    async def call(
        self,
        source: TriggerSource,
        target: str,
        event: bytes,
        *,
        timeout: float | None = None,
        trace_header: str | None = None,
    ) -> TriggerResult:
        """Invoke ``target`` synchronously with ``event`` and return what it returned."""
        work = self._through(source, target, event, "RequestResponse", trace_header, self._invoke)
        if timeout is None:
            response = await work
        else:
            task = asyncio.get_running_loop().create_task(work)
            self._running.add(task)
            task.add_done_callback(self._finished)
            try:
                response = await asyncio.wait_for(asyncio.shield(task), timeout)
            except TimeoutError:
                raise TriggerTimedOut(target, timeout) from None
        return TriggerResult(
            response.request_id,
            response.executed_version,
            response.payload,
            response.function_error,
        )

    async def stream(
        self, source: TriggerSource, target: str, event: bytes, stream: ResponseStream
    ) -> StreamingInvoke:
        """Invoke ``target`` synchronously with ``event``, the function writing its response
        to ``stream``; refusals raise here, the invocation runs on in the answer's ``done``."""
        streaming = self._invoke_streaming
        if streaming is None:
            raise ValueError("these triggers were made without a streaming door")
        return await self._through(
            source,
            target,
            event,
            "RequestResponse",
            None,
            lambda request: streaming(request, stream),
        )

    @property
    def pending(self) -> int:
        """Synchronous invocations still running after their caller stopped waiting."""
        return len(self._running)

    def _finished(self, task: asyncio.Task[InvokeResponse]) -> None:
        self._running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.info("a trigger nobody waited for any more failed: %s", task.exception())

    async def _through(
        self,
        source: TriggerSource,
        target: str,
        payload: bytes,
        kind: InvocationType,
        trace_header: str | None,
        door: Callable[[InvokeRequest], Awaitable[T]],
    ) -> T:
        denied: AwsError | None = None
        for caller in source.callers():
            request = InvokeRequest(
                account_id=source.source_account or account_of(target),
                region=source.region,
                function_name=target,
                payload=payload,
                invocation_type=kind,
                caller=caller,
                trace_header=trace_header,
                trusted_payload=True,
            )
            try:
                return await door(request)
            except AwsError as error:
                refusal = typed(error)
                if not isinstance(refusal, AccessDenied):
                    if refusal is error:
                        raise
                    raise refusal from error
                denied = refusal
        if denied is None:
            raise ValueError("a trigger source names at least one principal")
        raise denied
