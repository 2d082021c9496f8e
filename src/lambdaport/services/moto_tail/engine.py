"""moto's side of the tail: one worker thread, one lock, moto's apps, and what moto ran.

moto is not thread-safe, so everything that touches its state runs on the tail's single
worker thread under one lock: each call (:meth:`MotoEngine.execute`, which also takes what
hooks look at right before and right after the call), reads of moto's backends for hooks
(:meth:`read`), and, when the state is durable (``durability``), the journal entry of each
call that may have changed moto's state — written under the lock, so the journal's order is
moto's — and the snapshots. The event loop only awaits the thread; hooks that run functions
run outside (``operation_hooks``), so a function may call the same service back.

A durable call is made repeatable: moto draws every identifier from its seedable
``mock_random`` (``hooks``), which is seeded with a fresh seed before each call and the seed
kept in the journal entry with the time the call started; a replay seeds it the same and runs
the call with the clock stopped at that time (``time_machine``, process-wide, so only while
replaying at start, before anything else is served): ids and ARNs come back the same, and
timestamps within the call's own duration (moto read the clock a little after the call
started; a call that made moto create a backend, IAM's first, takes longest).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import time_machine

from lambdaport.errors import AwsError
from lambdaport.services.moto_tail import hooks, snapshot
from lambdaport.services.moto_tail.catalog import MOTO_APPS
from lambdaport.services.moto_tail.durability import MotoDurability
from lambdaport.services.moto_tail.journal import UNREPEATABLE, JournalEntry, is_read_only
from lambdaport.services.moto_tail.protocol import MotoCall
from lambdaport.services.moto_tail.wsgi import (
    WsgiApp,
    WsgiRequest,
    WsgiResponse,
    build_environ,
    call_wsgi,
)

logger = logging.getLogger("lambdaport.moto_tail")

T = TypeVar("T")
Capture = Callable[[MotoCall, WsgiResponse], T]
Prepare = Callable[[], Capture[T]]  # the look before a call; returns the look after it

INTERNAL_FAILURE = "The request processing has failed; see lambdaport's log."


class MotoEngine:
    """moto's apps on one worker thread under one lock; durable with ``durability``."""

    def __init__(self, durability: MotoDurability | None = None) -> None:
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="moto-tail")
        self._apps: dict[str, WsgiApp] = {}
        self._configured = False
        self._durability = durability

    @property
    def durable(self) -> bool:
        return self._durability is not None

    async def start(self) -> None:
        """Configure moto and bring back its durable state (on the worker thread)."""
        await self._on_thread(self._start_now)

    async def stop(self) -> None:
        """Snapshot a durable state and close the journal; the thread ends."""
        if self._durability is not None:
            await self._on_thread(self._close_now)
        self._executor.shutdown(wait=True, cancel_futures=True)

    async def read(self, look: Callable[[], T]) -> T:
        """``look()`` on the worker thread under the lock: a read of moto's backends for a
        hook (it must not change them: nothing journals it)."""
        return await self._on_thread(lambda: self._read_now(look))

    async def execute(
        self,
        call: MotoCall,
        extra: Mapping[str, str],
        capture: Capture[T] | None = None,
        *,
        prepare: Prepare[T] | None = None,
    ) -> tuple[WsgiResponse, T | None]:
        """``call`` through moto (journaled when durable), and ``capture``'s look at moto
        right after it, in the same hold of the lock — or ``prepare``'s look right before it
        and the capture it returns; the capture's result is returned with moto's response."""
        return await self._on_thread(lambda: self._execute_now(call, extra, capture, prepare))

    def call(
        self,
        service: str,
        request: WsgiRequest,
        extra: Mapping[str, str],
        operation: str | None = None,
    ) -> WsgiResponse:
        """One request through moto's app for ``service``, under the lock and never
        journaled (the contract tests' and benchmarks' door)."""
        with self._lock:
            self._ensure_configured()
            return self._run_app(service, request, extra, operation)

    # -- on the worker thread --------------------------------------------------------------

    async def _on_thread(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    def _start_now(self) -> None:
        with self._lock:
            self._ensure_configured()

    def _read_now(self, look: Callable[[], T]) -> T:
        with self._lock:
            self._ensure_configured()  # a read sees the state brought back
            return look()

    def _close_now(self) -> None:
        with self._lock:
            if self._configured and self._durability is not None:
                self._durability.close()

    def _execute_now(
        self,
        call: MotoCall,
        extra: Mapping[str, str],
        capture: Capture[T] | None,
        prepare: Prepare[T] | None,
    ) -> tuple[WsgiResponse, T | None]:
        with self._lock:
            self._ensure_configured()
            if prepare is not None:
                capture = prepare()
            durability = self._durability
            if durability is None:
                response = self._run_app(call.service, call.request, extra, call.operation)
            else:
                response = self._run_journaled(durability, call, extra)
            captured = capture(call, response) if capture is not None else None
        if durability is not None and durability.compaction_due():
            self._executor.submit(self._compact)
        return response, captured

    def _run_journaled(
        self, durability: MotoDurability, call: MotoCall, extra: Mapping[str, str]
    ) -> WsgiResponse:
        """Run ``call`` with a fresh seed; journal it unless it is a read that created no
        backend (also when moto raised: a replay raises the same way)."""
        seed = secrets.randbits(63)
        at = time.time()
        backends = snapshot.region_backends()
        hooks.seed_moto(seed)
        try:
            return self._run_app(call.service, call.request, extra, call.operation)
        finally:
            read_only = is_read_only(call.service, call.operation)
            if not read_only or snapshot.region_backends() != backends:
                durability.record(
                    lambda seq: JournalEntry(
                        seq, at, seed, call.service, call.operation, call.request,
                        tuple(extra.items()),
                    )
                )  # fmt: skip
            if (call.service, call.operation) in UNREPEATABLE:
                durability.compact()  # before the answer: a replay could not make it again

    def _replay(self, entry: JournalEntry) -> None:
        """One journal entry again, as it ran: same seed, same clock (the lock is held)."""
        with time_machine.travel(entry.at, tick=False):
            hooks.seed_moto(entry.seed)
            try:
                self._run_app(entry.service, entry.request, dict(entry.extra), entry.operation)
            except AwsError as error:  # it failed the same way when it was answered
                logger.debug("replayed %s %s: %s", entry.service, entry.operation, error)

    def _compact(self) -> None:
        with self._lock:
            if self._durability is not None and self._durability.compaction_due():
                self._durability.compact()

    def _run_app(
        self,
        service: str,
        request: WsgiRequest,
        extra: Mapping[str, str],
        operation: str | None,
    ) -> WsgiResponse:
        """What moto raises becomes the service's error: ``NotImplementedError`` (an
        operation moto lacks) ``NotImplementedException`` (501), anything else
        ``InternalFailure`` (500, with the traceback in lambdaport's log)."""
        what = f"{service} {operation}" if operation else f"this {service} request"
        app = self._app(MOTO_APPS[service])
        try:
            return call_wsgi(app, build_environ(request, extra))
        except NotImplementedError as exc:
            raise AwsError(
                "NotImplementedException",
                f"moto does not implement {what}: {exc}",
                501,
                sender_fault=False,
            ) from None
        except AwsError:
            raise
        except Exception:
            logger.exception("moto failed on %s (%s)", what, request.raw_path)
            raise AwsError("InternalFailure", INTERNAL_FAILURE, 500, sender_fault=False) from None

    def _ensure_configured(self) -> None:
        """Once, before moto serves anything (the lock is held): post ``hooks.MOTO_CONFIG``
        to moto's config endpoint, then bring back the durable state."""
        if self._configured:
            return
        headers = (("content-type", "application/json"),)
        config = WsgiRequest("POST", hooks.CONFIG_PATH, "", headers, hooks.config_body())
        response = call_wsgi(self._app("moto_api"), build_environ(config, {}))
        if response.status >= 300:
            raise RuntimeError(f"moto refused its configuration: {response.status}")
        if self._durability is not None:
            self._durability.recover(self._replay)
        self._configured = True

    def _app(self, name: str) -> WsgiApp:
        app = self._apps.get(name)
        if app is None:
            from moto.moto_server.werkzeug_app import create_backend_app

            app = create_backend_app(name)  # type: ignore[arg-type]
            self._apps[name] = app
        return app
