"""CloudFormation's records: stacks, their resources, events and change sets, in AWS's words,
each kept as one JSON document (``store.documents``)."""

from __future__ import annotations

import dataclasses
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Final

from lambdaport.errors import AwsError

STACK_KIND: Final = "cfn-stack"
EVENT_KIND: Final = "cfn-event"
CHANGE_SET_KIND: Final = "cfn-change-set"
EXPORT_KIND: Final = "cfn-export"

# Statuses a stack operation may start from, and the statuses it is "in progress" in.
IN_PROGRESS: Final = frozenset(
    {
        "CREATE_IN_PROGRESS",
        "ROLLBACK_IN_PROGRESS",
        "DELETE_IN_PROGRESS",
        "UPDATE_IN_PROGRESS",
        "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        "REVIEW_IN_PROGRESS",
        "IMPORT_IN_PROGRESS",
    }
)
UPDATABLE: Final = frozenset(
    {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE"}
)


def now() -> float:
    return time.time()


def stack_arn(account: str, region: str, name: str) -> str:
    return f"arn:aws:cloudformation:{region}:{account}:stack/{name}/{uuid.uuid4()}"


def change_set_arn(account: str, region: str, name: str) -> str:
    return f"arn:aws:cloudformation:{region}:{account}:changeSet/{name}/{uuid.uuid4()}"


def stack_name_of(stack_id: str) -> str:
    return stack_id.split(":stack/", 1)[-1].split("/", 1)[0]


def does_not_exist(name: str) -> AwsError:
    return AwsError("ValidationError", f"Stack with id {name} does not exist", 400)


@dataclass
class Parameter:
    key: str
    value: str
    resolved: str | None = None  # an SSM parameter type's value
    no_echo: bool = False


@dataclass
class Output:
    key: str
    value: str
    description: str | None = None
    export_name: str | None = None


@dataclass
class Resource:
    """A resource of the stack as provisioned (the last time it succeeded)."""

    logical_id: str
    type: str
    status: str
    physical_id: str = ""
    reason: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)  # as resolved and provisioned
    attributes: dict[str, Any] = field(default_factory=dict)  # Fn::GetAtt's
    ref: str = ""
    updated: float = field(default_factory=now)
    metadata: Any = None


@dataclass
class Stack:
    stack_id: str
    name: str
    account: str
    region: str
    status: str
    created: float
    template_body: str = ""
    template: dict[str, Any] = field(default_factory=dict)  # after transforms
    description: str | None = None
    parameters: list[Parameter] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=list)
    notification_arns: list[str] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)
    role_arn: str | None = None
    disable_rollback: bool = False
    timeout_minutes: int | None = None
    termination_protection: bool = False
    status_reason: str | None = None
    updated: float | None = None
    deleted: float | None = None
    outputs: list[Output] = field(default_factory=list)
    resources: dict[str, Resource] = field(default_factory=dict)
    change_set_id: str | None = None
    events: int = 0  # events written so far (their sequence numbers)

    def doc(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def of(cls, doc: dict[str, Any]) -> Stack:
        values = dict(doc)
        values["parameters"] = [Parameter(**p) for p in values.get("parameters", [])]
        values["outputs"] = [Output(**o) for o in values.get("outputs", [])]
        values["resources"] = {
            name: Resource(**r) for name, r in values.get("resources", {}).items()
        }
        return cls(**values)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.account, self.region, self.stack_id)


@dataclass
class Event:
    stack_id: str
    stack_name: str
    event_id: str
    logical_id: str
    physical_id: str
    resource_type: str
    status: str
    timestamp: float
    reason: str | None = None
    properties: str | None = None
    client_request_token: str | None = None


@dataclass
class Change:
    """A resource-level change of a change set (``ResourceChange``)."""

    action: str  # Add | Modify | Remove
    logical_id: str
    resource_type: str
    physical_id: str | None = None
    replacement: str | None = None  # True | False | Conditional (Modify only)
    scope: list[str] = field(default_factory=list)
    details: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ChangeSet:
    change_set_id: str
    name: str
    stack_id: str
    stack_name: str
    account: str
    region: str
    change_set_type: str  # CREATE | UPDATE
    status: str  # CREATE_PENDING | CREATE_IN_PROGRESS | CREATE_COMPLETE | FAILED | DELETE_*
    execution_status: str  # UNAVAILABLE | AVAILABLE | EXECUTE_IN_PROGRESS | EXECUTE_COMPLETE | ...
    created: float
    template_body: str
    template: dict[str, Any]
    parameters: list[Parameter] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=list)
    notification_arns: list[str] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)
    role_arn: str | None = None
    description: str | None = None
    status_reason: str | None = None
    changes: list[Change] = field(default_factory=list)

    def doc(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def of(cls, doc: dict[str, Any]) -> ChangeSet:
        values = dict(doc)
        values["parameters"] = [Parameter(**p) for p in values.get("parameters", [])]
        values["changes"] = [Change(**c) for c in values.get("changes", [])]
        return cls(**values)
