"""External extensions of an execution environment: the Extensions API (version 2020-01-01)
and the Telemetry API (2022-07-01)
(https://docs.aws.amazon.com/lambda/latest/dg/runtimes-extensions-api.html,
https://docs.aws.amazon.com/lambda/latest/dg/telemetry-api.html).

Every executable file in the layers' ``extensions/`` directory (AWS's ``/opt/extensions``) is
started at init, before the runtime, by the launcher zygote below a keeper of its own (so it
and all it starts die with the environment), with the function's environment and
``AWS_LAMBDA_RUNTIME_API`` pointing at the environment's Runtime API server, which serves
these paths beside the runtime's (``runtime_api.RuntimeApi``; a Python environment with
extensions opens one for them alone). Each extension registers
(``POST /extension/register``, ``Lambda-Extension-Name``, the events it wants) and is
answered its ``Lambda-Extension-Identifier``, then long-polls ``GET /extension/event/next``
with it.

An extension that exits unasked after init (not after SHUTDOWN, nor having posted
``/extension/exit/error``) ends the environment: the next invocation answers
``Extension.Crash`` and the one after runs in a fresh environment; its exit is matched to
its registration by name, which is the file's name on AWS.

Init ends when the runtime is ready and every extension has registered and called next
(or failed: ``/extension/init/error``, an exit, a program that cannot start). Each
invocation is an ``INVOKE`` event to the extensions that asked for it; the caller gets the
runtime's answer at once, and the invocation is complete once every extension called next
again: the environment's next invocation waits for that. Stopping the environment sends
``SHUTDOWN`` (reason ``spindown``, ``timeout`` or ``failure``) and waits up to 2 s for
the extensions to call next or exit, then kills them.

Telemetry: ``PUT /telemetry`` subscribes an extension's HTTP listener (``sandbox.localdomain``
is this machine's loopback) to ``platform``, ``function`` and ``extension`` events; after each
invocation its events (after an environment's first, its init's ``platform.initStart``,
``platform.initRuntimeDone`` and ``platform.initReport``; ``platform.start``, the function's
lines, ``platform.runtimeDone``, ``platform.report``) and the extensions' own lines are POSTed
to it as one JSON array.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

from lambdaport.runtime import report
from lambdaport.runtime.custom_process import BootstrapProcess, LogPipe
from lambdaport.runtime.paths import EnvironmentView
from lambdaport.runtime.runtime_api_http import Request, Response
from lambdaport.runtime.spec import FunctionSpec, Invocation
from lambdaport.runtime.zygote import Zygote

logger = logging.getLogger("lambdaport.runtime")

EXTENSION_PREFIX = "/2020-01-01/extension/"
TELEMETRY_PATH = "/2022-07-01/telemetry"
LOGS_PATH = "/2020-08-15/logs"
NAME_HEADER = "lambda-extension-name"
IDENTIFIER_HEADER = "lambda-extension-identifier"
ERROR_TYPE_HEADER = "lambda-extension-function-error-type"
EVENTS = ("INVOKE", "SHUTDOWN")
SHUTDOWN_TIMEOUT_S = 2.0  # AWS's Shutdown phase with external extensions
DELIVERY_TIMEOUT_S = 2.0
_JSON = {"Content-Type": "application/json"}


def extension_programs(opt_dir: str | None) -> list[Path]:
    """The executables of ``opt_dir/extensions`` (AWS's ``/opt/extensions``), by name."""
    if opt_dir is None:
        return []
    directory = Path(opt_dir) / "extensions"
    if not directory.is_dir():
        return []
    return sorted(
        path for path in directory.iterdir() if path.is_file() and os.access(path, os.X_OK)
    )


@dataclass(frozen=True, slots=True)
class ExtensionFailure:
    """Why the environment's extensions failed: the invocation's error object."""

    error_type: str
    payload: bytes


@dataclass(eq=False, slots=True)
class _Extension:
    identifier: str
    name: str
    events: frozenset[str]
    pending: list[dict[str, Any]] = field(default_factory=list)  # events not yet fetched
    waiting: asyncio.Future[dict[str, Any]] | None = None  # a next long poll
    busy: bool = False  # handed an event and not yet back in next
    exited: bool = False
    exit_reported: bool = False  # it posted /extension/exit/error before exiting


@dataclass(frozen=True, slots=True)
class _Subscription:
    uri: str
    types: frozenset[str]


def _error(status: int, error_type: str, message: str) -> Response:
    return Response(status, orjson.dumps({"errorMessage": message, "errorType": error_type}), _JSON)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Extensions:
    """The external extensions of one execution environment (``of``: None without any)."""

    @classmethod
    def of(cls, spec: FunctionSpec) -> Extensions | None:
        programs = extension_programs(spec.opt_dir)
        return cls(spec, programs) if programs else None

    def __init__(self, spec: FunctionSpec, programs: list[Path]) -> None:
        self._spec = spec
        self._programs = programs
        self._loop = asyncio.get_running_loop()
        self._extensions: dict[str, _Extension] = {}
        self._processes: dict[str, BootstrapProcess] = {}  # by program name
        self._subscriptions: dict[str, _Subscription] = {}
        self._deliveries: set[asyncio.Task[None]] = set()
        self._logs: LogPipe | None = None
        self._idle: asyncio.Event = asyncio.Event()
        self._idle.set()
        self.ready: asyncio.Future[None] = self._loop.create_future()
        self.failure: ExtensionFailure | None = None
        self._init_done = False
        self._shutting_down = False

    # -- lifecycle --------------------------------------------------------------------

    async def launch(
        self, launcher: Zygote, env: Mapping[str, str], view: EnvironmentView | None = None
    ) -> None:
        """Start every extension (their output goes to the function's log), seeing the
        environment's ``view`` of the file system."""
        view = view or EnvironmentView(self._spec)
        self._logs = logs = LogPipe()
        try:
            for program in self._programs:
                try:
                    process = await BootstrapProcess.spawn(
                        launcher,
                        view.seen(program, self._spec),
                        cwd="/",
                        env=env,
                        output_fd=logs.write_fd,
                        mounts=view.mounts,
                    )
                except OSError as exc:
                    self._fail(
                        "Extension.LaunchError",
                        f"exec {program}: {exc.strerror or exc}",
                    )
                    return
                self._processes[program.name] = process
                process.exited.add_done_callback(functools.partial(self._on_exit, program.name))
        finally:
            logs.close_write_end()
        self._check_ready()

    def _on_exit(self, name: str, _: object = None) -> None:
        extension = next((e for e in self._extensions.values() if e.name == name), None)
        if extension is not None:
            extension.exited = True
            extension.busy = False
        if not self._init_done:
            self._fail("Extension.Crash", f"the extension {name} exited during init")
        elif not self._shutting_down and extension is not None and not extension.exit_reported:
            # Exiting unasked ends the environment: the next invocation reports it.
            self._fail("Extension.Crash", f"the extension {name} exited")
        self._check_idle()

    def _fail(self, error_type: str, message: str) -> None:
        if self.failure is None:
            payload = orjson.dumps({"errorMessage": message, "errorType": error_type})
            self.failure = ExtensionFailure(error_type, payload)
        self._finish_init()

    def _finish_init(self) -> None:
        self._init_done = True
        if not self.ready.done():
            self.ready.set_result(None)

    def _check_ready(self) -> None:
        """Init is over once every program registered and is waiting in next."""
        if self._init_done or len(self._extensions) < len(self._programs):
            return
        if all(e.waiting is not None or e.exited for e in self._extensions.values()):
            self._finish_init()

    def _check_idle(self) -> None:
        if not any(e.busy and not e.exited for e in self._extensions.values()):
            self._idle.set()

    def take_log(self) -> str:
        return self._logs.take() if self._logs is not None else ""

    async def idle(self, timeout_s: float) -> bool:
        """Until every extension has called next since the last event (False: it took
        longer than ``timeout_s``)."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    async def begin(
        self, invocation: Invocation, deadline_ms: int, timeout_s: float
    ) -> report.Ending | None:
        """Before an invocation: the extensions' failure if they failed (the environment
        ends), a timeout if they are still busy with the previous one after ``timeout_s``;
        else the INVOKE event is sent and None answered."""
        started = self._loop.time()
        if not await self.idle(timeout_s):
            elapsed = self._loop.time() - started
            return report.timed_out(invocation.request_id, self._spec.timeout, elapsed)
        if self.failure is not None:  # (an exit while they were busy is known by now)
            failure = self.failure
            return report.Ending(failure.payload, failure.error_type, "error")
        self.invoke(invocation, deadline_ms)
        return None

    def invoke(self, invocation: Invocation, deadline_ms: int) -> None:
        """The INVOKE event, to every extension that registered for it."""
        event = {
            "eventType": "INVOKE",
            "deadlineMs": deadline_ms,
            "requestId": invocation.request_id,
            "invokedFunctionArn": invocation.invoked_function_arn,
            "tracing": {"type": "X-Amzn-Trace-Id", "value": invocation.trace_id or ""},
        }
        self._send("INVOKE", event)

    def _send(self, kind: str, event: dict[str, Any]) -> None:
        for extension in self._extensions.values():
            if kind not in extension.events or extension.exited:
                continue
            extension.busy = True
            self._idle.clear()
            waiting = extension.waiting
            if waiting is not None and not waiting.done():
                extension.waiting = None
                waiting.set_result(event)
            else:
                extension.pending.append(event)

    async def shutdown(self, reason: str) -> None:
        """SHUTDOWN to the extensions that asked for it; once they are back in next or
        gone (2 s at most), kill them all."""
        self._shutting_down = True
        await self.flush()
        if any("SHUTDOWN" in e.events and not e.exited for e in self._extensions.values()):
            deadline_ms = int(datetime.now(UTC).timestamp() * 1000 + SHUTDOWN_TIMEOUT_S * 1000)
            event = {"eventType": "SHUTDOWN", "shutdownReason": reason, "deadlineMs": deadline_ms}
            self._send("SHUTDOWN", event)
            await self.idle(SHUTDOWN_TIMEOUT_S)
        await self.stop()

    async def stop(self) -> None:
        for extension in self._extensions.values():
            waiting = extension.waiting
            if waiting is not None and not waiting.done():
                waiting.cancel()
        await asyncio.gather(
            *(process.stop(SHUTDOWN_TIMEOUT_S) for process in self._processes.values()),
            return_exceptions=True,
        )
        for task in list(self._deliveries):
            task.cancel()
        if self._logs is not None:
            self._logs.close()

    # -- the APIs ---------------------------------------------------------------------

    @staticmethod
    def serves(path: str) -> bool:
        return path.startswith(EXTENSION_PREFIX) or path in (TELEMETRY_PATH, LOGS_PATH)

    async def route(self, request: Request) -> Response:
        path = request.path
        if path == f"{EXTENSION_PREFIX}register" and request.method == "POST":
            return self._register(request)
        if path == f"{EXTENSION_PREFIX}event/next" and request.method == "GET":
            return await self._next(request)
        if path in (f"{EXTENSION_PREFIX}init/error", f"{EXTENSION_PREFIX}exit/error"):
            if request.method != "POST":
                return _error(405, "InvalidRequest", "Method not allowed")
            return self._report_error(request, init=path.endswith("init/error"))
        if path in (TELEMETRY_PATH, LOGS_PATH) and request.method == "PUT":
            return self._subscribe(request)
        return _error(404, "InvalidRequest", f"No such resource: {path}")

    def _known(self, request: Request) -> _Extension | Response:
        identifier = request.headers.get(IDENTIFIER_HEADER, "")
        extension = self._extensions.get(identifier)
        if extension is None:
            return _error(
                403, "Extension.Forbidden", f"Unknown extension identifier: {identifier!r}"
            )
        return extension

    def _register(self, request: Request) -> Response:
        name = request.headers.get(NAME_HEADER, "")
        if not name:
            return _error(400, "InvalidRequest", "Lambda-Extension-Name header is required")
        if self._init_done:
            return _error(403, "Extension.Forbidden", "Extensions can only register during init")
        if any(e.name == name for e in self._extensions.values()):
            return _error(409, "Extension.AlreadyExists", f"Extension {name} already registered")
        try:
            body = orjson.loads(request.body or b"{}")
            events = [str(e) for e in body.get("events") or []]
        except (orjson.JSONDecodeError, AttributeError, TypeError):
            return _error(400, "InvalidRequest", "The request body is not a JSON object")
        unknown = [e for e in events if e not in EVENTS]
        if unknown:
            return _error(400, "ValidationError", f"Unknown event types: {unknown}")
        identifier = str(uuid.uuid4())
        self._extensions[identifier] = _Extension(identifier, name, frozenset(events))
        spec = self._spec
        answer = {
            "functionName": spec.function_name,
            "functionVersion": spec.version,
            "handler": spec.handler,
            "accountId": spec.account_id,
        }
        return Response(
            200, orjson.dumps(answer), {**_JSON, "Lambda-Extension-Identifier": identifier}
        )

    async def _next(self, request: Request) -> Response:
        extension = self._known(request)
        if isinstance(extension, Response):
            return extension
        if extension.pending:  # an event sent while it was busy: it stays busy
            event = extension.pending.pop(0)
        else:
            extension.busy = False
            self._check_idle()
            extension.waiting = waiting = self._loop.create_future()
            self._check_ready()
            event = await waiting
        headers = {**_JSON, "Lambda-Extension-Event-Identifier": str(uuid.uuid4())}
        return Response(200, orjson.dumps(event), headers)

    def _report_error(self, request: Request, *, init: bool) -> Response:
        extension = self._known(request)
        if isinstance(extension, Response):
            return extension
        error_type = request.headers.get(ERROR_TYPE_HEADER) or (
            "Extension.InitError" if init else "Extension.ExitError"
        )
        if init and not self._init_done:
            message = f"the extension {extension.name} failed to initialize"
            if self.failure is None:
                self.failure = ExtensionFailure(
                    error_type,
                    request.body
                    or orjson.dumps({"errorMessage": message, "errorType": error_type}),
                )
            self._finish_init()
        elif not init:  # it is about to exit: the environment is reset after this invocation
            extension.exit_reported = True
            if self.failure is None:
                message = f"the extension {extension.name} reported an exit error"
                self.failure = ExtensionFailure(
                    error_type,
                    request.body
                    or orjson.dumps({"errorMessage": message, "errorType": error_type}),
                )
            extension.exited = True
            self._check_idle()
        return Response(202, b'{"status":"OK"}', _JSON)

    def _subscribe(self, request: Request) -> Response:
        extension = self._known(request)
        if isinstance(extension, Response):
            return extension
        try:
            body = orjson.loads(request.body or b"{}")
            uri = str(body["destination"]["URI"])
            types = frozenset(str(t) for t in body.get("types") or ())
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return _error(400, "ValidationError", "destination.URI and types are required")
        parts = urlsplit(uri)
        if parts.scheme != "http" or not parts.port:
            return _error(
                400, "ValidationError", f"destination.URI must be http with a port: {uri}"
            )
        self._subscriptions[extension.identifier] = _Subscription(uri, types)
        return Response(200, b"OK", {"Content-Type": "text/plain"})

    # -- telemetry --------------------------------------------------------------------

    def telemetry(
        self,
        request_id: str,
        log: str,
        *,
        error_type: str | None,
        duration_ms: float,
        extension_log: str,
        init_duration_ms: float | None = None,
        init_error_type: str | None = None,
    ) -> None:
        """Deliver an invocation's events to the subscribed listeners (in the background);
        with ``init_duration_ms`` (the environment's first invocation) its init's events
        first: ``platform.initStart``, ``platform.initRuntimeDone``, ``platform.initReport``
        (``init_error_type``: the init's failure, if it failed)."""
        if not self._subscriptions:
            return
        now = _now()
        version = self._spec.version
        records = self._init_records(now, init_duration_ms, init_error_type)
        records.append(
            {
                "time": now,
                "type": "platform.start",
                "record": {"requestId": request_id, "version": version},
            }
        )
        for line in log.splitlines():
            if line.startswith(("START RequestId:", "END RequestId:", "REPORT RequestId:")):
                continue
            records.append({"time": now, "type": "function", "record": line})
        status = "success" if error_type is None else "error"
        metrics = {"durationMs": round(duration_ms, 3)}
        done: dict[str, Any] = {"requestId": request_id, "status": status, "metrics": metrics}
        if error_type is not None:
            done["errorType"] = error_type
        records.append({"time": now, "type": "platform.runtimeDone", "record": done})
        report = {"requestId": request_id, "status": status, "metrics": metrics}
        records.append({"time": now, "type": "platform.report", "record": report})
        for line in extension_log.splitlines():
            records.append({"time": now, "type": "extension", "record": line})
        for subscription in self._subscriptions.values():
            wanted = [r for r in records if r["type"].partition(".")[0] in subscription.types]
            if wanted:
                task = self._loop.create_task(_post(subscription.uri, orjson.dumps(wanted)))
                self._deliveries.add(task)
                task.add_done_callback(self._deliveries.discard)

    def _init_records(
        self, now: str, duration_ms: float | None, error_type: str | None
    ) -> list[dict[str, Any]]:
        if duration_ms is None:
            return []
        spec = self._spec
        phase = {"initializationType": spec.initialization_type, "phase": "init"}
        started = {**phase, "functionName": spec.function_name, "functionVersion": spec.version}
        done: dict[str, Any] = {**phase, "status": "success" if error_type is None else "error"}
        if error_type is not None:
            done["errorType"] = error_type
        report = {**done, "metrics": {"durationMs": round(duration_ms, 3)}}
        return [
            {"time": now, "type": "platform.initStart", "record": started},
            {"time": now, "type": "platform.initRuntimeDone", "record": done},
            {"time": now, "type": "platform.initReport", "record": report},
        ]

    async def flush(self) -> None:
        """Until the deliveries under way are done (each has its own timeout)."""
        if self._deliveries:
            await asyncio.gather(*list(self._deliveries), return_exceptions=True)


async def _post(uri: str, body: bytes) -> None:
    """POST ``body`` to a listener; ``sandbox.localdomain`` (AWS's name for the execution
    environment) is the loopback here."""
    parts = urlsplit(uri)
    host = "127.0.0.1" if parts.hostname in ("sandbox.localdomain", "sandbox") else parts.hostname
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    try:
        async with asyncio.timeout(DELIVERY_TIMEOUT_S):
            reader, writer = await asyncio.open_connection(host, parts.port)
            head = (
                f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n"
            )
            writer.write(head.encode("latin-1") + body)
            await writer.drain()
            await reader.read()  # the listener's answer, until it closes
            writer.close()
    except (OSError, TimeoutError) as exc:
        logger.info("telemetry delivery to %s failed: %s", uri, exc)
