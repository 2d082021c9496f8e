"""XML bodies (``query`` results, ``rest-xml`` requests and results), compiled per shape.

Writers append XML text to a list (faster and simpler than building a tree); readers take
``xml.etree`` elements. Element names follow the model: a member's ``locationName``, list
items in ``<member>`` (or the list member's name) unless the list is flattened, map entries
as ``<entry><key/><value/></entry>`` unless flattened, ``xmlAttribute`` members as
attributes, timestamps in ISO 8601 and blobs in base64.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape, quoteattr

from lambdaport.errors import AwsError
from lambdaport.protocol.scalars import ISO8601, text_reader, text_writer

Writer = Callable[[Any, str, list[str]], None]
Reader = Callable[[Any], Any]  # an Element, or a list of Elements for flattened members
Member = tuple[str, Any]


# Characters XML 1.0 does not allow in a document, even as character references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    """``value`` as element text that keeps the document well-formed: escaped, and without
    the control characters XML 1.0 cannot carry (they are dropped, so a client can still
    read an error that echoes them)."""
    return escape(_NOT_XML.sub("", value))


def local_name(tag: str) -> str:
    return tag.rpartition("}")[2] if tag.startswith("{") else tag


def member_xml_name(name: str, shape: Any) -> str:
    """The element name of a structure member (botocore's reading of flattened lists)."""
    if shape.type_name == "list" and shape.serialization.get("flattened"):
        inner = shape.member.serialization.get("name")
        if inner:
            return str(inner)
    return str(shape.serialization.get("name", name))


def namespace_attr(shape: Any, fallback: str = "") -> str:
    ns = shape.serialization.get("xmlNamespace")
    if isinstance(ns, dict) and ns.get("uri"):
        prefix = ns.get("prefix")
        return f" xmlns{':' + prefix if prefix else ''}={quoteattr(ns['uri'])}"
    return f" xmlns={quoteattr(fallback)}" if fallback else ""


def malformed_xml() -> AwsError:
    return AwsError(
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
        400,
    )


def parse_xml(body: bytes, root: str | None = None) -> ElementTree.Element:
    """The document's root element; MalformedXML when it is not XML or (``root`` given) its
    root element has another name."""
    try:
        document = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise malformed_xml() from exc
    if root is not None and local_name(document.tag) != root:
        raise malformed_xml()
    return document


class XmlCodec:
    """Compiles and caches XML writers and readers for the shapes of one service."""

    def __init__(self) -> None:
        self._writers: dict[str, Writer] = {}
        self._readers: dict[str, Reader] = {}
        self._building: set[tuple[str, str]] = set()

    # -- writing -------------------------------------------------------------------

    def writer(self, shape: Any) -> Writer:
        kind = shape.type_name
        if kind not in ("structure", "list", "map"):
            text = text_writer(shape, ISO8601)

            def write_scalar(value: Any, tag: str, out: list[str]) -> None:
                out.append(f"<{tag}>{escape(text(value))}</{tag}>")

            return write_scalar
        return self._cached_writer(shape)

    def members_writer(self, members: Iterable[Member]) -> Callable[[Any, list[str]], str]:
        """Writes the members' child elements; returns the attribute text for the parent."""
        attrs: list[tuple[str, str, str]] = []
        children: list[tuple[str, str, Writer]] = []
        for name, shape in members:
            if shape.serialization.get("xmlAttribute"):
                attrs.append((name, str(shape.serialization.get("name", name)), _ns_decl(shape)))
            else:
                children.append((name, member_xml_name(name, shape), self.writer(shape)))

        def write(value: Any, out: list[str]) -> str:
            attr_text = ""
            for name, wire, decl in attrs:
                item = value.get(name)
                if item is not None:
                    attr_text += f"{decl} {wire}={quoteattr(str(item))}"
            for name, tag, write_member in children:
                item = value.get(name)
                if item is not None:
                    write_member(item, tag, out)
            return attr_text

        return write

    def _cached_writer(self, shape: Any) -> Writer:
        name = _cache_key(shape)
        if name in self._writers:
            return self._writers[name]
        if ("w", name) in self._building:
            writers = self._writers
            return lambda value, tag, out: writers[name](value, tag, out)
        self._building.add(("w", name))
        try:
            built = self._build_writer(shape)
        finally:
            self._building.discard(("w", name))
        self._writers[name] = built
        return built

    def _build_writer(self, shape: Any) -> Writer:
        if shape.type_name == "structure":
            write_members = self.members_writer(shape.members.items())
            declaration = _ns_decl(shape)

            def write_structure(value: Any, tag: str, out: list[str]) -> None:
                start = len(out)
                out.append("")
                attrs = write_members(value, out)
                if attrs and declaration and declaration not in attrs:
                    attrs = declaration + attrs
                out[start] = f"<{tag}{attrs}>"
                out.append(f"</{tag}>")

            return write_structure
        if shape.type_name == "list":
            return self._list_writer(shape)
        return self._map_writer(shape)

    def _list_writer(self, shape: Any) -> Writer:
        item = self.writer(shape.member)
        if shape.serialization.get("flattened"):

            def write_flat(value: Any, tag: str, out: list[str]) -> None:
                for element in value:
                    item(element, tag, out)

            return write_flat
        item_tag = str(shape.member.serialization.get("name", "member"))

        def write_list(value: Any, tag: str, out: list[str]) -> None:
            out.append(f"<{tag}>")
            for element in value:
                item(element, item_tag, out)
            out.append(f"</{tag}>")

        return write_list

    def _map_writer(self, shape: Any) -> Writer:
        key_tag = str(shape.key.serialization.get("name", "key"))
        value_tag = str(shape.value.serialization.get("name", "value"))
        write_key, write_value = self.writer(shape.key), self.writer(shape.value)
        flattened = bool(shape.serialization.get("flattened"))

        def write_map(value: Any, tag: str, out: list[str]) -> None:
            if not flattened:
                out.append(f"<{tag}>")
            entry = tag if flattened else "entry"
            for key, item in value.items():
                out.append(f"<{entry}>")
                write_key(key, key_tag, out)
                if item is not None:
                    write_value(item, value_tag, out)
                out.append(f"</{entry}>")
            if not flattened:
                out.append(f"</{tag}>")

        return write_map

    # -- reading -------------------------------------------------------------------

    def reader(self, shape: Any) -> Reader:
        kind = shape.type_name
        if kind not in ("structure", "list", "map"):
            convert = text_reader(shape, ISO8601)

            def read_scalar(node: Any) -> Any:
                if isinstance(node, list):
                    node = node[0]
                return convert(node.text or "")

            return read_scalar
        name = _cache_key(shape)
        if name in self._readers:
            return self._readers[name]
        if ("r", name) in self._building:
            readers = self._readers
            return lambda node: readers[name](node)
        self._building.add(("r", name))
        try:
            built = self._build_reader(shape)
        finally:
            self._building.discard(("r", name))
        self._readers[name] = built
        return built

    def members_reader(self, members: Iterable[Member]) -> Reader:
        plan = [
            (
                name,
                member_xml_name(name, s),
                self.reader(s),
                bool(s.serialization.get("xmlAttribute")),
            )
            for name, s in members
        ]

        def read(node: Any) -> dict[str, Any]:
            if isinstance(node, list):
                node = node[0]
            children: dict[str, Any] = {}
            for child in node:
                tag = local_name(child.tag)
                found = children.get(tag)
                if found is None:
                    children[tag] = child
                elif isinstance(found, list):
                    found.append(child)
                else:
                    children[tag] = [found, child]
            out: dict[str, Any] = {}
            for name, tag, read_member, is_attr in plan:
                if is_attr:
                    attr = _attribute(node, tag)
                    if attr is not None:
                        out[name] = attr
                    continue
                child = children.get(tag)
                if child is not None:
                    out[name] = read_member(child)
            return out

        return read

    def _build_reader(self, shape: Any) -> Reader:
        if shape.type_name == "structure":
            return self.members_reader(shape.members.items())
        if shape.type_name == "list":
            item = self.reader(shape.member)
            if shape.serialization.get("flattened"):
                return lambda node: [item(n) for n in (node if isinstance(node, list) else [node])]
            return lambda node: [item(n) for n in _single(node)]
        key_tag = str(shape.key.serialization.get("name", "key"))
        value_tag = str(shape.value.serialization.get("name", "value"))
        read_key, read_value = self.reader(shape.key), self.reader(shape.value)
        flattened = bool(shape.serialization.get("flattened"))

        def read_map(node: Any) -> dict[Any, Any]:
            entries = (node if isinstance(node, list) else [node]) if flattened else _single(node)
            out: dict[Any, Any] = {}
            for entry in entries:
                key = value = None
                for part in entry:
                    tag = local_name(part.tag)
                    if tag == key_tag:
                        key = read_key(part)
                    elif tag == value_tag:
                        value = read_value(part)
                if key is not None:
                    out[key] = value
            return out

        return read_map


def _cache_key(shape: Any) -> str:
    # Member references may flatten a shared list or map shape, so the key includes that.
    return f"{shape.name}/flat" if shape.serialization.get("flattened") else str(shape.name)


def _single(node: Any) -> Any:
    return node[0] if isinstance(node, list) else node


def _attribute(node: Any, name: str) -> str | None:
    local = name.rpartition(":")[2]
    for key, value in node.attrib.items():
        if key == name or local_name(key) == local:
            return str(value)
    return None


def _ns_decl(shape: Any) -> str:
    ns = shape.serialization.get("xmlNamespace")
    if isinstance(ns, dict) and ns.get("prefix") and ns.get("uri"):
        return f" xmlns:{ns['prefix']}={quoteattr(ns['uri'])}"
    return ""
