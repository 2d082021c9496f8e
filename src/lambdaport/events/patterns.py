"""One EventBridge-style content-filter engine: SNS filter policies, ESM ``FilterCriteria``
and EventBridge rules all compile their JSON pattern here and ask it whether an event matches.

A pattern is a JSON object. Its keys name fields of the event; a key's value is either a
nested object (descend into the event's object of that name) or an array of *match values*
that are OR-ed: exact strings, numbers, ``true``/``false``, ``null``, or one-key objects:

``{"prefix": "us-"}``, ``{"suffix": ".png"}`` (either may hold ``{"equals-ignore-case": s}``),
``{"equals-ignore-case": "x"}``, ``{"wildcard": "img*.png"}``, ``{"anything-but": v}`` where
``v`` is a value, a list of values, or ``{"prefix"|"suffix"|"equals-ignore-case"|"wildcard":
...}``, ``{"numeric": [">", 0, "<=", 5]}``, ``{"exists": true|false}`` and
``{"cidr": "10.0.0.0/24"}``. ``"$or": [{...}, {...}]`` at any object level holds alternative
sub-patterns. Keys of one object are AND-ed. When the event's field is an array, the field
matches when any element matches. :func:`compile_pattern` validates and raises
:class:`PatternError` with a message in the words of AWS's errors.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

MISSING: Any = object()
Matcher = Callable[[Any], bool]
_NUMERIC_OPS = ("=", "<", "<=", ">", ">=")


class PatternError(ValueError):
    """The pattern is not valid; the message says why."""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class Leaf:
    """The match values of one field, OR-ed."""

    matchers: tuple[Matcher, ...]
    exists: bool | None = None  # {"exists": true|false} among the values
    size: int = 1  # number of match values (for complexity limits)

    def matches(self, value: Any) -> bool:
        if value is MISSING:
            return self.exists is False
        if self.exists is True and value is not None and value != []:
            return True
        values = value if isinstance(value, list) else [value]
        return any(m(v) for v in values for m in self.matchers)


@dataclass(frozen=True, slots=True)
class Node:
    """An object level of the pattern: fields AND-ed, then each ``$or`` group."""

    fields: tuple[tuple[str, Leaf | Node], ...]
    alternatives: tuple[tuple[Node, ...], ...] = field(default=())

    def matches(self, event: Any) -> bool:
        if isinstance(event, list):
            return any(self.matches(item) for item in event)
        obj: Mapping[str, Any] = event if isinstance(event, Mapping) else {}
        for key, child in self.fields:
            value = obj.get(key, MISSING)
            if isinstance(child, Node):
                if not child.matches({} if value is MISSING else value):
                    return False
            elif not child.matches(value):
                return False
        return all(any(alt.matches(obj) for alt in group) for group in self.alternatives)

    def leaf_keys(self) -> int:
        """How many field names the pattern tests (``$or`` branches counted in full)."""
        count = sum(c.leaf_keys() if isinstance(c, Node) else 1 for _, c in self.fields)
        return count + sum(alt.leaf_keys() for group in self.alternatives for alt in group)

    def combinations(self) -> int:
        """The product of the match values over the keys, summed over ``$or`` branches —
        the number SNS limits to 150."""
        total = 1
        for _, child in self.fields:
            total *= child.combinations() if isinstance(child, Node) else child.size
        for group in self.alternatives:
            total *= sum(alt.combinations() for alt in group)
        return total

    def depth(self) -> int:
        """Object levels: a nested object adds one, ``$or`` branches stay on their level
        (so ``{"$or": [{"a": [...]}, {"b": [...]}]}`` is one level deep)."""
        nested = [1 + c.depth() for _, c in self.fields if isinstance(c, Node)]
        nested += [alt.depth() for group in self.alternatives for alt in group]
        return max(nested, default=1)


@dataclass(frozen=True, slots=True)
class Pattern:
    """A compiled pattern; :meth:`matches` takes the event as parsed JSON."""

    root: Node

    def matches(self, event: Any) -> bool:
        return self.root.matches(event)


def compile_pattern(pattern: str | Mapping[str, Any]) -> Pattern:
    """Compile a pattern (a JSON text or an already parsed object); raise PatternError."""
    if isinstance(pattern, str):
        try:
            pattern = orjson.loads(pattern)
        except orjson.JSONDecodeError as exc:
            raise PatternError(f"Filter is not valid JSON: {exc}") from None
    if not isinstance(pattern, Mapping):
        raise PatternError("Filter policy must be a JSON object")
    if not pattern:
        raise PatternError("Filter policy can not be empty")
    return Pattern(_node(pattern, ""))


def _node(obj: Mapping[str, Any], path: str) -> Node:
    fields: list[tuple[str, Leaf | Node]] = []
    groups: list[tuple[Node, ...]] = []
    for key, value in obj.items():
        where = f"{path}.{key}" if path else key
        if key == "$or":
            groups.append(_or_group(value, path))
        elif isinstance(value, Mapping):
            if not value:
                raise PatternError(f'"{where}" must be an object or an array with values')
            fields.append((key, _node(value, where)))
        elif isinstance(value, list):
            fields.append((key, _leaf(value, where)))
        else:
            raise PatternError(f'"{where}" must be an object or an array')
    return Node(tuple(fields), tuple(groups))


def _or_group(value: Any, path: str) -> tuple[Node, ...]:
    if not isinstance(value, list) or len(value) < 2:
        raise PatternError('"$or" must be an array of at least 2 objects')
    if not all(isinstance(item, Mapping) and item for item in value):
        raise PatternError('"$or" must contain only non-empty objects')
    return tuple(_node(item, path) for item in value)


def _leaf(values: Sequence[Any], path: str) -> Leaf:
    if not values:
        raise PatternError(f'Empty arrays are not allowed ("{path}")')
    matchers: list[Matcher] = []
    exists: bool | None = None
    for value in values:
        if isinstance(value, Mapping):
            if len(value) != 1:
                raise PatternError(f'"{path}": a match object must have exactly one key')
            ((operator, operand),) = value.items()
            if operator == "exists":
                if not isinstance(operand, bool):
                    raise PatternError("exists match pattern must be either true or false.")
                exists = operand
                continue
            matchers.append(_operator(str(operator), operand, path))
        else:
            matchers.append(_exact(value, path))
    return Leaf(tuple(matchers), exists, len(values))


def _exact(value: Any, path: str) -> Matcher:
    if value is None:
        return lambda v: v is None
    if isinstance(value, bool):
        return lambda v: isinstance(v, bool) and v is value
    if _is_number(value):
        number = float(value)
        return lambda v: _is_number(v) and float(v) == number
    if isinstance(value, str):
        return lambda v: isinstance(v, str) and v == value
    raise PatternError(f'"{path}": match value must be String, number, true, false, or null')


def _operator(operator: str, operand: Any, path: str) -> Matcher:
    build = _OPERATORS.get(operator)
    if build is None:
        raise PatternError(f"Unrecognized match type {operator}")
    return build(operand, path)


def _string_operand(operator: str, operand: Any) -> str:
    if not isinstance(operand, str):
        raise PatternError(f"{operator} match pattern must be a string")
    return operand


def _affix(operator: str, test: Callable[[str, str], bool]) -> Callable[[Any, str], Matcher]:
    """``prefix``/``suffix``: a string, or ``{"equals-ignore-case": s}`` to compare folded."""

    def build(operand: Any, path: str) -> Matcher:
        if isinstance(operand, Mapping) and set(operand) == {"equals-ignore-case"}:
            folded = _string_operand(operator, operand["equals-ignore-case"]).casefold()
            return lambda v: isinstance(v, str) and test(v.casefold(), folded)
        text = _string_operand(operator, operand)
        return lambda v: isinstance(v, str) and test(v, text)

    return build


def _equals_ignore_case(operand: Any, path: str) -> Matcher:
    text = _string_operand("equals-ignore-case", operand).casefold()
    return lambda v: isinstance(v, str) and v.casefold() == text


def _wildcard(operand: Any, path: str) -> Matcher:
    text = _string_operand("wildcard", operand)
    if "**" in text:
        raise PatternError("Consecutive wildcard characters at pos " + str(text.index("**")))
    regex = re.compile(".*".join(re.escape(part) for part in text.split("*")), re.DOTALL)
    return lambda v: isinstance(v, str) and regex.fullmatch(v) is not None


def _anything_but(operand: Any, path: str) -> Matcher:
    if isinstance(operand, Mapping):
        if len(operand) != 1:
            raise PatternError("anything-but must have exactly one key")
        ((operator, inner),) = operand.items()
        if operator not in ("prefix", "suffix", "equals-ignore-case", "wildcard"):
            raise PatternError(f"Unsupported anything-but pattern: {operator}")
        if operator == "equals-ignore-case" and isinstance(inner, list):
            folded = {_string_operand(operator, item).casefold() for item in inner}
            return lambda v: isinstance(v, str) and v.casefold() not in folded
        positive = _operator(str(operator), inner, path)
        return lambda v: isinstance(v, str) and not positive(v)
    items = operand if isinstance(operand, list) else [operand]
    if not items:
        raise PatternError("anything-but needs at least one value")
    if not all(isinstance(i, str) for i in items) and not all(_is_number(i) for i in items):
        raise PatternError(
            "Inside anything but list, start|null|boolean is not supported; the list must "
            "hold only strings or only numbers"
        )
    excluded = [_exact(item, path) for item in items]
    return lambda v: not any(m(v) for m in excluded)


def _numeric(operand: Any, path: str) -> Matcher:
    if not isinstance(operand, list) or not operand or len(operand) % 2:
        raise PatternError("Value of numeric must be an array of operator and value pairs")
    conditions: list[tuple[str, float]] = []
    for index in range(0, len(operand), 2):
        op, number = operand[index], operand[index + 1]
        if op not in _NUMERIC_OPS:
            raise PatternError(f"Unrecognized numeric range operator: {op}")
        if not _is_number(number) or not math.isfinite(number):
            raise PatternError(f"Value of {op} must be numeric")
        conditions.append((str(op), float(number)))
    _check_range(conditions)

    def match(v: Any) -> bool:
        return _is_number(v) and all(_compare(float(v), op, n) for op, n in conditions)

    return match


def _check_range(conditions: list[tuple[str, float]]) -> None:
    ops = [op for op, _ in conditions]
    if "=" in ops and len(ops) > 1:
        raise PatternError("Equals must be the only numeric operator")
    lower = [n for op, n in conditions if op in (">", ">=")]
    upper = [n for op, n in conditions if op in ("<", "<=")]
    if len(lower) > 1 or len(upper) > 1:
        raise PatternError("Too many elements in numeric expression")
    if lower and upper and lower[0] >= upper[0]:
        raise PatternError("Bottom must be less than top")


def _compare(value: float, op: str, number: float) -> bool:
    if op == "=":
        return value == number
    if op == "<":
        return value < number
    if op == "<=":
        return value <= number
    if op == ">":
        return value > number
    return value >= number


def _cidr(operand: Any, path: str) -> Matcher:
    text = _string_operand("cidr", operand)
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise PatternError(f"Malformed CIDR, one '/' required: {text}") from None

    def match(v: Any) -> bool:
        if not isinstance(v, str):
            return False
        try:
            return ipaddress.ip_address(v) in network
        except ValueError:
            return False

    return match


_OPERATORS: dict[str, Callable[[Any, str], Matcher]] = {
    "prefix": _affix("prefix", str.startswith),
    "suffix": _affix("suffix", str.endswith),
    "equals-ignore-case": _equals_ignore_case,
    "wildcard": _wildcard,
    "anything-but": _anything_but,
    "numeric": _numeric,
    "cidr": _cidr,
}
