"""How the tail reads a request before moto sees it: with botocore's model, in the wire format
of the client it is for.

The gateway names the client (``ctx.service``); :meth:`TailProtocol.read` picks that client's
protocol for the request's wire format (JSON with ``X-Amz-Target``, a query form with
``Action``, else the client's REST protocol), parses and validates the request with it, and
when the client does not know the operation, tries the clients that share its signing name
(``catalog.SHARED_SIGNING_NAMES``: an ELB v1 call arrives as ``elbv2``, a DocumentDB call as
``rds``). The outcome is a :class:`MotoCall` (which client and operation, the parameters as the
model names them, the untouched request for moto) or a :class:`Refusal` (AWS's error, and the
protocol that words it). Errors are worded as each service words them (see ``_query_protocol``
and ``_REST_XML_CODES``): ``ValidationException`` from JSON services, ``ValidationError``
from query services, EC2's ``MissingParameter``, Route 53's ``InvalidInput``.

Models and protocols are built on first use (tens of milliseconds for a large service), so
the tail reads requests off the event loop.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson
from botocore.compat import HTTPHeaders
from botocore.parsers import create_parser

from lambdaport.errors import AwsError
from lambdaport.protocol import (
    QueryProtocol,
    RestXmlProtocol,
    UnknownOperationError,
    load_service_model,
    protocol_for_model,
    supported_protocols,
)
from lambdaport.protocol.base import HttpRequest, HttpResponse, ServiceProtocol
from lambdaport.protocol.rest_binding import parse_query
from lambdaport.services.moto_tail.wsgi import WsgiRequest, WsgiResponse

logger = logging.getLogger("lambdaport.moto_tail")

# rest-xml services' codes for (a parameter the model refuses, a body that is not XML).
_REST_XML_CODES: Mapping[str, tuple[str, str]] = {
    "route53": ("InvalidInput", "MalformedInput"),
    "cloudfront": ("InvalidArgument", "MalformedInput"),
}
_FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True, slots=True)
class MotoCall:
    """A request the tail read and validated, on its way to moto: ``service`` is the botocore
    client it is for (moto's app is ``MOTO_APPS[service]``), ``params`` are the operation's
    input as botocore's model names them, ``request`` is what moto is handed, byte for byte,
    ``protocol`` words its errors and ``wire`` names the wire format (botocore's protocol
    name: ``json``, ``query``, ``rest-xml``...) moto answers in."""

    service: str
    operation: str
    params: Mapping[str, Any]
    request: WsgiRequest
    protocol: ServiceProtocol
    wire: str = ""

    def without(self, *members: str) -> MotoCall:
        """The same call, handed to moto without the top-level ``members`` (a JSON-wire
        call: the body is the parameters' JSON); ``params`` stay as the client sent them.
        What moto should not see of a call lambdaport partly serves itself (DynamoDB's
        ``StreamSpecification``)."""
        if self.wire != "json":
            raise ValueError(f"{self.wire!r} calls cannot be rewritten")
        body = orjson.loads(self.request.body or b"{}")
        for member in members:
            body.pop(member, None)
        return replace(self, request=replace(self.request, body=orjson.dumps(body)))

    def with_form_member(self, member: str, value: str) -> MotoCall:
        """The same query-wire call handed to moto with the top-level form member
        ``member`` set to ``value`` (``params`` stay as the client sent them)."""
        if self.wire != "query":
            raise ValueError(f"{self.wire!r} calls cannot be rewritten as forms")
        form = [(k, v) for k, v in parse_qsl(self.request.body.decode(), keep_blank_values=True)]
        form = [(k, value if k == member else v) for k, v in form]
        body = urlencode(form).encode()
        return replace(self, request=replace(self.request, body=body))


@dataclass(frozen=True, slots=True)
class Refusal:
    """A request AWS would refuse before any work: its error, in ``protocol``'s format."""

    error: AwsError
    protocol: ServiceProtocol


class ClientWire:
    """One botocore client's model and its protocols, built on first use (thread-safe).
    ``served``: whether moto serves the client (else a request it reads is answered 501)."""

    def __init__(self, name: str, *, served: bool) -> None:
        self.name = name
        self.served = served
        self._lock = threading.Lock()
        self._model: Any = None
        self._wires: tuple[str, ...] = ()
        self._protocols: dict[str, ServiceProtocol] = {}

    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = load_service_model(self.name)
                self._wires = tuple(supported_protocols(self._model))
            return self._model

    def wire_of(self, request: HttpRequest) -> str | None:
        """The wire format ``request`` is in, if this client speaks it."""
        self.model()
        spoken = self._wires
        if "x-amz-target" in request.headers:
            return "json" if "json" in spoken else None
        if _is_form(request):
            for wire in ("ec2", "query"):
                if wire in spoken:
                    return wire
        for wire in ("rest-json", "rest-xml"):
            if wire in spoken:
                return wire
        return spoken[0] if spoken else None

    def protocol(self, wire: str) -> ServiceProtocol:
        model = self.model()
        with self._lock:
            built = self._protocols.get(wire)
            if built is None:
                built = self._protocols[wire] = _build(model, wire)
            return built

    def default_protocol(self) -> ServiceProtocol:
        self.model()
        return self.protocol(self._wires[0])

    def parse_response(
        self, wire: str, operation: str, response: WsgiResponse
    ) -> Mapping[str, Any]:
        """moto's response as botocore reads it (the shapes a client would get)."""
        model = self.model()
        headers = HTTPHeaders()
        for name, value in response.headers:
            headers[name] = value
        reading = {"status_code": response.status, "headers": headers, "body": response.body}
        output = model.operation_model(operation).output_shape
        parsed: Mapping[str, Any] = create_parser(wire or self._wires[0]).parse(reading, output)
        return parsed

    def api_version(self) -> str:
        return str(self.model().metadata.get("apiVersion", ""))

    def unsigned_operations(self) -> frozenset[str]:
        model = self.model()
        return frozenset(
            name
            for name in model.operation_names
            if model.operation_model(name).auth_type == "none"
        )


class TailProtocol:
    """Reads the requests of one tail endpoint (``read``), and words the errors answered
    before a request is read (``serialize_error``, in the service's first protocol): the
    tail reads, moto serialises."""

    def __init__(self, client: ClientWire, siblings: Sequence[ClientWire] = ()) -> None:
        self.service_name = client.name
        self._client = client
        self._candidates = (client, *siblings)
        self._unsigned: frozenset[str] | None = None

    def read(self, request: WsgiRequest) -> MotoCall | Refusal:
        """The call ``request`` makes, or AWS's refusal of it. Clients that know the
        operation word the refusal (a validation error beats "unknown operation")."""
        http = http_request(request)
        unknown: Refusal | None = None
        refused: Refusal | None = None
        for client in self._ordered(http):
            wire = client.wire_of(http)
            if wire is None:
                continue
            protocol = client.protocol(wire)
            try:
                operation, params = protocol.parse(http, validate=client.served)
            except UnknownOperationError as error:
                unknown = unknown or Refusal(error, protocol)
                continue
            except AwsError as error:
                refused = refused or Refusal(error, protocol)
                continue
            if not client.served:  # unless a client moto serves knew the operation
                return refused or Refusal(_not_served(client.name), protocol)
            return MotoCall(client.name, operation, params, request, protocol, wire)
        return refused or unknown or Refusal(_unknown(http), self.protocol_for(request))

    def protocol_for(self, request: WsgiRequest) -> ServiceProtocol:
        """The protocol that words this endpoint's errors for ``request``."""
        wire = self._client.wire_of(http_request(request))
        return self._client.protocol(wire) if wire else self._client.default_protocol()

    def _ordered(self, request: HttpRequest) -> list[ClientWire]:
        """The candidates, those whose API version the query form names first (ELB v1 and v2
        share a signing name and an endpoint; ``Version`` tells them apart)."""
        version = _form_value(request, "Version") if _is_form(request) else None
        if not version or len(self._candidates) == 1:
            return list(self._candidates)
        return sorted(self._candidates, key=lambda c: c.api_version() != version)

    def serialize_error(
        self, operation: str | None, error: AwsError, request_id: str = ""
    ) -> HttpResponse:
        return self._client.default_protocol().serialize_error(operation, error, request_id)

    @property
    def speaks_query(self) -> bool:
        """Whether the service answers in the query protocol (STS, IAM: bare error codes)."""
        return isinstance(self._client.default_protocol(), QueryProtocol)

    def is_unsigned(self, operation: str) -> bool:
        """Whether AWS serves ``operation`` (or a target ``Prefix.Operation``) without a
        signature (Cognito's SignUp, InitiateAuth, GetId; STS's AssumeRoleWithWebIdentity)."""
        if self._unsigned is None:
            self._unsigned = self._client.unsigned_operations()
        return operation.rpartition(".")[2] in self._unsigned


def _build(model: Any, wire: str) -> ServiceProtocol:
    if wire == "query":
        return _query_protocol(model)
    codes = _REST_XML_CODES.get(model.service_name)
    if wire == "rest-xml" and codes is not None:
        invalid, malformed = codes
        return RestXmlProtocol(model, validation_error_code=invalid, malformed_xml_code=malformed)
    return protocol_for_model(model, wire)


def _query_protocol(model: Any) -> QueryProtocol:
    """Query services refuse parameters with ``ValidationError`` and Coral's message (IAM,
    STS, CloudFormation...); those whose model declares ``MissingParameter`` (CloudWatch,
    SimpleDB) answer a missing member with it."""
    codes = {
        shape.metadata.get("error", {}).get("code", shape.name) for shape in model.error_shapes
    }
    missing = "MissingParameter" if "MissingParameter" in codes else None
    return QueryProtocol(
        model, validation_error_code="ValidationError", missing_parameter_code=missing
    )


def _not_served(service: str) -> AwsError:
    return AwsError(
        "NotImplementedException",
        f"lambdaport does not serve the AWS service '{service}' yet.",
        501,
        sender_fault=False,
    )


def _unknown(request: HttpRequest) -> AwsError:
    return UnknownOperationError(
        "UnknownOperationException", f"No operation matches {request.method} {request.path}", 400
    )


def _is_form(request: HttpRequest) -> bool:
    if request.headers.get("content-type", "").startswith(_FORM):
        return True
    return request.query.startswith("Action=") or "&Action=" in request.query


def _form_value(request: HttpRequest, name: str) -> str | None:
    for source in (request.query, request.body.decode("utf-8", "replace")):
        values = parse_query(source).get(name)
        if values:
            return values[-1]
    return None


def http_request(request: WsgiRequest) -> HttpRequest:
    headers = dict(request.headers)
    return HttpRequest(
        method=request.method,
        path=request.raw_path,
        query=request.query,
        headers=headers,
        body=request.body,
        host=headers.get("host", ""),
    )
