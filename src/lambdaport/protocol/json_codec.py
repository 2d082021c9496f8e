"""JSON bodies (``json`` and ``rest-json``): wire JSON ⇄ parameter dicts, compiled per shape.

A *decoder* turns a decoded JSON value into the value boto3 would have been given
(timestamps become aware datetimes, blobs become bytes, unknown and null members are
dropped). An *encoder* turns a result value into something orjson can write (timestamps in
the model's format, blobs as base64). Both are compiled once per shape; ``None`` stands for
"the value is already right", which is what keeps plain string/number subtrees free.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from lambdaport.protocol.scalars import (
    UNIX_TIMESTAMP,
    decode_base64,
    encode_base64,
    format_timestamp,
    parse_timestamp,
    serialization_error,
    timestamp_format,
)

Convert = Callable[[Any], Any]
Member = tuple[str, Any]  # (member name, member shape)


def wire_name(name: str, shape: Any) -> str:
    return str(shape.serialization.get("name", name))


def _type_error(expected: str, value: Any) -> Exception:
    return serialization_error(
        f"Expected {expected} but found {type(value).__name__.replace('dict', 'object')}"
    )


class JsonCodec:
    """Compiles and caches JSON decoders/encoders for the shapes of one service."""

    def __init__(self, default_timestamp: str = UNIX_TIMESTAMP) -> None:
        self._default_timestamp = default_timestamp
        self._decoders: dict[str, Convert | None] = {}
        self._encoders: dict[str, Convert | None] = {}
        self._building: set[tuple[str, str]] = set()

    # -- decoding (request bodies) -----------------------------------------------------

    def decoder(self, shape: Any) -> Convert | None:
        kind = shape.type_name
        if kind == "timestamp":
            return parse_timestamp
        if kind == "blob":
            return _decode_blob
        if kind not in ("structure", "list", "map") or getattr(shape, "is_document_type", False):
            return None
        return self._cached(self._decoders, "decode", shape, self._build_decoder)

    def struct_decoder(self, members: Iterable[Member]) -> Convert:
        plan = [(wire_name(name, shape), name, self.decoder(shape)) for name, shape in members]

        def decode(value: Any) -> Any:
            if type(value) is not dict:
                raise _type_error("an object", value)
            out: dict[str, Any] = {}
            for key, name, convert in plan:
                item = value.get(key)
                if item is not None:
                    out[name] = convert(item) if convert is not None else item
            return out

        return decode

    def _build_decoder(self, shape: Any) -> Convert | None:
        if shape.type_name == "structure":
            return self.struct_decoder(shape.members.items())
        if shape.type_name == "list":
            return _list_converter(self.decoder(shape.member))
        return _map_converter(self.decoder(shape.value))

    # -- encoding (results) ------------------------------------------------------------

    def encoder(self, shape: Any) -> Convert | None:
        kind = shape.type_name
        if kind == "timestamp":
            fmt = timestamp_format(shape, self._default_timestamp)
            return lambda value: format_timestamp(value, fmt)
        if kind == "blob":
            return encode_base64
        if kind not in ("structure", "list", "map") or getattr(shape, "is_document_type", False):
            return None
        return self._cached(self._encoders, "encode", shape, self._build_encoder)

    def struct_encoder(self, members: Iterable[Member]) -> Callable[[Any], dict[str, Any]]:
        plan = [(name, wire_name(name, shape), self.encoder(shape)) for name, shape in members]

        def encode(value: Any) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for name, key, convert in plan:
                item = value.get(name)
                if item is not None:
                    out[key] = convert(item) if convert is not None else item
            return out

        return encode

    def _build_encoder(self, shape: Any) -> Convert | None:
        if shape.type_name == "structure":
            return self.struct_encoder(shape.members.items())
        if shape.type_name == "list":
            return _list_converter(self.encoder(shape.member))
        return _map_converter(self.encoder(shape.value))

    # -- recursion-safe caching --------------------------------------------------------

    def _cached(
        self,
        cache: dict[str, Convert | None],
        kind: str,
        shape: Any,
        build: Callable[[Any], Convert | None],
    ) -> Convert | None:
        name = shape.name
        if name in cache:
            return cache[name]
        if (kind, name) in self._building:
            # A recursive shape: resolve through the cache once the outer build is done.
            def deferred(value: Any) -> Any:
                convert = cache[name]
                return convert(value) if convert is not None else value

            return deferred
        self._building.add((kind, name))
        try:
            built = build(shape)
        finally:
            self._building.discard((kind, name))
        cache[name] = built
        return built


def _decode_blob(value: Any) -> bytes:
    if not isinstance(value, str):
        raise _type_error("a base64 string", value)
    return decode_base64(value)


def _list_converter(item: Convert | None) -> Convert | None:
    if item is None:
        return None

    def convert(value: Any) -> Any:
        if type(value) is not list:
            raise _type_error("an array", value)
        return [item(v) if v is not None else None for v in value]

    return convert


def _map_converter(item: Convert | None) -> Convert | None:
    if item is None:
        return None

    def convert(value: Any) -> Any:
        if type(value) is not dict:
            raise _type_error("an object", value)
        return {k: item(v) if v is not None else None for k, v in value.items()}

    return convert
