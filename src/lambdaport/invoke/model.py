"""The records that pass through ``Invoker``: one request type for every caller."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from lambdaport.runtime.spec import FunctionSpec

InvocationType = Literal["RequestResponse", "Event", "DryRun"]


@dataclass(frozen=True, slots=True)
class Caller:
    """Who invokes: an IAM identity of the account (the Lambda API) or an AWS service
    principal such as ``s3.amazonaws.com`` with the source resource and its account."""

    principal: str = "account"
    source_arn: str | None = None
    source_account: str | None = None
    event_source_token: str | None = None
    # A function URL's caller: the URL's AuthType (NONE: anyone, ``principal`` "*"; AWS_IAM:
    # the signer, ``principal`` its account, ``source_account`` too).
    function_url_auth_type: str | None = None

    @property
    def is_service(self) -> bool:
        return self.principal.endswith(".amazonaws.com")

    @property
    def via_function_url(self) -> bool:
        return self.function_url_auth_type is not None


API_CALLER = Caller()


@dataclass(frozen=True, slots=True)
class InvokeRequest:
    account_id: str
    region: str
    function_name: str  # name, name:qualifier, partial or full ARN
    payload: bytes
    qualifier: str | None = None
    invocation_type: InvocationType = "RequestResponse"
    log_type: Literal["None", "Tail"] = "None"
    client_context: str | None = None  # base64, as sent in X-Amz-Client-Context
    caller: Caller = API_CALLER
    trace_header: str | None = None
    request_id: str | None = None
    # JSON that lambdaport encoded itself (a push trigger's event): not parsed again.
    trusted_payload: bool = False


@dataclass(frozen=True, slots=True)
class InvokeResponse:
    status_code: int
    request_id: str
    executed_version: str
    payload: bytes = b""
    function_error: str | None = None
    log_result: str | None = None  # base64 of the log's last 4 KB (LogType=Tail)


@dataclass(frozen=True, slots=True)
class StreamingInvoke:
    """An invocation whose response streams (``Invoker.invoke_streaming``): admitted — the
    function resolved, the caller allowed, the payload checked — and running in ``done``,
    which ends with the response (its payload empty when the function streamed it)."""

    request_id: str
    executed_version: str
    done: asyncio.Future[InvokeResponse]


class InvokeDoor(Protocol):
    """``Invoker.invoke``, as the parts that invoke functions for others see it."""

    async def invoke(self, request: InvokeRequest) -> InvokeResponse: ...


Invoke = Callable[[InvokeRequest], Awaitable[InvokeResponse]]  # ``InvokeDoor.invoke``


@dataclass(frozen=True, slots=True)
class EventInvokeConfig:
    """How asynchronous invocations of one function, version or alias are handled
    (``PutFunctionEventInvokeConfig``); the defaults are AWS's when none is configured."""

    maximum_retry_attempts: int = 2
    maximum_event_age_in_seconds: int = 21600
    on_success: str | None = None  # destination ARN
    on_failure: str | None = None  # destination ARN


DEFAULT_EVENT_INVOKE_CONFIG = EventInvokeConfig()


@dataclass(frozen=True, slots=True)
class ResolvedFunction:
    """A function reference resolved to the version that will run."""

    spec: FunctionSpec
    invoked_arn: str  # as invoked: unqualified, or with the version or alias
    state: str
    reserved_concurrency: int | None
    # The resource-based policy statements that govern this invoke (those of the alias or
    # version named, else the function's).
    policy_statements: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    # Asynchronous invocations: the config of the qualifier invoked ($LATEST when none) and
    # the function's dead-letter queue (DeadLetterConfig.TargetArn).
    event_invoke_config: EventInvokeConfig = DEFAULT_EVENT_INVOKE_CONFIG
    dead_letter_arn: str | None = None
    # Provisioned concurrency of the version or alias invoked: its environments' key (the
    # qualified ARN it is configured on) and how many; and what the account's functions
    # without reserved concurrency have provisioned (taken from the unreserved pool).
    provisioned_key: str | None = None
    provisioned_concurrency: int = 0
    provisioned_unreserved_total: int = 0
    # PutFunctionRecursionConfig: "Terminate" stops a recursive loop, "Allow" lets it run.
    recursive_loop: str = "Terminate"

    @property
    def executed_version(self) -> str:
        return self.spec.version


@dataclass(frozen=True, slots=True)
class AsyncInvocation:
    """An ``Event`` invocation the invoker accepted, handed to the asynchronous queue."""

    request_id: str
    function_arn: str  # unqualified
    invoked_arn: str  # as invoked: unqualified, or with the version or alias
    account_id: str
    region: str
    payload: bytes
    trace_header: str | None = None
    # The resolution the invoker admitted the event with: an event that starts at once runs
    # with it (resolved microseconds before, so no second resolve); a queued one resolves
    # again when its attempt starts.
    resolved: ResolvedFunction | None = field(default=None, compare=False, repr=False)


class AsyncEventQueue(Protocol):
    """Where the invoker puts ``Event`` invocations: durably, before it answers 202."""

    async def accept(self, invocation: AsyncInvocation) -> None: ...


class FunctionResolver(Protocol):
    """Implemented by the Lambda control plane; the invoker sees functions only through it."""

    def resolve(
        self, account_id: str, region: str, function_name: str, qualifier: str | None
    ) -> ResolvedFunction: ...

    def reserved_concurrency_total(self, account_id: str, region: str) -> int: ...
