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
from lambdaport.protocol.base import HttpRequest, HttpResponse
from lambdaport.protocol.error_shapes import default_error_shape, index_error_shapes
from lambdaport.protocol.rest_binding import parse_query
from lambdaport.protocol.scalars import ISO8601, text_reader
from lambdaport.protocol.validation import Validate, Validator
from lambdaport.protocol.xml_codec import XmlCodec, member_xml_name, xml_text

XML_CONTENT_TYPE = "text/xml"
Node = dict[str, Any]  # a tree of dotted parameter names; a node's own value sits under ""
Decode = Callable[[Node], Any]


@dataclass(frozen=True, slots=True)
class _Operation:
    name: str
    decode: Decode | None
    validate: Validate | None
    write: Callable[[Any, list[str]], str] | None
    result_wrapper: str


def _tree(params: Mapping[str, list[str]]) -> Node:
    root: Node = {}
    for key, values in params.items():
        node = root
        for part in key.split("."):
            node = node.setdefault(part, {})
        node[""] = values[-1]
    return root


def _indexed(node: Node) -> list[Node]:
    items = [(int(k), v) for k, v in node.items() if k.isdigit()]
    return [v for _, v in sorted(items, key=lambda pair: pair[0])]


class _FormDecoders:
    """Compiles decoders from a parameter tree to the shapes' values."""

    def __init__(self) -> None:
        self._cache: dict[str, Decode] = {}

    def decoder(self, shape: Any) -> Decode:
        kind = shape.type_name
        if kind == "structure":
            return self._cached(shape, self._structure)
        if kind == "list":
            return self._cached(shape, self._list)
        if kind == "map":
            return self._cached(shape, self._map)
        convert = text_reader(shape, ISO8601)
        return lambda node: convert(node.get("", ""))

    def _cached(self, shape: Any, build: Callable[[Any], Decode]) -> Decode:
        name = f"{shape.name}/flat" if shape.serialization.get("flattened") else str(shape.name)
        if name not in self._cache:
            cache = self._cache
            cache[name] = lambda node: cache[name](node)  # recursion placeholder
            cache[name] = build(shape)
        return self._cache[name]

    def structure(self, members: Any) -> Decode:
        plan = [(name, member_xml_name(name, s), self.decoder(s)) for name, s in members]

        def decode(node: Node) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for name, key, convert in plan:
                child = node.get(key)
                if child is not None:
                    out[name] = convert(child)
            return out

        return decode

    def _structure(self, shape: Any) -> Decode:
        return self.structure(shape.members.items())

    def _list(self, shape: Any) -> Decode:
        item = self.decoder(shape.member)
        flattened = bool(shape.serialization.get("flattened"))
        item_key = str(shape.member.serialization.get("name", "member"))

        def decode(node: Node) -> list[Any]:
            holder = node if flattened else node.get(item_key, {})
            return [item(child) for child in _indexed(holder)]

        return decode

    def _map(self, shape: Any) -> Decode:
        read_key, read_value = self.decoder(shape.key), self.decoder(shape.value)
        key_name = str(shape.key.serialization.get("name", "key"))
        value_name = str(shape.value.serialization.get("name", "value"))
        flattened = bool(shape.serialization.get("flattened"))

        def decode(node: Node) -> dict[Any, Any]:
            holder = node if flattened else node.get("entry", {})
            out: dict[Any, Any] = {}
            for entry in _indexed(holder):
                if key_name in entry:
                    value = entry.get(value_name)
                    out[read_key(entry[key_name])] = (
                        read_value(value) if value is not None else None
                    )
            return out

        return decode


class QueryProtocol:
    """Parses and serialises one service in the ``query`` protocol."""

    def __init__(
        self,
        service_model: Any,
        xml_namespace: str | None = None,
        query_error_codes: Mapping[str, str] | None = None,
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
        decoders, validator, xml = _FormDecoders(), Validator(), XmlCodec()
        self._operations: dict[str, _Operation] = {}
        for name in service_model.operation_names:
            operation = service_model.operation_model(name)
            shape_in, shape_out = operation.input_shape, operation.output_shape
            wrapper = f"{name}Result"
            if shape_out is not None:
                wrapper = str(shape_out.serialization.get("resultWrapper", wrapper))
            self._operations[name] = _Operation(
                name,
                decoders.structure(shape_in.members.items()) if shape_in else None,
                validator.for_members(shape_in.members.items(), shape_in.required_members)
                if shape_in
                else None,
                xml.members_writer(shape_out.members.items()) if shape_out else None,
                wrapper,
            )

    def operation_names(self) -> list[str]:
        return list(self._operations)

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
            raise AwsError(
                "InvalidAction",
                f"The action {action or '(none)'} is not valid for this endpoint.",
                400,
            )
        result: dict[str, Any] = {}
        if operation.decode is not None:
            try:
                result = operation.decode(_tree(params))
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
