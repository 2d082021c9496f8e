"""Nested stacks (``AWS::CloudFormation::Stack``): the child is a stack of its own, made
through the CloudFormation API as any client makes one (``TemplateURL``, ``Parameters``), and
waited for; its outputs are the parent's ``Fn::GetAtt Child.Outputs.Name``."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from lambdaport.services.cloudformation.providers.base import (
    Created,
    Provider,
    ProviderFailed,
    ResourceRequest,
    physical_name,
    tag_list,
)

# A child may hold whatever its parent may: the parent's capabilities were checked.
_CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
_DEADLINE_S = 3600.0


def _parameters(props: Any) -> list[dict[str, str]]:
    given = props.get("Parameters") or {}
    return [
        {
            "ParameterKey": str(k),
            "ParameterValue": ",".join(map(str, v)) if isinstance(v, list) else str(v),
        }
        for k, v in given.items()
    ]


class NestedStack(Provider):
    types = ("AWS::CloudFormation::Stack",)

    async def create(self, request: ResourceRequest) -> Created:
        props = request.properties
        params: dict[str, Any] = {
            "StackName": physical_name(request, max_length=128),
            "TemplateURL": str(props["TemplateURL"]),
            "Parameters": _parameters(props),
            "Capabilities": _CAPABILITIES,
        }
        if props.get("Tags"):
            params["Tags"] = tag_list(props["Tags"])
        if props.get("NotificationARNs"):
            params["NotificationARNs"] = list(props["NotificationARNs"])
        if props.get("TimeoutInMinutes"):
            params["TimeoutInMinutes"] = int(props["TimeoutInMinutes"])
        stack_id = (await self.call(request, "cloudformation", "CreateStack", **params))["StackId"]
        stack = await self._settled(request, stack_id)
        if stack["StackStatus"] != "CREATE_COMPLETE":
            raise _embedded(stack_id, "created", stack)
        return self._created(stack)

    def _created(self, stack: dict[str, Any]) -> Created:
        attributes = {
            f"Outputs.{o['OutputKey']}": o["OutputValue"] for o in stack.get("Outputs", [])
        }
        return Created(stack["StackId"], attributes)

    async def _settled(self, request: ResourceRequest, stack_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + _DEADLINE_S
        while True:
            stacks = (
                await self.call(request, "cloudformation", "DescribeStacks", StackName=stack_id)
            )["Stacks"]
            stack = dict(stacks[0])
            if not str(stack["StackStatus"]).endswith("_IN_PROGRESS"):
                return stack
            if time.monotonic() > deadline:
                raise ProviderFailed(f"Embedded stack {stack_id} did not finish in time")
            await asyncio.sleep(0.1)

    async def update(self, request: ResourceRequest) -> Created:
        props = request.properties
        try:
            await self.call(
                request,
                "cloudformation",
                "UpdateStack",
                StackName=request.physical_id,
                TemplateURL=str(props["TemplateURL"]),
                Parameters=_parameters(props),
                Capabilities=_CAPABILITIES,
            )
        except Exception as error:
            if "No updates are to be performed" not in str(error):
                raise
        stack = await self._settled(request, request.physical_id)
        if stack["StackStatus"] not in ("UPDATE_COMPLETE", "CREATE_COMPLETE"):
            raise _embedded(request.physical_id, "updated", stack)
        return self._created(stack)

    async def delete(self, request: ResourceRequest) -> None:
        await self.call(request, "cloudformation", "DeleteStack", StackName=request.physical_id)
        stack = await self._settled(request, request.physical_id)
        if stack["StackStatus"] != "DELETE_COMPLETE":
            raise _embedded(request.physical_id, "deleted", stack)


def _embedded(stack_id: str, done: str, stack: dict[str, Any]) -> ProviderFailed:
    reason = stack.get("StackStatusReason") or stack["StackStatus"]
    return ProviderFailed(f"Embedded stack {stack_id} was not successfully {done}: {reason}")


NESTED = (NestedStack,)
