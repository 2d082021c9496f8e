"""The ``query`` protocol (SNS, STS, SQS's legacy mode): form parameters in, XML out.

Requests carry ``Action=<Operation>&Version=...`` and the input members flattened into
dotted names (``Attributes.entry.1.key``, ``Tags.member.2.Value``) in a form body or the
query string. Results are ``<OpResponse><OpResult>...</OpResult><ResponseMetadata>``;
errors are ``<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>``.
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
from lambdaport.protocol.form import Decode, FormDecoders, tree
from lambdaport.protocol.rest_binding import parse_query
from lambdaport.protocol.validation import Validate, Validator
from lambdaport.protocol.xml_codec import XmlCodec, xml_text

XML_CONTENT_TYPE = "text/xml"


@dataclass(frozen=True, slots=True)
class _Operation:
    name: str
    decode: Decode | None
    validate: Validate | None
    write: Callable[[Any, list[str]], str] | None
    result_wrapper: str


class QueryProtocol:
    """Parses and serialises one service in the ``query`` protocol. Parameters that break
    the model's constraints are refused with ``validation_error_code`` (and missing ones
    with ``missing_parameter_code``, when the service answers those EC2's way); without
    ``constraints`` only required members and types are checked."""

    # The protocol's own error for an Action the service does not have ({} is the action).
    unknown_action = "The action {} is not valid for this endpoint."
    ec2_names = False

    def __init__(
        self,
        service_model: Any,
        xml_namespace: str | None = None,
        query_error_codes: Mapping[str, str] | None = None,
        *,
        validation_error_code: str = "ValidationException",
        missing_parameter_code: str | None = None,
        constraints: bool = True,
    ) -> None:
        self.service_name: str = service_model.service_name
        metadata = service_model.metadata
        self.xml_namespace = (
            xml_namespace
            or metadata.get("xmlNamespace")
            or f"http://{metadata.get('endpointPrefix', self.service_name)}.amazonaws.com"
            f"/doc/{metadata.get('apiVersion', '')}/"
        )
        self._errors = index_error_shapes(service_model, query_error_codes)
        self._model = service_model
        self._decoders = FormDecoders(ec2=self.ec2_names)
        self._validator = Validator(
            validation_error_code, missing_parameter_code, constraints=constraints
        )
        self._xml = XmlCodec()
        self._operations = Plans(service_model.operation_names, self._plan)

    def _plan(self, name: str) -> _Operation:
        operation = self._model.operation_model(name)
        shape_in, shape_out = operation.input_shape, operation.output_shape
        wrapper = f"{name}Result"
        if shape_out is not None:
            wrapper = str(shape_out.serialization.get("resultWrapper", wrapper))
        return _Operation(
            name,
            self._decoders.structure(shape_in.members.items()) if shape_in else None,
            self._validator.for_members(shape_in.members.items(), shape_in.required_members)
            if shape_in
            else None,
            self._xml.members_writer(shape_out.members.items()) if shape_out else None,
            wrapper,
        )

    def operation_names(self) -> list[str]:
        return self._operations.names()

    def parse(self, request: HttpRequest, validate: bool = True) -> tuple[str, dict[str, Any]]:
        params = dict(parse_query(request.query))
        if request.body:
            try:
                params.update(parse_query(request.body.decode()))
            except UnicodeDecodeError as exc:
                raise AwsError("MalformedQueryString", "Request body is not UTF-8", 400) from exc
        action = params.pop("Action", [""])[-1]
        params.pop("Version", None)
        operation = self._operations.get(action)
        if operation is None:
            raise UnknownOperationError(
                "InvalidAction", self.unknown_action.format(action or "(none)"), 400
            )
        result: dict[str, Any] = {}
        if operation.decode is not None:
            try:
                result = operation.decode(tree(params))
            except (ValueError, TypeError, AttributeError) as exc:
                raise AwsError("MalformedQueryString", str(exc), 400) from exc
        if validate and operation.validate is not None:
            operation.validate(result)
        return action, result

    def serialize(
        self, operation: str, result: Mapping[str, Any], request_id: str = ""
    ) -> HttpResponse:
        plan = self._operations[operation]
        out = [f"<{operation}Response xmlns={quoteattr(self.xml_namespace)}>"]
        if plan.write is not None:
            start = len(out)
            out.append("")
            attrs = plan.write(result, out)
            out[start] = f"<{plan.result_wrapper}{attrs}>"
            out.append(f"</{plan.result_wrapper}>")
        out.append(_metadata(request_id))
        out.append(f"</{operation}Response>")
        return HttpResponse(200, [("Content-Type", XML_CONTENT_TYPE)], "".join(out).encode())

    def serialize_error(
        self, operation: str | None, error: AwsError, request_id: str = ""
    ) -> HttpResponse:
        shape = self._errors.get(error.code) or default_error_shape(error.code)
        fault = "Sender" if error.sender_fault else "Receiver"
        extra = "".join(
            f"<{key}>{xml_text(str(value))}</{key}>"
            for key, value in error.fields.items()
            if value is not None and key not in ("Type", "Code", "Message")
        )
        body = (
            f"<ErrorResponse xmlns={quoteattr(self.xml_namespace)}><Error><Type>{fault}</Type>"
            f"<Code>{xml_text(shape.query_code)}</Code><Message>{xml_text(error.message)}</Message>"
            f"{extra}</Error><RequestId>{xml_text(request_id or str(uuid.uuid4()))}</RequestId>"
            "</ErrorResponse>"
        )
        headers = [("Content-Type", XML_CONTENT_TYPE), *error.headers.items()]
        return HttpResponse(error.status, headers, body.encode())


def _metadata(request_id: str) -> str:
    rid = xml_text(request_id or str(uuid.uuid4()))
    return f"<ResponseMetadata><RequestId>{rid}</RequestId></ResponseMetadata>"
