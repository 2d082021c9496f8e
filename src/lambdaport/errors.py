"""The one exception type that becomes an AWS error response, and its kinds.

Domain code raises :class:`AwsError` (or a subclass) with AWS's error code, message and HTTP
status; the protocol layer of the service being called turns it into that protocol's error
body, and the gateway does that in exactly one place.

Decisions about an error (retry later, drop, try the next principal) are made by its class,
never by comparing codes: :class:`Throttled`, :class:`ResourceNotFound`,
:class:`ResourceConflict` and :class:`AccessDenied` are raised where those errors arise and
keep the code, status, message and fields each service gives them. :func:`typed` gives an
error that arrived as a plain :class:`AwsError` (another implementation of a seam, a wire
answer) its class from its status. :class:`FunctionError` is not an error of the call: the
function ran and failed, and a calling service turns that into its own answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class AwsError(Exception):
    """An error as AWS returns it: a code, a message, an HTTP status and optional fields.

    ``fields`` are extra members of the error shape (for example ``Reason`` of Lambda's
    ``TooManyRequestsException``); ``headers`` are extra response headers (``Retry-After``).
    ``message_key`` is the member name the protocol uses for the message when the service's
    model spells it differently (Lambda uses ``message`` for most errors and ``Message`` for
    a few).
    """

    def __init__(
        self,
        code: str,
        message: str,
        status: int = 400,
        *,
        sender_fault: bool = True,
        fields: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.sender_fault = sender_fault
        self.fields: dict[str, Any] = dict(fields or {})
        self.headers: dict[str, str] = dict(headers or {})


class Throttled(AwsError):
    """Too many requests or invocations now (429, Lambda's ``TooManyRequestsException``)."""


class ResourceNotFound(AwsError):
    """The resource named does not exist (Lambda's ``ResourceNotFoundException``, 404)."""


class DataTrimmed(AwsError):
    """A read past the oldest record a stream still keeps (DynamoDB Streams'
    ``TrimmedDataAccessException``)."""


class ResourceConflict(AwsError):
    """The resource is in a state that does not allow this now, for example a function
    being created or updated (Lambda's ``ResourceConflictException``, 409)."""


class AccessDenied(AwsError):
    """The caller may not do this to the resource (``AccessDeniedException``, 403)."""


_BY_STATUS: dict[int, type[AwsError]] = {
    403: AccessDenied,
    404: ResourceNotFound,
    409: ResourceConflict,
    429: Throttled,
}


def typed(error: AwsError) -> AwsError:
    """``error`` as its kind: itself when it is of a subclass already (or its status means
    none), else a copy of the class its status means (403, 404, 409, 429 as Lambda uses
    them)."""
    kind = _BY_STATUS.get(error.status)
    if kind is None or type(error) is not AwsError:
        return error
    return kind(
        error.code,
        error.message,
        error.status,
        sender_fault=error.sender_fault,
        fields=error.fields,
        headers=error.headers,
    )


def is_transient(error: AwsError) -> bool:
    """Worth trying again later: a throttle, a conflict (the function is being created or
    updated) or a fault on the server's side (5xx)."""
    return isinstance(error, Throttled | ResourceConflict) or error.status >= 500


class FunctionError(Exception):
    """The function ran and failed (an exception, a timeout, a crash): ``error_type`` and
    ``error_message`` of its error object, ``payload`` the object as the function's runtime
    returned it. A synchronous trigger's service turns it into its own answer (Cognito's
    ``UserLambdaValidationException``, API Gateway's 502, a failed rotation)."""

    def __init__(self, error_type: str, error_message: str, payload: bytes) -> None:
        super().__init__(f"{error_type}: {error_message}")
        self.error_type = error_type
        self.error_message = error_message
        self.payload = payload


def validation_error(message: str) -> AwsError:
    return AwsError("ValidationException", message, 400)


def invalid_parameter(message: str) -> AwsError:
    return AwsError("InvalidParameterValueException", message, 400, fields={"Type": "User"})


def resource_not_found(message: str) -> ResourceNotFound:
    return ResourceNotFound("ResourceNotFoundException", message, 404, fields={"Type": "User"})


def resource_conflict(message: str) -> ResourceConflict:
    return ResourceConflict("ResourceConflictException", message, 409, fields={"Type": "User"})


def service_error(message: str) -> AwsError:
    return AwsError(
        "ServiceException", message, 500, sender_fault=False, fields={"Type": "Service"}
    )
