"""Partial batch responses (``FunctionResponseTypes: ["ReportBatchItemFailures"]``,
https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html): which records
of a batch the function says failed.

A batch succeeded whole when the response is empty or null, or ``batchItemFailures`` is
empty or null; it failed whole when the response is not JSON, or an item's
``itemIdentifier`` is missing, null, empty or not in the batch.
"""

from __future__ import annotations

from collections.abc import Collection

import orjson


def failed_items(payload: bytes, identifiers: Collection[str]) -> frozenset[str]:
    """The identifiers to retry: those named, or all of them for a malformed response."""
    everything = frozenset(identifiers)
    if not payload.strip():
        return frozenset()
    try:
        response = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return everything
    if not isinstance(response, dict):
        return frozenset()
    failures = response.get("batchItemFailures")
    if failures is None:
        return frozenset()
    if not isinstance(failures, list):
        return everything
    named: set[str] = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or not identifier or identifier not in everything:
            return everything
        named.add(identifier)
    return frozenset(named)
