"""Space-delimited filter patterns: ``[ip, user, ..., status = 4* || status = 5*, bytes > 1000]``.

The event is split at whitespace into fields; text in double quotes or square brackets is one
field (without its quotes or brackets). Each named field of the pattern takes one event field
and may carry comparisons joined by ``&&`` and ``||``; ``...`` takes any number of fields.
Without ``...`` the event must have exactly as many fields as the pattern names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lambdaport.services.logs.pattern_values import COMPARISONS, Comparison, InvalidPatternError

ELLIPSIS = "..."
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<logic>&&|\|\|)
      | (?P<op><=|>=|!=|=|<|>)
      | (?P<quoted>"(?:[^"\\]|\\.)*")
      | (?P<regex>%[^%]+%)
      | (?P<word>[^\s=!<>&|"]+)
    )""",
    re.VERBOSE,
)
_CLOSERS = {'"': '"', "[": "]"}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One pattern field: its name and the comparisons (OR of AND groups) it must pass."""

    name: str
    any_of: tuple[tuple[Comparison, ...], ...] = ()

    @property
    def is_ellipsis(self) -> bool:
        return self.name == ELLIPSIS

    def accepts(self, value: str) -> bool:
        if not self.any_of:
            return True
        return any(all(c.test_text(value) for c in group) for group in self.any_of)


def _split_top_level(inner: str) -> list[str]:
    """Split at commas outside quotes and ``%regex%``."""
    parts: list[str] = []
    current: list[str] = []
    quote: str | None = None
    for char in inner:
        if quote is not None:
            current.append(char)
            if char == quote:
                quote = None
        elif char in '"%':
            quote = char
            current.append(char)
        elif char == ",":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if quote is not None:
        raise InvalidPatternError(f"unterminated {quote} in the space-delimited pattern")
    parts.append("".join(current))
    return [part.strip() for part in parts]


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    while text[position:].strip():
        match = _TOKEN.match(text, position)
        if match is None:
            raise InvalidPatternError(f"unexpected character at {text[position:]!r}")
        tokens.append(match.group(match.lastgroup or "word"))
        position = match.end()
    return tokens


def _comparison(tokens: list[str], text: str) -> Comparison:
    if len(tokens) < 2 or tokens[0] not in COMPARISONS:
        raise InvalidPatternError(f"incomplete condition in field {text!r}")
    op, value = tokens.pop(0), tokens.pop(0)
    return Comparison.parse(op, value)


def _field(text: str, index: int) -> FieldSpec:
    if not text:
        raise InvalidPatternError("an empty field in the space-delimited pattern")
    if text == ELLIPSIS:
        return FieldSpec(ELLIPSIS)
    tokens = _tokens(text)
    name = f"${index + 1}"
    if tokens[0] not in COMPARISONS:
        name = tokens.pop(0)
    groups: list[list[Comparison]] = [[]]
    if tokens:
        groups[-1].append(_comparison(tokens, text))
    while tokens:
        logic = tokens.pop(0)
        if logic not in ("&&", "||"):
            raise InvalidPatternError(f"expected && or || in field {text!r}")
        if logic == "||":
            groups.append([])
        if tokens and tokens[0] not in COMPARISONS:
            tokens.pop(0)  # the field's name repeated: `status = 4* || status = 5*`
        groups[-1].append(_comparison(tokens, text))
    return FieldSpec(name, tuple(tuple(group) for group in groups if group))


def split_fields(message: str) -> list[str]:
    """The event's fields: whitespace-separated, ``"..."`` and ``[...]`` kept whole."""
    fields: list[str] = []
    position, end = 0, len(message)
    while position < end:
        while position < end and message[position].isspace():
            position += 1
        if position >= end:
            break
        closer = _CLOSERS.get(message[position])
        if closer is not None:
            stop = message.find(closer, position + 1)
            if stop >= 0:
                fields.append(message[position + 1 : stop])
                position = stop + 1
                continue
        stop = position
        while stop < end and not message[stop].isspace():
            stop += 1
        fields.append(message[position:stop])
        position = stop
    return fields


@dataclass(frozen=True, slots=True)
class FieldsPattern:
    fields: tuple[FieldSpec, ...]

    @classmethod
    def parse(cls, text: str) -> FieldsPattern:
        inner = text.strip()
        if not (inner.startswith("[") and inner.endswith("]")):
            raise InvalidPatternError("a space-delimited pattern is enclosed in [ ]")
        parts = _split_top_level(inner[1:-1])
        if parts == [""]:
            raise InvalidPatternError("the space-delimited pattern is empty")
        return cls(tuple(_field(part, index) for index, part in enumerate(parts)))

    def matches(self, message: str) -> bool:
        return self.extract(message) is not None

    def extract(self, message: str) -> dict[str, str] | None:
        """The named fields' values when the event matches, else None."""
        values = split_fields(message)
        found: dict[str, str] = {}
        return found if _match(self.fields, 0, values, 0, found) else None


def _match(
    specs: tuple[FieldSpec, ...], at: int, values: list[str], taken: int, found: dict[str, str]
) -> bool:
    if at == len(specs):
        return taken == len(values)
    spec = specs[at]
    if spec.is_ellipsis:
        return any(
            _match(specs, at + 1, values, skip, found) for skip in range(taken, len(values) + 1)
        )
    if taken >= len(values) or not spec.accepts(values[taken]):
        return False
    found[spec.name] = values[taken]
    return _match(specs, at + 1, values, taken + 1, found)
