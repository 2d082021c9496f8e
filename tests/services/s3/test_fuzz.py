"""A sweep of bad input over every S3 operation, through a real server: for each operation in
botocore's model, requests built from its HTTP binding with wrong types, absurd numbers,
unknown enum values, required headers or query parameters left out, control characters in
the key, and XML bodies that are not XML, have another root element, or hold text that does
not fit the schema. Nothing may answer 5xx, except 501 ``NotImplemented`` for an operation
lambdaport does not implement; every error body is well-formed XML with a ``Code``."""

from __future__ import annotations

import http.client
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import quote
from xml.etree import ElementTree

import botocore.session

from lambdaport.services.s3.api import operations
from lambdaport.testing.server import Server

MODEL = botocore.session.get_session().get_service_model("s3")
IMPLEMENTED = frozenset(operations(cast(Any, None), cast(Any, None)))
TYPED = ("integer", "long", "boolean", "timestamp")
BAD_VALUES = {
    "integer": ["ten", "-1", "0", "99999999999999999999", ""],
    "long": ["ten", "-1", "99999999999999999999999", ""],
    "boolean": ["maybe", ""],
    "timestamp": ["yesterday", "0", "99999999999999999999", ""],
}
GARBAGE_BODIES = [b"<<<not xml", b"<Wrong/>", b"\xff\xfe\x00<", b"<a>" * 300 + b"x"]


@dataclass
class Probe:
    operation: str
    what: str
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def target(self) -> str:
        query = "&".join(
            quote(k, safe="-_.~") if v == "" and k.islower() else f"{quote(k)}={quote(v)}"
            for k, v in self.query.items()
        )
        return self.path + ("?" + query if query else "")


def _plausible(shape: Any) -> str:
    """A value of the member's type that S3 could take (the baseline of every probe)."""
    if shape.type_name in ("integer", "long"):
        return "1"
    if shape.type_name == "boolean":
        return "true"
    if shape.type_name == "timestamp":
        return "Wed, 21 Oct 2015 07:28:00 GMT"
    if getattr(shape, "enum", None):
        return str(shape.enum[0])
    return "x"


def _document(shape: Any, name: str, depth: int = 0) -> str:
    """An XML element for ``shape`` whose every leaf holds text of the wrong kind."""
    if depth > 4:
        return f"<{name}/>"
    if shape.type_name == "structure":
        children = "".join(
            _document(member, str(member.serialization.get("name", child)), depth + 1)
            for child, member in shape.members.items()
            if not member.serialization.get("xmlAttribute")
        )
        return f"<{name}>{children}</{name}>"
    if shape.type_name == "list":
        item = str(shape.member.serialization.get("name", "member"))
        inner = _document(shape.member, item, depth + 1)
        return inner * 2 if shape.serialization.get("flattened") else f"<{name}>{inner}</{name}>"
    if shape.type_name == "map":
        return f"<{name}><entry><key>k</key><value>\x01</value></entry></{name}>"
    return f"<{name}>{'!' * 3 if shape.type_name != 'string' else 'x' * 2000}</{name}>"


def _base(name: str, bucket: str) -> tuple[Probe, list[tuple[str, str, Any]]]:
    """The operation's request with its required members filled in, and its located
    (query string and header) members."""
    operation = MODEL.operation_model(name)
    uri, _, literal = str(operation.http["requestUri"]).partition("?")
    path = uri.replace("{Bucket}", bucket).replace("{Key+}", "fuzz/key")
    base = Probe(name, "baseline", str(operation.http["method"]), re.sub(r"\{[^}]+\}", "x", path))
    for part in filter(None, literal.split("&")):
        key, _, value = part.partition("=")
        base.query[key] = value
    shape: Any = operation.input_shape
    located: list[tuple[str, str, Any]] = []
    for member, member_shape in (shape.members if shape is not None else {}).items():
        location = member_shape.serialization.get("location")
        wire = str(member_shape.serialization.get("name", member))
        if location in ("querystring", "header"):
            located.append((location, wire, member_shape))
            if member in shape.required_members:
                target = base.query if location == "querystring" else base.headers
                target[wire] = _plausible(member_shape)
    return base, located


def _variant(base: Probe, what: str, body: bytes = b"") -> Probe:
    return Probe(
        base.operation, what, base.method, base.path, dict(base.query), dict(base.headers), body
    )


def _member_probes(base: Probe, located: list[tuple[str, str, Any]]) -> Iterator[Probe]:
    for location, wire, member_shape in located:
        if wire == "Content-Length":
            continue  # HTTP framing: the server's HTTP layer answers for it, not S3
        values = list(BAD_VALUES.get(member_shape.type_name, []))
        if getattr(member_shape, "enum", None):
            values.append("bogus-enum")
        if member_shape.type_name == "string" and location == "header":
            values += ["odd, value; with=signs", "\xe9t\xe9"]
        for value in values:
            probe = _variant(base, f"{wire}={value!r}")
            (probe.query if location == "querystring" else probe.headers)[wire] = value
            yield probe
        if wire in base.query or wire in base.headers:
            probe = _variant(base, f"without {wire}")
            probe.query.pop(wire, None)
            probe.headers.pop(wire, None)
            yield probe


def _body_probes(base: Probe) -> Iterator[Probe]:
    shape: Any = MODEL.operation_model(base.operation).input_shape
    payload = shape.serialization.get("payload") if shape is not None else None
    if not payload or shape.members[payload].type_name != "structure":
        return
    member = shape.members[payload]
    document = _document(member, str(member.serialization.get("name", payload))).encode()
    for body in [*GARBAGE_BODIES, b"", document]:
        yield _variant(base, f"body {body[:20]!r}", body)


def probes(bucket: str) -> Iterator[Probe]:
    for name in MODEL.operation_names:
        base, located = _base(name, bucket)
        yield base
        yield from _member_probes(base, located)
        if "/fuzz/key" in base.path:
            odd = _variant(base, "control characters in the key")
            odd.path = base.path.replace("fuzz/key", "fuzz/%01%00%1Fkey")
            yield odd
        yield from _body_probes(base)


def _send(server: Server, probe: Probe) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        headers = {"Content-Length": str(len(probe.body)), **probe.headers}
        connection.putrequest(probe.method, probe.target(), skip_accept_encoding=True)
        for header, value in headers.items():
            connection.putheader(header, value.encode("latin-1", errors="replace"))
        connection.endheaders(probe.body)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def test_no_operation_answers_5xx_to_bad_input(server: Server, bucket: str) -> None:
    failures: list[str] = []
    count = 0
    for probe in probes(bucket):
        count += 1
        status, headers, body = _send(server, probe)
        label = f"{probe.operation} [{probe.what}] {probe.method} {probe.target()[:80]}"
        if status >= 500 and not (status == 501 and probe.operation not in IMPLEMENTED):
            failures.append(f"{status} {label}: {body[:200]!r}")
            continue
        if status >= 400 and probe.method != "HEAD":
            if headers.get("content-type") != "application/xml":
                failures.append(f"content-type {headers.get('content-type')} {label}")
                continue
            try:
                code = ElementTree.fromstring(body).findtext("Code")
            except ElementTree.ParseError as error:
                failures.append(f"malformed error XML ({error}) {label}: {body[:200]!r}")
                continue
            if not code:
                failures.append(f"no Code {label}: {body[:200]!r}")
    assert count > 1000  # the sweep covers the model, not a handful of requests
    assert not failures, "\n".join(failures)
