"""Conformance with botocore, generated from the service models.

For every operation: botocore serialises a representative input and our ``parse`` must
recover the operation and the same parameters; we serialise a representative output and
botocore's parser must read back the same dict; every modelled error must come back to
botocore with its code and message.
"""

from __future__ import annotations

from typing import Any

import pytest

from lambdaport.errors import AwsError
from tests.protocol.conftest import ModelCache
from tests.protocol.samples import SampleBuilder, has_xml_name_clash, normalise
from tests.protocol.wire import botocore_parse, botocore_request, load_model

SERVICES = [
    ("lambda", "rest-json"),
    ("sqs", "json"),
    ("sqs", "query"),
    ("sns", "query"),
    ("s3", "rest-xml"),
    ("logs", "json"),
    ("ec2", "ec2"),
    ("route53", "rest-xml"),
    ("cloudfront", "rest-xml"),
    ("iam", "query"),
]


def _cases() -> list[Any]:
    cases = []
    for service, protocol in SERVICES:
        model = load_model(service, protocol)
        for operation in model.operation_names:
            cases.append(
                pytest.param(service, protocol, operation, id=f"{service}-{protocol}-{operation}")
            )
    return cases


CASES = _cases()


def _has_event_stream(shape: Any) -> bool:
    return shape is not None and any(
        m.serialization.get("eventstream") for m in shape.members.values()
    )


def _skip_unreadable(protocol: str, shape: Any) -> None:
    if protocol in ("rest-xml", "query") and has_xml_name_clash(shape):
        pytest.skip("the model puts two members on one XML element")


def _same_route(model: Any, operation: str) -> set[str]:
    """The operation and any the model gives the very same route and requirements (S3's
    ListBuckets and ListDirectoryBuckets, GetBucketLifecycle and its successor)."""
    if model.protocol not in ("rest-json", "rest-xml"):
        return {operation}

    def signature(name: str) -> tuple[Any, ...]:
        op = model.operation_model(name)
        shape = op.input_shape
        required = sorted(shape.required_members) if shape is not None else []
        return (op.http["method"], op.http["requestUri"], required)

    mine = signature(operation)
    return {name for name in model.operation_names if signature(name) == mine}


@pytest.mark.parametrize(("service", "protocol", "operation"), CASES)
def test_parse_matches_botocore_serialisation(
    models: ModelCache, service: str, protocol: str, operation: str
) -> None:
    model = models.model(service, protocol)
    shape = model.operation_model(operation).input_shape
    _skip_unreadable(protocol, shape)
    params = SampleBuilder(protocol).structure(shape) if shape is not None else {}
    request = botocore_request(model, protocol, operation, params)

    name, parsed = models.protocol(service, protocol).parse(request)

    assert name in _same_route(model, operation)
    if name == operation:
        assert normalise(parsed) == normalise(params)
    else:  # a twin the request cannot tell apart: the URI members still read the same
        uri = [n for n, m in shape.members.items() if m.serialization.get("location") == "uri"]
        assert {n: parsed.get(n) for n in uri} == {n: params.get(n) for n in uri}


@pytest.mark.parametrize(("service", "protocol", "operation"), CASES)
def test_serialize_reads_back_in_botocore(
    models: ModelCache, service: str, protocol: str, operation: str
) -> None:
    model = models.model(service, protocol)
    shape = model.operation_model(operation).output_shape
    if _has_event_stream(shape):
        pytest.skip("event-stream results are not serialised by this layer")
    _skip_unreadable(protocol, shape)
    result = SampleBuilder(protocol).structure(shape) if shape is not None else {}

    response = models.protocol(service, protocol).serialize(operation, result)

    assert response.status < 300
    parsed = botocore_parse(protocol, response, shape)
    assert normalise(parsed) == normalise(result)


@pytest.mark.parametrize(("service", "protocol"), SERVICES)
def test_every_modelled_error_reaches_botocore(
    models: ModelCache, service: str, protocol: str
) -> None:
    model = models.model(service, protocol)
    ours = models.protocol(service, protocol)
    query_codes = protocol == "query" or "awsQueryCompatible" in model.metadata
    checked = 0
    for shape in model.error_shapes:
        error_meta = shape.metadata.get("error", {})
        status = int(error_meta.get("httpStatusCode", 400))
        error = AwsError(shape.name, f"{shape.name} happened", status)

        response = ours.serialize_error(None, error)

        parsed = botocore_parse(protocol, response, None)
        expected = str(error_meta.get("code", shape.name)) if query_codes else shape.name
        assert response.status == status
        assert parsed["Error"]["Code"] == expected, shape.name
        assert parsed["Error"]["Message"] == f"{shape.name} happened"
        checked += 1
    assert checked == len(model.error_shapes)
