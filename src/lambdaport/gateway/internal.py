"""lambdaport's own endpoints under ``/_lambdaport/`` (and ``/_localstack/health``).

Health and the services' own routes (SNS's) are open; the logs and the code packages are
guarded by ``internal_auth`` (with ``--strict-auth``: the data directory's token or a
signature).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import orjson

from lambdaport import __version__
from lambdaport.gateway.internal_auth import InternalAuth
from lambdaport.logbook import LogBook
from lambdaport.pending import MAX_WAIT_S, PendingWork
from lambdaport.protocol.base import HttpRequest, HttpResponse


def _json(status: int, body: Any) -> HttpResponse:
    return HttpResponse(status, [("content-type", "application/json")], orjson.dumps(body))


class InternalApi:
    def __init__(
        self,
        services: Callable[[], Mapping[str, str]],
        logs: LogBook,
        code_root: Path,
        status: Callable[[], Awaitable[Mapping[str, Any]]],
        auth: InternalAuth,
        pending: PendingWork,
        routes: Mapping[str, Callable[[HttpRequest], Awaitable[HttpResponse]]] | None = None,
    ) -> None:
        self._auth = auth
        # ``routes``: path prefix -> handler, for services' own endpoints on the server
        # (SNS's signing certificate, SubscribeURL and UnsubscribeURL under /_lambdaport/sns/).
        self._routes = dict(routes or {})
        self._services = services
        self._logs = logs
        self._code_root = code_root
        self._status = status
        self._pending = pending
        self._started = time.monotonic()

    async def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        if path in ("/_lambdaport/health", "/_localstack/health"):
            return await self.health()
        if path == "/_lambdaport/drain":  # counts only, as health shows them: open like it
            return await self.drain(request)
        for prefix, handler in self._routes.items():
            if path.startswith(prefix):
                return await handler(request)
        refusal = self._auth.refusal(request)
        if refusal is not None:
            return refusal
        if path == "/_lambdaport/logs":
            return await self.logs(request)
        if path.startswith("/_lambdaport/code/") and request.method in ("GET", "HEAD"):
            return self.code(path.rsplit("/", 1)[-1])
        return _json(404, {"message": f"no lambdaport endpoint at {path}"})

    async def health(self) -> HttpResponse:
        status = await self._status()
        return _json(
            200,
            {
                "version": __version__,
                "edition": "lambdaport",
                "services": dict(self._services()),
                "uptime": round(time.monotonic() - self._started, 3),
                **status,
            },
        )

    async def logs(self, request: HttpRequest) -> HttpResponse:
        query = {k: v[-1] for k, v in parse_qs(request.query).items()}
        group = query.get("group") or f"/aws/lambda/{query.get('function', '')}"
        try:
            after = int(query.get("after", "0"))
            wait = min(float(query.get("wait", "0")), 30.0)
        except ValueError:
            return _json(400, {"message": "after and wait must be numbers"})
        if after < 0:
            after = max(0, await self._logs.last_id(group) + after)
        events = (
            await self._logs.wait(group, after, wait)
            if wait > 0
            else await self._logs.events(group, after)
        )
        return _json(
            200,
            {
                "events": [
                    {
                        "id": e.id,
                        "timestamp": e.timestamp,
                        "logStreamName": e.log_stream,
                        "message": e.message,
                    }
                    for e in events
                ],
                "last": events[-1].id if events else after,
            },
        )

    async def drain(self, request: HttpRequest) -> HttpResponse:
        """Wait until the server has no asynchronous work left, ``timeout`` seconds at most
        (default 30; 0 reads the counters now): ``{"drained": bool, "pending": {what: n}}``."""
        query = {k: v[-1] for k, v in parse_qs(request.query).items()}
        try:
            timeout = float(query.get("timeout", "30"))
        except ValueError:
            return _json(400, {"message": "timeout must be a number of seconds"})
        if not 0 <= timeout <= MAX_WAIT_S:
            return _json(400, {"message": f"timeout must be between 0 and {MAX_WAIT_S:g}"})
        counts = await self._pending.drain(timeout)
        return _json(200, {"drained": not any(counts.values()), "pending": counts})

    def code(self, name: str) -> HttpResponse:
        stem = name.removesuffix(".zip")
        if len(stem) != 64 or not all(c in "0123456789abcdef" for c in stem):
            return _json(404, {"message": "no such code package"})
        path = self._code_root / f"{stem}.zip"
        if not path.is_file():
            return _json(404, {"message": "no such code package"})
        return HttpResponse(200, [("content-type", "application/zip")], path.read_bytes())
