"""Representative values for botocore shapes, valid against the model's constraints.

Strings satisfy enums, lengths and (where Python can read them) patterns: a pattern is
turned into a matching string by walking Python's parse of the regex. Every optional member
is filled, up to a depth limit and without following a shape into itself.
"""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from typing import Any

from lambdaport.protocol.validation import compile_java_pattern
from lambdaport.protocol.xml_codec import member_xml_name

_PARSER: Any = importlib.import_module("re._parser")
_PREFERRED = "aAb1B2-_.:/cdxyz0"
_SAMPLE_TIME = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
_MAX_DEPTH = 6


def _pick_char(allowed: Any) -> str:
    for char in _PREFERRED + "".join(chr(c) for c in range(33, 127)):
        if allowed(char):
            return char
    return "a"


def _set_allows(items: list[tuple[Any, Any]], char: str) -> bool:
    negate = False
    hit = False
    code = ord(char)
    for op, arg in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            hit = hit or code == arg
        elif name == "RANGE":
            hit = hit or arg[0] <= code <= arg[1]
        elif name == "CATEGORY":
            hit = hit or _category(str(arg), char)
    return hit != negate


def _category(name: str, char: str) -> bool:
    if "NOT_DIGIT" in name:
        return not char.isdigit()
    if "DIGIT" in name:
        return char.isdigit()
    if "NOT_WORD" in name:
        return not (char.isalnum() or char == "_")
    if "WORD" in name:
        return char.isalnum() or char == "_"
    if "NOT_SPACE" in name:
        return not char.isspace()
    if "SPACE" in name:
        return char.isspace()
    return False


def _emit(tokens: Any, reps: int) -> str:
    out: list[str] = []
    for op, arg in tokens:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append(_pick_char(lambda c, a=arg: ord(c) != a))
        elif name == "ANY":
            out.append("a")
        elif name == "IN":
            out.append(_pick_char(lambda c, items=arg: _set_allows(items, c)))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, body = arg
            count = max(low, min(high, reps)) if high != _PARSER.MAXREPEAT else max(low, reps)
            out.append(_emit(body, reps) * count)
        elif name == "SUBPATTERN":
            out.append(_emit(arg[-1], reps))
        elif name == "ATOMIC_GROUP":
            out.append(_emit(arg, reps))
        elif name == "BRANCH":  # the first alternative that says something
            options = [_emit(branch, reps) for branch in arg[1]]
            out.append(next((option for option in options if option), ""))
        elif name == "CATEGORY":
            out.append(_pick_char(lambda c, cat=str(arg): _category(cat, c)))
    return "".join(out)


def _fit_length(text: str, low: int, high: int | None) -> str:
    if len(text) < low:
        text = text + "a" * (low - len(text))
    return text[:high] if high is not None else text


def sample_string(shape: Any) -> str:
    meta = shape.metadata
    if meta.get("enum"):
        return str(meta["enum"][0])
    low, high = int(meta.get("min", 0)), meta.get("max")
    pattern_text = meta.get("pattern")
    pattern = compile_java_pattern(pattern_text) if pattern_text else None
    if pattern is None:
        return _fit_length("sample", low, high)
    parsed = _PARSER.parse(pattern_text)
    lengths = {1, 2, 3, 5, 8, 16, 32, 64, low, *(() if high is None else (high,))}
    for reps in sorted(n for n in lengths if n > 0):
        candidate = _emit(parsed, reps)
        if high is not None and len(candidate) > high:
            break
        if len(candidate) >= low and pattern.fullmatch(candidate):
            return candidate
    return _fit_length("sample", low, high)


def _sample_number(shape: Any, preferred: float) -> float:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    value = preferred
    if low is not None and value < low:
        value = low
    if high is not None and value > high:
        value = high
    return value


class SampleBuilder:
    """Builds sample values; ``status_code`` fills members bound to the HTTP status."""

    def __init__(self, protocol: str) -> None:
        self.protocol = protocol

    def structure(self, shape: Any, stack: tuple[str, ...] = ()) -> dict[str, Any]:
        out: dict[str, Any] = {}
        required = set(shape.required_members)
        for name, member in shape.members.items():
            if member.serialization.get("eventstream") or getattr(
                member, "is_document_type", False
            ):
                continue
            recursive = member.name in stack
            if (recursive or len(stack) > _MAX_DEPTH) and name not in required:
                continue
            out[name] = self.value(member, (*stack, shape.name), name)
            if getattr(shape, "is_tagged_union", False):
                break
        return out

    def value(self, shape: Any, stack: tuple[str, ...] = (), member_name: str = "") -> Any:
        kind = shape.type_name
        location = shape.serialization.get("location")
        if location == "statusCode":
            return 200
        if kind == "structure":
            return self.structure(shape, stack)
        if kind == "list":
            count = max(1, int(shape.metadata.get("min", 1)))
            return [self.value(shape.member, stack) for _ in range(count)]
        if kind == "map":
            key = str(self.value(shape.key, stack))
            if location == "headers" or location == "querystring":
                key = f"sample{member_name.lower()}"
            count = max(1, int(shape.metadata.get("min", 1)))
            keys = _distinct_keys(shape.key, key, count)
            return {k: self.value(shape.value, stack) for k in keys}
        if kind == "string":
            return sample_string(shape)
        if kind in ("integer", "long"):
            return int(_sample_number(shape, 1))
        if kind in ("double", "float"):
            return float(_sample_number(shape, 1.5))
        if kind == "boolean":
            return True
        if kind == "timestamp":
            return _SAMPLE_TIME
        if kind == "blob":
            low = int(shape.metadata.get("min", 0))
            return b"sample-bytes" + b"x" * max(0, low - 12)
        raise AssertionError(f"no sample for {kind}")


def has_xml_name_clash(shape: Any, seen: frozenset[str] = frozenset()) -> bool:
    """Whether two members of a structure share one XML element name (S3's deprecated
    notification shapes map ``Event`` and ``Events`` onto ``<Event>``): unreadable in XML."""
    if shape is None or shape.name in seen:
        return False
    seen = seen | {shape.name}
    if shape.type_name == "list":
        return has_xml_name_clash(shape.member, seen)
    if shape.type_name == "map":
        return has_xml_name_clash(shape.value, seen)
    if shape.type_name != "structure":
        return False
    names = [member_xml_name(n, m) for n, m in shape.members.items()]
    if len(names) != len(set(names)):
        return True
    return any(has_xml_name_clash(m, seen) for m in shape.members.values())


def _distinct_keys(shape: Any, first: str, count: int) -> list[str]:
    enum = shape.metadata.get("enum")
    if enum:
        return [str(v) for v in enum[:count]]
    return [first] + [first[:-1] + chr(ord("b") + i) for i in range(count - 1)]


def normalise(value: Any) -> Any:
    """A comparable form: datetimes as epoch seconds, bytes as text, empty maps dropped (and
    lists holding only empty maps: EC2's serialiser writes nothing for them)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            item = normalise(v)
            if k != "ResponseMetadata" and item is not None and item != {} and item != []:
                out[k] = item
        return out
    if isinstance(value, list | tuple):
        items = [normalise(v) for v in value]
        return [] if items and all(item == {} for item in items) else items
    if isinstance(value, datetime):
        return round(value.timestamp(), 3)
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("latin-1")
    return value
