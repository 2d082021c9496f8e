"""Where finished asynchronous invocations go: OnSuccess / OnFailure destinations and the
function's dead-letter queue, through one interface.

A :class:`DestinationTarget` delivers to the ARNs of one service. ``app.py`` hands in a
target per service (``lambda``, ``sqs``, ``sns``, ``events``, ``s3``); the Lambda target
(an asynchronous invoke of the destination function) is here. A service lambdaport does not
serve yet gets :class:`UnservedTarget`, whose every delivery fails with a clear log line.
Delivery failures are logged and dropped, as AWS counts them in ``DestinationDeliveryFailures``
and ``DeadLetterErrors`` without retrying.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from lambdaport.invoke.model import InvokeDoor, InvokeRequest

logger = logging.getLogger("lambdaport.async")

DeliveryKind = Literal["OnSuccess", "OnFailure", "DeadLetter"]


@dataclass(frozen=True, slots=True)
class MessageAttribute:
    """An SQS/SNS message attribute (the DLQ's RequestID, ErrorCode and ErrorMessage)."""

    data_type: Literal["String", "Number"]
    string_value: str


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message for one destination.

    ``body`` is the invocation record (OnSuccess, OnFailure) or the original event unchanged
    (DeadLetter). ``function_arn`` is the source function, qualified as invoked; a target
    that needs more (EventBridge's ``detail-type``, S3's object key) derives it from ``kind``,
    ``function_arn`` and ``request_id``.
    """

    destination_arn: str
    kind: DeliveryKind
    function_arn: str
    request_id: str
    account_id: str
    region: str
    body: bytes
    attributes: Mapping[str, MessageAttribute] = field(default_factory=dict)
    trace_header: str | None = None  # the invocation's X-Ray trace header, passed on as AWS does


class DestinationTarget(Protocol):
    async def deliver(self, delivery: Delivery) -> None:
        """Deliver or raise (any exception is a failed delivery)."""


class DeliveryFailed(Exception):
    pass


class UnservedTarget:
    """A service lambdaport does not serve (yet): every delivery fails."""

    def __init__(self, service: str) -> None:
        self.service = service

    async def deliver(self, delivery: Delivery) -> None:
        raise DeliveryFailed(
            f"lambdaport does not serve {self.service} yet, so nothing can be delivered to "
            f"{delivery.destination_arn}"
        )


class LambdaTarget:
    """A Lambda function destination: the record is the payload of an asynchronous invoke."""

    def __init__(self, invoker: InvokeDoor) -> None:
        self._invoker = invoker

    async def deliver(self, delivery: Delivery) -> None:
        if delivery.kind == "DeadLetter":
            raise DeliveryFailed("a dead-letter queue must be an SQS queue or an SNS topic")
        await self._invoker.invoke(
            InvokeRequest(
                account_id=delivery.account_id,
                region=delivery.region,
                function_name=delivery.destination_arn,
                payload=delivery.body,
                invocation_type="Event",
                trace_header=delivery.trace_header,
            )
        )


def arn_service(arn: str) -> str:
    parts = arn.split(":", 5)
    return parts[2] if len(parts) == 6 and parts[0] == "arn" else ""


class Destinations:
    """Routes each delivery to the target of its ARN's service."""

    def __init__(self, targets: Mapping[str, DestinationTarget]) -> None:
        self._targets = dict(targets)

    def target(self, arn: str) -> DestinationTarget:
        service = arn_service(arn)
        return self._targets.get(service) or UnservedTarget(service or arn)

    async def deliver(self, delivery: Delivery) -> bool:
        try:
            await self.target(delivery.destination_arn).deliver(delivery)
        except Exception as error:
            logger.warning(
                "async: cannot deliver the %s message of request %s (%s) to %s: %s",
                delivery.kind,
                delivery.request_id,
                delivery.function_arn,
                delivery.destination_arn,
                error,
            )
            return False
        logger.debug(
            "async: delivered the %s message of request %s to %s",
            delivery.kind,
            delivery.request_id,
            delivery.destination_arn,
        )
        return True
