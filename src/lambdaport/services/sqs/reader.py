"""SQS as in-process readers see it: :class:`SqsQueueReader` implements
``services.interfaces.QueueReader`` over the same receive, delete and doorbell that
ReceiveMessage and DeleteMessage use, so an event source mapping's poller reads the store
directly (no HTTP) and its long polls are woken by sends, never by a timer."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lambdaport.errors import resource_not_found
from lambdaport.services.interfaces import (
    MessageAttribute,
    QueueDescription,
    QueueMessage,
)
from lambdaport.services.sqs.digest import md5_of_attributes
from lambdaport.services.sqs.messages import Messages
from lambdaport.services.sqs.models import ReceivedMessage
from lambdaport.services.sqs.state import QueueState


def _message(received: ReceivedMessage) -> QueueMessage:
    return QueueMessage(
        message_id=received.message_id,
        receipt_handle=received.receipt_handle,
        body=received.body,
        md5_of_body=received.md5_body,
        md5_of_message_attributes=md5_of_attributes(received.attributes),
        attributes=dict(received.system),
        message_attributes={
            name: MessageAttribute(
                value.data_type,
                value.string_value,
                value.binary_value,
                value.string_list_values,
                value.binary_list_values,
            )
            for name, value in received.attributes.items()
        },
    )


class SqsQueueReader:
    def __init__(self, messages: Messages) -> None:
        self._messages = messages

    def _state(self, queue_arn: str) -> QueueState:
        state = self._messages.directory.find_arn(queue_arn)
        if state is None:
            raise resource_not_found(f"The queue {queue_arn} does not exist.")
        return state

    def describe(self, queue_arn: str) -> QueueDescription | None:
        state = self._messages.directory.find_arn(queue_arn)
        if state is None:
            return None
        queue = state.queue
        return QueueDescription(
            queue.arn,
            queue.account_id,
            queue.region,
            queue.fifo,
            queue.number("VisibilityTimeout"),
            state.counts.counts(self._messages.directory.clock()).visible,
        )

    async def receive(
        self,
        queue_arn: str,
        limit: int,
        *,
        wait_seconds: float,
        visibility_timeout: int | None = None,
    ) -> list[QueueMessage]:
        state = self._state(queue_arn)
        timeout = (
            state.queue.number("VisibilityTimeout")
            if visibility_timeout is None
            else visibility_timeout
        )
        received = await self._messages.receive(
            state, limit=limit, visibility_timeout=timeout, wait_seconds=wait_seconds
        )
        return [_message(message) for message in received]

    async def delete(self, queue_arn: str, receipt_handles: Sequence[str]) -> None:
        state = self._messages.directory.find_arn(queue_arn)
        if state is None:
            return
        await self._messages.delete_many(state, receipt_handles)

    def on_deleted(self, listener: Callable[[str], None]) -> Callable[[], None]:
        return self._messages.directory.on_deleted(listener)
