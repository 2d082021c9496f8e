"""A Lambda authorizer's policy document evaluated against the method ARN, as IAM does for
``execute-api:Invoke``: an explicit ``Deny`` wins, else an ``Allow`` is needed; ``Action``
and ``Resource`` (or ``NotAction``/``NotResource``) are patterns with ``*`` and ``?``
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import Enum
from functools import lru_cache
from typing import Any


class Decision(Enum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"


ACTION = "execute-api:Invoke"


def evaluate(policy: Mapping[str, Any], arn: str) -> Decision:
    allowed = False
    for statement in _statements(policy):
        if not (_covers(statement, "Action", ACTION) and _covers(statement, "Resource", arn)):
            continue
        effect = str(statement.get("Effect", ""))
        if effect == "Deny":
            return Decision.EXPLICIT_DENY
        if effect == "Allow":
            allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


def is_policy(policy: Any) -> bool:
    return isinstance(policy, Mapping) and bool(_statements(policy))


def _statements(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = policy.get("Statement")
    if isinstance(statements, Mapping):
        return [statements]
    if isinstance(statements, list):
        return [s for s in statements if isinstance(s, Mapping)]
    return []


def _covers(statement: Mapping[str, Any], member: str, value: str) -> bool:
    if member in statement:
        return any(_pattern(p).fullmatch(value) for p in _list(statement[member]))
    negated = f"Not{member}"
    if negated in statement:
        return not any(_pattern(p).fullmatch(value) for p in _list(statement[negated]))
    return False


def _list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


@lru_cache(maxsize=1024)
def _pattern(text: str) -> re.Pattern[str]:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
    return re.compile("".join(parts), re.IGNORECASE if text.startswith("execute-api") else 0)
