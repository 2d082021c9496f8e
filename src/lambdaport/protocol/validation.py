"""Model validation of parsed parameters, with AWS's (Coral's) error messages.

Checks are compiled once per shape: required members, length and value ranges, enums and
patterns. Violations are collected and raised as one ``ValidationException``::

    1 validation error detected: Value 'python3.99' at 'runtime' failed to satisfy
    constraint: Member must satisfy enum value set: [nodejs20.x, python3.12, ...]

Member paths are lowerCamelCase; list elements read ``subnetIds.1.member``. A value of the
wrong type is not a validation error but a ``SerializationException``, raised at once.
Services that answer a missing member EC2's way (``MissingParameter``: "The request must
contain the parameter ImageId") get that error, for the first missing member, instead.
Botocore's patterns are Java regexes: those Python compiles (without warnings) are
enforced with a full match, the rest are skipped.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from lambdaport.errors import AwsError
from lambdaport.protocol.scalars import serialization_error

Check = Callable[[Any, str, list[str]], None]
Validate = Callable[[dict[str, Any]], None]

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "character": (str,),
    "integer": (int,),
    "long": (int,),
    "double": (int, float),
    "float": (int, float),
    "boolean": (bool,),
    "blob": (bytes, bytearray, memoryview),
    "timestamp": (datetime,),
    "list": (list, tuple),
    "map": (dict,),
    "structure": (dict,),
}


def lower_camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _show(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={v}" for k, v in value.items()) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def describe(value: Any, path: str, constraint: str) -> str:
    shown = "null" if value is None else f"'{_show(value)}'"
    return f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}"


def raise_if_invalid(errors: list[str], code: str = "ValidationException") -> None:
    if not errors:
        return
    count = len(errors)
    noun = "error" if count == 1 else "errors"
    raise AwsError(code, f"{count} validation {noun} detected: " + "; ".join(errors), 400)


def _number(value: Any) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class _Limits:
    """The scalar constraints of one shape, evaluated only when a quick test fails."""

    __slots__ = ("enum", "enum_text", "hi", "is_length", "lo", "pattern", "pattern_text")

    def __init__(self, shape: Any, pattern: re.Pattern[str] | None, enforced: bool = True) -> None:
        meta = shape.metadata if enforced else {}
        self.lo: float | None = meta.get("min")
        self.hi: float | None = meta.get("max")
        self.is_length = shape.type_name not in ("integer", "long", "double", "float")
        enum = meta.get("enum")
        self.enum: frozenset[str] | None = frozenset(enum) if enum else None
        self.enum_text = "[" + ", ".join(enum) + "]" if enum else ""
        self.pattern = pattern if enforced else None
        self.pattern_text = meta.get("pattern", "")

    @property
    def empty(self) -> bool:
        return self.lo is None and self.hi is None and self.enum is None and self.pattern is None

    def violations(self, value: Any) -> list[str]:
        out: list[str] = []
        size = len(value) if self.is_length else value
        what = "length" if self.is_length else "value"
        if self.lo is not None and size < self.lo:
            out.append(f"Member must have {what} greater than or equal to {_number(self.lo)}")
        if self.hi is not None and size > self.hi:
            out.append(f"Member must have {what} less than or equal to {_number(self.hi)}")
        if self.enum is not None and value not in self.enum:
            out.append(f"Member must satisfy enum value set: {self.enum_text}")
        if self.pattern is not None and self.pattern.fullmatch(value) is None:
            out.append(f"Member must satisfy regular expression pattern: {self.pattern_text}")
        return out

    def ok(self, value: Any) -> bool:
        size = len(value) if self.is_length else value
        return (
            (self.lo is None or size >= self.lo)
            and (self.hi is None or size <= self.hi)
            and (self.enum is None or value in self.enum)
            and (self.pattern is None or self.pattern.fullmatch(value) is not None)
        )


class Validator:
    """Compiles and caches validation checks for the shapes of one service. Violations are
    raised with ``error_code`` (CloudWatch Logs says ``InvalidParameterException``); with
    ``missing_code``, a missing required member is raised at once with that code. Without
    ``constraints``, only required members and types are checked (EC2 does not enforce the
    lengths, ranges and patterns of its botocore model)."""

    def __init__(
        self,
        error_code: str = "ValidationException",
        missing_code: str | None = None,
        *,
        constraints: bool = True,
    ) -> None:
        self._error_code = error_code
        self._missing_code = missing_code
        self._constraints = constraints
        self._checks: dict[str, Check] = {}
        self._building: set[str] = set()
        self._patterns: dict[str, re.Pattern[str] | None] = {}

    def for_members(self, members: Iterable[tuple[str, Any]], required: Iterable[str]) -> Validate:
        check = self._struct_check(list(members), set(required))
        code = self._error_code

        def validate(params: dict[str, Any]) -> None:
            errors: list[str] = []
            check(params, "", errors)
            raise_if_invalid(errors, code)

        return validate

    def check(self, shape: Any) -> Check:
        kind = shape.type_name
        if kind in ("structure", "list", "map"):
            name = shape.name
            if name in self._checks:
                return self._checks[name]
            if name in self._building:
                checks = self._checks
                return lambda value, path, errors: checks[name](value, path, errors)
            self._building.add(name)
            try:
                built = self._container_check(shape)
            finally:
                self._building.discard(name)
            self._checks[name] = built
            return built
        return self._scalar_check(shape)

    def _container_check(self, shape: Any) -> Check:
        if shape.type_name == "structure":
            if getattr(shape, "is_document_type", False):
                return lambda value, path, errors: None
            return self._struct_check(list(shape.members.items()), set(shape.required_members))
        if shape.type_name == "list":
            return self._list_check(shape)
        return self._map_check(shape)

    def _struct_check(self, members: list[tuple[str, Any]], required: set[str]) -> Check:
        plan = [(name, lower_camel(name), self.check(s), name in required) for name, s in members]
        missing_code = self._missing_code

        def check(value: Any, path: str, errors: list[str]) -> None:
            if type(value) is not dict:
                raise _wrong_type(path, "structure")
            for name, label, member_check, needed in plan:
                item = value.get(name)
                if item is not None:
                    member_check(item, _join(path, label), errors)
                elif needed and missing_code is not None:
                    raise AwsError(
                        missing_code, f"The request must contain the parameter {name}", 400
                    )
                elif needed:
                    errors.append(describe(None, _join(path, label), "Member must not be null"))

        return check

    def _list_check(self, shape: Any) -> Check:
        limits = _Limits(shape, None, self._constraints)
        item_check = self.check(shape.member)

        def check(value: Any, path: str, errors: list[str]) -> None:
            if not isinstance(value, list | tuple):
                raise _wrong_type(path, "list")
            if not limits.empty and not limits.ok(value):
                errors.extend(describe(value, path, v) for v in limits.violations(value))
            for index, item in enumerate(value, 1):
                if item is not None:
                    item_check(item, f"{path}.{index}.member", errors)

        return check

    def _map_check(self, shape: Any) -> Check:
        limits = _Limits(shape, None, self._constraints)
        key_limits = _Limits(shape.key, self._pattern(shape.key), self._constraints)
        value_check = self.check(shape.value)

        def check(value: Any, path: str, errors: list[str]) -> None:
            if not isinstance(value, dict):
                raise _wrong_type(path, "map")
            if not limits.empty and not limits.ok(value):
                errors.extend(describe(value, path, v) for v in limits.violations(value))
            for key, item in value.items():
                if not key_limits.empty and not key_limits.ok(key):
                    problems = ", ".join(key_limits.violations(key))
                    errors.append(
                        describe(value, path, f"Map keys must satisfy constraint: [{problems}]")
                    )
                if item is not None:
                    value_check(item, f"{path}.{key}", errors)

        return check

    def _scalar_check(self, shape: Any) -> Check:
        kind = shape.type_name
        types = _TYPES.get(kind, (object,))
        if shape.serialization.get("jsonvalue"):
            # A JSON document carried as a string: any JSON value, its text unconstrained.
            return lambda value, path, errors: None
        pattern = self._pattern(shape) if kind == "string" else None
        limits = _Limits(shape, pattern, self._constraints)
        exact_int = kind in ("integer", "long")

        if limits.empty:

            def check_type(value: Any, path: str, errors: list[str]) -> None:
                if not isinstance(value, types) or (exact_int and type(value) is bool):
                    raise _wrong_type(path, kind)

            return check_type

        if types == (str,) and limits.pattern is not None:
            return _string_check(limits, kind)

        def check(value: Any, path: str, errors: list[str]) -> None:
            if not isinstance(value, types) or (exact_int and type(value) is bool):
                raise _wrong_type(path, kind)
            if not limits.ok(value):
                errors.extend(describe(value, path, v) for v in limits.violations(value))

        return check

    def _pattern(self, shape: Any) -> re.Pattern[str] | None:
        text = shape.metadata.get("pattern")
        if not text:
            return None
        if text not in self._patterns:
            self._patterns[text] = compile_java_pattern(text)
        return self._patterns[text]


_VALID_MEMO_SIZE = 1024


def _string_check(limits: _Limits, kind: str) -> Check:
    """A string member with a pattern; values that passed are remembered (the same function
    names and qualifiers come back on every invoke, and a pattern match costs more than a
    set lookup). The set is emptied when it reaches ``_VALID_MEMO_SIZE``. Strings without a
    pattern are not remembered: their checks are as cheap as the lookup, and they include
    large one-off values (log event messages) the set would only hold on to."""
    valid: set[str] = set()

    def check(value: Any, path: str, errors: list[str]) -> None:
        if type(value) is str and value in valid:
            return
        if not isinstance(value, str):
            raise _wrong_type(path, kind)
        if not limits.ok(value):
            errors.extend(describe(value, path, v) for v in limits.violations(value))
            return
        if len(valid) >= _VALID_MEMO_SIZE:
            valid.clear()
        valid.add(value)

    return check


def compile_java_pattern(text: str) -> re.Pattern[str] | None:
    """Python's reading of a Java regex, or None when Python cannot read it the same way."""
    if "\\p{" in text or "\\P{" in text or "&&" in text:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return re.compile(text)
        except (re.error, Warning):
            return None


def _wrong_type(path: str, kind: str) -> AwsError:
    return serialization_error(f"Unexpected value type at '{path or 'input'}': expected {kind}")
