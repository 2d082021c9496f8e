"""CloudWatch Logs filter patterns: which events a FilterLogEvents call, a subscription filter
or TestMetricFilter selects.

``compile_pattern(text)`` chooses the syntax by the pattern's first character:

- ``""`` (or only spaces) matches every event, and so does ``[]``, the space-delimited
  pattern with no fields (AWS takes it, as subscription filters often use it);
- ``{ ... }``: a JSON pattern (``pattern_json``);
- ``[ ... ]``: a space-delimited pattern (``pattern_fields``);
- anything else is terms: every term must occur in the event (case-sensitive); a term in
  double quotes is an exact phrase; ``?term`` terms are alternatives (at least one must
  occur); ``-term`` must not occur; ``%regex%`` is a regular expression searched in the event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from lambdaport.services.logs.pattern_fields import FieldsPattern
from lambdaport.services.logs.pattern_json import JsonPattern
from lambdaport.services.logs.pattern_values import InvalidPatternError

__all__ = ["FilterPattern", "InvalidPatternError", "compile_pattern"]

_TERM = re.compile(r'\s*([?-]?)("(?:[^"\\]|\\.)*"|%[^%]+%|[^\s"]+)')


class FilterPattern(Protocol):
    def matches(self, message: str) -> bool: ...


class MatchAll:
    def matches(self, message: str) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    regex: re.Pattern[str] | None = None

    @classmethod
    def parse(cls, raw: str) -> Term:
        if len(raw) >= 2 and raw[0] == raw[-1] == "%":
            try:
                return cls(raw, re.compile(raw[1:-1]))
            except re.error as e:
                raise InvalidPatternError(f"invalid regular expression {raw}: {e}") from None
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            return cls(raw[1:-1].replace('\\"', '"'))
        if '"' in raw:
            raise InvalidPatternError(f"unbalanced quotes in {raw!r}")
        return cls(raw)

    def occurs_in(self, message: str) -> bool:
        if self.regex is not None:
            return self.regex.search(message) is not None
        return self.text in message


@dataclass(frozen=True, slots=True)
class TermsPattern:
    required: tuple[Term, ...]
    alternatives: tuple[Term, ...]
    excluded: tuple[Term, ...]

    @classmethod
    def parse(cls, text: str) -> TermsPattern:
        required: list[Term] = []
        alternatives: list[Term] = []
        excluded: list[Term] = []
        position = 0
        while text[position:].strip():
            match = _TERM.match(text, position)
            if match is None:
                raise InvalidPatternError(f"unbalanced quotes at {text[position:]!r}")
            prefix, raw = match.groups()
            term = Term.parse(raw)
            {"": required, "?": alternatives, "-": excluded}[prefix].append(term)
            position = match.end()
        return cls(tuple(required), tuple(alternatives), tuple(excluded))

    def matches(self, message: str) -> bool:
        if not all(term.occurs_in(message) for term in self.required):
            return False
        if self.alternatives and not any(t.occurs_in(message) for t in self.alternatives):
            return False
        return not any(term.occurs_in(message) for term in self.excluded)


def compile_pattern(text: str | None) -> FilterPattern:
    """The pattern's matcher; raises ``InvalidPatternError`` when it does not parse."""
    stripped = (text or "").strip()
    if not stripped:
        return MatchAll()
    if stripped.startswith("{"):
        return JsonPattern.parse(stripped)
    if stripped.startswith("["):
        if not stripped[1:-1].strip() and stripped.endswith("]"):
            return MatchAll()
        return FieldsPattern.parse(stripped)
    return TermsPattern.parse(stripped)
