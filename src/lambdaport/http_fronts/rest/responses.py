"""API Gateway's own answers (gateway responses) for REST APIs.

When the gateway refuses a request or an integration fails, it answers with one of its
gateway response types, each with a default status and the body ``{"message": "..."}``
(``$context.error.messageString``); an API may customise a type (``PutGatewayResponse``:
status, headers through ``gatewayresponse.header.NAME`` parameters, body templates), and
``DEFAULT_4XX``/``DEFAULT_5XX`` customise every type of their class
(https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html).
Every answer carries ``x-amzn-ErrorType`` (the error's type as AWS names it), the request
id (``x-amzn-RequestId``) and the extended request id (``x-amz-apigw-id``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import orjson

from lambdaport.protocol.base import HttpResponse
from lambdaport.services.interfaces import RestGatewayResponse


@dataclass(frozen=True, slots=True)
class ResponseType:
    name: str
    status: int
    error_type: str


MISSING_AUTHENTICATION_TOKEN = ResponseType(
    "MISSING_AUTHENTICATION_TOKEN", 403, "MissingAuthenticationTokenException"
)
INVALID_API_KEY = ResponseType("INVALID_API_KEY", 403, "ForbiddenException")
INVALID_SIGNATURE = ResponseType("INVALID_SIGNATURE", 403, "InvalidSignatureException")
ACCESS_DENIED = ResponseType("ACCESS_DENIED", 403, "AccessDeniedException")
UNAUTHORIZED = ResponseType("UNAUTHORIZED", 401, "UnauthorizedException")
AUTHORIZER_CONFIGURATION_ERROR = ResponseType(
    "AUTHORIZER_CONFIGURATION_ERROR", 500, "AuthorizerConfigurationException"
)
AUTHORIZER_FAILURE = ResponseType("AUTHORIZER_FAILURE", 500, "AuthorizerFailureException")
BAD_REQUEST_PARAMETERS = ResponseType("BAD_REQUEST_PARAMETERS", 400, "BadRequestException")
BAD_REQUEST_BODY = ResponseType("BAD_REQUEST_BODY", 400, "BadRequestException")
API_CONFIGURATION_ERROR = ResponseType(
    "API_CONFIGURATION_ERROR", 500, "InternalServerErrorException"
)
INTEGRATION_FAILURE = ResponseType("INTEGRATION_FAILURE", 504, "InternalServerErrorException")
INTEGRATION_TIMEOUT = ResponseType("INTEGRATION_TIMEOUT", 504, "InternalServerErrorException")
UNSUPPORTED_MEDIA_TYPE = ResponseType(
    "UNSUPPORTED_MEDIA_TYPE", 415, "UnsupportedMediaTypeException"
)
REQUEST_TOO_LARGE = ResponseType("REQUEST_TOO_LARGE", 413, "RequestTooLargeException")
THROTTLED = ResponseType("THROTTLED", 429, "TooManyRequestsException")
QUOTA_EXCEEDED = ResponseType("QUOTA_EXCEEDED", 429, "LimitExceededException")
DEFAULT_4XX = ResponseType("DEFAULT_4XX", 403, "ForbiddenException")  # an unknown stage
DEFAULT_5XX = ResponseType("DEFAULT_5XX", 500, "InternalServerErrorException")


class GatewayError(Exception):
    """A request the gateway answers itself: a response type and its message (``None``
    answers ``{"message": null}``, as AWS does for an authorizer's configuration error)."""

    def __init__(
        self,
        kind: ResponseType,
        message: str | None,
        *,
        validation_errors: str = "",
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.validation_errors = validation_errors
        self.status = status or kind.status


def gateway_response(
    error: GatewayError,
    customised: Mapping[str, RestGatewayResponse],
    ids: tuple[tuple[str, str], ...],
) -> HttpResponse:
    """The answer for ``error``, with the API's customisation of its type applied."""
    custom = customised.get(error.kind.name) or customised.get(
        "DEFAULT_4XX" if error.status < 500 else "DEFAULT_5XX"
    )
    status = error.status
    headers: list[tuple[str, str]] = [
        ("content-type", "application/json"),
        ("x-amzn-ErrorType", error.kind.error_type),
        *ids,
    ]
    body = orjson.dumps({"message": error.message})
    if custom is not None:
        if custom.status_code:
            status = int(custom.status_code)
        for name, value in custom.response_parameters.items():
            prefix = "gatewayresponse.header."
            if name.startswith(prefix):
                headers.append((name[len(prefix) :], _static(value)))
        template = custom.response_templates.get("application/json")
        if template is not None:
            body = _render(template, error).encode("utf-8")
    return HttpResponse(status, headers, body)


def _static(value: str) -> str:
    """A gateway response header's value: a quoted literal (``'*'``)."""
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1]
    return value


def _render(template: str, error: GatewayError) -> str:
    """The gateway response's body template; ``$context.error.*`` are its variables."""
    message = "null" if error.message is None else orjson.dumps(error.message).decode()
    return (
        template.replace("$context.error.messageString", message)
        .replace("$context.error.message", error.message or "")
        .replace("$context.error.responseType", error.kind.name)
        .replace("$context.error.validationErrorString", error.validation_errors)
    )
