"""``InvokeWithResponseStream``: a function's response as AWS streams it, an event stream of
``PayloadChunk`` events (the bytes as the function writes them) ending in ``InvokeComplete``
(``ErrorCode``/``ErrorDetails`` when the function failed, ``LogResult`` with ``LogType=Tail``).

The answer's headers (the executed version, ``Content-Type``: what the function set on its
stream) go out once the function opened its stream or finished; the events follow as they
come. A function that does not stream (no ``awslambda.streamifyResponse``, or a runtime that
cannot) answers in one ``PayloadChunk``. The invocation runs to its end even when the client
goes away, as on AWS.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import orjson

from lambdaport.invoke import Invoker
from lambdaport.invoke.model import InvokeRequest, InvokeResponse
from lambdaport.invoke.streaming import OCTET_STREAM, ResponseChannel
from lambdaport.protocol.eventstream import encode_event

logger = logging.getLogger("lambdaport.lambda")

_INTERNAL = {
    "ErrorCode": "ServiceException",
    "ErrorDetails": "lambdaport hit an internal error; see the server log.",
}


def _retrieve(done: asyncio.Future[InvokeResponse]) -> None:
    if not done.cancelled() and done.exception() is not None:
        logger.error("streamed invocation failed", exc_info=done.exception())


async def invoke_with_response_stream(invoker: Invoker, request: InvokeRequest) -> dict[str, Any]:
    """The operation's output members; ``EventStream`` is an async iterator of messages."""
    channel = ResponseChannel()
    started = await invoker.invoke_streaming(request, channel)
    done = started.done
    done.add_done_callback(lambda _: channel.close())
    waiting: set[asyncio.Future[Any]] = {channel.opened, done}
    await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    if done.done():
        response = done.result()  # an error before the function ran is the call's error
        if response.status_code == 204:  # DryRun
            return {"StatusCode": 204}
    done.add_done_callback(_retrieve)
    return {
        "StatusCode": 200,
        "ExecutedVersion": started.executed_version,
        "ResponseStreamContentType": channel.content_type,
        "EventStream": _events(channel, done),
    }


def _completion(response: InvokeResponse) -> dict[str, str]:
    complete: dict[str, str] = {}
    if response.function_error is not None:
        try:
            error = orjson.loads(response.payload)
        except orjson.JSONDecodeError:
            error = {}
        kind = error.get("errorType") if isinstance(error, dict) else None
        complete["ErrorCode"] = str(kind or response.function_error)
        complete["ErrorDetails"] = response.payload.decode("utf-8", "replace")
    if response.log_result is not None:
        complete["LogResult"] = response.log_result
    return complete


async def _events(
    channel: ResponseChannel, done: asyncio.Future[InvokeResponse]
) -> AsyncIterator[bytes]:
    async for chunk in channel.chunks():
        yield encode_event("PayloadChunk", chunk, OCTET_STREAM)
    try:
        response = await asyncio.shield(done)
    except Exception:
        complete = dict(_INTERNAL)
    else:
        if response.function_error is None and response.payload:  # it did not stream
            yield encode_event("PayloadChunk", response.payload, OCTET_STREAM)
        complete = _completion(response)
    yield encode_event("InvokeComplete", orjson.dumps(complete), "application/json")
