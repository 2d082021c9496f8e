"""Control-plane documents: every function, version, alias, policy, event invoke config and
Logs subscription filter, as a JSON-able body keyed by its kind and up to four key parts.

A kind's **revision** counts the changes to that kind's documents; a node-local cache of
documents (``lambda_.registry.FunctionRegistry``) records the revision it has seen, so a
cache on another node can tell, by asking :meth:`Documents.revision`, that it must reload.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

Key = tuple[str, ...]  # up to four parts; a shorter key is a prefix


@dataclass(frozen=True, slots=True)
class Put:
    kind: str
    key: Key
    body: Any


@dataclass(frozen=True, slots=True)
class Delete:
    """Delete the document at ``key``, or, with ``prefix``, every document below it."""

    kind: str
    key: Key
    prefix: bool = False


Change = Put | Delete


class Documents(Protocol):
    async def get(self, kind: str, key: Key) -> Any | None: ...

    async def scan(self, kind: str, prefix: Key = ()) -> list[tuple[Key, Any]]:
        """Every document of the kind below ``prefix``, ordered by key (four parts each)."""
        ...

    async def write(self, changes: Sequence[Change]) -> dict[str, int]:
        """Apply the changes atomically; the new revision of every kind they touched."""
        ...

    async def revision(self, kind: str) -> int: ...
