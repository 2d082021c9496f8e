"""The interface every AWS wire protocol implements.

A protocol knows how bytes on the wire map to an operation name and a parameter dict and
back, driven by botocore's service model. It knows nothing about what operations mean.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from lambdaport.errors import AwsError

T = TypeVar("T")
# Plans are compiled under one lock: the compilers' caches (shared by a protocol's plans)
# are not thread-safe, and compiling happens once per operation.
_COMPILING = threading.RLock()


class Plans(Generic[T]):
    """Each operation's plan (decoders, validator, encoders), built on first use: a model
    has up to hundreds of operations, and a service is mostly called with a few of them."""

    def __init__(self, names: Iterable[str], build: Callable[[str], T]) -> None:
        self._names = tuple(names)
        self._known = frozenset(self._names)
        self._build = build
        self._built: dict[str, T] = {}

    def names(self) -> list[str]:
        return list(self._names)

    def get(self, name: str) -> T | None:
        plan = self._built.get(name)
        if plan is None and name in self._known:
            with _COMPILING:
                plan = self._built.get(name)
                if plan is None:
                    plan = self._built[name] = self._build(name)
        return plan

    def __getitem__(self, name: str) -> T:
        plan = self.get(name)
        if plan is None:
            raise KeyError(name)
        return plan


class UnknownOperationError(AwsError):
    """The request names no operation of the service (an unknown ``X-Amz-Target`` or
    ``Action``, a path no route matches): each protocol raises it with its own code."""


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    path: str  # raw, still percent-encoded, without the query string
    query: str  # raw query string, without "?"
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    host: str = ""


@dataclass(slots=True)
class HttpResponse:
    """A response; with ``stream``, its body is what the iterator yields as it yields it
    (an event stream), sent without a Content-Length, and ``body`` is empty."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    stream: AsyncIterator[bytes] | None = None


class ServiceProtocol(Protocol):
    """Parses requests for one service and serialises its results and errors."""

    service_name: str

    def parse(self, request: HttpRequest, validate: bool = True) -> tuple[str, dict[str, Any]]:
        """Return (operation name, parameters) or raise AwsError (unknown operation,
        malformed body, parameters that break the model's constraints)."""
        ...

    def serialize(
        self, operation: str, result: Mapping[str, Any], request_id: str = ""
    ) -> HttpResponse:
        """Serialise an operation's output dict (keys as in the model's output shape).
        Protocols that carry the request id in the body (query, rest-xml) use
        ``request_id``; the gateway adds the ``x-amzn-RequestId`` header for all."""
        ...

    def serialize_error(
        self, operation: str | None, error: AwsError, request_id: str = ""
    ) -> HttpResponse:
        """Serialise an error in this protocol's error format."""
        ...
