"""Marker/MaxItems pagination as the Lambda API does it (opaque markers)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import TypeVar

from lambdaport.errors import invalid_parameter

T = TypeVar("T")


def paginate(
    items: Sequence[T], marker: str | None, max_items: int | None, default: int
) -> tuple[list[T], str | None]:
    start = 0
    if marker:
        try:
            start = int(base64.urlsafe_b64decode(marker.encode()).decode())
        except (ValueError, UnicodeDecodeError):
            raise invalid_parameter("Invalid marker") from None
    size = max_items or default
    page = list(items[start : start + size])
    end = start + size
    next_marker = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return page, next_marker
