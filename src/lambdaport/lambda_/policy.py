"""AddPermission, RemovePermission and GetPolicy: statements exactly as AWS writes them."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

import orjson

from lambdaport.errors import AwsError, invalid_parameter, resource_conflict, resource_not_found
from lambdaport.lambda_.functions import ref_of
from lambdaport.lambda_.names import LATEST
from lambdaport.lambda_.registry import FunctionEntry, FunctionRegistry, Policy
from lambdaport.request import RequestContext

POLICY_LIMIT = 20 * 1024
_ACCOUNT = re.compile(r"^\d{12}$")


def _principal(value: str) -> Any:
    if value == "*":
        return "*"
    if _ACCOUNT.match(value):
        return {"AWS": f"arn:aws:iam::{value}:root"}
    if value.startswith("arn:"):
        return {"AWS": value}
    if "." in value:
        return {"Service": value}
    raise invalid_parameter(
        "The provided principal was invalid. Please check the principal and try again."
    )


def build_statement(resource: str, params: Mapping[str, Any]) -> dict[str, Any]:
    conditions: dict[str, dict[str, str]] = {}
    if params.get("SourceAccount"):
        conditions.setdefault("StringEquals", {})["AWS:SourceAccount"] = params["SourceAccount"]
    if params.get("PrincipalOrgID"):
        conditions.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = params["PrincipalOrgID"]
    if params.get("EventSourceToken"):
        conditions.setdefault("StringEquals", {})["lambda:EventSourceToken"] = params[
            "EventSourceToken"
        ]
    if params.get("FunctionUrlAuthType"):
        conditions.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = params[
            "FunctionUrlAuthType"
        ]
    if params.get("InvokedViaFunctionUrl"):
        conditions.setdefault("Bool", {})["lambda:InvokedViaFunctionUrl"] = "true"
    if params.get("SourceArn"):
        conditions.setdefault("ArnLike", {})["AWS:SourceArn"] = params["SourceArn"]
    statement: dict[str, Any] = {
        "Sid": params["StatementId"],
        "Effect": "Allow",
        "Principal": _principal(str(params["Principal"])),
        "Action": params["Action"],
        "Resource": resource,
    }
    if conditions:
        statement["Condition"] = conditions
    return statement


def _check_revision(policy: Policy, revision: str | None) -> None:
    if revision is not None and revision != policy.revision_id:
        raise AwsError(
            "PreconditionFailedException",
            "The RevisionId provided does not match the latest RevisionId for the Lambda "
            "function or alias. Call the GetFunction or the GetAlias API to retrieve the "
            "latest RevisionId for your resource.",
            412,
            fields={"Type": "User"},
        )


def policy_document(policy: Policy) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Id": "default", "Statement": policy.statements}


class PolicyService:
    def __init__(self, registry: FunctionRegistry) -> None:
        self._registry = registry

    def _target(
        self, ctx: RequestContext, params: Mapping[str, Any]
    ) -> tuple[FunctionEntry, str, str]:
        ref = ref_of(ctx, params)
        entry = self._registry.entry(ref)
        qualifier = ref.qualifier or ""
        if qualifier == LATEST:
            raise invalid_parameter("We currently do not support adding policies for $LATEST.")
        if qualifier:
            self._registry.version(entry, ref, qualifier)  # raises when it does not exist
        return entry, qualifier, ref.qualified_arn if qualifier else entry.latest.arn

    def add_permission(self, ctx: RequestContext, params: Mapping[str, Any]) -> dict[str, Any]:
        entry, qualifier, resource = self._target(ctx, params)
        policy = entry.policies.get(qualifier) or Policy()
        revision = params.get("RevisionId")
        _check_revision(policy, revision)
        sid = str(params["StatementId"])
        if any(s["Sid"] == sid for s in policy.statements):
            raise resource_conflict(
                f"The statement id ({sid}) provided already exists. Please provide a new "
                "statement id, or remove the existing statement."
            )
        statement = build_statement(resource, params)
        updated = Policy([*policy.statements, statement], str(uuid.uuid4()))
        if len(orjson.dumps(policy_document(updated))) > POLICY_LIMIT:
            raise AwsError(
                "PolicyLengthExceededException",
                "The final policy size (bigger than 20480) is bigger than the limit.",
                400,
                fields={"Type": "User"},
            )
        self._registry.save_policy(entry, qualifier, updated)
        return {"Statement": orjson.dumps(statement).decode()}

    def remove_permission(self, ctx: RequestContext, params: Mapping[str, Any]) -> dict[str, Any]:
        entry, qualifier, _ = self._target(ctx, params)
        policy = entry.policies.get(qualifier) or Policy()
        sid = str(params["StatementId"])
        revision = params.get("RevisionId")
        _check_revision(policy, revision)
        remaining = [s for s in policy.statements if s["Sid"] != sid]
        if len(remaining) == len(policy.statements):
            raise resource_not_found(f"Statement {sid} is not found in resource policy.")
        self._registry.save_policy(entry, qualifier, Policy(remaining, str(uuid.uuid4())))
        return {}

    def get_policy(self, ctx: RequestContext, params: Mapping[str, Any]) -> dict[str, Any]:
        entry, qualifier, _ = self._target(ctx, params)
        policy = entry.policies.get(qualifier)
        if policy is None or not policy.statements:
            raise resource_not_found("The resource you requested does not exist.")
        return {
            "Policy": orjson.dumps(policy_document(policy)).decode(),
            "RevisionId": policy.revision_id,
        }
