"""``SnsService``: SNS built from its parts, the ``TopicSink`` other services publish through,
and SNS's own HTTP endpoints on lambdaport's server (the signing certificate, SubscribeURL
and UnsubscribeURL)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from lambdaport.errors import AwsError
from lambdaport.invoke.model import InvokeDoor
from lambdaport.invoke.triggers import PushTriggers
from lambdaport.protocol.base import HttpRequest, HttpResponse
from lambdaport.protocol.xml_codec import xml_text
from lambdaport.request import RequestContext
from lambdaport.services.interfaces import MessageAttribute, QueueSink
from lambdaport.services.sns.api import SnsApi
from lambdaport.services.sns.delivery import Deliveries
from lambdaport.services.sns.destination import TopicDestination
from lambdaport.services.sns.messages import Envelopes
from lambdaport.services.sns.publishing import Publisher, PublishInput
from lambdaport.services.sns.signing import Signer
from lambdaport.services.sns.subscriptions import Subscriptions
from lambdaport.services.sns.topics import Topics
from lambdaport.store.sns import SnsTables

logger = logging.getLogger("lambdaport.sns")

ROUTE_PREFIX = "/_lambdaport/sns/"
_NAMESPACE = "http://sns.amazonaws.com/doc/2010-03-31/"


class SnsService:
    """Topics, subscriptions, publishing and deliveries of one server."""

    def __init__(
        self,
        store: SnsTables,
        *,
        data_dir: Path,
        base_url: str,
        invoker: InvokeDoor,
        queues: QueueSink | None = None,
        delay_scale: float = 1.0,
        signing_dir: Path | None = None,
    ) -> None:
        self._store = store
        signer = Signer(signing_dir or data_dir / "sns")
        self.envelopes = Envelopes(base_url, signer)
        self._signer = signer
        self.deliveries = Deliveries(
            self._store, self.envelopes, PushTriggers(invoker.invoke), queues, delay_scale
        )
        self.topics = Topics(self._store)
        self.subscriptions = Subscriptions(
            self._store, self.topics, self.deliveries.request_confirmation
        )
        self.publisher = Publisher(self._store, self.topics, self.deliveries.accept)
        self.api = SnsApi(self.topics, self.subscriptions, self.publisher)
        # Asynchronous-invocation destinations and dead-letter targets that are topics.
        self.destination = TopicDestination(self)

    async def dispatch(
        self, ctx: RequestContext, operation: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        return await self.api.dispatch(ctx, operation, params)

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        await self.deliveries.start()

    async def stop(self) -> None:
        await self.deliveries.stop()

    def status(self) -> dict[str, int]:
        return {"deliveriesInFlight": self.deliveries.pending()}

    # -- TopicSink -------------------------------------------------------------------------

    async def publish(
        self,
        topic_arn: str,
        message: str,
        attributes: Mapping[str, MessageAttribute] | None = None,
        *,
        subject: str | None = None,
        trace_header: str | None = None,
    ) -> str:
        raw: dict[str, dict[str, Any]] = {}
        for name, attribute in (attributes or {}).items():
            value: dict[str, Any] = {"DataType": attribute.data_type}
            if attribute.binary_value is not None:
                value["BinaryValue"] = attribute.binary_value
            else:
                value["StringValue"] = attribute.string_value
            raw[name] = value
        result = await self.publisher.publish(
            topic_arn,
            PublishInput(
                message=message, subject=subject, attributes=raw, trace_header=trace_header
            ),
        )
        return result["MessageId"]

    async def topic_exists(self, topic_arn: str) -> bool:
        return await self.topics.exists(topic_arn)

    # -- SNS's own endpoints ---------------------------------------------------------------

    async def handle_http(self, request: HttpRequest) -> HttpResponse:
        """``/_lambdaport/sns/SimpleNotificationService-….pem`` (the signing certificate) and
        ``/_lambdaport/sns/?Action=ConfirmSubscription|Unsubscribe&…`` (SubscribeURL and
        UnsubscribeURL, answered with the XML AWS answers them with)."""
        name = request.path[len(ROUTE_PREFIX) :]
        if name == self._signer.certificate_name:
            return HttpResponse(
                200, [("content-type", "application/x-x509-ca-cert")], self._signer.certificate_pem
            )
        if name:
            return _xml_error(404, "NotFound", f"no SNS resource at {request.path}")
        query = {k: v[-1] for k, v in parse_qs(request.query).items()}
        try:
            return await self._action(query)
        except AwsError as error:
            return _xml_error(error.status, error.code, error.message)

    async def _action(self, query: Mapping[str, str]) -> HttpResponse:
        action = query.get("Action", "")
        if action == "ConfirmSubscription":
            arn = await self.subscriptions.confirm(
                query.get("TopicArn", ""), query.get("Token", "")
            )
            result = f"<SubscriptionArn>{escape(arn)}</SubscriptionArn>"
        elif action == "Unsubscribe":
            await self.subscriptions.unsubscribe(query.get("SubscriptionArn", ""))
            result = ""
        else:
            raise AwsError("InvalidAction", f"The action {action or '(none)'} is not valid.")
        body = (
            f'<{action}Response xmlns="{_NAMESPACE}"><{action}Result>{result}</{action}Result>'
            f"<ResponseMetadata><RequestId>lambdaport</RequestId></ResponseMetadata>"
            f"</{action}Response>"
        )
        return HttpResponse(200, [("content-type", "text/xml")], body.encode())


def _xml_error(status: int, code: str, message: str) -> HttpResponse:
    body = (
        f'<ErrorResponse xmlns="{_NAMESPACE}"><Error><Type>Sender</Type>'
        f"<Code>{xml_text(code)}</Code><Message>{xml_text(message)}</Message></Error>"
        "<RequestId>lambdaport</RequestId></ErrorResponse>"
    )
    return HttpResponse(status, [("content-type", "text/xml")], body.encode())
