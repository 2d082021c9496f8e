"""The comparisons filter patterns make on one value: ``= != < > <= >=`` against a string
with ``*`` wildcards, a number, or a ``%regex%``.

Shared by JSON patterns (``{ $.status = 4* }``) and space-delimited patterns
(``[ip, ..., status = 4*, bytes > 1000]``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

COMPARISONS = ("<=", ">=", "!=", "=", "<", ">")
NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


class InvalidPatternError(ValueError):
    """The filter pattern does not parse; the message says where."""


def wildcard(text: str) -> re.Pattern[str]:
    """``4*`` -> a full-match regex where ``*`` is any run of characters."""
    return re.compile(".*".join(re.escape(part) for part in text.split("*")), re.DOTALL)


def as_number(text: str) -> float | None:
    if NUMBER.fullmatch(text.strip()) is None:
        return None
    value = float(text)
    return value if math.isfinite(value) else None


@dataclass(frozen=True, slots=True)
class Comparison:
    """``op value``: ``value`` is the literal as written (quotes removed)."""

    op: str
    value: str
    quoted: bool = False
    regex: re.Pattern[str] | None = None

    @classmethod
    def parse(cls, op: str, raw: str) -> Comparison:
        if op not in COMPARISONS:
            raise InvalidPatternError(f"unknown operator {op!r}")
        if len(raw) >= 2 and raw[0] == raw[-1] == "%":
            if op not in ("=", "!="):
                raise InvalidPatternError("a regular expression needs = or !=")
            try:
                return cls(op, raw, regex=re.compile(raw[1:-1]))
            except re.error as e:
                raise InvalidPatternError(f"invalid regular expression {raw}: {e}") from None
        quoted = len(raw) >= 2 and raw[0] == raw[-1] == '"'
        value = raw[1:-1] if quoted else raw
        if not value and not quoted:
            raise InvalidPatternError(f"missing value after {op!r}")
        if op not in ("=", "!=") and as_number(value) is None:
            raise InvalidPatternError(f"{op} needs a number, not {raw!r}")
        return cls(op, value, quoted)

    @property
    def number(self) -> float | None:
        return None if self.quoted or self.regex is not None else as_number(self.value)

    def test_text(self, text: str) -> bool:
        """The comparison applied to a field read as text (space-delimited fields, JSON
        strings): numeric when both sides are numbers, else wildcard or regex matching."""
        number = self.number
        if number is not None:
            field = as_number(text)
            if field is not None:
                return self.test_number(field)
            if self.op not in ("=", "!="):
                return False
        if self.regex is not None:
            found = self.regex.search(text) is not None
        else:
            found = wildcard(self.value).fullmatch(text) is not None
        return found if self.op == "=" else not found

    def test_number(self, field: float) -> bool:
        number = self.number
        if number is None:
            return self.test_text(_number_text(field))
        return {
            "=": field == number,
            "!=": field != number,
            "<": field < number,
            ">": field > number,
            "<=": field <= number,
            ">=": field >= number,
        }[self.op]


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)
