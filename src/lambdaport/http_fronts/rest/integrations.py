"""A REST API method's integration: how the request reaches its backend and how the answer
comes back (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-integration-types.html).

* ``AWS_PROXY`` (Lambda proxy): the 1.0 event (``events.proxy_event``) to the function,
  its answer ``{statusCode, headers, multiValueHeaders, body, isBase64Encoded}`` sent as the
  response (a base64 body decoded when the request's first ``Accept`` type is one of the
  API's binary media types, else sent as its text). A function error or an answer of
  another shape is 502 ``Internal server error`` (a malformed proxy response).
* ``AWS`` with a Lambda URI (Lambda custom integration): the request mapped by the request
  template of its content type (or passed through as ``passthroughBehavior`` says; 415
  ``Unsupported Media Type`` otherwise), the function's answer — or its error, whose
  ``errorMessage`` selects the integration response by ``selectionPattern`` — mapped by the
  chosen integration response's template, status and header parameters.
* ``HTTP_PROXY``: the request to the URI (path parameters substituted) and the backend's
  answer as it is. ``HTTP``: the same with mapping templates; the backend's status selects
  the integration response.
* ``MOCK``: the request template's ``statusCode`` selects the integration response.

Every function is called through ``invoke.triggers.PushTriggers`` as
``apigateway.amazonaws.com`` on behalf of the method's ARN, waiting at most the
integration's timeout (``timeoutInMillis``, 29 s by default: 504 ``Endpoint request timed
out``); a function that cannot be invoked (no permission for API Gateway, no function) is
500 ``Internal server error``, as AWS answers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from lambdaport.errors import AwsError
from lambdaport.http_fronts import http_backend
from lambdaport.http_fronts.payloads import MalformedResponse, response_v1
from lambdaport.http_fronts.rest import events, vtl
from lambdaport.http_fronts.rest.functions import function_of, with_stage_variables
from lambdaport.http_fronts.rest.matching import Match
from lambdaport.http_fronts.rest.request import RequestFacts, parameter_sources
from lambdaport.http_fronts.rest.responses import (
    API_CONFIGURATION_ERROR,
    DEFAULT_5XX,
    INTEGRATION_TIMEOUT,
    UNSUPPORTED_MEDIA_TYPE,
    GatewayError,
)
from lambdaport.invoke.triggers import PushTriggers, TriggerResult, TriggerSource, TriggerTimedOut
from lambdaport.protocol.base import HttpResponse
from lambdaport.services.interfaces import (
    RestApi,
    RestIntegration,
    RestIntegrationResponse,
    RestMethod,
)

logger = logging.getLogger("lambdaport.http_fronts.rest")

INTERNAL_ERROR = "Internal server error"
TIMED_OUT = "Endpoint request timed out"
_PROXY_MEMBERS = frozenset(
    {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded", "cookies"}
)


@dataclass(frozen=True, slots=True)
class Call:
    """One request on its way to its integration."""

    api: RestApi
    facts: RequestFacts
    match: Match
    method: RestMethod
    integration: RestIntegration
    stage_variables: Mapping[str, str]
    identity: events.Identity
    authorizer: Mapping[str, Any] | None

    @property
    def context(self) -> dict[str, Any]:
        """``$context``."""
        return events.request_context(
            self.api, self.facts, self.match.resource, self.identity, self.authorizer
        )

    @property
    def params(self) -> dict[str, Mapping[str, str]]:
        return parameter_sources(self.facts, self.match.path_parameters)


def internal_error() -> GatewayError:
    return GatewayError(API_CONFIGURATION_ERROR, INTERNAL_ERROR)


def function_failed() -> GatewayError:
    """A Lambda proxy function that failed or answered another shape: 502."""
    return GatewayError(DEFAULT_5XX, INTERNAL_ERROR, status=502)


class Integrations:
    def __init__(self, triggers: PushTriggers) -> None:
        self._triggers = triggers

    async def run(self, call: Call) -> HttpResponse:
        kind = call.integration.type
        if kind == "AWS_PROXY":
            return await self._lambda_proxy(call)
        if kind == "AWS":
            return await self._lambda_custom(call)
        if kind == "HTTP_PROXY":
            return await self._http_proxy(call)
        if kind == "HTTP":
            return await self._http_custom(call)
        if kind == "MOCK":
            return _mock(call)
        raise internal_error()

    # -- Lambda ------------------------------------------------------------------------------

    async def _invoke(self, call: Call, event: bytes) -> TriggerResult:
        target = function_of(call.integration.uri, call.stage_variables)
        if target is None:
            raise internal_error()
        source = TriggerSource.of(
            events.PRINCIPAL,
            events.source_arn(call.api, call.facts, call.match.resource),
            call.api.account_id,
            call.api.region,
        )
        try:
            return await self._triggers.call(
                source, target, event, timeout=call.integration.timeout_ms / 1000
            )
        except TriggerTimedOut:
            raise GatewayError(INTEGRATION_TIMEOUT, TIMED_OUT) from None
        except AwsError as refusal:
            logger.info(
                "Execution failed due to configuration error: %s (%s)", refusal.message, target
            )
            raise internal_error() from None

    async def _lambda_proxy(self, call: Call) -> HttpResponse:
        event = events.proxy_event(
            call.api,
            call.facts,
            call.match.resource,
            call.match.path_parameters,
            call.stage_variables,
            call.identity,
            call.authorizer,
        )
        result = await self._invoke(call, event)
        if result.failed:
            raise function_failed()
        accept = (call.facts.header("accept") or "").split(",")[0]
        binary = events.is_binary(accept, call.api.binary_media_types)
        response = proxy_response(result.payload, decode=binary)
        response.headers.extend(call.facts.ids)
        return response

    async def _lambda_custom(self, call: Call) -> HttpResponse:
        payload = _request_payload(call)
        result = await self._invoke(call, payload.encode("utf-8"))
        failure = result.error()
        output = result.payload.decode("utf-8", errors="replace")
        selector = "" if failure is None else failure.error_message
        chosen = _select(call.integration.responses, selector, failure is not None)
        return _mapped(call, chosen, output, 200)

    # -- HTTP --------------------------------------------------------------------------------

    def _url(self, call: Call) -> str:
        url = with_stage_variables(call.integration.uri, call.stage_variables)
        parameters = dict(call.match.path_parameters)
        for target, source in call.integration.request_parameters.items():
            if target.startswith("integration.request.path."):
                value = _parameter(source, call)
                if value is not None:
                    parameters[target.rsplit(".", 1)[1]] = value
        for name, value in parameters.items():
            url = url.replace(f"{{{name}+}}", value).replace(f"{{{name}}}", value)
        return url

    async def _backend(self, call: Call, body: bytes, query: str) -> http_backend.BackendResponse:
        verb = call.integration.http_method or call.facts.request.method
        if verb == "ANY":
            verb = call.facts.request.method
        url = self._url(call)
        if query:
            url += ("&" if "?" in url else "?") + query
        headers = http_backend.forwarded(call.facts.request.headers)
        try:
            return await http_backend.send(
                verb, url, headers, body, call.integration.timeout_ms / 1000
            )
        except TimeoutError:
            raise GatewayError(INTEGRATION_TIMEOUT, TIMED_OUT) from None
        except http_backend.BackendUnreachable as error:
            logger.info("Execution failed due to an HTTP backend error: %s (%s)", error, url)
            raise internal_error() from None

    async def _http_proxy(self, call: Call) -> HttpResponse:
        answer = await self._backend(call, call.facts.request.body, call.facts.request.query)
        hop = ("transfer-encoding", "connection")
        headers = [(k, v) for k, v in answer.headers if k.lower() not in hop]
        headers.extend(call.facts.ids)
        return HttpResponse(answer.status, headers, answer.body)

    async def _http_custom(self, call: Call) -> HttpResponse:
        payload = _request_payload(call)
        answer = await self._backend(call, payload.encode("utf-8"), call.facts.request.query)
        chosen = _select(call.integration.responses, str(answer.status), True)
        return _mapped(call, chosen, answer.body.decode("utf-8", errors="replace"), answer.status)


def _mock(call: Call) -> HttpResponse:
    payload = _request_payload(call)
    try:
        status = int(orjson.loads(payload).get("statusCode", 200)) if payload.strip() else 200
    except (orjson.JSONDecodeError, AttributeError, TypeError, ValueError):
        raise internal_error() from None
    chosen = _select(call.integration.responses, str(status), True)
    return _mapped(call, chosen, "", status)


def _request_payload(call: Call) -> str:
    """The integration request's body: the request template of the request's content type,
    or the body passed through (``passthroughBehavior``)."""
    templates = call.integration.request_templates
    content_type = (call.facts.header("content-type") or "application/json").split(";")[0].strip()
    body = call.facts.request.body.decode("utf-8", errors="replace")
    behavior = call.integration.passthrough_behavior
    if content_type in templates:
        template = templates[content_type]
    elif (not templates and behavior != "NEVER") or behavior == "WHEN_NO_MATCH":
        return body
    else:
        raise GatewayError(UNSUPPORTED_MEDIA_TYPE, "Unsupported Media Type")
    if template is None:
        return body
    try:
        return vtl.render(template, body, call.params, call.context, call.stage_variables)
    except vtl.TemplateError as error:
        logger.info("Execution failed: the request template failed: %s", error)
        raise internal_error() from None


def _select(
    responses: tuple[RestIntegrationResponse, ...], selector: str, match_patterns: bool
) -> RestIntegrationResponse:
    """The integration response whose pattern matches ``selector`` (an error message, a
    status), else the default one (no pattern); none at all is a configuration error."""
    default = None
    for response in responses:
        pattern = response.selection_pattern
        if not pattern:
            default = response
        elif match_patterns and re.fullmatch(pattern, selector, re.DOTALL):
            return response
    if default is None:
        logger.info("Execution failed: no match for output mapping and no default mapping")
        raise internal_error()
    return default


def _mapped(
    call: Call, chosen: RestIntegrationResponse, output: str, backend_status: int
) -> HttpResponse:
    """The method response of ``chosen``: its status, header parameters, template."""
    templates = chosen.response_templates
    template = templates.get("application/json") if templates else None
    if template is None and templates:
        template = next(iter(templates.values()))
    content_type = "application/json"
    if templates and "application/json" not in templates:
        content_type = next(iter(templates))
    body = output
    if template:
        try:
            body = vtl.render(template, output, call.params, call.context, call.stage_variables)
        except vtl.TemplateError as error:
            logger.info("Execution failed: the response template failed: %s", error)
            raise internal_error() from None
    headers: list[tuple[str, str]] = [("content-type", content_type)]
    output_document: Any = None
    for name, source in chosen.response_parameters.items():
        if not name.startswith("method.response.header."):
            continue
        header = name[len("method.response.header.") :]
        if source.startswith("'") and source.endswith("'"):
            value: str | None = source[1:-1]
        elif source.startswith("integration.response.body"):
            if output_document is None:
                try:
                    output_document = orjson.loads(output)
                except orjson.JSONDecodeError:
                    output_document = {}
            found = vtl.json_path(output_document, "$" + source[len("integration.response.body") :])
            value = None if found is None else str(found)
        else:
            value = _parameter(source, call)
        if value is not None:
            headers = [(k, v) for k, v in headers if k.lower() != header.lower()]
            headers.append((header, value))
    headers.extend(call.facts.ids)
    status = int(chosen.status_code) if chosen.status_code.isdigit() else backend_status
    return HttpResponse(status, headers, body.encode("utf-8"))


def _parameter(source: str, call: Call) -> str | None:
    """A mapping's source value: ``method.request.{path,querystring,header}.NAME``,
    ``stageVariables.NAME``, ``context.NAME`` or a quoted literal."""
    if source.startswith("'") and source.endswith("'"):
        return source[1:-1]
    if source.startswith("method.request."):
        kind, _, name = source[len("method.request.") :].partition(".")
        values = call.params.get(kind, {})
        return values.get(name.lower() if kind == "header" else name)
    if source.startswith("stageVariables."):
        return call.stage_variables.get(source.split(".", 1)[1])
    if source.startswith("context."):
        value: Any = call.context
        for part in source.split(".")[1:]:
            value = value.get(part) if isinstance(value, dict) else None
        return None if value is None else str(value)
    return None


def proxy_response(payload: bytes, *, decode: bool = True) -> HttpResponse:
    """A Lambda proxy answer as the HTTP response (``payloads.response_v1``, no members but
    a proxy response's); 502 when malformed. A base64 body is decoded when ``decode`` (the
    request's ``Accept`` is a binary media type), else sent as the text it is."""
    try:
        answer = response_v1(payload, members=_PROXY_MEMBERS, decode=decode)
    except MalformedResponse:
        raise _malformed() from None
    if not any(name.lower() == "content-type" for name, _ in answer.headers):
        answer.headers.append(("content-type", "application/json"))
    return HttpResponse(answer.status, answer.headers, answer.body)


def _malformed() -> GatewayError:
    logger.info("Execution failed due to configuration error: Malformed Lambda proxy response")
    return function_failed()
