"""The contract between the invoker and the runtime: what to run and what came back.

These records are all the runtime knows about functions; it never sees the store, the Lambda
API or triggers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """One function version as an execution environment sees it.

    Two specs with the same ``environment_key`` may share warm environments; any change of
    code or configuration produces a new key, so stale environments are never reused.
    """

    function_name: str
    function_arn: str  # unqualified ARN
    version: str  # "$LATEST" or a number
    runtime: str  # "python3.12", "provided.al2023", ...
    handler: str
    code_dir: str  # absolute path of the extracted code (or a hot-reload directory)
    revision_id: str  # changes with every code or configuration update
    memory_size: int  # MB
    timeout: int  # seconds
    region: str
    account_id: str
    log_group: str
    environment: Mapping[str, str] = field(default_factory=dict)  # the user's variables
    # The function's layers merged in order (AWS's ``/opt``: a later layer's file replaces an
    # earlier one's), None without layers. Each family puts its runtime's layer paths on its
    # own search path (Python: ``python``, ``python/lib/pythonX.Y/site-packages``); ``bin`` and
    # ``lib`` are on PATH and LD_LIBRARY_PATH for all (``env_vars``).
    opt_dir: str | None = None
    ephemeral_storage: int = 512  # MB of /tmp (EphemeralStorage.Size)
    # "on-demand", or "provisioned-concurrency" for the pool's provisioned environments
    # (AWS_LAMBDA_INITIALIZATION_TYPE; their first invocation reports no Init Duration).
    initialization_type: str = "on-demand"
    # LoggingConfig: "Text", or "JSON" with the levels (AWS's defaults: INFO) the platform
    # filters the function's and its own records by.
    log_format: str = "Text"
    application_log_level: str = "INFO"
    system_log_level: str = "INFO"

    @property
    def provisioned(self) -> bool:
        return self.initialization_type == "provisioned-concurrency"

    @property
    def environment_key(self) -> tuple[str, str, str]:
        return (self.function_arn, self.version, self.revision_id)


class ResponseStream(Protocol):
    """Where a streamed response goes while the function runs (``InvokeWithResponseStream``,
    a ``RESPONSE_STREAM`` function URL): its content type once, before the first bytes, then
    the bytes as the function writes them. Runtime-neutral: any environment whose runtime
    streams calls it; called on the event loop, so it must not block."""

    def open(self, content_type: str) -> None: ...

    def write(self, chunk: bytes) -> None: ...


@dataclass(frozen=True, slots=True)
class Invocation:
    """One invocation handed to an execution environment. With ``stream``, a function that
    streams its response writes it there (the result's payload is then empty unless it is an
    error object); without, a streamed response is collected into the payload."""

    request_id: str
    payload: bytes
    invoked_function_arn: str  # as the caller named it (qualified when it was)
    client_context: str | None = None  # JSON text (decoded X-Amz-Client-Context)
    cognito_identity: str | None = None  # JSON text
    trace_id: str | None = None  # "Root=1-...;Parent=...;Sampled=0"
    stream: ResponseStream | None = None


@dataclass(frozen=True, slots=True)
class InvocationResult:
    """What the environment produced.

    ``function_error`` is ``"Unhandled"`` when ``payload`` is an error object (handler
    exception, timeout, crash, out of memory, oversized response, ...), else ``None``.
    ``error_type`` names the error for the REPORT line and metrics (``Sandbox.Timedout``,
    ``Runtime.ExitError``, the exception class, ...). ``log`` is this invocation's log text:
    the START line, everything the function wrote, END and REPORT, newline-terminated.
    """

    payload: bytes
    function_error: str | None
    log: str
    duration_ms: float
    init_duration_ms: float | None = None
    max_memory_used_mb: int = 0
    error_type: str | None = None
    streamed: bool = False  # the function streamed its response (to ``Invocation.stream``)


@dataclass(frozen=True, slots=True)
class LogEvent:
    timestamp_ms: int
    message: str


class LogSink(Protocol):
    """Where function logs go: the store now, CloudWatch Logs once that service exists."""

    def put_log_events(
        self, spec: FunctionSpec, log_stream_name: str, events: list[LogEvent]
    ) -> None: ...


class ExecutionEnvironment(Protocol):
    """One execution environment (a worker process) of one function version.

    ``invoke`` never raises for anything the function does: handler exceptions, init
    failures, timeouts, crashes and running out of memory all come back as an
    ``InvocationResult`` with ``function_error`` set, and leave ``alive`` telling whether the
    environment can serve again (a timeout, crash or OOM kills it; the pool replaces it).
    """

    spec: FunctionSpec
    stream_name: str  # its CloudWatch log stream

    @property
    def alive(self) -> bool: ...

    @property
    def init_failed(self) -> bool:
        """Whether its init failed (an error, an exit, a timeout, its extensions'): its
        first invocation answers that failure."""
        ...

    async def invoke(self, invocation: Invocation) -> InvocationResult: ...

    async def stop(self) -> None: ...
