"""Where moto's IAM refuses what IAM accepts: a policy document without a ``Version``.

IAM reads a policy without ``Version`` as the oldest language version and accepts it
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html);
SAM's policy templates (``DynamoDBCrudPolicy``, ``SQSPollerPolicy``...) expand to such
documents. moto refuses them ("Policy document must be version 2012-10-17 or greater."), so
a ``before`` hook hands moto the same document with ``"Version": "2012-10-17"`` (the only
version moto reads; it adds only policy variables, which an unversioned document could not
use). The call is run and journaled by moto as rewritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from lambdaport.protocol.base import HttpResponse
from lambdaport.request import RequestContext
from lambdaport.services.moto_tail.operation_hooks import OperationHook
from lambdaport.services.moto_tail.protocol import MotoCall

SERVICE = "iam"
CURRENT_VERSION = "2012-10-17"
# The operations whose ``PolicyDocument`` moto validates as an identity policy.
POLICY_OPERATIONS = (
    "PutRolePolicy",
    "PutUserPolicy",
    "PutGroupPolicy",
    "CreatePolicy",
    "CreatePolicyVersion",
)


def versioned(document: str) -> str | None:
    """``document`` with the current ``Version`` first when it has none; None when it has
    one or is no JSON object (moto's own refusal then stands)."""
    try:
        policy: Any = orjson.loads(document)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(policy, dict) or "Version" in policy:
        return None
    return orjson.dumps({"Version": CURRENT_VERSION, **policy}).decode()


async def _before(call: MotoCall, ctx: RequestContext) -> HttpResponse | MotoCall | None:
    document = call.params.get("PolicyDocument")
    if not isinstance(document, str):
        return None
    rewritten = versioned(document)
    return None if rewritten is None else call.with_form_member("PolicyDocument", rewritten)


def hooks() -> Mapping[str, OperationHook[None]]:
    """The hook of each operation, to register in ``app.py``."""
    hook: OperationHook[None] = OperationHook(before=_before)
    return dict.fromkeys(POLICY_OPERATIONS, hook)
