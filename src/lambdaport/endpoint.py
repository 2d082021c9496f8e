"""The gateway → service seam: what a service hands the gateway, and how its errors are
answered.

A service is one :data:`ServiceEndpoint` in the dict ``app.py`` hands the gateway, of one
of two kinds:

- :class:`BufferedEndpoint`: the gateway reads the body (up to ``asgi.MAX_BODY``), parses
  it with the endpoint's protocol (``select`` picks one per request for services that speak
  several: SQS's json and query), calls ``dispatch`` with the operation and its parameters,
  and serialises what it returns;
- :class:`RawEndpoint`: after identifying the service, account and region the gateway hands
  the ASGI exchange to ``handle``, which reads the body itself (S3 streams uploads; the moto
  tail hands moto the request unchanged) and sends its own answer.

Errors become responses in one place, the gateway, for both kinds: an :class:`AwsError` a
buffered dispatch raises is worded by its protocol; one a raw handler raises before it
started its response is worded by the endpoint's ``errors`` (:class:`ErrorProtocol`), or by
the protocol a :class:`WordedError` names (the moto tail: the wire format the request came
in). Once a raw handler has started its response it owns it: what it raises then ends the
connection. Anything else raised becomes the endpoint's ``internal`` error (logged with its
traceback on the server, never sent). ``cors`` lets a service answer browsers from CORS
rules of its own (S3's bucket configurations). A raw endpoint's ``websocket`` takes the
WebSocket connections addressed to it (API Gateway's WebSocket APIs): the gateway checks
their ``Host`` and ``Origin`` as it checks a request's, then hands over the ASGI
``websocket`` exchange whole.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from lambdaport.asgi import Receive, RequestBody, Scope, Send
from lambdaport.errors import AwsError
from lambdaport.protocol.base import HttpRequest, HttpResponse, ServiceProtocol
from lambdaport.request import RequestContext

Dispatch = Callable[[RequestContext, str, Mapping[str, Any]], Awaitable[dict[str, Any]]]
RawHandler = Callable[[Scope, RequestBody, Send, RequestContext], Awaitable[None]]
# An ASGI ``websocket`` exchange, after the gateway's checks.
WebSocketHandler = Callable[[Scope, Receive, Send, RequestContext], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class CorsRequest:
    """A browser's request as CORS sees it; ``method`` is ``Access-Control-Request-Method``
    for a preflight, ``headers`` its ``Access-Control-Request-Headers`` (lower-case)."""

    origin: str
    method: str
    headers: tuple[str, ...]
    host: str
    path: str  # raw, without the query string
    preflight: bool


@dataclass(frozen=True, slots=True)
class CorsAnswer:
    """A service's own CORS answer: the headers to send, or (preflights) a refusal."""

    headers: tuple[tuple[str, str], ...] = ()
    refusal: AwsError | None = None


# A service's CORS rules for the resource a request names; None: the service has none.
ServiceCors = Callable[[CorsRequest], Awaitable[CorsAnswer | None]]


class ErrorSerializer(Protocol):
    """An error body in a wire format: what every ``ServiceProtocol`` does."""

    def serialize_error(
        self, operation: str | None, error: AwsError, request_id: str = ""
    ) -> HttpResponse: ...


class ErrorProtocol(Protocol):
    """How a service answers an error: the whole response, with the headers that carry the
    request id; ``internal`` is its words for a fault of lambdaport's own."""

    @property
    def internal(self) -> AwsError: ...

    def error_response(self, error: AwsError, request_id: str) -> HttpResponse: ...


def service_fault() -> AwsError:
    """What the services lambdaport owns answer for a fault of its own (Lambda's words)."""
    return AwsError(
        "ServiceException",
        "lambdaport hit an internal error; see the server log.",
        500,
        sender_fault=False,
        fields={"Type": "Service"},
    )


@dataclass(frozen=True, slots=True)
class ServiceErrors:
    """The errors of a service that words them in ``protocol`` and names the request by
    ``x-amzn-RequestId`` (every service but S3)."""

    protocol: ErrorSerializer
    internal: AwsError = field(default_factory=service_fault)

    def error_response(self, error: AwsError, request_id: str) -> HttpResponse:
        response = self.protocol.serialize_error(None, error, request_id)
        response.headers.append(("x-amzn-requestid", request_id))
        return response


class WordedError(Exception):
    """An error a raw handler raises worded by ``errors`` rather than by its endpoint's
    (the moto tail: in the protocol of the client that read the request); ``operation``,
    when known, names it in the request log."""

    def __init__(
        self, error: AwsError, errors: ErrorProtocol, operation: str | None = None
    ) -> None:
        super().__init__(str(error))
        self.error = error
        self.errors = errors
        self.operation = operation


@dataclass(frozen=True, slots=True)
class BufferedEndpoint:
    """A service whose requests the gateway reads, parses and answers (see the module)."""

    protocol: ServiceProtocol
    dispatch: Dispatch
    select: Callable[[HttpRequest], ServiceProtocol] | None = None
    cors: ServiceCors | None = None

    def protocol_for(self, request: HttpRequest) -> ServiceProtocol:
        return self.protocol if self.select is None else self.select(request)


@dataclass(frozen=True, slots=True)
class RawEndpoint:
    """A service that reads and answers its requests itself (see the module);
    ``new_request_id`` makes its request ids when they are not UUIDs (S3's hex);
    ``websocket`` takes its WebSocket connections (none: refused)."""

    handle: RawHandler
    errors: ErrorProtocol
    cors: ServiceCors | None = None
    new_request_id: Callable[[], str] | None = None
    websocket: WebSocketHandler | None = None


ServiceEndpoint = BufferedEndpoint | RawEndpoint
