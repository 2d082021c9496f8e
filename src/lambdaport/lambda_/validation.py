"""Checks the Lambda API makes beyond the model's constraints, with AWS's messages."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

from lambdaport.errors import AwsError, invalid_parameter
from lambdaport.runtime.env_vars import RESERVED

SUPPORTED_RUNTIMES = (
    "python3.9",
    "python3.10",
    "python3.11",
    "python3.12",
    "python3.13",
    "python3.14",
    "provided.al2",
    "provided.al2023",
)
DEPRECATED_RUNTIMES = frozenset(
    {"python2.7", "python3.6", "python3.7", "python3.8", "provided", "go1.x"}
)
ENV_KEY = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]+$")
ENV_LIMIT = 4096
MIN_TIMEOUT, MAX_TIMEOUT = 1, 900
MIN_MEMORY, MAX_MEMORY = 128, 10240


def _constraint(value: object, member: str, constraint: str) -> AwsError:
    return AwsError(
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
        f"constraint: {constraint}",
    )


def check_runtime(runtime: str | None) -> str:
    if runtime is None:
        raise invalid_parameter("Runtime is required for .zip deployment packages.")
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
        raise invalid_parameter("Handler is required for .zip deployment packages.")
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


def check_environment(environment: Mapping[str, Any] | None) -> dict[str, str]:
    variables = dict((environment or {}).get("Variables") or {})
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
