"""Function URLs' data plane (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html):
a request to ``{url-id}.lambda-url.{region}.localhost`` becomes payload 2.0 with the
URL's placeholders (``routeKey`` and ``stage`` ``$default``), the function's answer an HTTP
response by 2.0's inference.

- ``AuthType`` AWS_IAM: the request must carry a SigV4 signature (service ``lambda``),
  verified whether or not the server runs with ``--strict-auth``; the signer's account is
  the caller. NONE: anyone. Either way the function's resource policy decides
  (``invoke/permissions.check_function_url_permission``): 403 ``{"Message":"Forbidden"}``.
- CORS: the URL's ``Cors`` answers preflights and adds its headers (``cors``).
- A function error is 502 ``Internal Server Error``; throttling 429; a malformed answer 502.
- ``InvokeMode`` RESPONSE_STREAM: the function runs through ``PushTriggers.stream`` and its
  bytes go to the client as it writes them (chunked). A stream opened as
  ``application/vnd.awslambda.http-integration-response`` starts with the prelude (JSON
  ``{statusCode, headers, cookies}``, 8 NUL bytes), sent as the status and headers the
  moment it is complete; any other stream is a 200 with the stream's content type, sent
  with its first bytes (a function failing before them is a 502). A failure mid-stream
  ends the body where it is. A function that answers without streaming (a Python handler:
  buffered, as on AWS) is read whole, its prelude if it wrote one, else by 2.0's inference.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any, Protocol

from lambdaport.endpoint import CorsAnswer, CorsRequest
from lambdaport.errors import AccessDenied, AwsError, ResourceNotFound, Throttled, typed
from lambdaport.http_fronts.addressing import Addresses, FrontAddress
from lambdaport.http_fronts.cors import CorsRules
from lambdaport.http_fronts.exchange import FrontRequest, FrontResponse, json_answer
from lambdaport.http_fronts.payloads import (
    STREAM_CONTENT_TYPE,
    EventContext,
    MalformedResponse,
    encode_event,
    event_v2,
    read_stream_prelude,
    response_v2,
    streamed_response,
)
from lambdaport.http_fronts.signatures import Signer, iam_authorizer, signer_of
from lambdaport.invoke.ids import new_request_id
from lambdaport.invoke.model import InvokeResponse
from lambdaport.invoke.streaming import ResponseChannel
from lambdaport.invoke.triggers import PushTriggers, TriggerSource
from lambdaport.protocol.signing import SignatureError

logger = logging.getLogger("lambdaport.http_fronts")

URL_PAYLOAD_LIMIT = 6 * 1024 * 1024  # a BUFFERED URL's request and response: 6 MB


class UrlCorsSettings(Protocol):
    @property
    def allow_credentials(self) -> bool | None: ...
    @property
    def allow_headers(self) -> Sequence[str] | None: ...
    @property
    def allow_methods(self) -> Sequence[str] | None: ...
    @property
    def allow_origins(self) -> Sequence[str] | None: ...
    @property
    def expose_headers(self) -> Sequence[str] | None: ...
    @property
    def max_age(self) -> int | None: ...


class UrlTarget(Protocol):
    """A function URL's configuration as the data plane reads it
    (``lambda_.models.FunctionUrlConfig``)."""

    @property
    def url_id(self) -> str: ...
    @property
    def account_id(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def function_name(self) -> str: ...
    @property
    def qualifier(self) -> str: ...
    @property
    def auth_type(self) -> str: ...
    @property
    def invoke_mode(self) -> str: ...
    @property
    def cors(self) -> UrlCorsSettings | None: ...
    @property
    def function_arn(self) -> str: ...


class UrlDirectory(Protocol):
    """The function URLs there are (``lambda_.function_urls.FunctionUrlService``)."""

    def by_url_id(self, url_id: str) -> UrlTarget | None: ...

    def all_configs(self) -> Sequence[UrlTarget]: ...


def cors_rules(cors: UrlCorsSettings) -> CorsRules:
    return CorsRules(
        allow_origins=tuple(cors.allow_origins or ()),
        allow_methods=tuple(cors.allow_methods or ()),
        allow_headers=tuple(cors.allow_headers or ()),
        expose_headers=tuple(cors.expose_headers or ()),
        max_age=cors.max_age,
        allow_credentials=bool(cors.allow_credentials),
    )


def _forbidden() -> FrontResponse:
    return json_answer(
        403, {"Message": "Forbidden"}, [("x-amzn-errortype", "AccessDeniedException")]
    )


def _not_found() -> FrontResponse:
    return json_answer(404, {"Message": None}, [("x-amzn-errortype", "ResourceNotFoundException")])


class FunctionUrlFront:
    def __init__(self, urls: UrlDirectory, triggers: PushTriggers) -> None:
        self._urls = urls
        self._triggers = triggers

    async def owns(self, address: FrontAddress) -> bool:
        return self._urls.by_url_id(address.ident) is not None

    async def index(self, addresses: Addresses) -> list[dict[str, Any]]:
        return [
            {
                "functionArn": target.function_arn,
                "authType": target.auth_type,
                "invokeMode": target.invoke_mode,
                "url": addresses.function_url(target.url_id, target.region),
                "pathUrl": addresses.function_url_path(target.url_id),
            }
            for target in self._urls.all_configs()
        ]

    async def cors(self, address: FrontAddress, request: CorsRequest) -> CorsAnswer | None:
        target = self._urls.by_url_id(address.ident)
        if target is None:
            return None
        if target.cors is None:
            return CorsAnswer(())
        return cors_rules(target.cors).answer(request)

    async def serve(self, address: FrontAddress, request: FrontRequest) -> FrontResponse:
        target = self._urls.by_url_id(address.ident)
        if target is None:
            return _not_found()
        signer: Signer | None = None
        if target.auth_type == "AWS_IAM":
            try:
                signer = signer_of(
                    request.method,
                    request.raw_path,
                    request.raw_query,
                    request.headers,
                    request.body,
                )
            except SignatureError:
                return _forbidden()
        request_id = new_request_id()
        context = EventContext(
            account_id=target.account_id,
            api_id=target.url_id,
            request_id=request_id,
            route_key="$default",
            stage="$default",
            raw_path=address.path.split("?", 1)[0] if address.path else "/",
            authorizer=None if signer is None else iam_authorizer(signer),
        )
        event = encode_event(event_v2(request, context))
        caller_account = None if signer is None else signer.account_id
        source = TriggerSource.function_url(target.auth_type, caller_account, target.region)
        if target.invoke_mode == "RESPONSE_STREAM":
            response = await self._stream(target, source, event)
        else:
            response = await self._buffered(target, source, event)
        response.headers.append(("x-amzn-requestid", request_id))
        return response

    async def _buffered(
        self, target: UrlTarget, source: TriggerSource, event: bytes
    ) -> FrontResponse:
        try:
            result = await self._triggers.call(source, target.function_arn, event)
        except AwsError as error:
            return _refused(typed(error))
        if result.failed or len(result.payload) > URL_PAYLOAD_LIMIT:
            return _bad_gateway()
        try:
            return response_v2(result.payload)
        except MalformedResponse as malformed:
            logger.info("function URL %s: %s", target.url_id, malformed)
            return _bad_gateway()

    async def _stream(
        self, target: UrlTarget, source: TriggerSource, event: bytes
    ) -> FrontResponse:
        channel = ResponseChannel()
        try:
            started = await self._triggers.stream(source, target.function_arn, event, channel)
        except AwsError as error:
            return _refused(typed(error))
        done = started.done
        done.add_done_callback(lambda _: channel.close())
        done.add_done_callback(_retrieve)
        waiting: set[asyncio.Future[Any]] = {channel.opened, done}
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        try:
            if not channel.opened.done():  # it answered without streaming
                return _whole(done.result())
            chunks = channel.chunks()
            if channel.content_type == STREAM_CONTENT_TYPE:
                status, headers, first = await read_stream_prelude(chunks)
            else:
                status, headers = 200, [("content-type", channel.content_type)]
                first = await anext(chunks, b"")
                if not first and _failed(done):
                    return _bad_gateway()
        except MalformedResponse as malformed:
            logger.info("function URL %s: %s", target.url_id, malformed)
            return _bad_gateway()
        except Exception:  # the invocation itself failed (logged by _retrieve)
            return _bad_gateway()
        return FrontResponse(status, headers, first, _logged_end(chunks, done, target.url_id))


def _whole(response: InvokeResponse) -> FrontResponse:
    """A RESPONSE_STREAM function's answer that did not stream (MalformedResponse)."""
    if response.function_error is not None:
        return _bad_gateway()
    return streamed_response(response.payload)


def _failed(done: asyncio.Future[InvokeResponse]) -> bool:
    """Whether a finished invocation failed (``done`` ends with the stream's end)."""
    if not done.done() or done.cancelled() or done.exception() is not None:
        return done.done()
    return done.result().function_error is not None


async def _logged_end(
    chunks: AsyncIterator[bytes], done: asyncio.Future[InvokeResponse], url_id: str
) -> AsyncIterator[bytes]:
    async for chunk in chunks:
        yield chunk
    if _failed(done):
        logger.info("function URL %s: the function failed mid-stream", url_id)


def _retrieve(done: asyncio.Future[InvokeResponse]) -> None:
    if not done.cancelled() and done.exception() is not None:
        logger.error("streamed function URL invocation failed", exc_info=done.exception())


def _bad_gateway() -> FrontResponse:
    return FrontResponse(502, [("content-type", "text/plain")], b"Internal Server Error")


def _refused(error: AwsError) -> FrontResponse:
    if isinstance(error, AccessDenied):
        return _forbidden()
    if isinstance(error, Throttled):
        return json_answer(
            429, {"Message": "Rate Exceeded."}, [("x-amzn-errortype", "TooManyRequestsException")]
        )
    if isinstance(error, ResourceNotFound):
        return _not_found()
    logger.info("function URL invoke refused: %s", error)
    return _bad_gateway()
