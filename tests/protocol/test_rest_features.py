"""REST binding features the five acceptance services barely use, on a small model.

A hand-made ``rest-json`` model exercises jsonvalue headers, header lists with quoted
commas, timestamps in every location, list- and map-typed query strings, prefixed header
maps, greedy labels, recursive structure payloads and string/blob payloads; botocore
serialises and parses the other side.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.model import ServiceModel

from lambdaport.protocol import RestJsonProtocol, RestXmlProtocol
from tests.protocol.samples import normalise
from tests.protocol.wire import botocore_parse, botocore_request

WHEN = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def _header(shape: str, name: str) -> dict[str, str]:
    return {"shape": shape, "location": "header", "locationName": name}


def _shapes() -> dict[str, Any]:
    string = {"type": "string"}
    return {
        "String": string,
        "Integer": {"type": "integer"},
        "Long": {"type": "long"},
        "Double": {"type": "double"},
        "Boolean": {"type": "boolean"},
        "Timestamp": {"type": "timestamp"},
        "IsoTimestamp": {"type": "timestamp", "timestampFormat": "iso8601"},
        "Blob": {"type": "blob"},
        "JsonString": {"type": "string", "jsonvalue": True},
        "StringList": {"type": "list", "member": {"shape": "String"}},
        "StringMap": {"type": "map", "key": {"shape": "String"}, "value": {"shape": "String"}},
        "SpecList": {"type": "list", "member": {"shape": "Spec"}},
        "Spec": {
            "type": "structure",
            "members": {
                "Name": {"shape": "String"},
                "Created": {"shape": "IsoTimestamp"},
                "Seen": {"shape": "Timestamp"},
                "Data": {"shape": "Blob"},
                "Children": {"shape": "SpecList"},
                "Props": {"shape": "StringMap"},
            },
        },
        "PutWidgetRequest": {
            "type": "structure",
            "required": ["WidgetId", "Path"],
            "members": {
                "WidgetId": {"shape": "Integer", "location": "uri", "locationName": "WidgetId"},
                "Path": {"shape": "String", "location": "uri", "locationName": "Path"},
                "Tags": {"shape": "StringList", "location": "querystring", "locationName": "tag"},
                "Since": {"shape": "Timestamp", "location": "querystring", "locationName": "since"},
                "Filters": {"shape": "StringMap", "location": "querystring"},
                "Context": {
                    "shape": "JsonString",
                    "location": "header",
                    "locationName": "X-Context",
                },
                "At": {"shape": "Timestamp", "location": "header", "locationName": "X-At"},
                "Labels": {"shape": "StringList", "location": "header", "locationName": "X-Labels"},
                "Enabled": {"shape": "Boolean", "location": "header", "locationName": "X-Enabled"},
                "Ratio": {"shape": "Double", "location": "header", "locationName": "X-Ratio"},
                "Meta": {"shape": "StringMap", "location": "headers", "locationName": "x-meta-"},
                "Spec": {"shape": "Spec", "locationName": "Spec"},
            },
            "payload": "Spec",
        },
        "PutWidgetResponse": {
            "type": "structure",
            "members": {
                "Status": {"shape": "Integer", "location": "statusCode"},
                "Context": {
                    "shape": "JsonString",
                    "location": "header",
                    "locationName": "X-Context",
                },
                "At": {"shape": "IsoTimestamp", "location": "header", "locationName": "X-At"},
                "Meta": {"shape": "StringMap", "location": "headers", "locationName": "x-meta-"},
                "Items": {"shape": "SpecList"},
                "Count": {"shape": "Long"},
                "Score": {"shape": "Double"},
                "Created": {"shape": "Timestamp"},
            },
        },
        "TextRequest": {
            "type": "structure",
            "required": ["Id"],
            "members": {
                "Id": {"shape": "String", "location": "uri", "locationName": "Id"},
                "Text": {"shape": "String"},
            },
            "payload": "Text",
        },
        "DataResponse": {
            "type": "structure",
            "members": {
                "Data": {"shape": "Blob"},
                "Kind": {"shape": "String", "location": "header", "locationName": "X-Kind"},
            },
            "payload": "Data",
        },
    }


def _model(protocol: str) -> ServiceModel:
    return ServiceModel(
        {
            "version": "2.0",
            "metadata": {
                "apiVersion": "2020-01-01",
                "endpointPrefix": "widgets",
                "protocol": protocol,
                "protocols": [protocol],
                "serviceId": "Widgets",
                "signatureVersion": "v4",
                "uid": "widgets-2020-01-01",
            },
            "operations": {
                "PutWidget": {
                    "name": "PutWidget",
                    "http": {"method": "PUT", "requestUri": "/widgets/{WidgetId}/{Path+}"},
                    "input": {"shape": "PutWidgetRequest"},
                    "output": {"shape": "PutWidgetResponse"},
                },
                "Echo": {
                    "name": "Echo",
                    "http": {"method": "POST", "requestUri": "/echo/{Id}.txt"},
                    "input": {"shape": "TextRequest"},
                    "output": {"shape": "DataResponse"},
                },
            },
            "shapes": _shapes(),
        },
        "widgets",
    )


SPEC = {
    "Name": "root",
    "Created": WHEN,
    "Seen": WHEN,
    "Data": b"\x00\x01bytes",
    "Props": {"a": "1", "b": "2"},
    "Children": [{"Name": "leaf", "Children": [{"Name": "deeper"}]}],
}

PUT_INPUT: dict[str, Any] = {
    "WidgetId": 42,
    "Path": "dir/sub dir/file.txt",
    "Tags": ["red", "blue"],
    "Since": WHEN,
    "Filters": {"color": "green", "size": "L"},
    "Context": {"trace": [1, "two", None], "ok": True},
    "At": WHEN,
    "Labels": ["with,comma", 'with "quote"', "plain"],
    "Enabled": False,
    "Ratio": 0.25,
    "Meta": {"owner": "me"},
    "Spec": SPEC,
}

PUT_OUTPUT: dict[str, Any] = {
    "Status": 202,
    "Context": {"nested": {"x": 1}},
    "At": WHEN,
    "Meta": {"owner": "you"},
    "Items": [SPEC],
    "Count": 2**40,
    "Score": 1.5,
    "Created": WHEN,
}


@pytest.mark.parametrize("protocol", ["rest-json", "rest-xml"])
def test_request_features_round_trip(protocol: str) -> None:
    model = _model(protocol)
    ours = RestJsonProtocol(model) if protocol == "rest-json" else RestXmlProtocol(model)

    name, params = ours.parse(botocore_request(model, protocol, "PutWidget", PUT_INPUT))

    assert name == "PutWidget"
    assert normalise(params) == normalise(PUT_INPUT)


@pytest.mark.parametrize("protocol", ["rest-json", "rest-xml"])
def test_response_features_round_trip(protocol: str) -> None:
    model = _model(protocol)
    ours = RestJsonProtocol(model) if protocol == "rest-json" else RestXmlProtocol(model)
    shape = model.operation_model("PutWidget").output_shape

    response = ours.serialize("PutWidget", PUT_OUTPUT)

    assert response.status == 202
    assert normalise(botocore_parse(protocol, response, shape)) == normalise(PUT_OUTPUT)


@pytest.mark.parametrize("protocol", ["rest-json", "rest-xml"])
def test_string_and_blob_payloads(protocol: str) -> None:
    model = _model(protocol)
    ours = RestJsonProtocol(model) if protocol == "rest-json" else RestXmlProtocol(model)

    request = botocore_request(model, protocol, "Echo", {"Id": "a b", "Text": "héllo"})
    response = ours.serialize("Echo", {"Data": b"\xff\x00", "Kind": "bin"})

    assert request.path == "/echo/a%20b.txt"
    assert ours.parse(request) == ("Echo", {"Id": "a b", "Text": "héllo"})
    assert response.body == b"\xff\x00"
    assert ("X-Kind", "bin") in response.headers
