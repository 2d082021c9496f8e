"""Custom resources (``AWS::CloudFormation::CustomResource``, ``Custom::*``): CloudFormation
sends the resource's provider a request and waits for its answer
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref.html; AWS-SEMANTICS
D.7).

The request (``RequestType`` Create/Update/Delete, ``ResponseURL``, ``StackId``,
``RequestId``, ``LogicalResourceId``, ``ResourceType``, ``ResourceProperties`` with every
value a string, ``PhysicalResourceId`` for Update/Delete, ``OldResourceProperties`` for
Update) goes to a Lambda function asynchronously through ``invoke.triggers`` (as the stack's
operator: no resource policy is needed in the account), or to an SNS topic through the
``TopicSink``. The provider answers with an HTTP PUT of ``{Status, Reason, PhysicalResourceId,
StackId, RequestId, LogicalResourceId, NoEcho, Data}`` to the ``ResponseURL``: a one-time URL
lambdaport hosts under ``/_lambdaport/cloudformation/responses/`` and answers as S3 answers a
presigned PUT (cfn-response, powertools and CDK's provider framework PUT there unchanged).
``Data`` is what ``Fn::GetAtt`` reads; a FAILED answer fails the resource with its
``Reason``; no answer within ``ServiceTimeout`` (default 3600 s, times the async delay scale)
fails it as AWS words it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import uuid
from dataclasses import dataclass
from typing import Any, Final

from lambdaport.errors import AwsError
from lambdaport.invoke.triggers import PushTriggers, TriggerSource
from lambdaport.protocol.base import HttpRequest, HttpResponse
from lambdaport.services.cloudformation.providers.base import (
    Created,
    Provider,
    ProviderFailed,
    ResourceRequest,
)
from lambdaport.services.interfaces import TopicSink

logger = logging.getLogger("lambdaport.cloudformation")

ROUTE_PREFIX: Final = "/_lambdaport/cloudformation/responses/"
DEFAULT_TIMEOUT_S: Final = 3600.0
MAX_DATA_BYTES: Final = 4096


class CustomResourceFailed(ProviderFailed):
    """The provider answered FAILED (``physical_id``: what it named, for the rollback's Delete)."""


def as_strings(value: Any) -> Any:
    """Template properties as CloudFormation sends them: every scalar a string."""
    if isinstance(value, dict):
        return {key: as_strings(member) for key, member in value.items()}
    if isinstance(value, list):
        return [as_strings(member) for member in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


@dataclass
class _Waiting:
    request_id: str
    stack_id: str
    logical_id: str
    answer: asyncio.Future[dict[str, Any]]


class CustomResources(Provider):
    """The provider of every custom resource type."""

    def __init__(
        self,
        triggers: PushTriggers,
        topics: TopicSink | None,
        base_url: str,
        delay_scale: float = 1.0,
    ) -> None:
        self._triggers = triggers
        self._topics = topics
        self._base_url = base_url.rstrip("/")
        self._scale = delay_scale
        self._waiting: dict[str, _Waiting] = {}

    def replaces(self, previous: Any, properties: Any) -> bool:
        return False  # an Update goes to the provider, which may answer a new physical id

    @property
    def pending(self) -> int:
        return len(self._waiting)

    # -- the provider's side ---------------------------------------------------------------

    async def create(self, request: ResourceRequest) -> Created:
        answer = await self._ask("Create", request)
        return self._created(request, answer)

    async def update(self, request: ResourceRequest) -> Created:
        if request.properties.get("ServiceToken") != request.previous.get("ServiceToken"):
            raise ProviderFailed("Modifying service token is not allowed.")
        answer = await self._ask("Update", request)
        return self._created(request, answer)

    async def delete(self, request: ResourceRequest) -> None:
        await self._ask("Delete", request)

    def _created(self, request: ResourceRequest, answer: dict[str, Any]) -> Created:
        physical = str(answer.get("PhysicalResourceId") or "")
        if not physical:
            raise ProviderFailed(
                "Invalid PhysicalResourceId: the custom resource's response has none"
            )
        data = answer.get("Data") or {}
        if not isinstance(data, dict):
            raise ProviderFailed("Invalid response: Data must be an object")
        if len(json.dumps(data)) > MAX_DATA_BYTES:
            raise ProviderFailed("Response object is too long.")
        return Created(physical, {str(k): v for k, v in data.items()})

    def _event(
        self, request_type: str, request: ResourceRequest, url: str, request_id: str
    ) -> dict[str, Any]:
        event: dict[str, Any] = {
            "RequestType": request_type,
            "ServiceToken": str(request.properties.get("ServiceToken", "")),
            "ResponseURL": url,
            "StackId": request.stack.stack_id,
            "RequestId": request_id,
            "LogicalResourceId": request.logical_id,
            "ResourceType": request.resource_type,
            "ResourceProperties": as_strings(dict(request.properties)),
        }
        if request_type != "Create":
            event["PhysicalResourceId"] = request.physical_id
        if request_type == "Update":
            event["OldResourceProperties"] = as_strings(dict(request.previous))
        return event

    def _timeout(self, request: ResourceRequest) -> float:
        value = request.properties.get("ServiceTimeout")
        seconds = DEFAULT_TIMEOUT_S
        if value is not None:
            try:
                seconds = float(value)
            except (TypeError, ValueError):
                raise ProviderFailed("ServiceTimeout must be a number of seconds") from None
            if not 1 <= seconds <= 3600:
                raise ProviderFailed("ServiceTimeout must be between 1 and 3600 seconds")
        return seconds * self._scale if self._scale > 0 else seconds

    async def _ask(self, request_type: str, request: ResourceRequest) -> dict[str, Any]:
        token = str(request.properties.get("ServiceToken") or "")
        if not token:
            raise ProviderFailed("Properties validation failed: ServiceToken is required")
        key = secrets.token_urlsafe(24)
        request_id = str(uuid.uuid4())
        url = f"{self._base_url}{ROUTE_PREFIX}{key}"
        event = self._event(request_type, request, url, request_id)
        waiting = _Waiting(
            request_id,
            request.stack.stack_id,
            request.logical_id,
            asyncio.get_running_loop().create_future(),
        )
        self._waiting[key] = waiting
        try:
            await self._send(token, request, event)
            try:
                answer = await asyncio.wait_for(waiting.answer, self._timeout(request))
            except TimeoutError:
                raise ProviderFailed(
                    "CloudFormation did not receive a response from your Custom Resource. "
                    f"Please check your logs for requestId [{request_id}]. If you are using the "
                    "Python cfn-response module, you may need to update your Lambda function "
                    "code so that CloudFormation can attach the updated version."
                ) from None
        finally:
            self._waiting.pop(key, None)
        if answer.get("Status") == "FAILED":
            raise CustomResourceFailed(
                "Received response status [FAILED] from custom resource. Message returned: "
                f"{answer.get('Reason') or 'no reason given'} (RequestId: {request_id})",
                str(answer.get("PhysicalResourceId") or ""),
            )
        return answer

    async def _send(self, token: str, request: ResourceRequest, event: dict[str, Any]) -> None:
        body = json.dumps(event)
        stack = request.stack
        if token.startswith("arn:aws:sns:"):
            if self._topics is None or not await self._topics.topic_exists(token):
                raise ProviderFailed(f"Invalid service token: topic {token} does not exist")
            await self._topics.publish(token, body)
            return
        if not token.startswith("arn:aws:lambda:"):
            raise ProviderFailed(f"Invalid service token: {token}")
        source = TriggerSource.operator(stack.stack_id, stack.account, stack.region)
        try:
            await self._triggers.send(source, token, body.encode())
        except AwsError as error:
            raise ProviderFailed(f"Invalid service token {token}: {error.message}") from None

    # -- the ResponseURL -------------------------------------------------------------------

    async def handle_http(self, request: HttpRequest) -> HttpResponse:
        """A provider's PUT to its ResponseURL, answered as S3 answers a presigned PUT."""
        key = request.path[len(ROUTE_PREFIX) :]
        waiting = self._waiting.get(key)
        if request.method != "PUT":
            return _s3_error(
                405,
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
            )
        if waiting is None or waiting.answer.done():
            return _s3_error(403, "AccessDenied", "Request has expired")
        try:
            answer = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            answer = None
        if not isinstance(answer, dict) or answer.get("Status") not in ("SUCCESS", "FAILED"):
            waiting.answer.set_result(
                {
                    "Status": "FAILED",
                    "Reason": "Invalid response: the body is not a response object",
                }
            )
        elif answer.get("RequestId") not in (None, waiting.request_id) or answer.get(
            "LogicalResourceId"
        ) not in (None, waiting.logical_id):
            waiting.answer.set_result(
                {
                    "Status": "FAILED",
                    "Reason": "Invalid response: its RequestId or LogicalResourceId is not "
                    "the request's",
                }
            )
        else:
            waiting.answer.set_result(answer)
        etag = f'"{uuid.uuid4().hex}"'
        return HttpResponse(200, [("etag", etag)], b"")


def _s3_error(status: int, code: str, message: str) -> HttpResponse:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    ).encode()
    return HttpResponse(status, [("content-type", "application/xml")], body)
