"""Checks the Lambda API makes beyond the model's constraints, with AWS's messages."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache

import orjson

from lambdaport.errors import AccessDenied, AwsError, invalid_parameter
from lambdaport.lambda_.wire import runtime_enum
from lambdaport.runtime.env_vars import RESERVED

# The runtimes lambdaport runs (java, dotnet and ruby are refused: no runtime of theirs yet).
SUPPORTED_RUNTIMES = (
    "nodejs18.x",
    "nodejs20.x",
    "nodejs22.x",
    "nodejs24.x",
    "python3.9",
    "python3.10",
    "python3.11",
    "python3.12",
    "python3.13",
    "python3.14",
    "provided.al2",
    "provided.al2023",
)
# Runtimes AWS no longer accepts for new or updated functions (the "Block function create"
# dates of AWS's runtime deprecation table: not part of botocore's model).
DEPRECATED_RUNTIMES = frozenset(
    {
        "nodejs",
        "nodejs4.3",
        "nodejs4.3-edge",
        "nodejs6.10",
        "nodejs8.10",
        "nodejs10.x",
        "nodejs12.x",
        "nodejs14.x",
        "java8",
        "python2.7",
        "python3.6",
        "python3.7",
        "python3.8",
        "dotnetcore1.0",
        "dotnetcore2.0",
        "dotnetcore2.1",
        "dotnetcore3.1",
        "go1.x",
        "ruby2.5",
        "ruby2.7",
        "provided",
    }
)
ENV_KEY = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]+$")
ENV_LIMIT = 4096
MIN_TIMEOUT, MAX_TIMEOUT = 1, 900
MIN_MEMORY, MAX_MEMORY = 128, 10240
MIN_EPHEMERAL_STORAGE, MAX_EPHEMERAL_STORAGE = 512, 10240  # MB of /tmp
MAX_FUNCTION_NAME = 64  # the model allows 140 characters: a name inside an ARN
MAX_TAGS = 50
MANDATORY = (
    "Runtime and Handler are mandatory parameters for functions created with deployment packages."
)


def _constraint(value: object, member: str, constraint: str) -> AwsError:
    return AwsError(
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
        f"constraint: {constraint}",
    )


def check_function_name(value: str, name: str) -> None:
    """CreateFunction's name (``value`` as given: a name or an ARN holding ``name``)."""
    if len(name) > MAX_FUNCTION_NAME:
        raise invalid_parameter(
            f"1 validation error detected: Value '{value}' at 'functionName' failed to satisfy "
            f"constraint: Member must have length less than or equal to {MAX_FUNCTION_NAME}"
        )


def check_role(role: str, account_id: str) -> str:
    """The execution role is passed to Lambda (``iam:PassRole``), which IAM allows only for
    roles of the account the function is created in; the model checked the ARN's form."""
    if role.split(":")[4] != account_id:
        raise AccessDenied(
            "AccessDeniedException",
            f"User: arn:aws:iam::{account_id}:root is not authorized to perform: iam:PassRole "
            f"on resource: {role}: a function's execution role must be a role of its own "
            f"account ({account_id})",
            403,
            fields={"Type": "User"},
        )
    return role


def check_tag_count(count: int) -> None:
    if count > MAX_TAGS:
        raise invalid_parameter("Number of tags exceeds resource tag limit.")


@cache
def _runtime_set() -> str:
    """AWS's answer lists the runtimes it accepts: botocore's enum less the deprecated."""
    return "[" + ", ".join(r for r in runtime_enum() if r not in DEPRECATED_RUNTIMES) + "]"


def check_compatible_runtimes(runtimes: Sequence[str], member: str) -> None:
    """A layer's CompatibleRuntimes (or a list's CompatibleRuntime filter, ``member``
    ``compatibleRuntime``): each one of botocore's runtime identifiers, deprecated ones too."""
    known = runtime_enum()
    if all(runtime in known for runtime in runtimes):
        return
    shown = runtimes[0] if member == "compatibleRuntime" else f"[{', '.join(runtimes)}]"
    raise _constraint(shown, member, f"Member must satisfy enum value set: [{', '.join(known)}]")


def check_runtime(runtime: str | None) -> str:
    if runtime is None:
        raise invalid_parameter(MANDATORY)
    if runtime not in runtime_enum():
        raise invalid_parameter(
            f"Value {runtime} at 'runtime' failed to satisfy constraint: Member must satisfy "
            f"enum value set: {_runtime_set()} or be a valid ARN"
        )
    if runtime in DEPRECATED_RUNTIMES:
        raise invalid_parameter(
            f"The runtime parameter of {runtime} is no longer supported for creating or "
            "updating AWS Lambda functions. We recommend you use a supported runtime while "
            "creating or updating functions."
        )
    if runtime not in SUPPORTED_RUNTIMES:
        raise invalid_parameter(
            f"The runtime parameter of {runtime} is not supported by lambdaport. Supported "
            f"runtimes: {', '.join(SUPPORTED_RUNTIMES)}."
        )
    return runtime


def check_handler(handler: str | None, runtime: str) -> str:
    if handler is None:
        if runtime.startswith("provided"):
            return "bootstrap"
        raise invalid_parameter(MANDATORY)
    return handler


def check_timeout(timeout: int) -> int:
    if timeout < MIN_TIMEOUT:
        raise _constraint(timeout, "timeout", "Member must have value greater than or equal to 1")
    if timeout > MAX_TIMEOUT:
        raise _constraint(timeout, "timeout", "Member must have value less than or equal to 900")
    return timeout


def check_memory(memory: int) -> int:
    if memory < MIN_MEMORY:
        raise _constraint(
            memory, "memorySize", "Member must have value greater than or equal to 128"
        )
    if memory > MAX_MEMORY:
        raise _constraint(
            memory, "memorySize", "Member must have value less than or equal to 10240"
        )
    return memory


def check_ephemeral_storage(size: int | None) -> int | None:
    """EphemeralStorage.Size, in MB (None: not given)."""
    if size is None:
        return None
    if size < MIN_EPHEMERAL_STORAGE:
        raise _constraint(
            size, "ephemeralStorage.size", "Member must have value greater than or equal to 512"
        )
    if size > MAX_EPHEMERAL_STORAGE:
        raise _constraint(
            size, "ephemeralStorage.size", "Member must have value less than or equal to 10240"
        )
    return size


def check_environment(variables: Mapping[str, str] | None) -> dict[str, str]:
    """Environment.Variables as Lambda takes them: no reserved or invalid keys, 4 KB."""
    variables = dict(variables or {})
    reserved = sorted(k for k in variables if k in RESERVED)
    if reserved:
        raise invalid_parameter(
            "Lambda was unable to configure your environment variables because the environment "
            "variables you have provided contains reserved keys that are currently not "
            f"supported for modification. Reserved keys used in this request: {','.join(reserved)}"
        )
    invalid = sorted(k for k in variables if not ENV_KEY.match(k))
    if invalid:
        raise invalid_parameter(
            "Lambda was unable to configure your environment variables because the environment "
            "variables you have provided contains invalid keys. Invalid keys used in this "
            f"request: {','.join(invalid)}"
        )
    measured = orjson.dumps({k: str(v) for k, v in variables.items()})
    if len(measured) > ENV_LIMIT:
        raise invalid_parameter(
            "Lambda was unable to configure your environment variables because the environment "
            "variables you have provided exceeded the 4KB limit. String measured: "
            + measured.decode()
        )
    return {k: str(v) for k, v in variables.items()}
