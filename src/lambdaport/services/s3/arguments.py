"""S3's checks of the paging arguments of its listings (``max-keys``, ``max-buckets``...), with
the messages S3 gives: a value outside a 32-bit integer is "not an integer", a negative one is
out of range, and values above the page size are cut down to it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdaport.services.s3.errors import invalid_argument

INT32_MAX = 2**31 - 1
MAX_BUCKETS = 10_000


def page_size(
    params: Mapping[str, Any],
    member: str,
    wire: str,
    default: int,
    *,
    cap: int | None = None,
    negative: tuple[str, str] | None = None,
) -> int:
    """``params[member]`` (``default`` when absent), at most ``cap`` (the default when not
    given); ``negative`` is S3's (message, argument name) for a negative value where it
    differs from the usual one."""
    value = params.get(member)
    if value is None:
        return default
    number = int(value)
    if not -INT32_MAX - 1 <= number <= INT32_MAX:
        raise invalid_argument(
            f"Provided {wire} not an integer or within integer range", wire, str(value)
        )
    if number < 0:
        message, name = negative or (
            f"Argument {wire} must be an integer between 0 and {INT32_MAX}",
            wire,
        )
        raise invalid_argument(message, name, str(value))
    return min(number, default if cap is None else cap)


def max_buckets(params: Mapping[str, Any]) -> int:
    """ListBuckets' ``max-buckets``: 1 to 10,000 (10,000 when absent)."""
    value = params.get("MaxBuckets")
    if value is None:
        return MAX_BUCKETS
    if not 1 <= int(value) <= MAX_BUCKETS:
        raise invalid_argument(
            f"Argument max-buckets must be an integer between 1 and {MAX_BUCKETS}.",
            "max-buckets",
            str(value),
        )
    return int(value)
