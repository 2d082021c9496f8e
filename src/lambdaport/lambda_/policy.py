"""AddPermission, RemovePermission and GetPolicy: statements exactly as AWS writes them.

A policy's ``RevisionId`` is its resource's: the function's (``$LATEST``) when unqualified,
else the version's or the alias's, so the RevisionId GetFunction, GetAlias or GetPolicy
answered is the one AddPermission and RemovePermission accept.
"""

from __future__ import annotations

import re

import orjson

from lambdaport.errors import AwsError, invalid_parameter, resource_conflict, resource_not_found
from lambdaport.lambda_.commands import AddPermission, GetPolicy, RemovePermission
from lambdaport.lambda_.models import FunctionPolicy, PolicyStatement, policy_document
from lambdaport.lambda_.names import LATEST, FunctionRef
from lambdaport.lambda_.registry import FunctionEntry, FunctionRegistry, Policy, revision_mismatch

POLICY_LIMIT = 20 * 1024
_ACCOUNT = re.compile(r"^\d{12}$")
_IAM_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:(iam|sts)::\d{12}:\S+$")
# Service principals: s3.amazonaws.com, logs.us-east-1.amazonaws.com, alexa-appkit.amazon.com.
_SERVICE = re.compile(r"^[a-z0-9][a-z0-9.-]*\.(amazonaws\.com(\.cn)?|amazon\.com)$")


def _principal(value: str) -> str | dict[str, str]:
    if value == "*":
        return "*"
    if _ACCOUNT.match(value):
        return {"AWS": f"arn:aws:iam::{value}:root"}
    if _IAM_ARN.match(value):
        return {"AWS": value}
    if _SERVICE.match(value):
        return {"Service": value}
    raise invalid_parameter(
        "The provided principal was invalid. Please check the principal and try again."
    )


def build_statement(resource: str, command: AddPermission) -> PolicyStatement:
    conditions: dict[str, dict[str, str]] = {}
    if command.source_account:
        conditions.setdefault("StringEquals", {})["AWS:SourceAccount"] = command.source_account
    if command.principal_org_id:
        conditions.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = command.principal_org_id
    if command.event_source_token:
        conditions.setdefault("StringEquals", {})["lambda:EventSourceToken"] = (
            command.event_source_token
        )
    if command.function_url_auth_type:
        conditions.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = (
            command.function_url_auth_type
        )
    if command.invoked_via_function_url:
        conditions.setdefault("Bool", {})["lambda:InvokedViaFunctionUrl"] = "true"
    if command.source_arn:
        conditions.setdefault("ArnLike", {})["AWS:SourceArn"] = command.source_arn
    return PolicyStatement(
        sid=command.statement_id,
        principal=_principal(command.principal),
        action=command.action,
        resource=resource,
        condition=conditions,
    )


class PolicyService:
    def __init__(self, registry: FunctionRegistry) -> None:
        self._registry = registry

    @staticmethod
    def _reference(ref: FunctionRef) -> str:
        qualifier = ref.qualifier or ""
        if qualifier == LATEST:
            raise invalid_parameter("We currently do not support adding policies for $LATEST.")
        return qualifier

    def _revision(self, entry: FunctionEntry, ref: FunctionRef, qualifier: str) -> str:
        """The RevisionId of the policy's resource; 404 (as AWS words it) when it is not
        there: ``Cannot find alias arn`` for an alias, ``Function not found`` for a version."""
        if not qualifier:
            return entry.latest.revision_id
        if qualifier.isdigit():
            return self._registry.version(entry, ref, qualifier).revision_id
        alias = entry.aliases.get(qualifier)
        if alias is None:
            raise resource_not_found(f"Cannot find alias arn: {ref.qualified_arn}")
        return alias.revision_id

    async def add_permission(self, command: AddPermission) -> PolicyStatement:
        ref = command.function
        qualifier = self._reference(ref)
        statement = build_statement(ref.qualified_arn if qualifier else ref.arn, command)
        entry = self._registry.entry(ref)
        revision = self._revision(entry, ref, qualifier)
        if command.revision_id is not None and command.revision_id != revision:
            raise AwsError(
                "PreconditionFailedException",
                "The Revision Id provided does not match the latest Revision Id. Call the "
                "GetPolicy API to retrieve the latest Revision Id",
                412,
                fields={"Type": "User"},
            )
        policy = entry.policies.get(qualifier) or Policy()
        sid = command.statement_id
        if any(s["Sid"] == sid for s in policy.statements):
            raise resource_conflict(
                f"The statement id ({sid}) provided already exists. Please provide a new "
                "statement id, or remove the existing statement."
            )
        updated = Policy([*policy.statements, statement.document()])
        if len(orjson.dumps(policy_document(updated.statements))) > POLICY_LIMIT:
            raise AwsError(
                "PolicyLengthExceededException",
                "The final policy size (bigger than 20480) is bigger than the limit.",
                400,
                fields={"Type": "User"},
            )
        await self._registry.save_policy(entry, qualifier, updated)
        return statement

    async def remove_permission(self, command: RemovePermission) -> None:
        ref = command.function
        qualifier = self._reference(ref)
        entry = self._registry.find(ref)
        if entry is None:
            raise resource_not_found(f"No policy found for: {ref.qualified_arn}")
        revision = self._revision(entry, ref, qualifier)
        if command.revision_id is not None and command.revision_id != revision:
            raise revision_mismatch()
        policy = entry.policies.get(qualifier)
        if policy is None or not policy.statements:
            raise resource_not_found("No policy is associated with the given resource.")
        sid = command.statement_id
        remaining = [s for s in policy.statements if s["Sid"] != sid]
        if len(remaining) == len(policy.statements):
            raise resource_not_found(f"Statement {sid} is not found in resource policy.")
        await self._registry.save_policy(entry, qualifier, Policy(remaining))

    def get_policy(self, command: GetPolicy) -> FunctionPolicy:
        ref = command.function
        qualifier = self._reference(ref)
        entry = self._registry.find(ref)
        policy = entry.policies.get(qualifier) if entry is not None else None
        if entry is None or policy is None or not policy.statements:
            raise resource_not_found("The resource you requested does not exist.")
        return FunctionPolicy(tuple(policy.statements), self._revision(entry, ref, qualifier))
