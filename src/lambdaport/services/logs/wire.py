"""CloudWatch Logs' wire protocol: botocore's json protocol, with model constraint violations
reported as CloudWatch Logs reports them (``InvalidParameterException``, not
``ValidationException``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdaport.errors import AwsError
from lambdaport.protocol import load_protocol
from lambdaport.protocol.base import HttpRequest, HttpResponse, ServiceProtocol


class LogsProtocol:
    """A ``ServiceProtocol`` wrapping the model-driven json protocol of ``logs``."""

    def __init__(self, inner: ServiceProtocol | None = None) -> None:
        self._inner = inner or load_protocol("logs")
        self.service_name = self._inner.service_name

    def parse(self, request: HttpRequest, validate: bool = True) -> tuple[str, dict[str, Any]]:
        try:
            return self._inner.parse(request, validate)
        except AwsError as error:
            if error.code != "ValidationException":
                raise
            raise AwsError("InvalidParameterException", error.message, 400) from None

    def serialize(
        self, operation: str, result: Mapping[str, Any], request_id: str = ""
    ) -> HttpResponse:
        return self._inner.serialize(operation, result, request_id)

    def serialize_error(
        self, operation: str | None, error: AwsError, request_id: str = ""
    ) -> HttpResponse:
        return self._inner.serialize_error(operation, error, request_id)
