"""A bucket policy's answer for an anonymous request: Deny, Allow, or nothing said.

As IAM evaluates (docs.aws.amazon.com, "Policy evaluation logic"): a statement applies when
its principal covers everyone (``"*"``, ``{"AWS": "*"}``, or a ``NotPrincipal`` that does not
list ``"*"``), its ``Action``/``NotAction`` matches the action and its
``Resource``/``NotResource`` matches the ARN, with ``*`` and ``?`` wildcards (actions
compared without case). Any applying Deny wins over every Allow.

Conditions are not evaluated: a statement with a ``Condition`` never allows, and a Deny
with one always applies, so what lambdaport cannot decide stays refused.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any

import orjson


class Decision(enum.Enum):
    DENY = "Deny"
    ALLOW = "Allow"
    NONE = "None"


@functools.lru_cache(maxsize=512)
def _pattern(text: str, ignore_case: bool) -> re.Pattern[str]:
    body = re.escape(text).replace(r"\*", ".*").replace(r"\?", ".")
    return re.compile(body, re.IGNORECASE if ignore_case else 0)


def _values(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(item) for item in value]
    return []


def _matches(patterns: Iterable[str], value: str, ignore_case: bool = False) -> bool:
    return any(_pattern(p, ignore_case).fullmatch(value) for p in patterns)


def _covers_everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    return isinstance(principal, Mapping) and "*" in _values(principal.get("AWS"))


def _applies(statement: Mapping[str, Any], action: str, resource: str) -> bool:
    if "Principal" in statement:
        if not _covers_everyone(statement["Principal"]):
            return False
    elif "NotPrincipal" in statement:
        if _covers_everyone(statement["NotPrincipal"]):
            return False
    else:
        return False
    if "Action" in statement:
        if not _matches(_values(statement["Action"]), action, ignore_case=True):
            return False
    elif "NotAction" not in statement or _matches(
        _values(statement["NotAction"]), action, ignore_case=True
    ):
        return False
    if "Resource" in statement:
        return _matches(_values(statement["Resource"]), resource)
    return "NotResource" in statement and not _matches(_values(statement["NotResource"]), resource)


def _statements(document: str) -> list[Mapping[str, Any]]:
    try:
        parsed = orjson.loads(document)
    except orjson.JSONDecodeError:
        return []
    statements = parsed.get("Statement") if isinstance(parsed, Mapping) else None
    if isinstance(statements, Mapping):
        statements = [statements]
    return [s for s in statements or [] if isinstance(s, Mapping)]


@functools.lru_cache(maxsize=256)
def _parsed(document: str) -> tuple[Mapping[str, Any], ...]:
    return tuple(_statements(document))


def anonymous_decision(document: str | None, action: str, resource: str) -> Decision:
    """What ``document`` (the policy JSON as put) says about an anonymous ``action`` on
    ``resource`` (``arn:aws:s3:::bucket`` or ``arn:aws:s3:::bucket/key``)."""
    if not document:
        return Decision.NONE
    allowed = False
    for statement in _parsed(document):
        if not _applies(statement, action, resource):
            continue
        effect = statement.get("Effect")
        if effect == "Deny":
            return Decision.DENY
        if effect == "Allow" and "Condition" not in statement:
            allowed = True
    return Decision.ALLOW if allowed else Decision.NONE
