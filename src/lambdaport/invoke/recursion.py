"""Recursive loop detection (https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html).

Every invocation's X-Ray trace header carries a ``Lineage`` field: for each function the
request chain has passed through, a short hash of the function and how many times it ran in
this chain (``Lineage=1:8bc5a3d1:3``, entries joined by ``|``, as AWS writes it). The function
gets the header (``_X_AMZN_TRACE_ID``; the SDK sends it as ``X-Amzn-Trace-Id`` with every call
it makes), and the services it calls carry it on to the invocations they cause: SQS as the
message's ``AWSTraceHeader``, SNS with its deliveries, S3 with its notifications, Lambda with
``Invoke`` and the async queue. An invocation of a function that ran ``MAX_INVOCATIONS``
times in its chain already is a recursive loop: with the function's ``RecursiveLoop`` set to
``Terminate`` (the default) it is stopped, a synchronous call answered
``RecursiveInvocationException`` and an asynchronous event dropped to the failure
destination or dead-letter queue.
"""

from __future__ import annotations

import zlib
from functools import lru_cache
from urllib.parse import unquote

from lambdaport.errors import AwsError

MAX_INVOCATIONS = 16  # AWS: "after approximately 16 invocations"
_VERSION = "1"


def recursive_invocation() -> AwsError:
    return AwsError(
        "RecursiveInvocationException",
        "Lambda has detected your function being invoked in a recursive loop with other AWS "
        "resources and stopped your function's invocation.",
        400,
        fields={"Type": "User"},
    )


@lru_cache(maxsize=4096)
def function_hash(function_arn: str) -> str:
    """The function's 8 hex digits in a Lineage (AWS's own hash is not published)."""
    return f"{zlib.crc32(function_arn.encode()):08x}"


def _lineage(value: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in value.split("|"):
        parts = entry.split(":")
        if len(parts) == 3:  # version:hash:count
            parts = parts[1:]
        if len(parts) == 2 and parts[1].isdigit():
            counts[parts[0]] = int(parts[1])
    return counts


def carried(trace_header: str, function_arn: str) -> tuple[str, int]:
    """The header the invocation of ``function_arn`` runs with, its Lineage counting this
    invocation, and how many times the function ran in the chain before (0: never).
    ``trace_header`` as it arrived (the SDK percent-encodes some characters)."""
    fields: list[tuple[str, str]] = []
    counts: dict[str, int] = {}
    for part in unquote(trace_header).split(";"):
        name, _, value = part.strip().partition("=")
        if not name:
            continue
        if name == "Lineage":
            counts = _lineage(value)
        else:
            fields.append((name, value))
    key = function_hash(function_arn)
    before = counts[key] + 1 if key in counts else 0
    counts[key] = before
    entries = [f"{hash_}:{count}" for hash_, count in counts.items()]
    lineage = f"{_VERSION}:" + "|".join(entries)
    header = ";".join(f"{name}={value}" for name, value in fields)
    return f"{header};Lineage={lineage}", before


def is_recursive(invocations_before: int) -> bool:
    return invocations_before >= MAX_INVOCATIONS
