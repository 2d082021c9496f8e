"""Application integration resources: ``AWS::Events::Rule`` (with its targets) and
``AWS::StepFunctions::StateMachine``."""

from __future__ import annotations

import json
from typing import Any

from lambdaport.services.cloudformation.providers.base import (
    Created,
    Provider,
    ResourceRequest,
    as_json,
    physical_name,
    tag_list,
)


class Rule(Provider):
    types = ("AWS::Events::Rule",)
    replacement = frozenset({"Name", "EventBusName"})

    async def create(self, request: ResourceRequest) -> Created:
        props = request.properties
        name = str(props.get("Name") or physical_name(request, max_length=64))
        return await self._put(request, name, {})

    async def _put(self, request: ResourceRequest, name: str, previous: Any) -> Created:
        props = request.properties
        params: dict[str, Any] = {"Name": name}
        for key in ("ScheduleExpression", "State", "Description", "RoleArn", "EventBusName"):
            if key in props:
                params[key] = str(props[key])
        if "EventPattern" in props:
            params["EventPattern"] = as_json(props["EventPattern"])
        if props.get("Tags"):
            params["Tags"] = tag_list(props["Tags"])
        arn = (await self.call(request, "events", "PutRule", **params))["RuleArn"]
        bus = {"EventBusName": str(props["EventBusName"])} if "EventBusName" in props else {}
        old_ids = {str(t["Id"]) for t in previous.get("Targets") or []}
        new_targets = [_target(t) for t in props.get("Targets") or []]
        gone = sorted(old_ids - {t["Id"] for t in new_targets})
        if gone:
            await self.attempt(request, "events", "RemoveTargets", Rule=name, Ids=gone, **bus)
        if new_targets:
            await self.call(request, "events", "PutTargets", Rule=name, Targets=new_targets, **bus)
        physical = (
            name
            if "EventBusName" not in props or props["EventBusName"] == "default"
            else f"{props['EventBusName']}|{name}"
        )
        return Created(physical, {"Arn": arn})

    async def update(self, request: ResourceRequest) -> Created:
        return await self._put(request, request.physical_id.split("|")[-1], request.previous)

    async def delete(self, request: ResourceRequest) -> None:
        name = request.physical_id.split("|")[-1]
        bus = (
            {"EventBusName": str(request.properties["EventBusName"])}
            if "EventBusName" in request.properties
            else {}
        )
        ids = [str(t["Id"]) for t in request.properties.get("Targets") or []]
        if ids:
            await self.attempt(
                request, "events", "RemoveTargets", Rule=name, Ids=ids, Force=True, **bus
            )
        await self.attempt(request, "events", "DeleteRule", Name=name, Force=True, **bus)


def _target(target: Any) -> dict[str, Any]:
    result = {
        k: v
        for k, v in target.items()
        if k
        in (
            "Id",
            "Arn",
            "RoleArn",
            "Input",
            "InputPath",
            "InputTransformer",
            "RetryPolicy",
            "DeadLetterConfig",
            "SqsParameters",
            "KinesisParameters",
        )
    }
    if isinstance(result.get("InputTransformer"), dict):
        transformer = dict(result["InputTransformer"])
        if isinstance(transformer.get("InputPathsMap"), dict):
            transformer["InputPathsMap"] = {
                str(k): str(v) for k, v in transformer["InputPathsMap"].items()
            }
        result["InputTransformer"] = transformer
    if "RetryPolicy" in result:
        result["RetryPolicy"] = {k: int(v) for k, v in result["RetryPolicy"].items()}
    return result


class StateMachine(Provider):
    types = ("AWS::StepFunctions::StateMachine",)
    replacement = frozenset({"StateMachineName", "StateMachineType"})

    def _definition(self, props: Any) -> str:
        if "DefinitionString" in props:
            definition = str(props["DefinitionString"])
        else:
            definition = json.dumps(props.get("Definition", {}))
        for key, value in (props.get("DefinitionSubstitutions") or {}).items():
            definition = definition.replace("${" + str(key) + "}", str(value))
        return definition

    async def create(self, request: ResourceRequest) -> Created:
        props = request.properties
        name = str(props.get("StateMachineName") or physical_name(request, max_length=80))
        params: dict[str, Any] = {
            "name": name,
            "definition": self._definition(props),
            "roleArn": str(props.get("RoleArn", "")),
        }
        if "StateMachineType" in props:
            params["type"] = str(props["StateMachineType"])
        if props.get("Tags"):
            params["tags"] = [
                {"key": t["Key"], "value": t["Value"]} for t in tag_list(props["Tags"])
            ]
        arn = (await self.call(request, "stepfunctions", "CreateStateMachine", **params))[
            "stateMachineArn"
        ]
        return Created(arn, {"Arn": arn, "Name": name})

    async def update(self, request: ResourceRequest) -> Created:
        props = request.properties
        await self.call(
            request,
            "stepfunctions",
            "UpdateStateMachine",
            stateMachineArn=request.physical_id,
            definition=self._definition(props),
            roleArn=str(props.get("RoleArn", "")),
        )
        return Created(
            request.physical_id,
            {"Arn": request.physical_id, "Name": request.physical_id.rsplit(":", 1)[-1]},
        )

    async def delete(self, request: ResourceRequest) -> None:
        await self.attempt(
            request, "stepfunctions", "DeleteStateMachine", stateMachineArn=request.physical_id
        )


INTEGRATION = (Rule, StateMachine)
