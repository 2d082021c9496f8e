"""The Python runtime inside a worker: AWS's bootstrap (awslambdaric) behaviour, stdlib only.

Imports the handler module once, then serves invocations read from the request pipe until the
server closes it. Errors take AWS's shapes: handler exceptions become
``{"errorMessage", "errorType", "requestId", "stackTrace"}`` and are logged as
``[ERROR] Type: message`` plus the traceback; runtime faults use ``Runtime.*`` error types.
"""

from __future__ import annotations

import decimal
import importlib
import json
import logging
import os
import resource
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

from .context import FaultError, LambdaContext
from .json_logs import JsonFormatter, error_line
from .protocol import MAX_RESPONSE_BYTES, FrameReader, encode_frame, response_frame, write_all

Handler = Callable[[Any, LambdaContext], Any]

_WORKER_DIR = os.path.dirname(os.path.abspath(__file__))
_INDENT = "\u00a0"  # AWS indents traceback lines in the log with no-break spaces
_UNHANDLED_WARNING = (
    "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function "
    "code. However, in rare cases, a Lambda runtime update can cause unexpected function "
    "behavior. For functions using managed runtimes, runtime updates can be triggered by a "
    "function change, or can be applied automatically. To determine if the runtime has been "
    "updated, check the runtime version in the INIT_START log entry. If this error correlates "
    "with a change in the runtime version, you may be able to mitigate this error by "
    "temporarily rolling back to the previous runtime version. For more information, see "
    "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html"
)


def make_error(
    message: str, error_type: str, stack_trace: list[str], request_id: str = ""
) -> dict[str, Any]:
    return {
        "errorMessage": message,
        "errorType": error_type,
        "requestId": request_id,
        "stackTrace": stack_trace,
    }


def _user_frames(tb: Any) -> list[str]:
    """``traceback.format_list`` of the frames from the first one outside this runtime on."""
    frames = traceback.extract_tb(tb)
    for index, frame in enumerate(frames):
        if not frame.filename.startswith(_WORKER_DIR):
            return traceback.format_list(frames[index:])
    return traceback.format_list(frames)


def error_from_exception(exc: BaseException, request_id: str = "") -> dict[str, Any]:
    return make_error(str(exc), type(exc).__name__, _user_frames(exc.__traceback__), request_id)


def load_handler(handler: str) -> Handler:
    """Import the handler's module and return the function (raises FaultError)."""
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as e:
        raise FaultError("Runtime.MalformedHandlerName", f"Bad handler '{handler}': {e}") from None
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise FaultError(
            "Runtime.BuiltInModuleConflict",
            f"Cannot use built-in module {module_name} as a handler module",
        )
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as e:
        raise FaultError(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {e}"
        ) from None
    except SyntaxError as e:
        trace = [f'  File "{e.filename}" Line {e.lineno}\n    {e.text}']
        raise FaultError(
            "Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {e}", trace
        ) from None
    try:
        function: Handler = getattr(module, function_name)
    except AttributeError:
        raise FaultError(
            "Runtime.HandlerNotFound",
            f"Handler '{function_name}' missing on module '{module_name}'",
        ) from None
    return function


_JSON_LOGS = [False]  # LoggingConfig.LogFormat JSON (AWS_LAMBDA_LOG_FORMAT), set at setup


def log_error(error: dict[str, Any]) -> None:
    """``[ERROR] Type: message`` and the traceback, as AWS's runtime logs an error (in JSON
    with ``LogFormat`` JSON)."""
    if _JSON_LOGS[0]:
        sys.stdout.write(error_line(error))
        return
    description = "[ERROR]"
    if error.get("errorType"):
        description += " " + error["errorType"]
    if error.get("errorMessage"):
        description += (":" if error.get("errorType") else "") + " " + error["errorMessage"]
    lines = [description]
    stack_trace = error.get("stackTrace")
    if stack_trace is not None:
        lines.append("Traceback (most recent call last):")
        for element in stack_trace:
            for line in element.splitlines() or [""]:
                stripped = line.lstrip(" ")
                lines.append(_INDENT * (len(line) - len(stripped)) + stripped)
    sys.stdout.write("\n".join(lines) + "\n")


class _Encoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, decimal.Decimal):
            return int(o) if o == o.to_integral_value() else float(o)
        return super().default(o)


class _RequestIdFilter(logging.Filter):
    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self._runtime = runtime

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self._runtime.request_id
        return True


class _LambdaLogHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stdout.write(self.format(record))
        except Exception:
            self.handleError(record)


class Runtime:
    """One worker's runtime: the loaded handler and the invocation loop."""

    def __init__(self, handler_name: str) -> None:
        self.handler_name = handler_name
        self.request_id = ""
        self.handler: Handler | None = None
        ascii_only = os.environ.get("AWS_EXECUTION_ENV") not in (
            "AWS_Lambda_python3.12",
            "AWS_Lambda_python3.13",
        )
        self._encoder = _Encoder(allow_nan=True, ensure_ascii=ascii_only)

    def setup_logging(self) -> None:
        handler = _LambdaLogHandler()
        formatter: logging.Formatter
        if os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON":
            _JSON_LOGS[0] = True
            formatter = JsonFormatter()
        else:
            formatter = logging.Formatter(
                "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
                "%Y-%m-%dT%H:%M:%S",
            )
            formatter.converter = time.gmtime
        handler.setFormatter(formatter)
        handler.addFilter(_RequestIdFilter(self))
        root = logging.getLogger()
        root.addHandler(handler)
        level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
        level = "DEBUG" if level == "TRACE" else level  # Python has no TRACE
        known = level and isinstance(logging.getLevelName(level), int)
        root.setLevel(level if known else logging.WARNING)

    def init(self) -> dict[str, Any] | None:
        """Import the handler; the AWS error object on failure (reported on the first invoke)."""
        try:
            self.handler = load_handler(self.handler_name)
            return None
        except FaultError as e:
            error = make_error(e.message, e.error_type, e.trace)
        except Exception as e:
            error = error_from_exception(e)
        logging.warning(_UNHANDLED_WARNING)
        log_error(error)
        return error

    def invoke(self, header: dict[str, Any], payload: bytes) -> tuple[bytes, str | None]:
        """Run the handler once: (response bytes, error type or None)."""
        request_id: str = header["id"]
        try:
            context = LambdaContext(
                request_id,
                header["arn"],
                header["deadline_ms"],
                header.get("client_context"),
                header.get("cognito_identity"),
            )
            event = self._unmarshal(payload)
            assert self.handler is not None
            return self._marshal(self.handler(event, context)), None
        except FaultError as e:
            error = make_error(e.message, e.error_type, e.trace, request_id)
        except Exception as e:
            error = error_from_exception(e, request_id)
        log_error(error)
        return self._encoder.encode(error).encode(), error["errorType"]

    @staticmethod
    def _unmarshal(payload: bytes) -> Any:
        if not payload:
            return {}
        try:
            return json.loads(payload)
        except ValueError as e:
            raise FaultError("Runtime.UnmarshalError", f"Unable to unmarshal input: {e}") from None

    def _marshal(self, response: Any) -> bytes:
        if isinstance(response, bytes):
            return response
        try:
            return self._encoder.encode(response).encode()
        except Exception as e:
            raise FaultError("Runtime.MarshalError", f"Unable to marshal response: {e}") from None


def _size_error() -> bytes:
    error = {
        "errorType": "Function.ResponseSizeTooLarge",
        "errorMessage": "Response payload size exceeded maximum allowed payload size "
        f"({MAX_RESPONSE_BYTES} bytes).",
    }
    return json.dumps(error, separators=(",", ":")).encode()


def flush_output() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:  # noqa: SIM105 - contextlib.suppress costs an object per call, twice an invoke
            stream.flush()
        except (OSError, ValueError):
            pass


def _set_trace_id(trace_id: str | None) -> None:
    if trace_id:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)


def serve(request_fd: int, response_fd: int, handler_name: str) -> None:
    """Init, report it, then answer requests until the server closes the request pipe."""
    runtime = Runtime(handler_name)
    runtime.setup_logging()
    init_error = runtime.init()
    flush_output()
    write_all(response_fd, encode_frame({"kind": "init", "pid": os.getpid(), "error": init_error}))
    reader = FrameReader(request_fd)
    while True:
        frame = reader.read_frame()
        if frame is None:
            return
        header, payload = frame
        runtime.request_id = header["id"]
        _set_trace_id(header.get("trace_id"))
        body, error_type = runtime.invoke(header, payload)
        if len(body) > MAX_RESPONSE_BYTES:
            body, error_type = _size_error(), "Function.ResponseSizeTooLarge"
        flush_output()
        rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        write_all(response_fd, response_frame(error_type, rss_kb, body))
