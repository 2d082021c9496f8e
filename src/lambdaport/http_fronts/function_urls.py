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
- ``InvokeMode`` RESPONSE_STREAM: a function that writes the streaming prelude
  (``application/vnd.awslambda.http-integration-response``: JSON, 8 NUL bytes, the body)
  is answered by it; the response is sent once the function has returned (see
  ``docs/architecture.md``: chunks are not yet passed on while the function runs). Python
  functions are buffered, as on AWS.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

from lambdaport.endpoint import CorsAnswer, CorsRequest
from lambdaport.errors import AccessDenied, AwsError, ResourceNotFound, Throttled, typed
from lambdaport.http_fronts.addressing import Addresses, FrontAddress
from lambdaport.http_fronts.cors import CorsRules
from lambdaport.http_fronts.exchange import FrontRequest, FrontResponse, json_answer
from lambdaport.http_fronts.payloads import (
    EventContext,
    MalformedResponse,
    encode_event,
    event_v2,
    response_v2,
    streamed_response,
)
from lambdaport.invoke.ids import new_request_id
from lambdaport.invoke.triggers import PushTriggers, TriggerSource
from lambdaport.protocol.base import HttpRequest
from lambdaport.protocol.signing import SignatureError
from lambdaport.protocol.sigv4 import verify_request

logger = logging.getLogger("lambdaport.http_fronts")

URL_PAYLOAD_LIMIT = 6 * 1024 * 1024  # a BUFFERED URL's request and response: 6 MB
DEFAULT_ACCOUNT = "000000000000"


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

    def _caller_account(self, target: UrlTarget, request: FrontRequest) -> str | None:
        """AWS_IAM: the signer's account (SignatureError when the signature fails)."""
        signed = HttpRequest(
            method=request.method,
            path=request.raw_path,
            query=request.raw_query,
            headers=dict(request.headers),
            body=request.body,
            host=request.header("host") or "",
        )
        verified = verify_request(signed)
        key = verified.credential.access_key
        return key if len(key) == 12 and key.isdigit() else DEFAULT_ACCOUNT

    async def serve(self, address: FrontAddress, request: FrontRequest) -> FrontResponse:
        target = self._urls.by_url_id(address.ident)
        if target is None:
            return _not_found()
        caller_account: str | None = None
        if target.auth_type == "AWS_IAM":
            try:
                caller_account = self._caller_account(target, request)
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
            authorizer=None if caller_account is None else _iam_authorizer(caller_account, request),
        )
        event = event_v2(request, context)
        source = TriggerSource.function_url(target.auth_type, caller_account, target.region)
        try:
            result = await self._triggers.call(source, target.function_arn, encode_event(event))
        except AwsError as error:
            return _refused(typed(error))
        if result.failed:
            return _bad_gateway()
        if len(result.payload) > URL_PAYLOAD_LIMIT and target.invoke_mode == "BUFFERED":
            return _bad_gateway()
        try:
            if target.invoke_mode == "RESPONSE_STREAM":
                response = streamed_response(result.payload)
            else:
                response = response_v2(result.payload)
        except MalformedResponse as malformed:
            logger.info("function URL %s: %s", target.url_id, malformed)
            return _bad_gateway()
        response.headers.append(("x-amzn-requestid", request_id))
        return response


def _iam_authorizer(account: str, request: FrontRequest) -> dict[str, object]:
    authorization = request.header("authorization") or ""
    start = authorization.find("Credential=")
    access_key = authorization[start + 11 :].split("/", 1)[0] if start >= 0 else ""
    return {
        "iam": {
            "accessKey": access_key,
            "accountId": account,
            "callerId": access_key,
            "cognitoIdentity": None,
            "principalOrgId": None,
            "userArn": f"arn:aws:iam::{account}:root",
            "userId": account,
        }
    }


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
