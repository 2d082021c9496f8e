"""The ``rest-xml`` protocol (S3): routes by method, path and query, XML bodies.

Virtual-host bucket addressing is the gateway's business: it hands this protocol a
path-style path (``/bucket/key``). Streaming blobs (object bodies) travel as raw bytes.
Errors are S3's ``<Error><Code/><Message/>...<RequestId/></Error>`` for S3 and S3 Control,
and ``<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>``
for the others (Route 53, CloudFront).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import quoteattr

from lambdaport.errors import AwsError
from lambdaport.protocol.base import HttpRequest, HttpResponse, Plans, UnknownOperationError
from lambdaport.protocol.error_shapes import default_error_shape, index_error_shapes
from lambdaport.protocol.rest_binding import (
    RequestBinding,
    ResponseBinding,
    has_location,
    parse_query,
    route_for,
)
from lambdaport.protocol.routing import Route, Router
from lambdaport.protocol.validation import Validate, Validator
from lambdaport.protocol.xml_codec import (
    Reader,
    XmlCodec,
    malformed_xml,
    namespace_attr,
    parse_xml,
    xml_text,
)

XML_CONTENT_TYPE = "application/xml"
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
_NO_SHAPE_BINDING = RequestBinding((), (), (), (), (), (), ())
_S3_ERROR_ELEMENTS = frozenset({"Code", "Message", "RequestId"})
_ERROR_RESPONSE_ELEMENTS = _S3_ERROR_ELEMENTS | {"Type"}


@dataclass(frozen=True, slots=True)
class _Input:
    name: str
    binding: RequestBinding
    payload: str | None
    payload_kind: str  # "blob", "string", "structure" or ""
    body: Reader | None
    validate: Validate | None
    root: str | None = None  # the root element a structure payload must have
    body_required: bool = False  # a required structure payload: an empty body is malformed


@dataclass(frozen=True, slots=True)
class _Output:
    status: int
    binding: ResponseBinding
    payload: str | None
    payload_kind: str
    root: str  # the root element name of an XML body
    namespace: str  # ' xmlns="..."' or ""
    write: Callable[[Any, list[str]], str] | None


def _payload(shape: Any) -> tuple[str | None, str]:
    name = shape.serialization.get("payload")
    if name is None:
        return None, ""
    kind = shape.members[name].type_name
    return str(name), kind if kind in ("blob", "string") else "structure"


def _read_document(read: Reader, document: Any) -> Any:
    """A document's members; one whose text does not fit the schema (``<Days>ten</Days>``)
    is MalformedXML, as S3 answers."""
    try:
        return read(document)
    except (AwsError, ValueError, TypeError, AttributeError, IndexError, OverflowError) as exc:
        raise malformed_xml() from exc


class RestXmlProtocol:
    """Parses and serialises one ``rest-xml`` service, driven by its botocore model.
    Parameters that break the model's constraints are refused with
    ``validation_error_code``, documents that are not XML (or not the operation's) with
    ``malformed_xml_code`` (S3 says ``MalformedXML``; Route 53 ``MalformedInput``)."""

    def __init__(
        self,
        service_model: Any,
        *,
        validation_error_code: str = "ValidationException",
        malformed_xml_code: str = "MalformedXML",
    ) -> None:
        self.service_name: str = service_model.service_name
        self._xml = XmlCodec()
        self._validator = Validator(validation_error_code)
        self._malformed_xml_code = malformed_xml_code
        self._errors = index_error_shapes(service_model)
        metadata = service_model.metadata
        prefix = str(metadata.get("endpointPrefix", self.service_name))
        self._s3_errors = metadata.get("signingName", prefix) == "s3"
        self._error_namespace = f"https://{prefix}.amazonaws.com/doc/{metadata['apiVersion']}/"
        # Routes are needed up front; each operation's plans when it is first called.
        # S3 ignores a conditional date it cannot parse (RFC 9110 13.1.3), as it ignores an
        # Expires it cannot read, rather than refusing the request.
        self._bindings: dict[str, RequestBinding] = {}
        routes: list[Route] = []
        for name in service_model.operation_names:
            operation = service_model.operation_model(name)
            shape = operation.input_shape
            binding = (
                RequestBinding.from_shape(shape, ignore_bad_header_dates=True)
                if shape is not None
                else _NO_SHAPE_BINDING
            )
            self._bindings[name] = binding
            routes.append(route_for(operation, binding))
        self._router = Router(routes)
        model = service_model
        self._inputs = Plans(
            model.operation_names, lambda name: self._plan_input(model.operation_model(name))
        )
        self._outputs = Plans(
            model.operation_names, lambda name: self._plan_output(model.operation_model(name))
        )

    def _plan_input(self, operation: Any) -> _Input:
        shape = operation.input_shape
        if shape is None:
            return _Input(operation.name, _NO_SHAPE_BINDING, None, "", None, None)
        payload, kind = _payload(shape)
        body: Reader | None = None
        root: str | None = None
        if kind == "structure":
            member = shape.members[payload]
            body = self._xml.reader(member)
            root = str(member.serialization.get("name", payload))
        elif payload is None:
            members = [(n, m) for n, m in shape.members.items() if not has_location(m)]
            body = self._xml.members_reader(members) if members else None
        validate = self._validator.for_members(shape.members.items(), shape.required_members)
        return _Input(
            operation.name,
            self._bindings[operation.name],
            payload,
            kind,
            body,
            validate,
            root,
            kind == "structure" and payload in shape.required_members,
        )

    def _plan_output(self, operation: Any) -> _Output:
        status = int(operation.http.get("responseCode", 200))
        shape = operation.output_shape
        if shape is None:
            return _Output(status, ResponseBinding(None, (), ()), None, "", "", "", None)
        payload, kind = _payload(shape)
        root, namespace = f"{operation.name}Result", namespace_attr(shape)
        write: Callable[[Any, list[str]], str] | None = None
        if kind == "structure":
            member = shape.members[payload]
            root = str(member.serialization.get("name", member.name))
            namespace = namespace_attr(member) or namespace
            write = self._xml.members_writer(member.members.items())
        elif payload is None:
            members = [(n, m) for n, m in shape.members.items() if not has_location(m)]
            root = str(shape.serialization.get("name", root))
            write = self._xml.members_writer(members) if members else None
        return _Output(
            status, ResponseBinding.from_shape(shape), payload, kind, root, namespace, write
        )

    def operation_names(self) -> list[str]:
        return self._inputs.names()

    def requires_body(self, operation: str) -> bool:
        """The operation's input is a required XML document (PutBucketTagging...)."""
        return self._inputs[operation].body_required

    def parse(
        self, request: HttpRequest, validate: bool = True, body_read: bool = True
    ) -> tuple[str, dict[str, Any]]:
        """``body_read=False``: the request's body is not read yet (S3 routes on the method,
        path, query and headers first), so a missing required document is not an error."""
        query = parse_query(request.query)
        match = self._router.match(request.method, request.path, query, request.headers)
        if match is None:
            raise UnknownOperationError(
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
                405,
            )
        route = match.route
        plan = self._inputs[route.operation]
        params: dict[str, Any] = {}
        plan.binding.bind(match.labels, query, request.headers, route.query, params)
        body = request.body
        if plan.payload is not None and body:
            if plan.payload_kind == "blob":
                params[plan.payload] = body
            elif plan.payload_kind == "string":
                params[plan.payload] = body.decode(errors="replace")
            elif plan.body is not None:
                params[plan.payload] = self._read(plan.body, body, plan.root)
        elif plan.body is not None and body:
            params.update(self._read(plan.body, body, None))
        elif plan.body_required and body_read:
            raise self._malformed()
        if validate and plan.validate is not None:
            plan.validate(params)
        return plan.name, params

    def _read(self, read: Reader, body: bytes, root: str | None) -> Any:
        try:
            return _read_document(read, parse_xml(body, root))
        except AwsError as error:  # both raise only MalformedXML: worded as this service
            raise self._malformed() from error

    def _malformed(self) -> AwsError:
        error = malformed_xml()
        return AwsError(self._malformed_xml_code, error.message, error.status)

    def serialize(
        self,
        operation: str,
        result: Mapping[str, Any],
        request_id: str = "",
        root_name: str | None = None,
    ) -> HttpResponse:
        """``root_name`` names the root element of a non-payload XML body (S3 calls the
        ListObjectsV2 body ``ListBucketResult``; the model does not say so)."""
        plan = self._outputs[operation]
        headers: list[tuple[str, str]] = []
        status = plan.binding.apply(result, headers) or plan.status
        body = b""
        content_type = XML_CONTENT_TYPE
        if plan.payload is not None:
            value = result.get(plan.payload)
            if value is None:
                pass
            elif plan.payload_kind == "blob":
                body = value if isinstance(value, bytes) else bytes(value)
                content_type = "application/octet-stream"
            elif plan.payload_kind == "string":
                body = value.encode()
                content_type = "text/plain"
            elif plan.write is not None:
                body = self._document(plan.root, plan.namespace, plan.write, value)
        elif plan.write is not None and status != 204:
            body = self._document(root_name or plan.root, plan.namespace, plan.write, result)
        if body and not any(name.lower() == "content-type" for name, _ in headers):
            headers.append(("Content-Type", content_type))
        return HttpResponse(status, headers, body)

    @staticmethod
    def _document(
        root: str, namespace: str, write: Callable[[Any, list[str]], str], value: Any
    ) -> bytes:
        out = [_XML_DECLARATION, ""]
        attrs = write(value, out)
        out[1] = f"<{root}{namespace}{attrs}>"
        out.append(f"</{root}>")
        return "".join(out).encode()

    def serialize_error(
        self, operation: str | None, error: AwsError, request_id: str = ""
    ) -> HttpResponse:
        shape = self._errors.get(error.code) or default_error_shape(error.code)
        reserved = _S3_ERROR_ELEMENTS if self._s3_errors else _ERROR_RESPONSE_ELEMENTS
        extra = "".join(
            f"<{key}>{xml_text(str(value))}</{key}>"
            for key, value in error.fields.items()
            if value is not None and key not in reserved
        )
        code, message = xml_text(shape.query_code), xml_text(error.message)
        fields = f"<Code>{code}</Code><Message>{message}</Message>"
        rid = f"<RequestId>{xml_text(request_id or str(uuid.uuid4()))}</RequestId>"
        if self._s3_errors:
            body = f"{_XML_DECLARATION}<Error>{fields}{extra}{rid}</Error>"
        else:
            fault = "Sender" if error.sender_fault else "Receiver"
            body = (
                f"{_XML_DECLARATION}<ErrorResponse xmlns={quoteattr(self._error_namespace)}>"
                f"<Error><Type>{fault}</Type>{fields}{extra}</Error>{rid}</ErrorResponse>"
            )
        headers = [("Content-Type", XML_CONTENT_TYPE), *error.headers.items()]
        return HttpResponse(error.status, headers, body.encode())
