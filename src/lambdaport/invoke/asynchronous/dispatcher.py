"""``AsyncDispatcher``: runs queued ``Event`` invocations, retries them, routes the outcome
(https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html).

The dispatcher runs in the server's lifespan. At start it releases the claims a previous
server left (those events are due again) and registers itself with the queue as its
``direct`` dispatcher. An event then starts in one of two ways:

* on acceptance: when the function has room, ``AsyncQueue.accept`` commits the event already
  claimed and hands it to :meth:`start` with the resolution the invoker admitted it with
  (no claim query, no pass, and that resolution is the attempt's: no second resolve);
* by a pass (:meth:`dispatch_due`): the dispatcher waits on the queue's doorbell (an event
  accepted without room, a finished attempt) or on the earliest ``not_before`` of an event
  put back with a delay; it never sleeps a fixed time. Each pass visits the functions with
  queued events in turn, starting one further along each time, and claims for each at most
  its room, so a busy function never takes another function's turn.

A function's room is its cap less what the dispatcher is running for it; the cap is its
reserved concurrency (at least 1) when it has one, else ``function_concurrency``, and never
more than ``function_concurrency``; it is learned each time an event is resolved.

Each attempt of a queued event resolves the function itself, by the ARN the event was invoked
with (an event started on acceptance runs with the resolution just made there): that
resolution (the version an alias routes to, the event invoke config, the reserved
concurrency, the dead-letter queue) decides the event's fate, and a function that is gone
(404) drops the event. The event then runs through ``Invoker.run``, which takes the
resolution as it is: no second resolve, no second payload or permission check (both were
made when the event was accepted), and the same concurrency limits as every other
invocation. The function sees the event's request id on every attempt. Outcomes:

* older than ``MaximumEventAgeInSeconds`` when its attempt starts: ``EventAgeExceeded``;
* reserved concurrency 0: straight to failure handling with a throttle as the response, no
  attempt and no retries;
* function error (exception, timeout, crash): retried after ~1 and ~2 minutes, up to the
  config's ``MaximumRetryAttempts``; then ``RetriesExhausted``;
* throttle (429), system error (5xx) or the function not Active or being updated
  (``ResourceConflictException``): back to the queue after 1 s, 2 s, 4 s ... (5 minutes at
  most), attempts untouched; an unexpected error in the dispatcher does the same;
* any other error of the invocation: ``RetriesExhausted`` at once.

Every delay and the maximum age are scaled by ``AsyncTiming``. Failure handling sends the
invocation record to the OnFailure destination and the original event to the dead-letter
queue; success sends the record to OnSuccess. Only then is the event finished (its delete
is committed with the next batch, ``AsyncQueue.finished``), so a crash at any point delivers
it again (at least once). :meth:`stop` cancels the attempts in flight; their events stay
claimed and are due again when the next server starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from typing import Protocol

from lambdaport.errors import AwsError, ResourceNotFound, Throttled, is_transient
from lambdaport.events.arns import parse_function_arn
from lambdaport.invoke.asynchronous.destinations import (
    Delivery,
    DeliveryKind,
    Destinations,
    MessageAttribute,
)
from lambdaport.invoke.asynchronous.queue import AsyncQueue
from lambdaport.invoke.asynchronous.records import AttemptResponse, Condition, invocation_record
from lambdaport.invoke.asynchronous.timing import AsyncTiming
from lambdaport.invoke.model import (
    FunctionResolver,
    InvokeResponse,
    ResolvedFunction,
)
from lambdaport.store.async_events import QueuedEvent

logger = logging.getLogger("lambdaport.async")

DEFAULT_FUNCTION_CONCURRENCY = 32
LATEST = "$LATEST"


class InvokeDoor(Protocol):
    """The part of ``Invoker`` the dispatcher uses: run an event it has resolved."""

    async def run(
        self, resolved: ResolvedFunction, payload: bytes, request_id: str, trace_header: str | None
    ) -> InvokeResponse: ...


def record_function_arn(invoked_arn: str) -> str:
    """The record's functionArn: qualified as invoked, ``:$LATEST`` when unqualified."""
    arn = parse_function_arn(invoked_arn)
    qualified = arn is not None and arn.qualifier is not None
    return invoked_arn if qualified else f"{invoked_arn}:{LATEST}"


class AsyncDispatcher:
    def __init__(
        self,
        queue: AsyncQueue,
        invoker: InvokeDoor,
        resolver: FunctionResolver,
        destinations: Destinations,
        timing: AsyncTiming,
        *,
        function_concurrency: int = DEFAULT_FUNCTION_CONCURRENCY,
    ) -> None:
        self._queue = queue
        self._events = queue.events
        self._invoker = invoker
        self._resolver = resolver
        self._destinations = destinations
        self._timing = timing
        self._function_concurrency = function_concurrency
        self._caps: dict[str, int] = {}  # learned from each function's reserved concurrency
        self._running: Counter[str] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()
        self._turn = 0
        # Per function, the earliest not_before of the events put back with a delay (a hint:
        # it may be stale, never late). Functions known at start are checked at once.
        self._delayed: dict[str, float] = dict.fromkeys(queue.functions, 0.0)

    # -- the loop -----------------------------------------------------------------------

    async def run(self) -> None:
        released = await self._events.release_all_claims()
        self._delayed.update(dict.fromkeys(self._queue.functions, 0.0))
        if released:
            logger.info("async: %d events a previous server was running are due again", released)
        wake = self._queue.wake
        self._queue.direct = self
        try:
            await self._loop(wake)
        finally:
            self._queue.direct = None

    async def _loop(self, wake: asyncio.Event) -> None:
        while True:
            await asyncio.sleep(0)  # let requests already read be accepted first: larger claims
            wake.clear()
            due = await self.dispatch_due()
            if due is None:
                await wake.wait()  # no timer to arm (wait_for costs a task per turn)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), max(0.0, due - self._queue.clock()))

    async def stop(self) -> None:
        """Cancel the attempts in flight; their events stay claimed in the store and are
        released (due again) when the next server starts."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._queue.flush()

    def _cap(self, function_arn: str) -> int:
        return self._caps.get(function_arn, self._function_concurrency)

    def has_room(self, function_arn: str) -> bool:
        """May a just-accepted event of the function start at once (AsyncQueue.accept)?"""
        return self._running[function_arn] < self._cap(function_arn)

    async def dispatch_due(self) -> float | None:
        """Claim and start what is due; return when the next event becomes due (or None
        when only a finished attempt or a new event can change anything)."""
        now = self._queue.clock()
        functions = list(self._queue.functions)
        if not functions:
            return None
        self._turn = (self._turn + 1) % len(functions)
        earliest: float | None = None
        unclaimed = self._queue.unclaimed
        for function_arn in functions[self._turn :] + functions[: self._turn]:
            room = self._cap(function_arn) - self._running[function_arn]
            hint = self._delayed.get(function_arn)
            if room > 0 and (function_arn in unclaimed or (hint is not None and hint <= now)):
                claimed = await self._events.claim(function_arn, now, room)
                if len(claimed) < room:
                    unclaimed.discard(function_arn)  # nothing else is due now
                for event in claimed:
                    self.start(event)
            if self._running[function_arn] >= self._cap(function_arn):
                continue  # a finished attempt rings the doorbell
            due = await self._delayed_due(function_arn, now)
            if due is None:
                if not self._running[function_arn]:
                    self._queue.functions.pop(function_arn, None)
            elif earliest is None or due < earliest:
                earliest = due
        return earliest

    async def _delayed_due(self, function_arn: str, now: float) -> float | None:
        """When the function's earliest delayed event is due (nothing is due now: the claim
        took everything). The store is asked only when the remembered time has passed."""
        hint = self._delayed.get(function_arn)
        if hint is None or hint > now:
            return hint
        due = await self._events.next_due(function_arn)
        if due is None:
            del self._delayed[function_arn]
        else:
            self._delayed[function_arn] = due
        return due

    async def _release(
        self,
        event: QueuedEvent,
        not_before: float,
        attempts: int,
        requeues: int,
        last: bytes | None,
    ) -> None:
        await self._events.release(
            event.request_id,
            not_before=not_before,
            attempts=attempts,
            requeues=requeues,
            last_response=last,
        )
        hint = self._delayed.get(event.function_arn)
        if hint is None or not_before < hint:
            self._delayed[event.function_arn] = not_before

    def start(self, event: QueuedEvent, resolved: ResolvedFunction | None = None) -> None:
        """Run one claimed event (with ``resolved``, the resolution of its acceptance)."""
        self._running[event.function_arn] += 1
        task = asyncio.get_running_loop().create_task(self._process(event, resolved))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _process(self, event: QueuedEvent, resolved: ResolvedFunction | None) -> None:
        try:
            await self._attempt(event, resolved)
        except Exception:
            logger.exception("async: request %s failed in the dispatcher", event.request_id)
            await self._requeue(event, None)
        finally:
            function_arn = event.function_arn
            self._running[function_arn] -= 1
            if self._running[function_arn] <= 0:
                del self._running[function_arn]
            # The freed room matters only to events waiting in the store; events started
            # directly on acceptance leave the dispatcher nothing to do.
            if function_arn in self._queue.unclaimed or function_arn in self._delayed:
                self._queue.wake.set()

    # -- one attempt --------------------------------------------------------------------

    def _resolve(self, event: QueuedEvent) -> ResolvedFunction | None:
        try:
            return self._resolver.resolve(event.account_id, event.region, event.invoked_arn, None)
        except ResourceNotFound as error:
            logger.info("async: dropping request %s: %s", event.request_id, error.message)
            self._queue.finished(event.request_id)
            return None

    def _learn_cap(self, function_arn: str, resolved: ResolvedFunction) -> None:
        reserved = resolved.reserved_concurrency
        cap = self._function_concurrency if reserved is None else max(1, reserved)
        self._caps[function_arn] = min(cap, self._function_concurrency)

    async def _attempt(self, event: QueuedEvent, resolved: ResolvedFunction | None) -> None:
        if resolved is None:
            resolved = self._resolve(event)
            if resolved is None:
                return
        self._learn_cap(event.function_arn, resolved)
        config = resolved.event_invoke_config
        last = AttemptResponse.from_json(event.last_response) if event.last_response else None
        if self._queue.clock() - event.accepted_at > self._timing.maximum_age(config):
            await self._fail(event, resolved, "EventAgeExceeded", event.attempts, last)
            return
        if resolved.reserved_concurrency == 0:
            throttle = Throttled("TooManyRequestsException", "Rate Exceeded.", 429)
            response = AttemptResponse.from_error(throttle, resolved.executed_version)
            await self._fail(event, resolved, "RetriesExhausted", event.attempts, response)
            return
        try:
            result = await self._invoker.run(
                resolved, event.payload, event.request_id, event.trace_header
            )
        except AwsError as error:
            await self._invocation_error(event, resolved, error)
            return
        attempts = event.attempts + 1
        response = AttemptResponse(
            result.status_code, result.executed_version, result.payload, result.function_error
        )
        if result.function_error is None:
            await self._succeed(event, resolved, attempts, response)
        elif attempts > config.maximum_retry_attempts:
            await self._fail(event, resolved, "RetriesExhausted", attempts, response)
        else:
            not_before = self._queue.clock() + self._timing.retry_delay(attempts)
            await self._release(event, not_before, attempts, 0, response.to_json())

    async def _invocation_error(
        self, event: QueuedEvent, resolved: ResolvedFunction, error: AwsError
    ) -> None:
        response = AttemptResponse.from_error(error, resolved.executed_version)
        if is_transient(error):  # throttles and system errors: no attempt spent
            await self._requeue(event, response)
        elif isinstance(error, ResourceNotFound):
            logger.info("async: dropping request %s: %s", event.request_id, error.message)
            self._queue.finished(event.request_id)
        else:
            await self._fail(event, resolved, "RetriesExhausted", event.attempts, response)

    async def _requeue(self, event: QueuedEvent, response: AttemptResponse | None) -> None:
        requeues = event.requeues + 1
        not_before = self._queue.clock() + self._timing.requeue_delay(requeues)
        last = None if response is None else response.to_json()
        await self._release(event, not_before, event.attempts, requeues, last)

    # -- outcomes -----------------------------------------------------------------------

    def _delivery(
        self,
        event: QueuedEvent,
        kind: DeliveryKind,
        arn: str,
        body: bytes,
        **attributes: MessageAttribute,
    ) -> Delivery:
        return Delivery(
            destination_arn=arn,
            kind=kind,
            function_arn=record_function_arn(event.invoked_arn),
            request_id=event.request_id,
            account_id=event.account_id,
            region=event.region,
            body=body,
            attributes=attributes,
            trace_header=event.trace_header,
        )

    def _record(
        self,
        event: QueuedEvent,
        condition: Condition,
        attempts: int,
        response: AttemptResponse | None,
    ) -> bytes:
        return invocation_record(
            request_id=event.request_id,
            function_arn=record_function_arn(event.invoked_arn),
            condition=condition,
            approximate_invoke_count=attempts,
            request_payload=event.payload,
            response=response,
            now=self._queue.clock(),
        )

    async def _succeed(
        self,
        event: QueuedEvent,
        resolved: ResolvedFunction,
        attempts: int,
        response: AttemptResponse,
    ) -> None:
        destination = resolved.event_invoke_config.on_success
        if destination:
            body = self._record(event, "Success", attempts, response)
            await self._destinations.deliver(self._delivery(event, "OnSuccess", destination, body))
        self._queue.finished(event.request_id)

    async def _fail(
        self,
        event: QueuedEvent,
        resolved: ResolvedFunction,
        condition: Condition,
        attempts: int,
        response: AttemptResponse | None,
    ) -> None:
        logger.info(
            "async: request %s of %s failed (%s after %d attempts)",
            event.request_id,
            event.invoked_arn,
            condition,
            attempts,
        )
        destination = resolved.event_invoke_config.on_failure
        if destination:
            body = self._record(event, condition, attempts, response)
            await self._destinations.deliver(self._delivery(event, "OnFailure", destination, body))
        if resolved.dead_letter_arn:
            status = response.status_code if response is not None else 200
            message = response.error_message() if response is not None else condition
            await self._destinations.deliver(
                self._delivery(
                    event,
                    "DeadLetter",
                    resolved.dead_letter_arn,
                    event.payload,
                    RequestID=MessageAttribute("String", event.request_id),
                    ErrorCode=MessageAttribute("Number", str(status)),
                    ErrorMessage=MessageAttribute("String", message),
                )
            )
        self._queue.finished(event.request_id)

    # -- introspection --------------------------------------------------------------------

    def running(self) -> int:
        return sum(self._running.values())
