"""The tail reads what botocore writes: every operation of every client moto serves.

For each operation, botocore serialises its required members (as boto3 would send them) and
the tail's reader must find the operation and the same parameters, so reading requests
before moto never misroutes a well-formed call (full samples of every member are
round-tripped for the protocols' own services in ``tests/protocol``). Unit tier: no server,
no moto.
"""

from __future__ import annotations

from typing import Any

import pytest

from lambdaport.app import OWN_SERVICES
from lambdaport.protocol import load_service_model
from lambdaport.services.moto_tail.catalog import MOTO_APPS, SHARED_SIGNING_NAMES
from lambdaport.services.moto_tail.protocol import ClientWire, MotoCall, TailProtocol, http_request
from lambdaport.services.moto_tail.wsgi import WsgiRequest
from tests.protocol.samples import SampleBuilder, has_xml_name_clash, normalise
from tests.protocol.wire import botocore_request, load_model

TAIL_SERVICES = sorted(service for service in MOTO_APPS if service not in OWN_SERVICES)


def boto3_protocol(service: str) -> str:
    """The wire protocol boto3 speaks to ``service`` (JSON where the model prefers CBOR)."""
    return str(load_service_model(service).resolved_protocol)


def wsgi_request(model: Any, protocol: str, operation: str, params: dict[str, Any]) -> WsgiRequest:
    request = botocore_request(model, protocol, operation, params)
    return WsgiRequest(
        request.method, request.path, request.query, tuple(request.headers.items()), request.body
    )


def twins(model: Any, operation: str) -> set[str]:
    """Operations the model routes exactly like ``operation`` (a request cannot tell them
    apart; S3 Control-like ``Get...``/``List...`` pairs on one path)."""
    if model.protocol not in ("rest-json", "rest-xml"):
        return {operation}

    def route(name: str) -> tuple[str, str]:
        http = model.operation_model(name).http
        return http["method"], http["requestUri"].split("?")[0]

    return {name for name in model.operation_names if route(name) == route(operation)}


@pytest.mark.parametrize("service", TAIL_SERVICES)
def test_every_operation_reads_back(service: str) -> None:
    reader = ClientWire(service, served=True)
    model = reader.model()
    protocol = str(model.resolved_protocol)  # what boto3 speaks (JSON where CBOR is preferred)
    misread: list[str] = []
    for operation in model.operation_names:
        shape = model.operation_model(operation).input_shape
        if shape is not None and protocol in ("query", "rest-xml") and has_xml_name_clash(shape):
            continue
        if shape is not None and streams_input(shape):
            continue  # the event stream is the raw body (not JSON) and no sample fills it
        params = required_sample(protocol, shape)
        request = wsgi_request(model, protocol, operation, params)
        http = http_request(request)
        wire = reader.wire_of(http)
        assert wire == protocol, operation
        name, parsed = reader.protocol(wire).parse(http, validate=False)
        if name not in twins(model, operation):
            misread.append(f"{operation} read as {name}")
        elif name == operation and normalise(sent(shape, parsed, params)) != normalise(params):
            misread.append(f"{operation}: {normalise(parsed)} != {normalise(params)}")
    assert misread == []


def required_sample(protocol: str, shape: Any) -> dict[str, Any]:
    """A sample of the required members only (every URI label is one): what routing and
    validation depend on, at a fraction of the cost of a full sample."""
    if shape is None:
        return {}
    builder = SampleBuilder(protocol)
    return {
        name: builder.value(member, (shape.name,), name)
        for name, member in shape.members.items()
        if name in shape.required_members
        and not getattr(member, "is_document_type", False)
        and not member.serialization.get("eventstream")
    }


def sent(shape: Any, parsed: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """``parsed`` without the members botocore fills in itself: a ``Content-Type`` header
    member is read from the header botocore sets for every body."""
    return {
        name: value
        for name, value in parsed.items()
        if name in params
        or shape.members[name].serialization.get("name", "").lower() != "content-type"
    }


def streams_input(shape: Any) -> bool:
    return any(member.serialization.get("eventstream") for member in shape.members.values())


@pytest.mark.parametrize(
    ("named", "client", "operation", "params"),
    [
        ("elbv2", "elb", "DescribeInstanceHealth", {"LoadBalancerName": "lb"}),
        ("mediastore", "mediastore-data", "ListItems", {}),
        ("bedrock-agentcore", "bedrock-agentcore-control", "ListAgentRuntimes", {}),
        ("timestream-write", "timestream-query", "Query", {"QueryString": "SELECT 1"}),
    ],
)
def test_a_client_named_by_a_shared_signing_name_is_found(
    named: str, client: str, operation: str, params: dict[str, Any]
) -> None:
    siblings = [ClientWire(name, served=name in MOTO_APPS) for name in SHARED_SIGNING_NAMES[named]]
    reader = TailProtocol(ClientWire(named, served=True), siblings)
    protocol = boto3_protocol(client)
    request = wsgi_request(load_model(client, protocol), protocol, operation, params)

    call = reader.read(request)

    assert isinstance(call, MotoCall)
    assert (call.service, call.operation, dict(call.params)) == (client, operation, params)
    assert call.request is request  # moto is handed the request as it came
