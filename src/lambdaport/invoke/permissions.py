"""Resource-based policy evaluation for invocations (AWS-SEMANTICS.md E.3).

Callers from the function's own account through the Lambda API are allowed by their
identity policy (lambdaport does not model IAM identity policies). An AWS service principal
is allowed only by a statement that names it, covers ``lambda:InvokeFunction`` and whose
every condition holds for the caller's source ARN, source account and tokens.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from typing import Any

from lambdaport.errors import AwsError
from lambdaport.invoke.model import Caller

_INVOKE_ACTIONS = frozenset({"lambda:InvokeFunction", "lambda:*", "*"})


def _principal_matches(principal: Any, caller: Caller) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        services = principal.get("Service")
        if services is not None:
            names = [services] if isinstance(services, str) else list(services)
            return caller.principal in names
        aws = principal.get("AWS")
        if aws is not None:
            names = [aws] if isinstance(aws, str) else list(aws)
            return caller.principal in names or "*" in names
    return False


def _action_matches(action: Any) -> bool:
    actions = [action] if isinstance(action, str) else list(action)
    return any(a in _INVOKE_ACTIONS for a in actions)


def _condition_value(key: str, caller: Caller) -> str | None:
    normalized = key.lower()
    if normalized == "aws:sourcearn":
        return caller.source_arn
    if normalized == "aws:sourceaccount":
        return caller.source_account
    if normalized == "lambda:eventsourcetoken":
        return caller.event_source_token
    if normalized == "lambda:functionurlauthtype":
        return caller.function_url_auth_type
    return None


def _conditions_hold(conditions: Mapping[str, Mapping[str, Any]], caller: Caller) -> bool:
    for operator, clauses in conditions.items():
        for key, expected in clauses.items():
            actual = _condition_value(key, caller)
            if actual is None:
                return False
            values = [expected] if isinstance(expected, str) else list(expected)
            if operator in ("ArnLike", "StringLike"):
                if not any(fnmatch.fnmatchcase(actual, v) for v in values):
                    return False
            elif operator in ("ArnEquals", "StringEquals"):
                if actual not in values:
                    return False
            else:
                return False  # an operator we cannot evaluate never grants access
    return True


def statement_allows(statement: Mapping[str, Any], caller: Caller) -> bool:
    return (
        statement.get("Effect") == "Allow"
        and _principal_matches(statement.get("Principal"), caller)
        and _action_matches(statement.get("Action", ""))
        and _conditions_hold(statement.get("Condition") or {}, caller)
    )


def check_invoke_permission(
    statements: Sequence[Mapping[str, Any]], caller: Caller, invoked_arn: str
) -> None:
    if not caller.is_service:
        return
    if any(statement_allows(s, caller) for s in statements):
        return
    raise AwsError(
        "AccessDeniedException",
        f"{caller.principal} is not authorized to perform: lambda:InvokeFunction on "
        f"resource: {invoked_arn} because no resource-based policy allows the "
        "lambda:InvokeFunction action",
        403,
        fields={"Type": "User"},
    )
