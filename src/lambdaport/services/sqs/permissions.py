"""AddPermission and RemovePermission: labelled statements of the queue's ``Policy``
attribute, written as AWS writes them (``Version`` 2008-10-17, one string where a list
would hold one item)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from lambdaport.errors import AwsError
from lambdaport.services.sqs.models import Queue, invalid_value

MAX_ACTIONS = 7
_LABEL = re.compile(r"[A-Za-z0-9_-]{1,80}")
_ACCOUNT = re.compile(r"[0-9]{12}")
# What AddPermission may grant (the batch versions come with their single ones).
GRANTABLE = (
    "*",
    "ChangeMessageVisibility",
    "DeleteMessage",
    "GetQueueAttributes",
    "GetQueueUrl",
    "ListDeadLetterSourceQueues",
    "PurgeQueue",
    "ReceiveMessage",
    "SendMessage",
)
_OWNER_ONLY = (
    "AddPermission",
    "CreateQueue",
    "DeleteQueue",
    "ListQueueTags",
    "ListQueues",
    "RemovePermission",
    "SetQueueAttributes",
    "TagQueue",
    "UntagQueue",
)


def check_label(label: str) -> None:
    if not _LABEL.fullmatch(label):
        raise invalid_value(
            "Label",
            label,
            "Must be 1 to 80 characters long and contain only alphanumeric characters, "
            "hyphens (-) and underscores (_).",
        )


def check_grant(account_ids: Sequence[str], actions: Sequence[str]) -> None:
    """AddPermission's principals and actions, before the queue is looked up."""
    if not account_ids or not all(_ACCOUNT.fullmatch(str(a)) for a in account_ids):
        shown = ", ".join(str(a) for a in account_ids)
        raise invalid_value("PrincipalId", f"[{shown}]", "Unable to verify.")
    if len(actions) > MAX_ACTIONS:
        raise AwsError(
            "OverLimit", f"{len(actions)} Actions were found, maximum allowed is {MAX_ACTIONS}."
        )
    for action in actions:
        if action in GRANTABLE:
            continue
        if action in _OWNER_ONLY:
            reason = "Only the queue owner is allowed to invoke this action."
        else:
            reason = "Please refer to the appropriate WSDL for a list of valid actions."
        raise invalid_value("ActionName", f"SQS:{action}", reason)


def _one_or_many(items: list[str]) -> str | list[str]:
    return items[0] if len(items) == 1 else items


def _policy(queue: Queue) -> dict[str, Any]:
    text = queue.attributes.get("Policy")
    if text:
        policy: dict[str, Any] = orjson.loads(text)
        return policy
    return {"Version": "2008-10-17", "Id": f"{queue.arn}/SQSDefaultPolicy", "Statement": []}


def _statements(policy: Mapping[str, Any]) -> list[dict[str, Any]]:
    statements = policy.get("Statement", [])
    return list(statements) if isinstance(statements, list) else [statements]


def with_permission(
    queue: Queue, label: str, account_ids: Sequence[str], actions: Sequence[str]
) -> str:
    """The queue's Policy with the statement ``label`` added (a new label only)."""
    policy = _policy(queue)
    statements = _statements(policy)
    if any(statement.get("Sid") == label for statement in statements):
        raise invalid_value("Label", label, "Already exists.")
    statements.append(
        {
            "Sid": label,
            "Effect": "Allow",
            "Principal": {
                "AWS": _one_or_many([f"arn:aws:iam::{account}:root" for account in account_ids])
            },
            "Action": _one_or_many([f"SQS:{action}" for action in actions]),
            "Resource": queue.arn,
        }
    )
    policy["Statement"] = statements
    return orjson.dumps(policy).decode()


def without_permission(queue: Queue, label: str) -> str:
    """The queue's Policy without the statement ``label`` ("" once none is left)."""
    policy = _policy(queue)
    before = _statements(policy)
    after = [statement for statement in before if statement.get("Sid") != label]
    if len(after) == len(before):
        raise invalid_value("Label", label, "can't find label.")
    if not after:
        return ""
    policy["Statement"] = after
    return orjson.dumps(policy).decode()
