"""Hooks around moto's operations: how lambdaport observes, refuses or answers a call moto
serves, and runs trigger work (a function) without holding moto's lock.

An :class:`OperationHook` is registered explicitly, in ``app.py``, for one (client,
operation) of botocore's models (:meth:`OperationHooks.register` checks both). For a call,
the tail (``tail.MotoTail``) runs each registered hook's four parts, all optional:

1. ``before(call, ctx)``: on the event loop, before the call is queued to moto's thread, no
   lock held, so it may invoke a function synchronously (``invoke.triggers.PushTriggers``)
   and that function may call the same moto service back. It raises an ``AwsError`` to
   refuse the call, returns an ``HttpResponse`` to answer it instead of moto, or returns
   None to let moto run it. Either of the first two means moto never sees the call. It may
   also return another ``MotoCall`` (``MotoCall.with_params``: the same operation with
   members left out that lambdaport serves itself, DynamoDB's ``StreamSpecification``) for
   moto to run — and journal — instead; the later hooks see that one.
2. ``prepare(call, ctx)``: on moto's thread under the lock, right before moto runs the call:
   a look at moto's backends as they are before it (a DynamoDB write's old images). It must
   be quick and change nothing; it returns the hook's capture for this call (a closure over
   what it saw). A hook has a ``prepare`` or a ``capture``, not both.
3. ``capture(call, result)``: on moto's thread right after moto ran the call, in the same
   hold of the lock: a look at moto's backends taken atomically with the call (a DynamoDB
   write's new images, for its stream records). It must be quick and change nothing in moto
   (it may hand what it saw on: DynamoDB Streams stages its records here).
4. ``after(call, result, captured, ctx)``: on the event loop after the lock is released,
   with moto's response (``result``: status, headers, body and botocore's parse of it) and
   what ``capture`` returned. It may invoke functions; it raises an ``AwsError`` or returns
   an ``HttpResponse`` to answer differently, or None to send moto's response. The call has
   happened either way: moto's state and the journal keep it.

Hooks registered for the same operation run in registration order; the first ``before`` that
answers ends the call; every ``after`` runs, and the last response given is sent. A durable
call's journal entry is written with moto's run, between ``prepare`` and ``capture``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Generic, TypeVar

from lambdaport.protocol import load_service_model
from lambdaport.protocol.base import HttpResponse
from lambdaport.request import RequestContext
from lambdaport.services.moto_tail.catalog import MOTO_APPS
from lambdaport.services.moto_tail.protocol import MotoCall
from lambdaport.services.moto_tail.wsgi import WsgiResponse

T = TypeVar("T")


@dataclass(frozen=True)
class MotoResult:
    """moto's response to a call; ``parsed`` is botocore's reading of it (an error reads as
    ``{"Error": {"Code": ..., "Message": ...}, ...}``), made on first use."""

    response: WsgiResponse
    parse: Callable[[WsgiResponse], Mapping[str, Any]] = field(repr=False)

    @property
    def status(self) -> int:
        return self.response.status

    @property
    def ok(self) -> bool:
        return self.response.status < 300

    @cached_property
    def parsed(self) -> Mapping[str, Any]:
        return self.parse(self.response)


Before = Callable[[MotoCall, RequestContext], Awaitable[HttpResponse | MotoCall | None]]
Capture = Callable[[MotoCall, MotoResult], T]
Prepare = Callable[[MotoCall, RequestContext], Capture[T]]
After = Callable[[MotoCall, MotoResult, T, RequestContext], Awaitable[HttpResponse | None]]


@dataclass(frozen=True, slots=True)
class OperationHook(Generic[T]):
    """What lambdaport does around one moto operation (see the module docstring)."""

    before: Before | None = None
    prepare: Prepare[T] | None = None
    capture: Capture[T] | None = None
    after: After[T] | None = None

    def __post_init__(self) -> None:
        if self.prepare is not None and self.capture is not None:
            raise ValueError("a hook's prepare returns its capture: give one of the two")


class OperationHooks:
    """The hooks of every (client, operation), registered in ``app.py`` before serving."""

    def __init__(self) -> None:
        self._hooks: dict[tuple[str, str], list[OperationHook[Any]]] = {}

    def register(self, service: str, operation: str, hook: OperationHook[Any]) -> None:
        """Add ``hook`` for ``operation`` of the botocore client ``service`` (which moto
        must serve); a name botocore's model lacks is a ``ValueError`` at start."""
        if service not in MOTO_APPS:
            raise ValueError(f"moto does not serve {service!r}: no hook can observe it")
        if operation not in load_service_model(service).operation_names:  # read once a process
            raise ValueError(f"{service} has no operation {operation!r}")
        self._hooks.setdefault((service, operation), []).append(hook)

    def of(self, call: MotoCall) -> Sequence[OperationHook[Any]]:
        return self._hooks.get((call.service, call.operation), ())


def prepare_all(
    hooks: Sequence[OperationHook[Any]], call: MotoCall, ctx: RequestContext
) -> Callable[[MotoCall, MotoResult], list[Any]]:
    """Each hook's ``prepare`` in order (on moto's thread, before the call), and the one
    capture that runs, in order, the capture each ``prepare`` returned or each hook's
    ``capture`` (None for a hook with neither)."""
    captures = [h.capture if h.prepare is None else h.prepare(call, ctx) for h in hooks]

    def capture(call: MotoCall, result: MotoResult) -> list[Any]:
        return [None if c is None else c(call, result) for c in captures]

    return capture
