"""AWS wire protocols driven by botocore's service models (rest-json, json, query, rest-xml, ec2).

``load_protocol("lambda")`` gives the service's own protocol; ``load_protocol("sqs",
"query")`` serves a service in another protocol it is compatible with (SQS's legacy query
mode). Every protocol implements :class:`~lambdaport.protocol.base.ServiceProtocol`.
"""

from __future__ import annotations

import functools
from typing import Any

from botocore.loaders import Loader
from botocore.model import ServiceModel

from lambdaport.protocol.aws_json import JsonProtocol
from lambdaport.protocol.base import (
    HttpRequest,
    HttpResponse,
    ServiceProtocol,
    UnknownOperationError,
)
from lambdaport.protocol.ec2 import Ec2Protocol
from lambdaport.protocol.query import QueryProtocol
from lambdaport.protocol.rest_json import RestJsonProtocol
from lambdaport.protocol.rest_xml import RestXmlProtocol

PROTOCOLS = ("rest-json", "json", "query", "rest-xml", "ec2")


def load_service_model(service_name: str, loader: Any = None) -> Any:
    """The botocore ``ServiceModel`` of a service (``loader`` defaults to botocore's own,
    whose models are read once per process: every hook registration asks for one)."""
    if loader is None:
        return _botocore_model(service_name)
    return ServiceModel(loader.load_service_model(service_name, "service-2"), service_name)


@functools.cache
def _botocore_model(service_name: str) -> Any:
    return ServiceModel(_LOADER.load_service_model(service_name, "service-2"), service_name)


_LOADER = Loader()


def supported_protocols(service_model: Any) -> list[str]:
    metadata = service_model.metadata
    names = list(metadata.get("protocols") or [metadata["protocol"]])
    if "awsQueryCompatible" in metadata and "query" not in names:
        names.append("query")
    return [name for name in names if name in PROTOCOLS]


def protocol_for_model(service_model: Any, protocol: str | None = None) -> ServiceProtocol:
    """A protocol implementation for an already loaded ``ServiceModel``."""
    name = protocol or service_model.protocol
    if name not in supported_protocols(service_model):
        raise ValueError(
            f"{service_model.service_name} does not speak {name!r} "
            f"(it speaks {', '.join(supported_protocols(service_model)) or 'nothing we know'})"
        )
    if name == "rest-json":
        return RestJsonProtocol(service_model)
    if name == "json":
        return JsonProtocol(service_model)
    if name == "query":
        return QueryProtocol(service_model)
    if name == "ec2":
        return Ec2Protocol(service_model)
    return RestXmlProtocol(service_model)


def load_protocol(service_name: str, protocol: str | None = None) -> ServiceProtocol:
    """The wire protocol of ``service_name`` (the model's own unless ``protocol`` is given)."""
    return protocol_for_model(load_service_model(service_name), protocol)


__all__ = [
    "PROTOCOLS",
    "Ec2Protocol",
    "HttpRequest",
    "HttpResponse",
    "JsonProtocol",
    "QueryProtocol",
    "RestJsonProtocol",
    "RestXmlProtocol",
    "ServiceProtocol",
    "UnknownOperationError",
    "load_protocol",
    "load_service_model",
    "protocol_for_model",
    "supported_protocols",
]
