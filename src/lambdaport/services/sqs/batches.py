"""Messages from request parameters, and the batch operations' per-entry results."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from lambdaport.errors import AwsError
from lambdaport.services.sqs import checks
from lambdaport.services.sqs.fifo import fifo_deduplication_message
from lambdaport.services.sqs.messages import Messages
from lambdaport.services.sqs.models import (
    MAX_DELAY_SECONDS,
    MAX_MESSAGE_SIZE,
    OutgoingMessage,
    Queue,
    SendResult,
    check_message_token,
    invalid_parameter,
    invalid_value,
    missing_parameter,
)
from lambdaport.services.sqs.state import QueueState

Result = dict[str, Any]


def _failure(entry_id: str, error: AwsError) -> dict[str, Any]:
    return {
        "Id": entry_id,
        "SenderFault": error.sender_fault,
        "Code": error.code,
        "Message": error.message,
    }


class Batches:
    def __init__(self, messages: Messages) -> None:
        self.messages = messages

    @staticmethod
    def outgoing(
        params: Mapping[str, Any], sender_id: str, trace_header: str | None = None
    ) -> OutgoingMessage:
        """A checked message from SendMessage's (or a batch entry's) parameters: what can be
        checked before the queue is looked up (the rest is ``Messages.check_for_queue``).
        ``trace_header``: the request's X-Amzn-Trace-Id, the message's ``AWSTraceHeader``
        unless the sender gave one."""
        body = params.get("MessageBody")
        if body is None or body == "":
            raise missing_parameter("MessageBody")
        body = str(body)
        checks.check_text(body)
        user = checks.message_attributes(params.get("MessageAttributes"))
        system = checks.system_attributes(params.get("MessageSystemAttributes"))
        check_message_token("MessageGroupId", params.get("MessageGroupId"))
        check_message_token("MessageDeduplicationId", params.get("MessageDeduplicationId"))
        delay = params.get("DelaySeconds")
        if delay is not None and not 0 <= int(delay) <= MAX_DELAY_SECONDS:
            raise invalid_value("DelaySeconds", delay, "DelaySeconds must be >= 0 and <= 900.")
        return OutgoingMessage(
            body,
            user,
            system,
            None if delay is None else int(delay),
            params.get("MessageGroupId"),
            params.get("MessageDeduplicationId"),
            sender_id,
            trace_header=trace_header or None,
        )

    @staticmethod
    def send_result(result: SendResult) -> Result:
        out: Result = {"MessageId": result.message_id, "MD5OfMessageBody": result.md5_body}
        if result.md5_attributes:
            out["MD5OfMessageAttributes"] = result.md5_attributes
        if result.md5_system_attributes:
            out["MD5OfMessageSystemAttributes"] = result.md5_system_attributes
        if result.sequence_number:
            out["SequenceNumber"] = result.sequence_number
        return out

    @staticmethod
    def check_entries(entries: list[Mapping[str, Any]]) -> None:
        """What refuses a whole SendMessageBatch before its queue is looked up."""
        checks.check_batch(entries, "SendMessageBatchRequestEntry")
        total = sum(
            len(str(entry.get("MessageBody") or "").encode())
            + sum(
                len(k) + len(str(v.get("StringValue") or "")) + len(v.get("BinaryValue") or b"")
                for k, v in (entry.get("MessageAttributes") or {}).items()
            )
            for entry in entries
        )
        if total > MAX_MESSAGE_SIZE:
            raise AwsError(
                "BatchRequestTooLong",
                f"Batch requests cannot be longer than {MAX_MESSAGE_SIZE} bytes. "
                f"You have sent {total} bytes.",
                400,
            )

    async def send(
        self,
        state: QueueState,
        entries: list[Mapping[str, Any]],
        sender_id: str,
        trace_header: str | None = None,
    ) -> Result:
        """SendMessageBatch on its (found) queue; ``check_entries`` has passed. On a FIFO
        queue an entry without a group id, or without a deduplication id where the queue
        does not deduplicate by content, fails the whole request, as on AWS; every other
        problem fails its entry only."""
        if state.queue.fifo:
            _check_fifo_entries(state.queue, entries)
        accepted: list[tuple[str, OutgoingMessage]] = []
        failed: list[dict[str, Any]] = []
        for entry in entries:
            try:
                message = self.outgoing(entry, sender_id, trace_header)
                self.messages.check_for_queue(state.queue, message, batch_entry=True)
            except AwsError as error:
                failed.append(_failure(str(entry["Id"]), error))
                continue
            accepted.append((str(entry["Id"]), message))
        results = await self.messages.send(state, [message for _, message in accepted])
        successful = [
            {"Id": entry_id, **self.send_result(result)}
            for (entry_id, _), result in zip(accepted, results, strict=True)
        ]
        return {"Successful": successful, "Failed": failed}

    @staticmethod
    async def each(
        entries: list[Mapping[str, Any]],
        action: Callable[[Mapping[str, Any]], Awaitable[None]],
    ) -> Result:
        """Run ``action`` on every entry at once (their store operations share a commit;
        the store runs them in the entries' order)."""
        outcomes = await asyncio.gather(
            *(action(entry) for entry in entries), return_exceptions=True
        )
        successful: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        for entry, outcome in zip(entries, outcomes, strict=True):
            if isinstance(outcome, AwsError):
                failed.append(_failure(str(entry["Id"]), outcome))
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                successful.append({"Id": entry["Id"]})
        return {"Successful": successful, "Failed": failed}


def _check_fifo_entries(queue: Queue, entries: list[Mapping[str, Any]]) -> None:
    for entry in entries:
        if entry.get("MessageGroupId") is None:
            raise invalid_parameter("The request must contain the parameter MessageGroupId.")
        if entry.get("MessageDeduplicationId") is None and not queue.content_based_deduplication:
            raise invalid_parameter(fifo_deduplication_message())
