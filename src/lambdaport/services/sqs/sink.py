"""SQS as other services reach it: :class:`QueueSink` (S3 and SNS notifications, anything
that puts a message on a queue by ARN) and :class:`QueueDestination` (asynchronous
invocation destinations and dead-letter queues)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdaport.invoke.asynchronous.destinations import Delivery
from lambdaport.services.interfaces import MessageAttribute
from lambdaport.services.sqs.batches import Batches
from lambdaport.services.sqs.messages import Messages
from lambdaport.services.sqs.models import queue_does_not_exist


class SqsQueueSink:
    """Implements ``services.interfaces.QueueSink``: the message is checked as SendMessage
    checks it (:meth:`Batches.outgoing`), sent by the queue's own account."""

    def __init__(self, messages: Messages) -> None:
        self._messages = messages
        self._batches = Batches(messages)

    def queue_exists(self, queue_arn: str) -> bool:
        return self._messages.directory.find_arn(queue_arn) is not None

    async def send_message(
        self,
        queue_arn: str,
        body: str,
        attributes: Mapping[str, MessageAttribute] | None = None,
        *,
        message_group_id: str | None = None,
        message_deduplication_id: str | None = None,
        trace_header: str | None = None,
    ) -> str:
        state = self._messages.directory.find_arn(queue_arn)
        if state is None:
            raise queue_does_not_exist()
        params: dict[str, Any] = {
            "MessageBody": body,
            "MessageAttributes": {
                name: {
                    "DataType": value.data_type,
                    "StringValue": value.string_value,
                    "BinaryValue": value.binary_value,
                }
                for name, value in (attributes or {}).items()
            },
            "MessageGroupId": message_group_id,
            "MessageDeduplicationId": message_deduplication_id,
        }
        if trace_header:
            params["MessageSystemAttributes"] = {
                "AWSTraceHeader": {"DataType": "String", "StringValue": trace_header}
            }
        queue = state.queue
        message = self._batches.outgoing(params, queue.account_id)
        self._messages.check_for_queue(queue, message)
        return (await self._messages.send(state, [message]))[0].message_id


class QueueDestination:
    """A ``DestinationTarget`` for queue ARNs (OnSuccess, OnFailure, DeadLetter): the body
    is the record (or the event, for a dead-letter queue), the attributes as given. A FIFO
    queue refuses it for want of a group id, as AWS does not take FIFO destinations."""

    def __init__(self, sink: SqsQueueSink) -> None:
        self._sink = sink

    async def deliver(self, delivery: Delivery) -> None:
        attributes = {
            name: MessageAttribute(value.data_type, value.string_value)
            for name, value in delivery.attributes.items()
        }
        await self._sink.send_message(
            delivery.destination_arn,
            delivery.body.decode(),
            attributes,
            trace_header=delivery.trace_header,
        )
