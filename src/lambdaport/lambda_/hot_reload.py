"""Hot reload: functions whose code is a local directory get fresh environments on change.

A background task fingerprints each hot-reload directory (file paths, sizes and mtimes)
twice a second; when a fingerprint changes, the function's warm environments are retired
so the next invoke imports the new code.
"""

from __future__ import annotations

import asyncio
import os

from lambdaport.lambda_.functions import RetireHook
from lambdaport.lambda_.registry import FunctionRegistry

POLL_SECONDS = 0.5


def fingerprint(directory: str) -> int:
    state: list[tuple[str, int, int]] = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:
            path = os.path.join(root, name)
            try:
                info = os.stat(path)
            except OSError:
                continue
            state.append((path, info.st_size, info.st_mtime_ns))
    return hash(tuple(sorted(state)))


class HotReloader:
    def __init__(self, registry: FunctionRegistry, retire: RetireHook) -> None:
        self._registry = registry
        self._retire = retire
        self._seen: dict[str, int] = {}

    def watch(self, directory: str) -> None:
        """Take the baseline when a function starts using ``directory`` (before any
        environment has imported from it), so an edit right after is never missed."""
        self._seen.setdefault(directory, fingerprint(directory))

    def scan(self) -> None:
        users: dict[str, list[tuple[str, str]]] = {}
        for entry in list(self._registry.all_functions()):
            for version in (entry.latest, *entry.versions.values()):
                if version.code.hot_reload_dir:
                    users.setdefault(version.code.hot_reload_dir, []).append(
                        (version.arn, version.version)
                    )
        for directory in list(self._seen):
            if directory not in users:
                del self._seen[directory]
        for directory, versions in users.items():
            current = fingerprint(directory)
            previous = self._seen.get(directory)
            self._seen[directory] = current
            if previous is not None and previous != current:
                for arn, qualifier in versions:
                    self._retire(arn, qualifier)

    async def run(self) -> None:
        while True:
            self.scan()
            await asyncio.sleep(POLL_SECONDS)
