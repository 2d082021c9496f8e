"""The ``json`` protocol (SQS, CloudWatch Logs, DynamoDB, ...): ``X-Amz-Target`` dispatch.

Requests are ``POST /`` with ``X-Amz-Target: <targetPrefix>.<Operation>`` and a JSON body;
results are a JSON body; errors are ``{"__type": code, "message": ...}``. Services marked
``awsQueryCompatible`` (SQS) also get ``x-amzn-query-error: <query code>;Sender``.
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
from lambdaport.protocol.scalars import UNIX_TIMESTAMP, encode_base64, serialization_error
from lambdaport.protocol.validation import Validate, Validator


@dataclass(frozen=True, slots=True)
class _Operation:
    name: str
    decode: Convert | None
    validate: Validate | None
    encode: Callable[[Any], dict[str, Any]] | None


class JsonProtocol:
    """Parses and serialises one ``json`` service, driven by its botocore model. Parameters
    that break the model's constraints are refused with ``validation_error_code``."""

    def __init__(
        self,
        service_model: Any,
        query_error_codes: Mapping[str, str] | None = None,
        validation_error_code: str = "ValidationException",
    ) -> None:
        self.service_name: str = service_model.service_name
        metadata = service_model.metadata
        self._target_prefix = str(metadata.get("targetPrefix", ""))
        self.content_type = f"application/x-amz-json-{metadata.get('jsonVersion', '1.0')}"
        self._query_compatible = "awsQueryCompatible" in metadata
        self._errors = index_error_shapes(service_model, query_error_codes)
        self._model = service_model
        self._codec = JsonCodec(UNIX_TIMESTAMP)
        self._validator = Validator(validation_error_code)
        self._operations = Plans(service_model.operation_names, self._plan)

    def _plan(self, name: str) -> _Operation:
        operation = self._model.operation_model(name)
        shape_in, shape_out = operation.input_shape, operation.output_shape
        codec, validator = self._codec, self._validator
        return _Operation(
            name,
            codec.struct_decoder(shape_in.members.items()) if shape_in else None,
            validator.for_members(shape_in.members.items(), shape_in.required_members)
            if shape_in
            else None,
            codec.struct_encoder(shape_out.members.items()) if shape_out else None,
        )

    def operation_names(self) -> list[str]:
        return self._operations.names()

    def parse(self, request: HttpRequest, validate: bool = True) -> tuple[str, dict[str, Any]]:
        target = request.headers.get("x-amz-target", "")
        prefix, _, name = target.rpartition(".")
        operation = self._operations.get(name) if prefix == self._target_prefix else None
        if operation is None:
            raise UnknownOperationError(
                "UnknownOperationException", f"Unknown operation {target or '(none)'}", 400
            )
        params: dict[str, Any] = {}
        if request.body and operation.decode is not None:
            try:
                document = orjson.loads(request.body)
            except orjson.JSONDecodeError as exc:
                raise serialization_error(f"Could not parse request body: {exc}") from exc
            params = operation.decode(document)
        if validate and operation.validate is not None:
            operation.validate(params)
        return name, params

    def serialize(
        self, operation: str, result: Mapping[str, Any], request_id: str = ""
    ) -> HttpResponse:
        encode = self._operations[operation].encode
        body = orjson.dumps(encode(result)) if encode is not None else b"{}"
        return HttpResponse(200, [("Content-Type", self.content_type)], body)

    def serialize_error(
        self, operation: str | None, error: AwsError, request_id: str = ""
    ) -> HttpResponse:
        shape = self._errors.get(error.code) or default_error_shape(error.code)
        payload: dict[str, Any] = {"__type": shape.name}
        for key, value in error.fields.items():
            if value is not None:
                payload[key] = encode_base64(value) if isinstance(value, bytes) else value
        payload[shape.message_key] = error.message
        headers = [("Content-Type", self.content_type)]
        if self._query_compatible:
            fault = "Sender" if error.sender_fault else "Receiver"
            headers.append(("x-amzn-query-error", f"{shape.query_code};{fault}"))
        headers.extend(error.headers.items())
        return HttpResponse(error.status, headers, orjson.dumps(payload, default=str))
