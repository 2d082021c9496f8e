"""The interface every AWS wire protocol implements.

A protocol knows how bytes on the wire map to an operation name and a parameter dict and
back, driven by botocore's service model. It knows nothing about what operations mean.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from lambdaport.errors import AwsError


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    path: str  # raw, still percent-encoded, without the query string
    query: str  # raw query string, without "?"
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    host: str = ""


@dataclass(slots=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


class ServiceProtocol(Protocol):
    """Parses requests for one service and serialises its results and errors."""

    service_name: str

    def parse(self, request: HttpRequest, validate: bool = True) -> tuple[str, dict[str, Any]]:
        """Return (operation name, parameters) or raise AwsError (unknown operation,
        malformed body, parameters that break the model's constraints)."""
        ...

    def serialize(
        self, operation: str, result: Mapping[str, Any], request_id: str = ""
    ) -> HttpResponse:
        """Serialise an operation's output dict (keys as in the model's output shape).
        Protocols that carry the request id in the body (query, rest-xml) use
        ``request_id``; the gateway adds the ``x-amzn-RequestId`` header for all."""
        ...

    def serialize_error(
        self, operation: str | None, error: AwsError, request_id: str = ""
    ) -> HttpResponse:
        """Serialise an error in this protocol's error format."""
        ...
