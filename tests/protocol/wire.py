"""Moving requests and responses between botocore's dict form and ours."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from botocore.awsrequest import HeadersDict
from botocore.loaders import Loader
from botocore.model import ServiceModel
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from lambdaport.protocol import protocol_for_model
from lambdaport.protocol.base import HttpRequest, HttpResponse, ServiceProtocol


def load_model(service: str, protocol: str) -> Any:
    data = Loader().load_service_model(service, "service-2")
    if protocol == "query" and data["metadata"]["protocol"] != "query":
        # The legacy query model of an awsQueryCompatible service (SQS) wrapped each result
        # in <OperationResult>; the current JSON model no longer says so.
        data = _with_result_wrappers(data)
    return ServiceModel(data, service)


def _with_result_wrappers(data: dict[str, Any]) -> dict[str, Any]:
    shapes = dict(data["shapes"])
    for name, operation in data["operations"].items():
        output = operation.get("output")
        if output is not None:
            shape = dict(shapes[output["shape"]])
            shape["resultWrapper"] = f"{name}Result"
            shapes[output["shape"]] = shape
    return {**data, "shapes": shapes}


def build_protocol(model: Any, protocol: str) -> ServiceProtocol:
    return protocol_for_model(model, protocol)


def botocore_request(
    model: Any, protocol: str, operation: str, params: dict[str, Any]
) -> HttpRequest:
    serializer = create_serializer(protocol, include_validation=False)
    request = serializer.serialize_to_request(params, model.operation_model(operation))
    path, _, literal_query = request["url_path"].partition("?")
    query_string = request["query_string"]
    extra = urlencode(query_string, doseq=True) if isinstance(query_string, dict) else query_string
    query = "&".join(part for part in (literal_query, extra) if part)
    body = request["body"]
    if isinstance(body, dict):
        body = urlencode(body, doseq=True)
    if isinstance(body, str):
        body = body.encode()
    headers = {name.lower(): str(value) for name, value in request["headers"].items()}
    return HttpRequest(request["method"], path or "/", query, headers, bytes(body or b""))


def botocore_parse(protocol: str, response: HttpResponse, shape: Any) -> dict[str, Any]:
    headers = HeadersDict()
    for name, value in response.headers:
        headers[name] = value
    parsed: dict[str, Any] = create_parser(protocol).parse(
        {"status_code": response.status, "headers": headers, "body": response.body}, shape
    )
    return parsed
