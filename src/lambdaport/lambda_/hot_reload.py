"""Hot reload: functions whose code is a local directory get fresh environments on change.

Each hot-reload directory is watched with inotify (``watchfiles``, over the Rust ``notify``
crate) in a thread of its own: neither setting up the watch of a large tree nor waiting for
changes ever runs on the event loop, and nothing walks the tree on a timer. A change (other
than Python's own ``__pycache__``) retires the warm environments of every function version
that uses the directory, so the next invoke imports the new code.

A watch starts when CreateFunction or UpdateFunctionCode names the directory (``watch``);
``run`` reconciles every ``RECONCILE_SECONDS``: it starts the watches of functions loaded at
start, stops those of directories no function uses any more, and restarts a watch that
failed (after ``RETRY_SECONDS``). Once a watch is in place, its functions' environments are
retired once, so neither code imported before then nor an edit made while the watch was
being set up is missed. ``code.py`` refuses ``/`` and directories of more than
``HOT_RELOAD_FILE_LIMIT`` files.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable

import watchfiles

from lambdaport.lambda_.functions import RetireHook
from lambdaport.lambda_.registry import FunctionRegistry

logger = logging.getLogger("lambdaport.lambda")

RECONCILE_SECONDS = 2.0
RETRY_SECONDS = 30.0
_IDLE_WAKE_MS = 200  # the watch thread's first wake (the watch is in place) and idle period
_QUIET_MS = 50  # changes are handed on once none came for this long
_JOIN_SECONDS = 5.0


def _not_bytecode(change: watchfiles.Change, path: str) -> bool:
    """Python writes ``__pycache__`` when it imports the code: that is no edit."""
    return "__pycache__" not in path.split(os.sep)


class _Watch:
    """One directory's inotify watch, in a thread; ``changed`` is called on the event loop."""

    def __init__(self, directory: str, changed: Callable[[str], None]) -> None:
        self.directory = directory
        self.started = time.monotonic()
        self._changed = changed
        self._loop = asyncio.get_running_loop()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"hot-reload {directory}", daemon=True
        )
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        ready = False
        try:
            for changes in watchfiles.watch(
                self.directory,
                watch_filter=_not_bytecode,
                stop_event=self._stop,
                debounce=1_600,
                step=_QUIET_MS,
                rust_timeout=_IDLE_WAKE_MS,
                yield_on_timeout=True,
                raise_interrupt=False,
                ignore_permission_denied=True,
            ):
                if changes or not ready:
                    ready = True
                    self._notify()
        except Exception as e:  # the directory is gone, or the kernel refused more watches
            logger.warning("hot reload cannot watch %s (%s); edits are not picked up", self, e)

    def _notify(self) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed: the server is stopping
            self._loop.call_soon_threadsafe(self._changed, self.directory)

    def stop(self) -> None:
        self._stop.set()

    def join(self) -> None:
        self._thread.join(_JOIN_SECONDS)

    def __str__(self) -> str:
        return self.directory


class HotReloader:
    def __init__(self, registry: FunctionRegistry, retire: RetireHook) -> None:
        self._registry = registry
        self._retire = retire
        self._watches: dict[str, _Watch] = {}

    def watch(self, directory: str) -> None:
        """Start watching ``directory`` (a function starts using it), unless already watched."""
        watch = self._watches.get(directory)
        if watch is None or not watch.alive:
            self._watches[directory] = _Watch(directory, self._changed)

    def _users(self) -> dict[str, list[tuple[str, str]]]:
        """Function versions (ARN, version) by the hot-reload directory they run from."""
        users: dict[str, list[tuple[str, str]]] = {}
        for entry in list(self._registry.all_functions()):
            for version in (entry.latest, *entry.versions.values()):
                if version.code.hot_reload_dir:
                    users.setdefault(version.code.hot_reload_dir, []).append(
                        (version.arn, version.version)
                    )
        return users

    def _changed(self, directory: str) -> None:
        for arn, qualifier in self._users().get(directory, ()):
            self._retire(arn, qualifier)

    def reconcile(self) -> None:
        users = self._users()
        for directory in [d for d in self._watches if d not in users]:
            self._watches.pop(directory).stop()
        for directory in users:
            watch = self._watches.get(directory)
            failed = watch is not None and not watch.alive
            if watch is None or (failed and time.monotonic() - watch.started > RETRY_SECONDS):
                self._watches[directory] = _Watch(directory, self._changed)

    async def run(self) -> None:
        try:
            while True:
                self.reconcile()
                await asyncio.sleep(RECONCILE_SECONDS)
        finally:
            watches = list(self._watches.values())
            self._watches.clear()
            for watch in watches:
                watch.stop()
            for watch in watches:
                await asyncio.to_thread(watch.join)
