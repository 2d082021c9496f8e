"""The Lambda Runtime API (version 2018-06-01) of one execution environment
(https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html).

Each custom-runtime environment gets its own small HTTP/1.1 server on 127.0.0.1 and an
ephemeral port; its ``address`` is the ``AWS_LAMBDA_RUNTIME_API`` the bootstrap sees. The
environment hands invocations in with ``submit`` and awaits the returned
``PendingInvocation.answer``; the runtime fetches them with a long-polling
``GET /runtime/invocation/next`` and answers with ``POST .../{id}/response`` or
``.../{id}/error``. An init failure posted to ``/runtime/init/error`` resolves
``init_error``; the first ``next`` resolves ``ready``.

A response posted with ``Lambda-Runtime-Function-Response-Mode: streaming`` (chunked, its
``Content-Type`` the stream's) goes to the invocation's ``ResponseStream`` chunk by chunk as
it arrives; without one (a plain ``Invoke``) it is collected as a buffered response is. An
error after the stream began comes in the trailers ``Lambda-Runtime-Function-Error-Type``
and ``Lambda-Runtime-Function-Error-Body`` (base64 of the error object), as AWS reads them
(https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-response-streaming).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import enum
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import orjson

from lambdaport.runtime.runtime_api_http import (
    HttpError,
    Request,
    RequestHead,
    Response,
    read_body,
    read_head,
    read_rest,
    write_response,
)
from lambdaport.runtime.spec import Invocation, ResponseStream

RUNTIME_API_VERSION = "2018-06-01"
RUNTIME_PREFIX = f"/{RUNTIME_API_VERSION}/runtime/"
# AWS's response cap: 6 MiB plus 100 bytes, the number its error messages name.
RESPONSE_SIZE_LIMIT = 6 * 1024 * 1024 + 100
ERROR_TYPE_HEADER = "lambda-runtime-function-error-type"
ERROR_BODY_TRAILER = "lambda-runtime-function-error-body"
RESPONSE_MODE_HEADER = "lambda-runtime-function-response-mode"
_ANSWERED_IDS_KEPT = 256  # late answers to these get 403 instead of 400
_JSON = {"Content-Type": "application/json"}


class Routes(Protocol):
    """More paths the server answers (the Extensions and Telemetry APIs, ``extensions.py``)."""

    def serves(self, path: str) -> bool: ...

    async def route(self, request: Request) -> Response: ...


class AnswerKind(enum.Enum):
    RESPONSE = "response"
    ERROR = "error"
    RESPONSE_TOO_LARGE = "response_too_large"


@dataclass(frozen=True, slots=True)
class RuntimeAnswer:
    """What the runtime posted for one invocation.

    ``payload`` is the response, the error object as posted, or (for ``RESPONSE_TOO_LARGE``)
    the platform's ``Function.ResponseSizeTooLarge`` error object. ``answered_at`` is the
    event loop's clock when the post arrived: the end of the invocation's duration.
    """

    kind: AnswerKind
    payload: bytes
    error_type: str | None
    answered_at: float
    streamed: bool = False  # the response went to the invocation's ResponseStream


@dataclass(frozen=True, slots=True)
class InitError:
    payload: bytes  # the error object as posted
    error_type: str


@dataclass(frozen=True, slots=True)
class PendingInvocation:
    """An invocation submitted to the runtime.

    ``delivered`` resolves when a ``next`` hands it to the runtime, ``answer`` when the
    runtime posts its response or error.
    """

    invocation: Invocation
    deadline_ms: int  # epoch milliseconds, sent as Lambda-Runtime-Deadline-Ms
    delivered: asyncio.Future[None]
    answer: asyncio.Future[RuntimeAnswer]


def error_body(error_type: str, message: str) -> bytes:
    """The Runtime API's own error answers: ``{"errorMessage", "errorType"}``."""
    return orjson.dumps({"errorMessage": message, "errorType": error_type})


def response_too_large_error() -> bytes:
    """The invocation's result when the runtime posted a response over the limit."""
    return orjson.dumps(
        {
            "errorType": "Function.ResponseSizeTooLarge",
            "errorMessage": "Response payload size exceeded maximum allowed payload size "
            f"({RESPONSE_SIZE_LIMIT} bytes).",
        }
    )


def new_trace_id() -> str:
    """An X-Ray trace header for invocations that arrive without one, as AWS always sends one."""
    root = f"1-{int(time.time()):08x}-{os.urandom(12).hex()}"
    return f"Root={root};Parent={os.urandom(8).hex()};Sampled=0"


class RuntimeApi:
    """The Runtime API server of one execution environment. Create it with ``open()``."""

    def __init__(
        self, on_next: Callable[[], None] | None = None, extensions: Routes | None = None
    ) -> None:
        loop = asyncio.get_running_loop()
        self._on_next = on_next
        self._extensions = extensions
        self.ready: asyncio.Future[None] = loop.create_future()
        self.init_error: asyncio.Future[InitError] = loop.create_future()
        self._queue: asyncio.Queue[PendingInvocation] = asyncio.Queue()
        self._current: PendingInvocation | None = None
        self._answered: dict[str, None] = {}  # insertion-ordered, bounded
        self._connections: set[asyncio.Task[object]] = set()
        self._server: asyncio.Server | None = None
        self._port = 0

    @classmethod
    async def open(
        cls, on_next: Callable[[], None] | None = None, extensions: Routes | None = None
    ) -> RuntimeApi:
        """Start serving; ``on_next`` is called as each ``next`` request arrives; the
        Extensions and Telemetry APIs are ``extensions``' (``extensions.py``)."""
        api = cls(on_next, extensions)
        api._server = await asyncio.start_server(api._serve_connection, "127.0.0.1", 0)
        api._port = api._server.sockets[0].getsockname()[1]
        return api

    @property
    def address(self) -> str:
        """``host:port``, the value of ``AWS_LAMBDA_RUNTIME_API``."""
        return f"127.0.0.1:{self._port}"

    def submit(self, invocation: Invocation, deadline_ms: int) -> PendingInvocation:
        loop = asyncio.get_running_loop()
        pending = PendingInvocation(
            invocation, deadline_ms, loop.create_future(), loop.create_future()
        )
        self._queue.put_nowait(pending)
        return pending

    def abandon(self, pending: PendingInvocation) -> None:
        """Give up on an invocation (timeout, crash): later answers to it get 403."""
        if pending.answer.done():
            return
        pending.answer.cancel()
        if self._current is pending:
            self._finish(pending)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    # -- HTTP ----------------------------------------------------------------------------

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._serve_requests(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the runtime went away (killed, exited, or closed mid-request)
        except asyncio.CancelledError:
            pass  # close(): end quietly (asyncio logs connection tasks that end cancelled)
        finally:
            self._connections.discard(task)
            writer.close()

    async def _serve_requests(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        while True:
            streaming: PendingInvocation | None = None
            try:
                head = await read_head(reader, writer)
                if head is None:
                    return
                streaming = self._streaming(head)
                if streaming is not None:
                    reply = await self._stream_answer(streaming, head, reader)
                else:
                    request = await read_rest(reader, head, body_limit=RESPONSE_SIZE_LIMIT)
            except HttpError as exc:
                reply = Response(exc.status, error_body("InvalidRequest", exc.message), _JSON)
                await write_response(writer, reply, keep_alive=False)
                return
            if streaming is None:
                reply = await self._route(request)
            await write_response(writer, reply, keep_alive=head.keep_alive)
            if not head.keep_alive:
                return

    async def _route(self, request: Request) -> Response:
        if self._extensions is not None and self._extensions.serves(request.path):
            return await self._extensions.route(request)
        if not request.path.startswith(RUNTIME_PREFIX):
            return _not_found(request.path)
        parts = request.path[len(RUNTIME_PREFIX) :].split("/")
        if parts == ["invocation", "next"]:
            return await self._next() if request.method == "GET" else _not_allowed()
        if parts == ["init", "error"]:
            return self._init_error(request) if request.method == "POST" else _not_allowed()
        if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
            if request.method != "POST":
                return _not_allowed()
            return self._answer(parts[1], parts[2], request)
        return _not_found(request.path)

    # -- Runtime API operations ----------------------------------------------------------

    async def _next(self) -> Response:
        if self._current is not None:
            return _invalid_state(f"invocation {self._current.invocation.request_id} is unanswered")
        if self._on_next is not None:
            self._on_next()
        if not self.ready.done():
            self.ready.set_result(None)
        pending = await self._queue.get()
        while pending.answer.done():  # abandoned before the runtime asked for it
            pending = await self._queue.get()
        self._current = pending
        pending.delivered.set_result(None)
        return Response(200, pending.invocation.payload, _next_headers(pending))

    def _init_error(self, request: Request) -> Response:
        if self.ready.done() or self.init_error.done():
            return _invalid_state("init errors can only be reported once, before the first next")
        if request.body_too_large:
            return _too_large()
        error_type = request.headers.get(ERROR_TYPE_HEADER) or _posted_error_type(request.body)
        payload = request.body or error_body(error_type or "Runtime.Unknown", "")
        self.init_error.set_result(InitError(payload, error_type or "Runtime.Unknown"))
        return _accepted()

    def _answer(self, request_id: str, kind: str, request: Request) -> Response:
        pending = self._current
        if pending is None or pending.invocation.request_id != request_id:
            if request_id in self._answered:
                return _invalid_state(f"invocation {request_id} was already answered")
            return Response(400, error_body("InvalidRequestID", "Invalid request ID"), _JSON)
        self._finish(pending)
        now = asyncio.get_running_loop().time()
        if request.body_too_large:
            too_large = response_too_large_error()
            answer = RuntimeAnswer(
                AnswerKind.RESPONSE_TOO_LARGE, too_large, "Function.ResponseSizeTooLarge", now
            )
            pending.answer.set_result(answer)
            return _too_large()
        if kind == "response":
            answer = RuntimeAnswer(AnswerKind.RESPONSE, request.body, None, now)
        else:
            error_type = request.headers.get(ERROR_TYPE_HEADER) or _posted_error_type(request.body)
            payload = request.body or error_body(error_type or "Unhandled", "")
            answer = RuntimeAnswer(AnswerKind.ERROR, payload, error_type or "Unhandled", now)
        pending.answer.set_result(answer)
        return _accepted()

    def _streaming(self, head: RequestHead) -> PendingInvocation | None:
        """The current invocation, when ``head`` begins its streamed response."""
        pending = self._current
        if (
            pending is None
            or head.method != "POST"
            or head.headers.get(RESPONSE_MODE_HEADER, "").lower() != "streaming"
        ):
            return None
        expected = f"{RUNTIME_PREFIX}invocation/{pending.invocation.request_id}/response"
        return pending if head.path == expected else None

    async def _stream_answer(
        self, pending: PendingInvocation, head: RequestHead, reader: asyncio.StreamReader
    ) -> Response:
        stream = pending.invocation.stream
        if stream is not None:
            stream.open(head.headers.get("content-type") or "application/octet-stream")
        sink = _StreamSink(stream, pending)
        await read_body(reader, head, sink)
        if pending.answer.done():  # abandoned (timeout) while it streamed
            return _invalid_state(f"invocation {pending.invocation.request_id} is over")
        self._finish(pending)
        now = asyncio.get_running_loop().time()
        streamed = stream is not None
        error_type = sink.fields.get(ERROR_TYPE_HEADER)
        if error_type:
            payload = _trailer_error(sink.fields.get(ERROR_BODY_TRAILER)) or error_body(
                error_type, ""
            )
            answer = RuntimeAnswer(AnswerKind.ERROR, payload, error_type, now, streamed)
        elif sink.size > RESPONSE_SIZE_LIMIT and not streamed:
            too_large = response_too_large_error()
            kind = AnswerKind.RESPONSE_TOO_LARGE
            answer = RuntimeAnswer(kind, too_large, "Function.ResponseSizeTooLarge", now)
        else:
            answer = RuntimeAnswer(AnswerKind.RESPONSE, sink.body(), None, now, streamed)
        pending.answer.set_result(answer)
        return _accepted()

    def _finish(self, pending: PendingInvocation) -> None:
        self._current = None
        self._answered[pending.invocation.request_id] = None
        if len(self._answered) > _ANSWERED_IDS_KEPT:
            del self._answered[next(iter(self._answered))]


class _StreamSink:
    """A streamed response's body: to the invocation's stream as it comes while the
    invocation is on, or collected (up to the buffered limit) when nobody streams it."""

    def __init__(self, stream: ResponseStream | None, pending: PendingInvocation) -> None:
        self._stream = stream
        self._pending = pending
        self._parts: list[bytes] = []
        self.size = 0
        self.fields: Mapping[str, str] = {}

    def add(self, data: bytes) -> None:
        self.size += len(data)
        if self._pending.answer.done():
            return
        if self._stream is not None:
            self._stream.write(data)
        elif self.size <= RESPONSE_SIZE_LIMIT:
            self._parts.append(data)

    def trailers(self, fields: Mapping[str, str]) -> None:
        self.fields = fields

    def body(self) -> bytes:
        return b"".join(self._parts)


def _trailer_error(encoded: str | None) -> bytes | None:
    """The error object of ``Lambda-Runtime-Function-Error-Body`` (base64)."""
    if not encoded:
        return None
    try:
        return base64.b64decode(encoded, validate=True)
    except binascii.Error:
        return None


def _next_headers(pending: PendingInvocation) -> dict[str, str]:
    invocation = pending.invocation
    headers = {
        "Content-Type": "application/json",
        "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
        "Lambda-Runtime-Deadline-Ms": str(pending.deadline_ms),
        "Lambda-Runtime-Invoked-Function-Arn": invocation.invoked_function_arn,
        "Lambda-Runtime-Trace-Id": invocation.trace_id or new_trace_id(),
    }
    if invocation.client_context is not None:
        headers["Lambda-Runtime-Client-Context"] = invocation.client_context
    if invocation.cognito_identity is not None:
        headers["Lambda-Runtime-Cognito-Identity"] = invocation.cognito_identity
    return headers


def _posted_error_type(body: bytes) -> str | None:
    """``errorType`` of a posted error object, when it is one."""
    try:
        value = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        return None
    error_type = value.get("errorType") if isinstance(value, dict) else None
    return error_type if isinstance(error_type, str) and error_type else None


def _accepted() -> Response:
    return Response(202, b'{"status":"OK"}', _JSON)


def _too_large() -> Response:
    message = f"Exceeded maximum allowed payload size ({RESPONSE_SIZE_LIMIT} bytes)."
    return Response(413, error_body("RequestEntityTooLarge", message), _JSON)


def _invalid_state(message: str) -> Response:
    return Response(403, error_body("InvalidStateTransition", message), _JSON)


def _not_found(path: str) -> Response:
    return Response(404, error_body("InvalidRequest", f"No such resource: {path}"), _JSON)


def _not_allowed() -> Response:
    return Response(405, error_body("InvalidRequest", "Method not allowed"), _JSON)
