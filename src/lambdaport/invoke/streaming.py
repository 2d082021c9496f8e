"""``ResponseChannel``: the ``runtime.spec.ResponseStream`` one streamed invocation writes to,
read by whoever streams it on (``InvokeWithResponseStream``'s event stream, a
``RESPONSE_STREAM`` function URL's chunked body): ``opened`` resolves once the function
opened its stream (its content type known), ``chunks`` yields the bytes as they come until
``close``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

OCTET_STREAM = "application/octet-stream"


class ResponseChannel:
    def __init__(self) -> None:
        self.content_type = OCTET_STREAM
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._chunks: asyncio.Queue[bytes | None] = asyncio.Queue()

    def open(self, content_type: str) -> None:
        self.content_type = content_type
        if not self.opened.done():
            self.opened.set_result(None)

    def write(self, chunk: bytes) -> None:
        if chunk:
            self._chunks.put_nowait(chunk)

    def close(self) -> None:
        self._chunks.put_nowait(None)

    async def chunks(self) -> AsyncIterator[bytes]:
        while (chunk := await self._chunks.get()) is not None:
            yield chunk
