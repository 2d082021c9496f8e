"""What a resource provider is: create, update and delete one resource type by calling the
owning service's API (``calls.ServiceCalls``), as CloudFormation's resource handlers do.

A provider answers a :class:`Created` (the physical id, ``Ref``'s value and the attributes
``Fn::GetAtt`` reads, named as AWS names them); a change to one of its ``replacement``
properties makes the engine create a new resource and delete the old one instead of calling
``update``. A refusal of the service is raised as botocore's ``ClientError`` (or an
``AwsError``) and fails the resource with the service's message.
"""

from __future__ import annotations

import json
import random
import string
import uuid
from collections.abc import Awaitable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from botocore.exceptions import ClientError, ParamValidationError

from lambdaport.errors import AwsError
from lambdaport.services.cloudformation.calls import ServiceCalls


@dataclass(frozen=True, slots=True)
class StackContext:
    stack_id: str
    stack_name: str
    account: str
    region: str


@dataclass(frozen=True, slots=True)
class ResourceRequest:
    stack: StackContext
    logical_id: str
    resource_type: str
    properties: Mapping[str, Any]
    physical_id: str = ""  # Update and Delete
    previous: Mapping[str, Any] = field(default_factory=dict)  # Update: the old properties
    attributes: Mapping[str, Any] = field(default_factory=dict)  # Update/Delete: the old ones
    request_type: str = "Create"


@dataclass(frozen=True, slots=True)
class Created:
    physical_id: str
    attributes: Mapping[str, Any] = field(default_factory=dict)
    ref: str | None = None  # None: the physical id

    @property
    def ref_value(self) -> str:
        return self.physical_id if self.ref is None else self.ref


class ProviderFailed(Exception):
    """A provider's own refusal (not the service's), with CloudFormation's reason.
    ``physical_id``: what exists already of the resource (the rollback deletes it)."""

    def __init__(self, reason: str, physical_id: str = "") -> None:
        super().__init__(reason)
        self.physical_id = physical_id


def failure_reason(error: BaseException) -> str:
    """A resource's failure in CloudFormation's words."""
    if isinstance(error, ClientError):
        detail = error.response.get("Error", {})
        code = detail.get("Code", "")
        message = detail.get("Message", "") or str(error)
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "")
        return (
            f'Resource handler returned message: "{message}" (Service: '
            f"{error.operation_name}, Status Code: {status}, Error Code: {code}, "
            f"RequestToken: {uuid.uuid4()})"
        )
    if isinstance(error, ParamValidationError):
        report = error.kwargs.get("report", error)
        return f"Properties validation failed for resource with message: {report}"
    if isinstance(error, AwsError):
        return error.message
    if isinstance(error, ProviderFailed):
        return str(error)
    return f"Internal failure: {error}"


class Provider:
    """Base class: ``calls`` to the services; subclasses override what they do."""

    types: ClassVar[tuple[str, ...]] = ()
    replacement: ClassVar[frozenset[str]] = frozenset()
    # Update always replaces (the resource type has no update).
    immutable: ClassVar[bool] = False

    def __init__(self, calls: ServiceCalls) -> None:
        self.calls = calls

    async def call(
        self, request: ResourceRequest, service: str, operation: str, **params: Any
    ) -> dict[str, Any]:
        return await self.calls.call(
            service, operation, request.stack.account, request.stack.region, **params
        )

    async def attempt(
        self, request: ResourceRequest, service: str, operation: str, **params: Any
    ) -> dict[str, Any] | None:
        return await self.calls.attempt(
            service, operation, request.stack.account, request.stack.region, **params
        )

    def replaces(self, previous: Mapping[str, Any], properties: Mapping[str, Any]) -> bool:
        if self.immutable:
            return True
        return any(previous.get(name) != properties.get(name) for name in self.replacement)

    async def create(self, request: ResourceRequest) -> Created:
        raise NotImplementedError

    async def configured(self, physical_id: str, work: Awaitable[object]) -> None:
        """The steps after the resource exists: a failure says what exists (its id), so the
        rollback deletes it."""
        try:
            await work
        except ProviderFailed:
            raise
        except Exception as error:
            raise ProviderFailed(failure_reason(error), physical_id) from error

    async def update(self, request: ResourceRequest) -> Created:
        """Default: the resource is replaced (the engine never calls this for those)."""
        raise NotImplementedError

    async def delete(self, request: ResourceRequest) -> None:
        raise NotImplementedError


# -- helpers --------------------------------------------------------------------------------


def physical_name(
    request: ResourceRequest, *, max_length: int = 255, lower: bool = False, suffix: str = ""
) -> str:
    """The name CloudFormation generates: ``stack-Logical-RANDOM`` within the limit."""
    alphabet = string.ascii_uppercase + string.digits
    unique = "".join(random.choice(alphabet) for _ in range(12))
    room = max_length - len(unique) - len(suffix) - 2
    stack = request.stack.stack_name
    logical = request.logical_id
    if len(stack) + len(logical) + 1 > room:
        half = max(room // 2, 1)
        stack = stack[:half]
        logical = logical[: max(room - len(stack) - 1, 1)]
    name = f"{stack}-{logical}-{unique}{suffix}"
    return name.lower() if lower else name


def as_json(value: Any) -> str:
    """A policy or document property: JSON text as given, or an object encoded."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return as_json(value)
    return str(value)


def tag_list(tags: Any, key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    if isinstance(tags, dict):
        return [{key: str(k), value: str(v)} for k, v in tags.items()]
    if isinstance(tags, list):
        return [
            {key: str(t.get("Key")), value: str(t.get("Value", ""))}
            for t in tags
            if isinstance(t, dict)
        ]
    return []


def tag_map(tags: Any) -> dict[str, str]:
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    return {item["Key"]: item["Value"] for item in tag_list(tags)}


def members_of(
    calls: ServiceCalls,
    service: str,
    operation: str,
    request: ResourceRequest,
    properties: Mapping[str, Any],
    *,
    skip: Iterable[str] = (),
) -> dict[str, Any]:
    """The properties that are members of the operation's input (most CloudFormation
    properties are named as the API names them)."""
    shape = calls.model(service).operation_model(operation).input_shape
    members = shape.members if shape is not None else {}
    skipped = set(skip)
    return {
        name: coerce(members[name], value)
        for name, value in properties.items()
        if name in members and name not in skipped
    }


def coerce(shape: Any, value: Any) -> Any:
    """A template value in the type the API's shape wants (templates give numbers and
    booleans as strings, e.g. from parameters)."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {
            name: coerce(shape.members[name], member) if name in shape.members else member
            for name, member in value.items()
        }
    if kind == "list" and isinstance(value, list):
        return [coerce(shape.member, item) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: coerce(shape.value, item) for key, item in value.items()}
    if kind in ("integer", "long") and isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    if kind in ("double", "float") and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    if kind == "boolean" and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if kind == "string" and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if kind == "string" and isinstance(value, dict | list):
        return as_json(value)
    return value


def integers(params: dict[str, Any], *names: str) -> dict[str, Any]:
    for name in names:
        if name in params and isinstance(params[name], str):
            params[name] = int(params[name])
    return params


def booleans(params: dict[str, Any], *names: str) -> dict[str, Any]:
    for name in names:
        if name in params and isinstance(params[name], str):
            params[name] = params[name].lower() == "true"
    return params
