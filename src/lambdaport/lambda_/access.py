"""Which functions a Lambda API request may reach, checked before the operation runs.

An endpoint serves its own region: a function ARN of another region is answered 404
"Functions from 'R' are not reachable in this region ('r')", whatever the operation. A
function of another account is reached only where its resource-based policy lets the
caller's account perform the operation's action (AWS's cross-account access: "most API
actions that operate on an existing function", Lambda developer guide,
permissions-function-cross-account); creating a function in another account is refused,
and so are the operations AWS does not share across accounts (awsdocs/aws-lambda-developer-
guide#139). Invoke's own check is the invoker's (``invoke.permissions``), as every
invocation passes through it, whoever calls.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lambdaport.errors import ResourceNotFound, resource_not_found
from lambdaport.invoke.permissions import access_denied, account_allowed
from lambdaport.lambda_.names import FunctionRef, parse_function_ref
from lambdaport.lambda_.registry import FunctionRegistry
from lambdaport.request import RequestContext

NOT_SHARED = frozenset(
    {"CreateFunction", "AddPermission", "RemovePermission", "UpdateFunctionConfiguration"}
)
INVOKER_CHECKED = frozenset({"Invoke", "InvokeAsync", "InvokeWithResponseStream"})
_FUNCTION_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:lambda:[^:]+:\d{12}:function:")


def not_reachable(region: str, endpoint_region: str) -> ResourceNotFound:
    return resource_not_found(
        f"Functions from '{region}' are not reachable in this region ('{endpoint_region}')"
    )


def _reference(params: Mapping[str, Any]) -> str | None:
    """The function a request names: ``FunctionName``, or a tag operation's function ARN."""
    name = params.get("FunctionName")
    if name is not None:
        return str(name)
    resource = params.get("Resource")
    if resource is not None and _FUNCTION_ARN.match(str(resource)):
        return str(resource)
    return None


class FunctionAccess:
    def __init__(self, registry: FunctionRegistry) -> None:
        self._registry = registry

    def check(self, ctx: RequestContext, operation: str, params: Mapping[str, Any]) -> None:
        value = _reference(params)
        if value is None or ":" not in value:  # a bare name: this account and region
            return
        ref = parse_function_ref(value, ctx.account_id, ctx.region, params.get("Qualifier"))
        if ref.region != ctx.region:
            raise not_reachable(ref.region, ctx.region)
        if ref.account_id == ctx.account_id or operation in INVOKER_CHECKED:
            return
        action = f"lambda:{operation}"
        if operation in NOT_SHARED:
            reason = "because Lambda does not grant it to other accounts"
            raise access_denied(ctx.account_id, action, ref.qualified_arn, reason)
        if not self._shared(ref, ctx.account_id, action):
            raise access_denied(ctx.account_id, action, ref.qualified_arn)

    def _shared(self, ref: FunctionRef, account_id: str, action: str) -> bool:
        entry = self._registry.find(ref)
        policy = entry.policy_for(ref.qualifier) if entry is not None else None
        return policy is not None and account_allowed(policy.statements, account_id, action)
