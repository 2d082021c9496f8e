"""Form parameters (``query`` and ``ec2`` requests) ⇄ parameter dicts, compiled per shape.

A request's dotted names (``Attributes.entry.1.key``, ``Tags.member.2.Value``) become a tree
(:func:`tree`); a decoder compiled once per shape turns that tree into the values boto3 would
have been given. The two protocols differ only in naming: ``query`` calls a member by its
``locationName`` and wraps list items in ``member`` (unless the list is flattened); ``ec2``
prefers ``queryName``, capitalises ``locationName`` and never wraps list items
(``Filter.1.Name``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from lambdaport.protocol.scalars import ISO8601, text_reader
from lambdaport.protocol.xml_codec import member_xml_name

Node = dict[str, Any]  # a tree of dotted parameter names; a node's own value sits under ""
Decode = Callable[[Node], Any]


def tree(params: Mapping[str, list[str]]) -> Node:
    """The parameters as a tree; raises TypeError when a name is both a value and a parent
    in a way no shape can read (``A=1&A.=2``)."""
    root: Node = {}
    for key, values in params.items():
        node = root
        for part in key.split("."):
            node = node.setdefault(part, {})
        node[""] = values[-1]
    return root


def _indexed(node: Node) -> list[Node]:
    items = [(int(k), v) for k, v in node.items() if k.isdigit()]
    return [v for _, v in sorted(items, key=lambda pair: pair[0])]


def ec2_name(name: str, shape: Any) -> str:
    """A member's parameter name in the ``ec2`` protocol (botocore's EC2 serialiser)."""
    serialization = shape.serialization
    if "queryName" in serialization:
        return str(serialization["queryName"])
    if "name" in serialization:
        wire = str(serialization["name"])
        return wire[:1].upper() + wire[1:]
    return name


class FormDecoders:
    """Compiles decoders from a parameter tree to the shapes' values (``ec2``: EC2's naming)."""

    def __init__(self, *, ec2: bool = False) -> None:
        self._ec2 = ec2
        self._cache: dict[str, Decode] = {}

    def decoder(self, shape: Any) -> Decode:
        kind = shape.type_name
        if kind == "structure":
            return self._cached(shape, self._structure)
        if kind == "list":
            return self._cached(shape, self._list)
        if kind == "map":
            return self._cached(shape, self._map)
        convert = text_reader(shape, ISO8601)
        return lambda node: convert(node.get("", ""))

    def _cached(self, shape: Any, build: Callable[[Any], Decode]) -> Decode:
        name = f"{shape.name}/flat" if shape.serialization.get("flattened") else str(shape.name)
        if name not in self._cache:
            cache = self._cache
            cache[name] = lambda node: cache[name](node)  # recursion placeholder
            cache[name] = build(shape)
        return self._cache[name]

    def structure(self, members: Iterable[tuple[str, Any]]) -> Decode:
        naming = ec2_name if self._ec2 else member_xml_name
        plan = [(name, naming(name, s), self.decoder(s)) for name, s in members]

        def decode(node: Node) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for name, key, convert in plan:
                child = node.get(key)
                if child is not None:
                    out[name] = convert(child)
            return out

        return decode

    def _structure(self, shape: Any) -> Decode:
        return self.structure(shape.members.items())

    def _list(self, shape: Any) -> Decode:
        item = self.decoder(shape.member)
        flattened = self._ec2 or bool(shape.serialization.get("flattened"))
        item_key = str(shape.member.serialization.get("name", "member"))

        def decode(node: Node) -> list[Any]:
            holder = node if flattened else node.get(item_key, {})
            return [item(child) for child in _indexed(holder)]

        return decode

    def _map(self, shape: Any) -> Decode:
        read_key, read_value = self.decoder(shape.key), self.decoder(shape.value)
        key_name = str(shape.key.serialization.get("name", "key"))
        value_name = str(shape.value.serialization.get("name", "value"))
        flattened = bool(shape.serialization.get("flattened"))

        def decode(node: Node) -> dict[Any, Any]:
            holder = node if flattened else node.get("entry", {})
            out: dict[Any, Any] = {}
            for entry in _indexed(holder):
                if key_name in entry:
                    value = entry.get(value_name)
                    out[read_key(entry[key_name])] = (
                        read_value(value) if value is not None else None
                    )
            return out

        return decode
