"""JSON filter patterns: ``{ $.eventType = "Update*" && ($.latency > 5 || $.error IS TRUE) }``.

A selector (``$.a.b``, ``$.list[0]``, ``$.list[*]``, ``$.map.*``) picks values from the event
parsed as JSON; a comparison holds when any picked value satisfies it. ``IS TRUE``,
``IS FALSE``, ``IS NULL``, ``EXISTS`` and ``NOT EXISTS`` test the kind of value. Events that
are not JSON objects never match.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from lambdaport.services.logs.pattern_values import COMPARISONS, Comparison, InvalidPatternError

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<group>[()])
      | (?P<logic>&&|\|\|)
      | (?P<op><=|>=|!=|=|<|>)
      | (?P<quoted>"(?:[^"\\]|\\.)*")
      | (?P<regex>%[^%]+%)
      | (?P<word>[^\s()=!<>&|"]+)
    )""",
    re.VERBOSE,
)
_STEP = re.compile(r"\.(\*|[^.\[\]]+)|\[(\*|\d+)\]")

Test = Callable[[Any], bool]


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise InvalidPatternError(f"unexpected character at {text[position:]!r}")
        tokens.append(match.group(match.lastgroup or "word"))
        position = match.end()
    return tokens


@dataclass(frozen=True, slots=True)
class Selector:
    steps: tuple[str | int, ...]  # names, indexes, "*" for any member or element

    @classmethod
    def parse(cls, text: str) -> Selector:
        if not text.startswith("$"):
            raise InvalidPatternError(f"a JSON selector starts with $: {text!r}")
        steps: list[str | int] = []
        position = 1
        while position < len(text):
            match = _STEP.match(text, position)
            if match is None:
                raise InvalidPatternError(f"invalid JSON selector {text!r}")
            name, index = match.group(1), match.group(2)
            if name is not None:
                steps.append(name)
            else:
                steps.append("*" if index == "*" else int(index))
            position = match.end()
        return cls(tuple(steps))

    def values(self, document: Any) -> Iterator[Any]:
        current: list[Any] = [document]
        for step in self.steps:
            current = [child for value in current for child in _children(value, step)]
        yield from current


def _children(value: Any, step: str | int) -> Iterator[Any]:
    if step == "*":
        if isinstance(value, dict):
            yield from value.values()
        elif isinstance(value, list):
            yield from value
    elif isinstance(step, int):
        if isinstance(value, list) and step < len(value):
            yield value[step]
    elif isinstance(value, dict) and step in value:
        yield value[step]


def _compare(comparison: Comparison) -> Test:
    def test(value: Any) -> bool:
        if isinstance(value, bool) or value is None:
            return False
        if isinstance(value, int | float):
            return comparison.test_number(float(value))
        if isinstance(value, str):
            return comparison.test_text(value)
        return False

    return test


_IS: dict[str, Test] = {
    "TRUE": lambda value: value is True,
    "FALSE": lambda value: value is False,
    "NULL": lambda value: value is None,
}


@dataclass(frozen=True, slots=True)
class _Clause:
    selector: Selector
    test: Test | None  # None: existence (negated by ``exists=False``)
    exists: bool = True

    def holds(self, document: Any) -> bool:
        values = list(self.selector.values(document))
        if self.test is None:
            return bool(values) == self.exists
        return any(self.test(value) for value in values)


@dataclass(frozen=True, slots=True)
class _Logic:
    op: str  # "&&" or "||"
    left: Node
    right: Node

    def holds(self, document: Any) -> bool:
        if self.op == "&&":
            return self.left.holds(document) and self.right.holds(document)
        return self.left.holds(document) or self.right.holds(document)


Node = _Clause | _Logic


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self._tokens = tokens
        self._at = 0

    def _peek(self) -> str | None:
        return self._tokens[self._at] if self._at < len(self._tokens) else None

    def _take(self, what: str = "a token") -> str:
        token = self._peek()
        if token is None:
            raise InvalidPatternError(f"the JSON pattern ends where {what} was expected")
        self._at += 1
        return token

    def parse(self) -> Node:
        node = self._or()
        if self._peek() is not None:
            raise InvalidPatternError(f"unexpected {self._peek()!r} in the JSON pattern")
        return node

    def _or(self) -> Node:
        node = self._and()
        while self._peek() == "||":
            self._at += 1
            node = _Logic("||", node, self._and())
        return node

    def _and(self) -> Node:
        node = self._unary()
        while self._peek() == "&&":
            self._at += 1
            node = _Logic("&&", node, self._unary())
        return node

    def _unary(self) -> Node:
        if self._peek() == "(":
            self._at += 1
            node = self._or()
            if self._take("')'") != ")":
                raise InvalidPatternError("unbalanced parentheses in the JSON pattern")
            return node
        return self._clause()

    def _clause(self) -> _Clause:
        selector = Selector.parse(self._take("a selector"))
        token = self._take("an operator")
        if token in COMPARISONS:
            return _Clause(selector, _compare(Comparison.parse(token, self._take("a value"))))
        word = token.upper()
        if word == "IS":
            kind = self._take("TRUE, FALSE or NULL").upper()
            if kind not in _IS:
                raise InvalidPatternError(f"IS needs TRUE, FALSE or NULL, not {kind!r}")
            return _Clause(selector, _IS[kind])
        if word == "EXISTS":
            return _Clause(selector, None, exists=True)
        if word == "NOT" and self._take("EXISTS").upper() == "EXISTS":
            return _Clause(selector, None, exists=False)
        raise InvalidPatternError(f"unexpected {token!r} after the selector")


@dataclass(frozen=True, slots=True)
class JsonPattern:
    root: Node

    @classmethod
    def parse(cls, text: str) -> JsonPattern:
        inner = text.strip()
        if not (inner.startswith("{") and inner.endswith("}")):
            raise InvalidPatternError("a JSON pattern is enclosed in { }")
        tokens = _tokens(inner[1:-1])
        if not tokens:
            raise InvalidPatternError("the JSON pattern is empty")
        return cls(_Parser(tokens).parse())

    def matches(self, message: str) -> bool:
        text = message.strip()
        if not text.startswith("{"):
            return False
        try:
            document = orjson.loads(text)
        except orjson.JSONDecodeError:
            return False
        return isinstance(document, dict) and self.root.holds(document)
