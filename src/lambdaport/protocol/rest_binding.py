"""The HTTP-bound members of REST protocols (``rest-json``, ``rest-xml``).

A :class:`RequestBinding` reads the members located in the URI, the query string and the
headers of a request; a :class:`ResponseBinding` writes the members located in the status
code and the headers of a response. The body (JSON or XML) is left to the protocol.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

import orjson

from lambdaport.errors import AwsError
from lambdaport.protocol.routing import Route
from lambdaport.protocol.scalars import (
    ISO8601,
    RFC822,
    TextReader,
    TextWriter,
    decode_base64,
    encode_base64,
    text_reader,
    text_writer,
)

Query = dict[str, list[str]]
_EMPTY: Query = {}


def parse_query(raw: str) -> Query:
    """A raw query string as {name: [values]}; names without '=' get an empty value."""
    if not raw:
        return _EMPTY
    out: Query = {}
    for part in raw.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        if "%" in key or "+" in key:
            key = unquote_plus(key)
        if "%" in value or "+" in value:
            value = unquote_plus(value)
        out.setdefault(key, []).append(value)
    return out


def split_header_list(text: str) -> list[str]:
    """A comma-separated header list, honouring double-quoted items."""
    if '"' not in text:
        return [item.strip() for item in text.split(",")]
    items: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    items.append("".join(current).strip())
    return items


def _is_json_value(shape: Any) -> bool:
    return shape.type_name == "string" and bool(shape.serialization.get("jsonvalue"))


def _header_reader(shape: Any) -> TextReader:
    if _is_json_value(shape):
        return lambda text: orjson.loads(decode_base64(text))
    if shape.type_name == "list":
        item = text_reader(shape.member, RFC822)
        return lambda text: [item(part) for part in split_header_list(text)]
    return text_reader(shape, RFC822)


def _quote_header_item(value: str) -> str:
    if '"' in value or "," in value:
        return '"' + value.replace('"', '\\"') + '"'
    return value


def _header_writer(shape: Any) -> TextWriter:
    if _is_json_value(shape):
        return lambda value: encode_base64(orjson.dumps(value))
    if shape.type_name == "list":
        item = text_writer(shape.member, RFC822)
        return lambda values: ",".join(_quote_header_item(item(v)) for v in values)
    return text_writer(shape, RFC822)


class InvalidMemberValue(AwsError):
    """A URI label, query parameter or header whose text is not of its member's type.

    Carries the wire name and the text, for protocols (S3's rest-xml) that name the argument
    in their error."""

    def __init__(self, wire: str, text: str, message: str) -> None:
        super().__init__("SerializationException", message, 400)
        self.wire = wire
        self.text = text


def _lenient(read: TextReader) -> TextReader:
    """A reader that answers None (the member is absent) for text it cannot convert."""

    def read_or_none(text: str) -> Any:
        try:
            return read(text)
        except (AwsError, ValueError, TypeError, OverflowError):
            return None

    return read_or_none


def _location(shape: Any) -> str | None:
    location = shape.serialization.get("location")
    return str(location) if location else None


@dataclass(frozen=True, slots=True)
class RequestBinding:
    uri: tuple[tuple[str, str, TextReader], ...]
    query: tuple[tuple[str, str, TextReader], ...]
    query_lists: tuple[tuple[str, str, TextReader], ...]
    query_maps: tuple[tuple[str, bool], ...]  # (member, values are lists)
    headers: tuple[tuple[str, str, TextReader], ...]
    header_maps: tuple[tuple[str, str], ...]
    required_headers: tuple[str, ...]
    required_query: tuple[str, ...] = ()

    @classmethod
    def from_shape(cls, shape: Any, *, ignore_bad_header_dates: bool = False) -> RequestBinding:
        """``ignore_bad_header_dates``: a timestamp header that does not parse is taken as
        absent (HTTP's rule for conditional dates) instead of refusing the request."""
        uri, query, query_lists, headers = [], [], [], []
        query_maps: list[tuple[str, bool]] = []
        header_maps: list[tuple[str, str]] = []
        required: list[str] = []
        required_query: list[str] = []
        needed = set(shape.required_members)
        for name, member in shape.members.items():
            location = _location(member)
            wire = str(member.serialization.get("name", name))
            if location == "uri":
                uri.append((name, wire, text_reader(member, ISO8601)))
            elif location == "querystring" and member.type_name == "map":
                query_maps.append((name, member.value.type_name == "list"))
            elif location == "querystring" and member.type_name == "list":
                query_lists.append((name, wire, text_reader(member.member, ISO8601)))
            elif location == "querystring":
                query.append((name, wire, text_reader(member, ISO8601)))
            if location == "querystring" and name in needed and member.type_name != "map":
                required_query.append(wire)
            elif location == "header":
                read = _header_reader(member)
                if ignore_bad_header_dates and member.type_name == "timestamp":
                    read = _lenient(read)
                headers.append((name, wire.lower(), read))
                if name in needed:
                    required.append(wire.lower())
            elif location == "headers":
                header_maps.append((name, wire.lower()))
        return cls(
            tuple(uri),
            tuple(query),
            tuple(query_lists),
            tuple(query_maps),
            tuple(headers),
            tuple(header_maps),
            tuple(required),
            tuple(required_query),
        )

    def bind(
        self,
        labels: Mapping[str, str],
        query: Query,
        headers: Mapping[str, str],
        literal_query: tuple[tuple[str, str | None], ...],
        out: dict[str, Any],
    ) -> None:
        for name, wire, read in self.uri:
            value = labels.get(wire)
            if value is not None:
                out[name] = _convert(read, wire, value)
        if query:
            self._bind_query(query, literal_query, out)
        for name, wire, read in self.headers:
            text = headers.get(wire)
            if text is not None:
                converted = _convert(read, wire, text)
                if converted is not None:
                    out[name] = converted
        for name, prefix in self.header_maps:
            found = {k[len(prefix) :]: v for k, v in headers.items() if k.startswith(prefix)}
            if found:
                out[name] = found

    def _bind_query(
        self, query: Query, literal_query: tuple[tuple[str, str | None], ...], out: dict[str, Any]
    ) -> None:
        for name, wire, read in self.query:
            values = query.get(wire)
            if values:
                out[name] = _convert(read, wire, values[-1])
        for name, wire, read in self.query_lists:
            values = query.get(wire)
            if values:
                out[name] = [_convert(read, wire, v) for v in values]
        if self.query_maps:
            claimed = {wire for _, wire, _ in self.query + self.query_lists}
            claimed.update(key for key, _ in literal_query)
            rest = {k: v for k, v in query.items() if k not in claimed}
            for name, as_lists in self.query_maps:
                if rest:
                    out[name] = rest if as_lists else {k: v[-1] for k, v in rest.items()}


def _convert(read: TextReader, wire: str, text: str) -> Any:
    try:
        return read(text)
    except InvalidMemberValue:
        raise
    except AwsError as exc:
        raise InvalidMemberValue(wire, text, exc.message) from exc
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidMemberValue(wire, text, str(exc)) from exc


@dataclass(frozen=True, slots=True)
class ResponseBinding:
    status_member: str | None
    headers: tuple[tuple[str, str, TextWriter], ...]
    header_maps: tuple[tuple[str, str], ...]

    @classmethod
    def from_shape(cls, shape: Any) -> ResponseBinding:
        status: str | None = None
        headers: list[tuple[str, str, TextWriter]] = []
        header_maps: list[tuple[str, str]] = []
        for name, member in shape.members.items():
            location = _location(member)
            wire = str(member.serialization.get("name", name))
            if location == "statusCode":
                status = name
            elif location == "header":
                headers.append((name, wire, _header_writer(member)))
            elif location == "headers":
                header_maps.append((name, wire))
        return cls(status, tuple(headers), tuple(header_maps))

    def apply(self, result: Mapping[str, Any], out: list[tuple[str, str]]) -> int | None:
        """Append the result's header members to ``out``; return its status member, if any."""
        for name, wire, write in self.headers:
            value = result.get(name)
            if value is not None and (value != [] or not isinstance(value, list)):
                out.append((wire, write(value)))
        for name, prefix in self.header_maps:
            values = result.get(name)
            if values:
                out.extend((prefix + key, str(value)) for key, value in values.items())
        if self.status_member is not None:
            status = result.get(self.status_member)
            if status is not None:
                return int(status)
        return None


def has_location(shape: Any) -> bool:
    return _location(shape) is not None


def route_for(operation: Any, binding: RequestBinding) -> Route:
    """The route of an operation model, told apart from its neighbours by its binding."""
    http = operation.http
    return Route(
        operation.name,
        str(http.get("method", "POST")),
        str(http["requestUri"]),
        binding.required_headers,
        binding.required_query,
        bool(getattr(operation, "deprecated", False)),
    )
