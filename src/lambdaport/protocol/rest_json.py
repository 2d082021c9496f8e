"""The ``rest-json`` protocol (Lambda, API Gateway, ...): routes by method and path.

Everything is planned once per operation when the protocol is built: the route, which
members come from the URI, query string, headers and body, the body decoder, the
validator, and the mirror image for results. ``parse`` and ``serialize`` then only walk
those plans; Lambda's ``Invoke`` costs a few microseconds each way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from lambdaport.errors import AwsError
from lambdaport.protocol.base import HttpRequest, HttpResponse, Plans, UnknownOperationError
from lambdaport.protocol.error_shapes import default_error_shape, index_error_shapes
from lambdaport.protocol.json_codec import Convert, JsonCodec
from lambdaport.protocol.rest_binding import (
    RequestBinding,
    ResponseBinding,
    has_location,
    parse_query,
    route_for,
)
from lambdaport.protocol.routing import Route, Router
from lambdaport.protocol.scalars import UNIX_TIMESTAMP, encode_base64
from lambdaport.protocol.validation import Validate, Validator

JSON_CONTENT_TYPE = "application/json"
_NO_SHAPE_BINDING = RequestBinding((), (), (), (), (), (), ())
_NO_RESPONSE_BINDING = ResponseBinding(None, (), ())


@dataclass(frozen=True, slots=True)
class _Input:
    name: str
    binding: RequestBinding
    payload: str | None  # member carried raw as the body
    payload_kind: str  # "blob", "string", "structure" or ""
    body: Convert | None  # decoder of the JSON body (or of a structure payload)
    validate: Validate | None


@dataclass(frozen=True, slots=True)
class _Output:
    status: int
    binding: ResponseBinding
    payload: str | None
    payload_kind: str
    body: Callable[[Any], Any] | None  # encoder of the JSON body members


def _payload(shape: Any) -> tuple[str | None, str]:
    if shape is None:
        return None, ""
    name = shape.serialization.get("payload")
    if name is None:
        return None, ""
    member = shape.members[name]
    if member.serialization.get("eventstream"):
        return str(name), "blob"  # an input event stream travels as the raw body
    kind = member.type_name
    return str(name), kind if kind in ("blob", "string") else "structure"


def _body_members(shape: Any) -> list[tuple[str, Any]]:
    return [(n, m) for n, m in shape.members.items() if not has_location(m)]


class RestJsonProtocol:
    """Parses and serialises one ``rest-json`` service, driven by its botocore model."""

    def __init__(self, service_model: Any) -> None:
        self.service_name: str = service_model.service_name
        self._codec = JsonCodec(UNIX_TIMESTAMP)
        self._validator = Validator()
        self._errors = index_error_shapes(service_model)
        self._bad_body_code = (
            "InvalidRequestContentException"
            if "InvalidRequestContentException" in self._errors
            else "SerializationException"
        )
        # Routes are needed up front; each operation's plans when it is first called.
        self._bindings: dict[str, RequestBinding] = {}
        routes: list[Route] = []
        for name in service_model.operation_names:
            operation = service_model.operation_model(name)
            shape = operation.input_shape
            binding = RequestBinding.from_shape(shape) if shape is not None else _NO_SHAPE_BINDING
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

    # -- planning ------------------------------------------------------------------

    def _plan_input(self, operation: Any) -> _Input:
        shape = operation.input_shape
        if shape is None:
            return _Input(operation.name, _NO_SHAPE_BINDING, None, "", None, None)
        payload, kind = _payload(shape)
        body: Convert | None
        if kind == "structure":
            body = self._codec.decoder(shape.members[payload])
        elif payload is None and _body_members(shape):
            body = self._codec.struct_decoder(_body_members(shape))
        else:
            body = None
        members = [
            (n, m) for n, m in shape.members.items() if not m.serialization.get("eventstream")
        ]
        validate = self._validator.for_members(members, shape.required_members)
        return _Input(operation.name, self._bindings[operation.name], payload, kind, body, validate)

    def _plan_output(self, operation: Any) -> _Output:
        status = int(operation.http.get("responseCode", 200))
        shape = operation.output_shape
        if shape is None:
            return _Output(status, _NO_RESPONSE_BINDING, None, "", None)
        payload, kind = _payload(shape)
        if payload is not None and shape.members[payload].serialization.get("eventstream"):
            kind = "eventstream"  # the result's member: an async iterator of encoded messages
        body: Callable[[Any], Any] | None
        if kind == "structure":
            body = self._codec.encoder(shape.members[payload])
        elif payload is None:
            body = self._codec.struct_encoder(_body_members(shape))
        else:
            body = None
        return _Output(status, ResponseBinding.from_shape(shape), payload, kind, body)

    # -- requests ------------------------------------------------------------------

    def operation_names(self) -> list[str]:
        return self._inputs.names()

    def parse(self, request: HttpRequest, validate: bool = True) -> tuple[str, dict[str, Any]]:
        query = parse_query(request.query)
        match = self._router.match(request.method, request.path, query, request.headers)
        if match is None:
            raise UnknownOperationError(
                "UnknownOperationException",
                f"No operation matches {request.method} {request.path}",
                404,
            )
        route = match.route
        plan = self._inputs[route.operation]
        params: dict[str, Any] = {}
        plan.binding.bind(match.labels, query, request.headers, route.query, params)
        body = request.body
        if plan.payload is not None:
            if plan.payload_kind == "blob":
                if body:
                    params[plan.payload] = body
            elif plan.payload_kind == "string":
                if body:
                    params[plan.payload] = body.decode(errors="replace")
            elif body and plan.body is not None:
                params[plan.payload] = plan.body(self._load_json(body))
            elif body:
                params[plan.payload] = self._load_json(body)
        elif plan.body is not None and body:
            params.update(plan.body(self._load_json(body)))
        if validate and plan.validate is not None:
            plan.validate(params)
        return plan.name, params

    def _load_json(self, body: bytes) -> Any:
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise AwsError(
                self._bad_body_code,
                f"Could not parse request body into json: {exc}",
                400,
                fields={"Type": "User"} if self._bad_body_code != "SerializationException" else {},
            ) from exc

    # -- responses -----------------------------------------------------------------

    def serialize(
        self, operation: str, result: Mapping[str, Any], request_id: str = ""
    ) -> HttpResponse:
        plan = self._outputs[operation]
        headers: list[tuple[str, str]] = []
        status = plan.binding.apply(result, headers) or plan.status
        body = b""
        if plan.payload is not None:
            value = result.get(plan.payload)
            if value is None:
                pass
            elif plan.payload_kind == "eventstream":
                return HttpResponse(status, headers, b"", stream=value)
            elif plan.payload_kind == "blob":
                body = value if isinstance(value, bytes) else bytes(value)
            elif plan.payload_kind == "string":
                body = value.encode()
            else:
                body = orjson.dumps(plan.body(value) if plan.body is not None else value)
        elif plan.body is not None and status != 204:
            body = orjson.dumps(plan.body(result))
        if not any(name.lower() == "content-type" for name, _ in headers):
            headers.append(("Content-Type", JSON_CONTENT_TYPE))
        return HttpResponse(status, headers, body)

    def serialize_error(
        self, operation: str | None, error: AwsError, request_id: str = ""
    ) -> HttpResponse:
        shape = self._errors.get(error.code) or default_error_shape(error.code)
        headers = [("x-amzn-ErrorType", shape.name), ("Content-Type", JSON_CONTENT_TYPE)]
        payload: dict[str, Any] = {}
        header_fields = dict(shape.header_members)
        for key, value in error.fields.items():
            if key in header_fields:
                headers.append((header_fields[key], str(value)))
            elif value is not None:
                payload[key] = encode_base64(value) if isinstance(value, bytes) else value
        payload[shape.message_key] = error.message
        headers.extend(error.headers.items())
        return HttpResponse(error.status, headers, orjson.dumps(payload, default=str))
