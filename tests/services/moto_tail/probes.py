"""Hand-built bad requests for the tail's services, derived from botocore's models, sent
over plain HTTP, and their answers read back with botocore's own parsers.

A probe carries a credential scope with the service's signing name (unsigned: the session's
server does not check signatures), so the gateway finds the service as it finds boto3's.
"""

from __future__ import annotations

import http.client
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import HeadersDict
from botocore.parsers import create_parser

from lambdaport.gateway.service_names import PATH_PREFIX_SERVICES
from lambdaport.protocol import load_service_model

UNKNOWN_OPERATION = "LambdaportNoSuchOperation"
FORM = "application/x-www-form-urlencoded; charset=utf-8"


@dataclass(frozen=True)
class Probe:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    error: dict[str, Any] = field(default_factory=dict)  # botocore's reading of the error

    @property
    def code(self) -> str:
        return str(self.error.get("Code") or "")

    @property
    def message(self) -> str:
        return str(self.error.get("Message") or "")


class Service:
    """One client as boto3 talks to it: its model, wire protocol and credential scope."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.model: Any = load_service_model(name)
        self.protocol = str(self.model.resolved_protocol)  # JSON where the model prefers CBOR
        metadata = self.model.metadata
        self.api_version = str(metadata["apiVersion"])
        self.target_prefix = str(metadata.get("targetPrefix", ""))
        self.json_type = f"application/x-amz-json-{metadata.get('jsonVersion', '1.0')}"
        scope = f"test/20260101/us-east-1/{self.model.signing_name}/aws4_request"
        self.auth = {
            "authorization": f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, "
            "Signature=00"
        }

    @property
    def path_prefix(self) -> str:
        """The path the gateway tells this client apart by, if it shares a signing name."""
        for _, prefix, service in PATH_PREFIX_SERVICES:
            if service == self.name:
                return prefix
        return "/"

    def call(self, operation: str, body: bytes) -> Probe:
        """``operation`` with ``body``; REST URI labels are filled with ``x``."""
        if self.protocol == "json":
            target = f"{self.target_prefix}.{operation}"
            headers = {**self.auth, "content-type": self.json_type, "x-amz-target": target}
            return Probe("POST", "/", headers, body)
        if self.protocol in ("query", "ec2"):
            form = f"Action={operation}&Version={self.api_version}".encode()
            return Probe("POST", "/", {**self.auth, "content-type": FORM}, form + body)
        http = self.model.operation_model(operation).http
        path = re.sub(r"\{[^}]+\}", "x", str(http["requestUri"]))
        return Probe(str(http["method"]), path, dict(self.auth), body)

    def unknown_operation(self) -> Probe:
        if self.protocol in ("json", "query", "ec2"):
            return self.call(UNKNOWN_OPERATION, b"")
        path = f"{self.path_prefix}lambdaport-no-such-operation"
        return Probe("POST", path, dict(self.auth))

    def operation_with_required_input(self) -> tuple[str, bool]:
        """The first operation (in botocore's order) with required input members, and whether
        a request without a body misses one (REST operations whose every required member is
        a URI label are whole without one: Glacier's)."""
        fallback = None
        for name in self.model.operation_names:
            shape = self.model.operation_model(name).input_shape
            if shape is None or not shape.required_members:
                continue
            outside_uri = [
                member
                for member in shape.required_members
                if shape.members[member].serialization.get("location") != "uri"
            ]
            if self.protocol in ("json", "query", "ec2") or outside_uri:
                return name, True
            fallback = fallback or name
        assert fallback is not None, f"{self.name} has no operation with required members"
        return fallback, False


def send(endpoint: str, probe: Probe, protocol: str) -> Answer:
    address = urlsplit(endpoint)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=60)
    try:
        connection.request(probe.method, probe.path, body=probe.body, headers=probe.headers)
        response = connection.getresponse()
        body = response.read()
        headers = {name.lower(): value for name, value in response.getheaders()}
    finally:
        connection.close()
    error: dict[str, Any] = {}
    if response.status >= 300:
        error = read_error(protocol, response.status, headers, body)
    return Answer(response.status, headers, body, error)


def read_error(protocol: str, status: int, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """The error as botocore reads it (``{}`` when botocore cannot read the body)."""
    wire = HeadersDict()
    for name, value in headers.items():
        wire[name] = value
    parser = create_parser(protocol)
    no_shape: Any = None  # errors are read without an output shape
    try:
        parsed = parser.parse({"status_code": status, "headers": wire, "body": body}, no_shape)
    except Exception:
        return {}
    return dict(parsed.get("Error", {}))


def shows_traceback(body: bytes) -> bool:
    return b"Traceback" in body or b'File "' in body
