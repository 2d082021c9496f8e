"""Marker/MaxItems pagination as the Lambda API does it (opaque markers)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from lambdaport.errors import invalid_parameter

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Paging:
    """A list operation's Marker and MaxItems."""

    marker: str | None = None
    max_items: int | None = None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    next_marker: str | None = None


def paginate(items: Sequence[T], paging: Paging, default: int = 50) -> Page[T]:
    start = 0
    marker = paging.marker
    if marker:
        try:
            start = int(base64.urlsafe_b64decode(marker.encode()).decode())
        except (ValueError, UnicodeDecodeError):
            raise invalid_parameter("Invalid marker") from None
    size = paging.max_items or default
    page = tuple(items[start : start + size])
    end = start + size
    next_marker = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return Page(page, next_marker)
