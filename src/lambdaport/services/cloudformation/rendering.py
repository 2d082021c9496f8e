"""Stacks, resources, events and change sets in botocore's output shapes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from lambdaport.services.cloudformation.models import ChangeSet, Event, Parameter, Resource, Stack

_NOT_CHECKED = {"StackDriftStatus": "NOT_CHECKED"}
_RESOURCE_NOT_CHECKED = {"StackResourceDriftStatus": "NOT_CHECKED"}


def parameters(items: list[Parameter]) -> list[dict[str, Any]]:
    rendered = []
    for p in items:
        item: dict[str, Any] = {
            "ParameterKey": p.key,
            "ParameterValue": "****" if p.no_echo else p.value,
        }
        if p.resolved is not None:
            item["ResolvedValue"] = "****" if p.no_echo else p.resolved
        rendered.append(item)
    return rendered


def stack(s: Stack) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "StackId": s.stack_id,
        "StackName": s.name,
        "Parameters": parameters(s.parameters),
        "CreationTime": s.created,
        "StackStatus": s.status,
        "DisableRollback": s.disable_rollback,
        "NotificationARNs": s.notification_arns,
        "Capabilities": s.capabilities,
        "Outputs": [
            {
                "OutputKey": o.key,
                "OutputValue": o.value,
                **({"Description": o.description} if o.description is not None else {}),
                **({"ExportName": o.export_name} if o.export_name is not None else {}),
            }
            for o in s.outputs
        ],
        "Tags": s.tags,
        "EnableTerminationProtection": s.termination_protection,
        "RollbackConfiguration": {},
        "DriftInformation": _NOT_CHECKED,
    }
    if s.change_set_id:
        answer["ChangeSetId"] = s.change_set_id
    if s.description is not None:
        answer["Description"] = s.description
    if s.updated is not None:
        answer["LastUpdatedTime"] = s.updated
    if s.deleted is not None:
        answer["DeletionTime"] = s.deleted
    if s.status_reason:
        answer["StackStatusReason"] = s.status_reason
    if s.timeout_minutes is not None:
        answer["TimeoutInMinutes"] = s.timeout_minutes
    if s.role_arn:
        answer["RoleARN"] = s.role_arn
    return answer


def stack_summary(s: Stack) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "StackId": s.stack_id,
        "StackName": s.name,
        "CreationTime": s.created,
        "StackStatus": s.status,
        "DriftInformation": _NOT_CHECKED,
    }
    if s.description is not None:
        answer["TemplateDescription"] = s.description
    if s.updated is not None:
        answer["LastUpdatedTime"] = s.updated
    if s.deleted is not None:
        answer["DeletionTime"] = s.deleted
    if s.status_reason:
        answer["StackStatusReason"] = s.status_reason
    return answer


def event(e: Event) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "StackId": e.stack_id,
        "EventId": e.event_id,
        "StackName": e.stack_name,
        "LogicalResourceId": e.logical_id,
        "PhysicalResourceId": e.physical_id,
        "ResourceType": e.resource_type,
        "Timestamp": e.timestamp,
        "ResourceStatus": e.status,
    }
    if e.reason:
        answer["ResourceStatusReason"] = e.reason
    if e.properties is not None:
        answer["ResourceProperties"] = e.properties
    return answer


def _resource_base(r: Resource) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "LogicalResourceId": r.logical_id,
        "PhysicalResourceId": r.physical_id,
        "ResourceType": r.type,
        "ResourceStatus": r.status,
    }
    if r.reason:
        answer["ResourceStatusReason"] = r.reason
    return answer


def stack_resource(s: Stack, r: Resource) -> dict[str, Any]:
    return {
        "StackName": s.name,
        "StackId": s.stack_id,
        **_resource_base(r),
        "Timestamp": r.updated,
        "DriftInformation": _RESOURCE_NOT_CHECKED,
    }


def stack_resource_detail(s: Stack, r: Resource) -> dict[str, Any]:
    answer = {
        "StackName": s.name,
        "StackId": s.stack_id,
        **_resource_base(r),
        "LastUpdatedTimestamp": r.updated,
        "DriftInformation": _RESOURCE_NOT_CHECKED,
    }
    if r.metadata is not None:
        answer["Metadata"] = json.dumps(r.metadata)
    return answer


def resource_summary(r: Resource) -> dict[str, Any]:
    return {
        **_resource_base(r),
        "LastUpdatedTimestamp": r.updated,
        "DriftInformation": _RESOURCE_NOT_CHECKED,
    }


def template_parameters(template: Mapping[str, Any], *, summary: bool) -> list[dict[str, Any]]:
    rendered = []
    for key, declaration in (template.get("Parameters") or {}).items():
        item: dict[str, Any] = {
            "ParameterKey": key,
            "NoEcho": str(declaration.get("NoEcho", "false")).lower() == "true",
        }
        if "Default" in declaration:
            default = declaration["Default"]
            item["DefaultValue"] = (
                ",".join(map(str, default)) if isinstance(default, list) else str(default)
            )
        if "Description" in declaration:
            item["Description"] = str(declaration["Description"])
        if summary:
            item["ParameterType"] = str(declaration.get("Type"))
            constraints: dict[str, Any] = {}
            if "AllowedValues" in declaration:
                constraints["AllowedValues"] = [str(v) for v in declaration["AllowedValues"]]
            item["ParameterConstraints"] = constraints
        rendered.append(item)
    return rendered


def change_set(c: ChangeSet) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "ChangeSetName": c.name,
        "ChangeSetId": c.change_set_id,
        "StackId": c.stack_id,
        "StackName": c.stack_name,
        "Parameters": parameters(c.parameters),
        "CreationTime": c.created,
        "ExecutionStatus": c.execution_status,
        "Status": c.status,
        "NotificationARNs": c.notification_arns,
        "RollbackConfiguration": {},
        "Capabilities": c.capabilities,
        "Tags": c.tags,
        "IncludeNestedStacks": False,
        "Changes": [
            {
                "Type": "Resource",
                "ResourceChange": {
                    "Action": change.action,
                    "LogicalResourceId": change.logical_id,
                    "ResourceType": change.resource_type,
                    **({"PhysicalResourceId": change.physical_id} if change.physical_id else {}),
                    **({"Replacement": change.replacement} if change.replacement else {}),
                    "Scope": change.scope,
                    "Details": change.details,
                },
            }
            for change in c.changes
        ],
    }
    if c.description is not None:
        answer["Description"] = c.description
    if c.status_reason:
        answer["StatusReason"] = c.status_reason
    return answer


def change_set_summary(c: ChangeSet) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "StackId": c.stack_id,
        "StackName": c.stack_name,
        "ChangeSetId": c.change_set_id,
        "ChangeSetName": c.name,
        "ExecutionStatus": c.execution_status,
        "Status": c.status,
        "CreationTime": c.created,
        "IncludeNestedStacks": False,
    }
    if c.description is not None:
        answer["Description"] = c.description
    if c.status_reason:
        answer["StatusReason"] = c.status_reason
    return answer
