"""Resource-based policy evaluation for invocations
(https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html).

Callers from the function's own account through the Lambda API are allowed by their
identity policy (lambdaport does not model IAM identity policies). An AWS service principal
is allowed only by a statement that names it, covers ``lambda:InvokeFunction`` and whose
every condition holds for the caller's source ARN, source account and tokens. A caller of
another account is allowed only by a statement whose ``AWS`` principal is that account (its
root or, as lambdaport does not tell the identities of an account apart, any of its IAM
ARNs) or ``*``, for the action asked: AWS's cross-account access to a function.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from typing import Any

from lambdaport.errors import AccessDenied
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


def _account_principal_matches(principal: Any, account_id: str) -> bool:
    if principal == "*":
        return True
    aws = principal.get("AWS") if isinstance(principal, Mapping) else None
    names = [aws] if isinstance(aws, str) else list(aws or ())
    return any(n in ("*", account_id) or n.split(":")[4:5] == [account_id] for n in names)


def _action_covers(action: Any, wanted: str) -> bool:
    actions = [action] if isinstance(action, str) else list(action)
    return any(fnmatch.fnmatchcase(wanted, pattern) for pattern in actions)


def account_allowed(statements: Sequence[Mapping[str, Any]], account_id: str, action: str) -> bool:
    """Whether a statement lets IAM identities of ``account_id`` perform ``action``."""
    return any(
        s.get("Effect") == "Allow"
        and _account_principal_matches(s.get("Principal"), account_id)
        and _action_covers(s.get("Action", ""), action)
        and not s.get("Condition")  # no condition key of an account caller is known here
        for s in statements
    )


def access_denied(account_id: str, action: str, resource: str, reason: str = "") -> AccessDenied:
    because = reason or f"because no resource-based policy allows the {action} action"
    return AccessDenied(
        "AccessDeniedException",
        f"User: arn:aws:iam::{account_id}:root is not authorized to perform: {action} on "
        f"resource: {resource} {because}",
        403,
        fields={"Type": "User"},
    )


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
    if normalized == "lambda:invokedviafunctionurl":
        return "true" if caller.via_function_url else None
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
            elif operator == "Bool":
                if actual.lower() not in [str(v).lower() for v in values]:
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


def _url_statement_allows(statement: Mapping[str, Any], caller: Caller, action: str) -> bool:
    """A statement letting a function URL's caller perform ``action``: principal ``*`` (or
    the signer's account for AWS_IAM), the action, and every condition holding."""
    principal = statement.get("Principal")
    account = caller.source_account
    return (
        statement.get("Effect") == "Allow"
        and (
            _principal_matches(principal, Caller("*"))
            if account is None
            else _account_principal_matches(principal, account)
        )
        and _action_covers(statement.get("Action", ""), action)
        and _conditions_hold(statement.get("Condition") or {}, caller)
    )


def check_function_url_permission(
    statements: Sequence[Mapping[str, Any]], caller: Caller, invoked_arn: str, owner_account: str
) -> None:
    """A function URL request (https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html):
    since October 2025 the resource policy must allow both ``lambda:InvokeFunctionUrl``
    and ``lambda:InvokeFunction`` (the latter with ``lambda:InvokedViaFunctionUrl``). An
    AWS_IAM caller of the function's own account is allowed by its identity policy
    (lambdaport does not model those); anyone else needs both statements."""
    if caller.function_url_auth_type == "AWS_IAM" and caller.source_account == owner_account:
        return
    for action in ("lambda:InvokeFunctionUrl", "lambda:InvokeFunction"):
        if not any(_url_statement_allows(s, caller, action) for s in statements):
            raise AccessDenied(
                "AccessDeniedException",
                f"Forbidden: no resource-based policy allows the {action} action on "
                f"{invoked_arn} through its function URL",
                403,
                fields={"Type": "User"},
            )


def check_invoke_permission(
    statements: Sequence[Mapping[str, Any]],
    caller: Caller,
    invoked_arn: str,
    caller_account: str,
    owner_account: str,
) -> None:
    if caller.via_function_url:
        check_function_url_permission(statements, caller, invoked_arn, owner_account)
        return
    if not caller.is_service:
        if caller_account == owner_account or account_allowed(
            statements, caller_account, "lambda:InvokeFunction"
        ):
            return
        raise access_denied(caller_account, "lambda:InvokeFunction", invoked_arn)
    if any(statement_allows(s, caller) for s in statements):
        return
    raise AccessDenied(
        "AccessDeniedException",
        f"{caller.principal} is not authorized to perform: lambda:InvokeFunction on "
        f"resource: {invoked_arn} because no resource-based policy allows the "
        "lambda:InvokeFunction action",
        403,
        fields={"Type": "User"},
    )
