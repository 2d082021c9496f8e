"""Fixtures for the CloudFormation tests: clients on the session's server, and ``deploy``,
which creates a stack from a template (a dict, or YAML/JSON text), waits with boto3's own
waiter and deletes what is left after the test."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError, WaiterError

from lambdaport.testing.server import Server
from tests.helpers import client_options

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cloudformation.type_defs import StackTypeDef

Deploy = Callable[..., "StackTypeDef"]
WAIT: Any = {"Delay": 0.2, "MaxAttempts": 600}  # polls every 0.2 s, for at most 120 s


def cfn_client(endpoint: str) -> CloudFormationClient:
    return boto3.Session().client("cloudformation", **client_options(endpoint))


@pytest.fixture(scope="session")
def cfn(server: Server) -> CloudFormationClient:
    return cfn_client(server.endpoint)


@pytest.fixture(scope="session")
def aws_client(server: Server) -> Callable[[str], Any]:
    def make(service: str) -> Any:
        return boto3.Session().client(service, **client_options(server.endpoint))  # type: ignore[call-overload]

    return make


def body_of(template: dict[str, Any] | str) -> str:
    return template if isinstance(template, str) else json.dumps(template)


def stack_name() -> str:
    return f"stack-{uuid.uuid4().hex[:10]}"


def events_of(cfn: CloudFormationClient, stack: str) -> list[tuple[str, str, str]]:
    """(logical id, status, reason) of every event, oldest first."""
    events = cfn.describe_stack_events(StackName=stack)["StackEvents"]
    return [
        (e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason", ""))
        for e in reversed(events)
    ]


def wait(cfn: CloudFormationClient, waiter: str, stack: str) -> None:
    try:
        cfn.get_waiter(waiter).wait(StackName=stack, WaiterConfig=WAIT)  # type: ignore[call-overload]
    except WaiterError as error:
        raise AssertionError(f"{waiter} failed: {error}; events: {events_of(cfn, stack)}") from None


def settled(cfn: CloudFormationClient, stack: str, timeout: float = 120) -> str:
    """The stack's status once its operation ended (no waiter of boto3's ends at every
    status: ``stack_rollback_complete`` waits for an update's rollback)."""
    from tests.helpers import wait_for

    def status() -> str | None:
        value = cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
        return None if value.endswith("_IN_PROGRESS") else value

    return wait_for(status, timeout, f"stack {stack} to settle")


@pytest.fixture
def deploy(cfn: CloudFormationClient) -> Iterator[Deploy]:
    created: list[str] = []

    def make(
        template: dict[str, Any] | str,
        *,
        name: str | None = None,
        expect: str = "stack_create_complete",
        **extra: Any,
    ) -> StackTypeDef:
        name = name or stack_name()
        cfn.create_stack(StackName=name, TemplateBody=body_of(template), **extra)
        created.append(name)
        if expect.isupper():
            assert settled(cfn, name) == expect, events_of(cfn, name)
        elif expect:
            wait(cfn, expect, name)
        return cfn.describe_stacks(StackName=name)["Stacks"][0]

    yield make
    for name in reversed(created):  # importers before exporters
        with contextlib.suppress(ClientError):
            cfn.delete_stack(StackName=name)
        with contextlib.suppress(ClientError, WaiterError):
            cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=WAIT)
    for name in ():
        with contextlib.suppress(ClientError, WaiterError):
            cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=WAIT)


def outputs(stack: StackTypeDef) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
