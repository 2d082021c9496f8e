"""What an asynchronous invocation's attempt produced, and the invocation record that AWS
sends to destinations
(https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html)::

    {"version": "1.0", "timestamp": "2019-11-14T18:16:05.568Z",
     "requestContext": {"requestId", "functionArn", "condition", "approximateInvokeCount"},
     "requestPayload": {...}, "responseContext": {"statusCode", "executedVersion",
     "functionError"}, "responsePayload": {...}}
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

from lambdaport.errors import AwsError

Condition = Literal["Success", "RetriesExhausted", "EventAgeExceeded"]
DLQ_MESSAGE_LIMIT = 1024


def json_or_text(payload: bytes) -> Any:
    """A payload as JSON when it is JSON, else as text (custom runtimes may send anything)."""
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        return payload.decode(errors="replace")


def record_timestamp(epoch: float) -> str:
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True, slots=True)
class AttemptResponse:
    """The outcome of one attempt: a run of the function (200, maybe with a function error)
    or an invocation error that kept it from running (429 throttle, 5xx, ...)."""

    status_code: int
    executed_version: str
    payload: bytes
    function_error: str | None = None

    @classmethod
    def from_error(cls, error: AwsError, executed_version: str) -> AttemptResponse:
        body = {"errorMessage": error.message, "errorType": error.code}
        return cls(error.status, executed_version, orjson.dumps(body))

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "statusCode": self.status_code,
                "executedVersion": self.executed_version,
                "functionError": self.function_error,
                "payload": self.payload.decode(errors="replace"),
            }
        )

    @classmethod
    def from_json(cls, data: bytes) -> AttemptResponse:
        value = orjson.loads(data)
        return cls(
            status_code=int(value["statusCode"]),
            executed_version=str(value["executedVersion"]),
            payload=str(value["payload"]).encode(),
            function_error=value.get("functionError"),
        )

    def response_context(self) -> dict[str, Any]:
        context: dict[str, Any] = {
            "statusCode": self.status_code,
            "executedVersion": self.executed_version,
        }
        if self.function_error is not None:
            context["functionError"] = self.function_error
        return context

    def error_message(self) -> str:
        """The DLQ's ErrorMessage attribute: the error's message, at most 1 KB."""
        value = json_or_text(self.payload)
        message = value.get("errorMessage") if isinstance(value, dict) else None
        text = str(message) if message is not None else self.payload.decode(errors="replace")
        return text.encode()[:DLQ_MESSAGE_LIMIT].decode(errors="ignore")


def invocation_record(
    *,
    request_id: str,
    function_arn: str,
    condition: Condition,
    approximate_invoke_count: int,
    request_payload: bytes,
    response: AttemptResponse | None,
    now: float,
) -> bytes:
    """The destination record; ``function_arn`` is qualified as invoked (``:$LATEST``, a
    version or an alias). Without any attempt (the event aged out in the queue) the record
    has no responseContext and no responsePayload."""
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": record_timestamp(now),
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": approximate_invoke_count,
        },
        "requestPayload": json_or_text(request_payload),
    }
    if response is not None:
        record["responseContext"] = response.response_context()
        record["responsePayload"] = json_or_text(response.payload) if response.payload else None
    return orjson.dumps(record)
