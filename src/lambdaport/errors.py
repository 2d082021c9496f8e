"""The one exception type that becomes an AWS error response.

Domain code raises :class:`AwsError` (or a subclass) with AWS's error code, message and HTTP
status; the protocol layer of the service being called turns it into that protocol's error
body, and the gateway does that in exactly one place.
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


def validation_error(message: str) -> AwsError:
    return AwsError("ValidationException", message, 400)


def invalid_parameter(message: str) -> AwsError:
    return AwsError("InvalidParameterValueException", message, 400, fields={"Type": "User"})


def resource_not_found(message: str) -> AwsError:
    return AwsError("ResourceNotFoundException", message, 404, fields={"Type": "User"})


def resource_conflict(message: str) -> AwsError:
    return AwsError("ResourceConflictException", message, 409, fields={"Type": "User"})


def service_error(message: str) -> AwsError:
    return AwsError(
        "ServiceException", message, 500, sender_fault=False, fields={"Type": "Service"}
    )
