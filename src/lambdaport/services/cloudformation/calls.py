"""How resource providers reach the services: botocore clients whose requests go, in this
process, to lambdaport's own gateway as an ASGI call (no socket).

Why this way: a provider then makes exactly the request a user's boto3 would (botocore's
serialisation, signing and error parsing, the gateway's identification, parsing, validation
and dispatch), so a bucket, queue, topic, log group or function a stack makes is the same as
one made by boto3, served by whichever service owns it (lambdaport's own or the moto tail's),
with AWS's errors; and it needs no listening socket, port or host name (an embedded server,
a server behind another address) and costs no TCP round trip. botocore is synchronous, so
the clients run on a small thread pool of their own and each request is handed back to the
event loop (``run_coroutine_threadsafe``) through botocore's documented ``before-send``
event, which lets a handler answer a request instead of sending it.
"""

from __future__ import annotations

import asyncio
import functools
import io
import threading
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast
from urllib.parse import unquote, urlsplit

import botocore.session
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError

from lambdaport.asgi import Message, Receive, Scope, Send
from lambdaport.protocol.signing import DEFAULT_SECRET

AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]
_CALL_TIMEOUT = 900.0  # s: a call that takes longer is a fault (a stuck service)


class _Body:
    """The raw response botocore reads (``stream()`` for whole bodies, ``read`` for streams)."""

    def __init__(self, data: bytes) -> None:
        self._buffer = io.BytesIO(data)

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._buffer.read()

    def read(self, amt: int | None = None) -> bytes:
        return self._buffer.read(amt)

    def close(self) -> None:
        self._buffer.close()


class ServiceCalls:
    """``await calls.call("sqs", "CreateQueue", account, region, QueueName=...)``."""

    def __init__(self, endpoint_url: str) -> None:
        self._endpoint_url = endpoint_url
        self._app: AsgiApp | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._session = botocore.session.get_session()
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._models: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="cfn-calls")

    def attach(self, app: AsgiApp) -> None:
        """The gateway requests go to (``app.py`` builds it after the services)."""
        self._app = app

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def client(self, service: str, account: str, region: str) -> Any:
        key = (service, account, region)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._session.create_client(
                    service,
                    region_name=region,
                    endpoint_url=self._endpoint_url,
                    aws_access_key_id=account,  # 12 digits: the account, as the gateway reads it
                    aws_secret_access_key=DEFAULT_SECRET,
                    config=Config(
                        retries={"max_attempts": 0},
                        s3={"addressing_style": "path"},
                        read_timeout=_CALL_TIMEOUT,
                    ),
                )
                client.meta.events.register("before-send", self._send)  # type: ignore[arg-type]
                self._clients[key] = client
        return client

    async def call(
        self, service: str, operation: str, account: str, region: str, **params: Any
    ) -> dict[str, Any]:
        """One API call; a refusal is botocore's ``ClientError`` with the service's error."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        client = self._clients.get((service, account, region))
        if client is None:  # making a client reads its model: not on the event loop
            client = await loop.run_in_executor(
                self._executor, self.client, service, account, region
            )
        method = getattr(client, botocore.xform_name(operation))
        result = await loop.run_in_executor(self._executor, functools.partial(method, **params))
        return dict(result)

    def model(self, service: str) -> Any:
        """The service's botocore model (its operations' input shapes)."""
        model = self._models.get(service)
        if model is None:
            model = self._models[service] = self._session.get_service_model(service)
        return model

    async def attempt(
        self, service: str, operation: str, account: str, region: str, **params: Any
    ) -> dict[str, Any] | None:
        """A call whose refusal is ignored (a delete of what is already gone)."""
        try:
            return await self.call(service, operation, account, region, **params)
        except ClientError:
            return None

    # -- botocore's before-send: the request to the gateway, in this process ------------------

    def _send(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        loop = self._loop
        if loop is None or self._app is None:
            raise RuntimeError("service calls are not attached to a gateway")
        future = asyncio.run_coroutine_threadsafe(self._exchange(request), loop)
        status, headers, body = future.result(_CALL_TIMEOUT)
        return AWSResponse(request.url, status, cast(Any, headers), _Body(body))

    async def _exchange(self, request: AWSPreparedRequest) -> tuple[int, dict[str, str], bytes]:
        assert self._app is not None
        url = urlsplit(request.url)
        body: Any = request.body
        if hasattr(body, "read"):
            body = body.read()
        if isinstance(body, str):
            body = body.encode()
        data = bytes(body or b"")
        headers = _headers(request, url.netloc, len(data))
        port = url.port or 80
        scope: Scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": "http",
            "path": unquote(url.path or "/"),
            "raw_path": (url.path or "/").encode(),
            "query_string": url.query.encode(),
            "root_path": "",
            "headers": headers,
            "server": (url.hostname or "127.0.0.1", port),
            "client": ("127.0.0.1", 0),
        }
        delivered = False
        finished = asyncio.Event()
        status = 500
        response_headers: dict[str, str] = {}
        chunks: list[bytes] = []

        async def receive() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": data, "more_body": False}
            await finished.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                for name, value in message.get("headers", []):
                    response_headers[bytes(name).decode("latin-1").lower()] = bytes(value).decode(
                        "latin-1"
                    )
            elif message["type"] == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))
                if not message.get("more_body", False):
                    finished.set()

        try:
            await self._app(scope, receive, send)
        finally:
            finished.set()
        return status, response_headers, b"".join(chunks)


def _headers(request: AWSPreparedRequest, netloc: str, length: int) -> list[tuple[bytes, bytes]]:
    """The request's headers as ASGI has them, with the Host and Content-Length a client
    library would add on the wire."""
    headers: list[tuple[bytes, bytes]] = []
    names: set[str] = set()
    for name, value in request.headers.items():
        text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        names.add(name.lower())
        headers.append((name.lower().encode("latin-1"), text.encode("latin-1")))
    if "host" not in names:
        headers.append((b"host", netloc.encode()))
    if "content-length" not in names and "transfer-encoding" not in names:
        headers.append((b"content-length", str(length).encode()))
    return headers
