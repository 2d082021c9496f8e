"""IAM resources: ``AWS::IAM::Role``, ``Policy``, ``ManagedPolicy``, ``InstanceProfile``.

IAM is moto's, which does not hold AWS's managed policies (``arn:aws:iam::aws:policy/...``,
such as ``AWSLambdaBasicExecutionRole`` that every SAM function's role attaches): attaching
one moto does not know is skipped (logged), as lambdaport does not enforce identity policies.
"""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import ClientError

from lambdaport.services.cloudformation.providers.base import (
    Created,
    Provider,
    ResourceRequest,
    as_json,
    physical_name,
    tag_list,
)

logger = logging.getLogger("lambdaport.cloudformation")
AWS_MANAGED = "arn:aws:iam::aws:policy/"


async def attach(
    provider: Provider, request: ResourceRequest, operation: str, **params: Any
) -> None:
    """Attach a managed policy; one of AWS's that moto lacks is skipped."""
    try:
        await provider.call(request, "iam", operation, **params)
    except ClientError as error:
        missing = error.response.get("Error", {}).get("Code") == "NoSuchEntity"
        if not (missing and str(params.get("PolicyArn", "")).startswith(AWS_MANAGED)):
            raise
        logger.info(
            "%s: AWS managed policy %s is not in moto's IAM; not attached",
            request.logical_id,
            params["PolicyArn"],
        )


def _inline(policies: Any) -> dict[str, str]:
    return {str(p["PolicyName"]): as_json(p["PolicyDocument"]) for p in policies or []}


class Role(Provider):
    types = ("AWS::IAM::Role",)
    replacement = frozenset({"RoleName", "Path"})

    async def create(self, request: ResourceRequest) -> Created:
        props = request.properties
        name = str(props.get("RoleName") or physical_name(request, max_length=64))
        params: dict[str, Any] = {
            "RoleName": name,
            "AssumeRolePolicyDocument": as_json(props.get("AssumeRolePolicyDocument", {})),
            "Path": str(props.get("Path", "/")),
        }
        for key in ("Description", "PermissionsBoundary"):
            if key in props:
                params[key] = str(props[key])
        if "MaxSessionDuration" in props:
            params["MaxSessionDuration"] = int(props["MaxSessionDuration"])
        if props.get("Tags"):
            params["Tags"] = tag_list(props["Tags"])
        role = (await self.call(request, "iam", "CreateRole", **params))["Role"]
        await self.configured(name, self._attach(request, name, {}, props))
        return Created(name, {"Arn": role["Arn"], "RoleId": role["RoleId"]})

    async def _attach(self, request: ResourceRequest, name: str, previous: Any, props: Any) -> None:
        old_arns, new_arns = (
            set(previous.get("ManagedPolicyArns") or []),
            set(props.get("ManagedPolicyArns") or []),
        )
        for arn in sorted(old_arns - new_arns):
            await self.attempt(request, "iam", "DetachRolePolicy", RoleName=name, PolicyArn=arn)
        for arn in sorted(new_arns - old_arns):
            await attach(self, request, "AttachRolePolicy", RoleName=name, PolicyArn=arn)
        old, new = _inline(previous.get("Policies")), _inline(props.get("Policies"))
        for policy in sorted(old.keys() - new.keys()):
            await self.attempt(request, "iam", "DeleteRolePolicy", RoleName=name, PolicyName=policy)
        for policy, document in new.items():
            if old.get(policy) != document:
                await self.call(
                    request,
                    "iam",
                    "PutRolePolicy",
                    RoleName=name,
                    PolicyName=policy,
                    PolicyDocument=document,
                )

    async def update(self, request: ResourceRequest) -> Created:
        name, props = request.physical_id, request.properties
        if props.get("AssumeRolePolicyDocument") != request.previous.get(
            "AssumeRolePolicyDocument"
        ):
            await self.call(
                request,
                "iam",
                "UpdateAssumeRolePolicy",
                RoleName=name,
                PolicyDocument=as_json(props.get("AssumeRolePolicyDocument", {})),
            )
        await self._attach(request, name, request.previous, props)
        role = (await self.call(request, "iam", "GetRole", RoleName=name))["Role"]
        return Created(name, {"Arn": role["Arn"], "RoleId": role["RoleId"]})

    async def delete(self, request: ResourceRequest) -> None:
        name = request.physical_id
        attached = await self.attempt(request, "iam", "ListAttachedRolePolicies", RoleName=name)
        for policy in (attached or {}).get("AttachedPolicies", []):
            await self.attempt(
                request, "iam", "DetachRolePolicy", RoleName=name, PolicyArn=policy["PolicyArn"]
            )
        inline = await self.attempt(request, "iam", "ListRolePolicies", RoleName=name)
        for policy in (inline or {}).get("PolicyNames", []):
            await self.attempt(request, "iam", "DeleteRolePolicy", RoleName=name, PolicyName=policy)
        profiles = await self.attempt(request, "iam", "ListInstanceProfilesForRole", RoleName=name)
        for profile in (profiles or {}).get("InstanceProfiles", []):
            await self.attempt(
                request,
                "iam",
                "RemoveRoleFromInstanceProfile",
                InstanceProfileName=profile["InstanceProfileName"],
                RoleName=name,
            )
        await self.attempt(request, "iam", "DeleteRole", RoleName=name)


_PRINCIPALS = (
    ("Roles", "RoleName", "Role"),
    ("Users", "UserName", "User"),
    ("Groups", "GroupName", "Group"),
)


class Policy(Provider):
    """An inline policy put on each of its roles, users and groups."""

    types = ("AWS::IAM::Policy", "AWS::IAM::RolePolicy")

    async def create(self, request: ResourceRequest) -> Created:
        await self._put(request, request.properties)
        return Created(request.physical_id or physical_name(request, max_length=128))

    async def _put(self, request: ResourceRequest, props: Any) -> None:
        document = as_json(props.get("PolicyDocument", {}))
        name = str(props["PolicyName"])
        if "RoleName" in props:  # AWS::IAM::RolePolicy
            await self.call(
                request,
                "iam",
                "PutRolePolicy",
                RoleName=str(props["RoleName"]),
                PolicyName=name,
                PolicyDocument=document,
            )
        for member, key, kind in _PRINCIPALS:
            for principal in props.get(member) or []:
                await self.call(
                    request,
                    "iam",
                    f"Put{kind}Policy",
                    **{key: str(principal)},
                    PolicyName=name,
                    PolicyDocument=document,
                )

    async def _remove(self, request: ResourceRequest, props: Any) -> None:
        name = str(props["PolicyName"])
        if "RoleName" in props:
            await self.attempt(
                request, "iam", "DeleteRolePolicy", RoleName=str(props["RoleName"]), PolicyName=name
            )
        for member, key, kind in _PRINCIPALS:
            for principal in props.get(member) or []:
                await self.attempt(
                    request, "iam", f"Delete{kind}Policy", **{key: str(principal)}, PolicyName=name
                )

    async def update(self, request: ResourceRequest) -> Created:
        await self._remove(request, request.previous)
        await self._put(request, request.properties)
        return Created(request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        await self._remove(request, request.properties)


class ManagedPolicy(Provider):
    types = ("AWS::IAM::ManagedPolicy",)
    replacement = frozenset({"ManagedPolicyName", "Path", "Description"})

    async def create(self, request: ResourceRequest) -> Created:
        props = request.properties
        params: dict[str, Any] = {
            "PolicyName": str(
                props.get("ManagedPolicyName") or physical_name(request, max_length=128)
            ),
            "PolicyDocument": as_json(props.get("PolicyDocument", {})),
            "Path": str(props.get("Path", "/")),
        }
        if "Description" in props:
            params["Description"] = str(props["Description"])
        policy = (await self.call(request, "iam", "CreatePolicy", **params))["Policy"]
        arn = policy["Arn"]
        await self._attach(request, arn, {}, props)
        return Created(arn, {"PolicyArn": arn, "PolicyId": policy["PolicyId"]})

    async def _attach(self, request: ResourceRequest, arn: str, previous: Any, props: Any) -> None:
        for member, key, kind in _PRINCIPALS:
            old, new = set(previous.get(member) or []), set(props.get(member) or [])
            for principal in sorted(old - new):
                await self.attempt(
                    request, "iam", f"Detach{kind}Policy", **{key: principal}, PolicyArn=arn
                )
            for principal in sorted(new - old):
                await self.call(
                    request, "iam", f"Attach{kind}Policy", **{key: principal}, PolicyArn=arn
                )

    async def update(self, request: ResourceRequest) -> Created:
        arn, props = request.physical_id, request.properties
        if props.get("PolicyDocument") != request.previous.get("PolicyDocument"):
            versions = await self.call(request, "iam", "ListPolicyVersions", PolicyArn=arn)
            old = [
                v["VersionId"]
                for v in versions.get("Versions", [])
                if not v.get("IsDefaultVersion")
            ]
            if len(old) >= 4:
                await self.attempt(
                    request, "iam", "DeletePolicyVersion", PolicyArn=arn, VersionId=old[-1]
                )
            await self.call(
                request,
                "iam",
                "CreatePolicyVersion",
                PolicyArn=arn,
                PolicyDocument=as_json(props.get("PolicyDocument", {})),
                SetAsDefault=True,
            )
        await self._attach(request, arn, request.previous, props)
        return Created(arn, dict(request.attributes))

    async def delete(self, request: ResourceRequest) -> None:
        arn = request.physical_id
        await self._attach(request, arn, request.properties, {})
        versions = await self.attempt(request, "iam", "ListPolicyVersions", PolicyArn=arn)
        for version in (versions or {}).get("Versions", []):
            if not version.get("IsDefaultVersion"):
                await self.attempt(
                    request,
                    "iam",
                    "DeletePolicyVersion",
                    PolicyArn=arn,
                    VersionId=version["VersionId"],
                )
        await self.attempt(request, "iam", "DeletePolicy", PolicyArn=arn)


class InstanceProfile(Provider):
    types = ("AWS::IAM::InstanceProfile",)
    replacement = frozenset({"InstanceProfileName", "Path"})

    async def create(self, request: ResourceRequest) -> Created:
        props = request.properties
        name = str(props.get("InstanceProfileName") or physical_name(request, max_length=128))
        profile = (
            await self.call(
                request,
                "iam",
                "CreateInstanceProfile",
                InstanceProfileName=name,
                Path=str(props.get("Path", "/")),
            )
        )["InstanceProfile"]
        for role in props.get("Roles") or []:
            await self.call(
                request,
                "iam",
                "AddRoleToInstanceProfile",
                InstanceProfileName=name,
                RoleName=str(role),
            )
        return Created(name, {"Arn": profile["Arn"]})

    async def update(self, request: ResourceRequest) -> Created:
        name = request.physical_id
        old, new = (
            set(request.previous.get("Roles") or []),
            set(request.properties.get("Roles") or []),
        )
        for role in sorted(old - new):
            await self.attempt(
                request,
                "iam",
                "RemoveRoleFromInstanceProfile",
                InstanceProfileName=name,
                RoleName=role,
            )
        for role in sorted(new - old):
            await self.call(
                request, "iam", "AddRoleToInstanceProfile", InstanceProfileName=name, RoleName=role
            )
        return Created(name, dict(request.attributes))

    async def delete(self, request: ResourceRequest) -> None:
        name = request.physical_id
        for role in request.properties.get("Roles") or []:
            await self.attempt(
                request,
                "iam",
                "RemoveRoleFromInstanceProfile",
                InstanceProfileName=name,
                RoleName=str(role),
            )
        await self.attempt(request, "iam", "DeleteInstanceProfile", InstanceProfileName=name)


IAM = (Role, Policy, ManagedPolicy, InstanceProfile)
