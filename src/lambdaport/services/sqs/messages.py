"""Messages: send (delay, FIFO deduplication), receive (visibility, long polling, FIFO
groups, redrive to the dead-letter queue), delete, change visibility, retention.

Each step is one store operation (``store/sqs.py``: a send, a receive that claims and
redrives, a delete or visibility change checked against the receipt), a handful of index
seeks whatever the queue's depth; the node-local counts are updated from what it reports.
A long poll waits on the queue's doorbell, rung by sends, or until the next hidden message
becomes visible, whichever is first; it never polls the table on a timer.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from lambdaport.errors import AwsError
from lambdaport.services.sqs import checks, fifo, receipts
from lambdaport.services.sqs.digest import md5_of_attributes, md5_of_body
from lambdaport.services.sqs.models import (
    AttributeValue,
    OutgoingMessage,
    Queue,
    ReceivedMessage,
    SendResult,
    invalid_parameter,
    invalid_value,
    missing_parameter,
    queue_does_not_exist,
)
from lambdaport.services.sqs.queues import QueueDirectory
from lambdaport.services.sqs.state import QueueState
from lambdaport.store.sqs import (
    MessageToSend,
    ReceiptCheck,
    Redrive,
    SqsTables,
    StoredMessage,
    sequence_number,
)

RETENTION_CHECK_MS = 1000
MAX_REFILLS = 4


def _encode_attributes(attributes: Mapping[str, AttributeValue]) -> bytes | None:
    if not attributes:
        return None
    out: dict[str, dict[str, Any]] = {}
    for name, value in attributes.items():
        item: dict[str, Any] = {"DataType": value.data_type}
        if value.string_value is not None:
            item["StringValue"] = value.string_value
        if value.binary_value is not None:
            item["BinaryValue"] = value.binary_value.hex()
        if value.string_list_values:
            item["StringListValues"] = list(value.string_list_values)
        if value.binary_list_values:
            item["BinaryListValues"] = [v.hex() for v in value.binary_list_values]
        out[name] = item
    return orjson.dumps(out)


def decode_attributes(raw: bytes | None) -> dict[str, AttributeValue]:
    if raw is None:
        return {}
    out: dict[str, AttributeValue] = {}
    for name, item in orjson.loads(raw).items():
        binary = item.get("BinaryValue")
        out[name] = AttributeValue(
            item["DataType"],
            item.get("StringValue"),
            None if binary is None else bytes.fromhex(binary),
            tuple(item.get("StringListValues", ())),
            tuple(bytes.fromhex(v) for v in item.get("BinaryListValues", ())),
        )
    return out


def _system(
    row: StoredMessage, fifo_queue: bool, receive_count: int, first_received_at: int | None
) -> dict[str, str]:
    """The system attributes of ``row`` as received for the ``receive_count``-th time."""
    out = {
        "SenderId": row.sender_id,
        "SentTimestamp": str(row.sent_at),
        "ApproximateReceiveCount": str(receive_count),
        "ApproximateFirstReceiveTimestamp": str(first_received_at or row.sent_at),
    }
    if row.group_id is not None:
        out["MessageGroupId"] = row.group_id
    if fifo_queue:
        out["SequenceNumber"] = sequence_number(row.seq)
        if row.deduplication_id is not None:
            out["MessageDeduplicationId"] = row.deduplication_id
    trace = decode_attributes(row.system_attributes).get("AWSTraceHeader")
    if trace is not None and trace.string_value is not None:
        out["AWSTraceHeader"] = trace.string_value
    if row.dead_letter_source_arn:
        out["DeadLetterQueueSourceArn"] = row.dead_letter_source_arn
    return out


def _traced(message: OutgoingMessage) -> Mapping[str, AttributeValue]:
    """The system attributes kept: as sent, with the request's trace header as the
    ``AWSTraceHeader`` when the sender gave none."""
    if message.trace_header is None or "AWSTraceHeader" in message.system_attributes:
        return message.system_attributes
    trace = AttributeValue("String", message.trace_header)
    return {**message.system_attributes, "AWSTraceHeader": trace}


class Messages:
    def __init__(self, directory: QueueDirectory) -> None:
        self.directory = directory
        self.store: SqsTables = directory.store

    # -- sending ------------------------------------------------------------------------

    def check_for_queue(
        self, queue: Queue, message: OutgoingMessage, *, batch_entry: bool = False
    ) -> None:
        """What depends on the queue: its maximum size; for FIFO queues group ids,
        deduplication ids and delays. A standard queue takes a MessageGroupId (fair
        queues, since 2025) but no MessageDeduplicationId."""
        size = checks.message_size(message.body, message.attributes)
        checks.check_size(size, queue.number("MaximumMessageSize"), batch_entry=batch_entry)
        if queue.fifo:
            if message.group_id is None:
                raise missing_parameter("MessageGroupId")
            if message.delay_seconds:
                raise invalid_value(
                    "DelaySeconds",
                    message.delay_seconds,
                    "The request include parameter that is not valid for this queue type.",
                )
            fifo.deduplication_id(queue, message.body, message.deduplication_id)
        elif message.deduplication_id is not None:
            raise invalid_parameter(
                "The request include parameter MessageDeduplicationId that is not valid for "
                "this queue type"
            )

    async def send(
        self, state: QueueState, messages: Sequence[OutgoingMessage]
    ) -> list[SendResult]:
        """Store already checked messages in one transaction; ring the doorbell."""
        now = self.directory.clock()
        queue = state.queue
        prepared = [self._prepare(queue, message, now) for message in messages]
        sent = await self.store.send(queue.queue_id, queue.fifo, [p[0] for p in prepared], now)
        results = []
        for (to_send, md5s), result in zip(prepared, sent, strict=True):
            if result.seq is not None:
                state.counts.added(result.seq, to_send.row.visible_at, now)
            results.append(SendResult(result.message_id, *md5s, result.sequence_number))
        state.doorbell.ring()
        return results

    @staticmethod
    def _prepare(
        queue: Queue, message: OutgoingMessage, now: int
    ) -> tuple[MessageToSend, tuple[str, str | None, str | None]]:
        """The row to insert, and the MD5s of body, attributes and system attributes."""
        md5_attributes = md5_of_attributes(message.attributes)
        md5_system = md5_of_attributes(message.system_attributes)
        md5_body = md5_of_body(message.body)
        dedup_id = dedup_key = None
        if queue.fifo:
            dedup_id = fifo.deduplication_id(queue, message.body, message.deduplication_id)
            dedup_key = fifo.deduplication_key(queue, message.group_id or "", dedup_id)
        delay = message.delay_seconds
        if delay is None or queue.fifo:
            delay = queue.number("DelaySeconds")
        row = StoredMessage(
            seq=0,
            queue_id=queue.queue_id,
            message_id=str(uuid.uuid4()),
            body=message.body,
            attributes=_encode_attributes(message.attributes),
            system_attributes=_encode_attributes(_traced(message)),
            md5_body=md5_body,
            md5_attributes=md5_attributes,
            md5_system_attributes=md5_system,
            sent_at=now,
            visible_at=now + delay * 1000,
            receive_count=0,
            first_received_at=None,
            receipt=None,
            group_id=message.group_id,
            deduplication_id=dedup_id,
            sender_id=message.sender_id or queue.account_id,
            dead_letter_source_arn=message.dead_letter_source_arn,
        )
        to_send = MessageToSend(row, dedup_key, fifo.deduplication_expiry(now))
        return to_send, (md5_body, md5_attributes, md5_system)

    # -- receiving ----------------------------------------------------------------------

    async def receive(
        self, state: QueueState, *, limit: int, visibility_timeout: int, wait_seconds: float
    ) -> list[ReceivedMessage]:
        clock = self.directory.clock
        deadline = clock() + wait_seconds * 1000
        while True:
            if state.deleted:
                raise queue_does_not_exist()
            now = clock()
            rung = state.doorbell.generation  # a send from here on ends the wait below
            taken = await self._take(state, limit, visibility_timeout, now)
            if taken or now >= deadline:
                return taken
            queue = state.queue
            next_at = await self.store.next_visible_at(queue.queue_id, queue.fifo, now)
            until = deadline if next_at is None else min(deadline, next_at)
            await state.doorbell.wait(rung, (until - now) / 1000)

    async def _take(
        self, state: QueueState, limit: int, visibility_timeout: int, now: int
    ) -> list[ReceivedMessage]:
        await self.expire(state, now)
        queue = state.queue
        policy = queue.redrive_policy
        dead_letter = (
            None if policy is None else self.directory.find_arn(policy.dead_letter_target_arn)
        )
        redrive = None
        if policy is not None and dead_letter is not None:
            target = dead_letter.queue
            redrive = Redrive(policy.max_receive_count, target.queue_id, target.fifo, queue.arn)
        nonce = receipts.new_nonce()
        visible_at = now + visibility_timeout * 1000
        received = await self.store.receive(
            queue.queue_id,
            queue.fifo,
            now=now,
            limit=limit,
            visible_at=visible_at,
            receipt=nonce,
            redrive=redrive,
            refills=MAX_REFILLS,
        )
        if dead_letter is not None and received.moved:
            for moved in received.moved:
                state.counts.removed(moved.row.seq)
                dead_letter.counts.added(moved.seq, now, now)
            dead_letter.doorbell.ring()
        return self._received(state, queue, received.rows, nonce, visible_at, now)

    @staticmethod
    def _received(
        state: QueueState,
        queue: Queue,
        rows: Sequence[StoredMessage],
        nonce: str,
        visible_at: int,
        now: int,
    ) -> list[ReceivedMessage]:
        out = []
        counts, queue_id, fifo_queue = state.counts, queue.queue_id, queue.fifo
        for row in rows:
            if visible_at > now:
                counts.hide(row.seq, visible_at)
            else:
                counts.show(row.seq)
            out.append(
                ReceivedMessage(
                    row.message_id,
                    receipts.encode(queue_id, row.seq, nonce),
                    row.body,
                    row.md5_body,
                    decode_attributes(row.attributes),
                    _system(row, fifo_queue, row.receive_count + 1, row.first_received_at or now),
                )
            )
        return out

    # -- after receiving ----------------------------------------------------------------

    def _receipt(self, state: QueueState, handle: str) -> tuple[int, str] | None:
        """(seq, nonce) of a handle of this queue; None for a purged incarnation's."""
        receipt = receipts.decode(handle)
        if receipt.queue_id != state.queue.queue_id:
            other = self.directory.by_id(receipt.queue_id)
            if other is not None:
                raise receipts.invalid_receipt(handle)
            return None  # a purged incarnation of this queue: gone
        return receipt.seq, receipt.nonce

    async def delete(self, state: QueueState, handle: str) -> None:
        """Delete with the latest receive's handle. On a standard queue an older handle
        succeeds and deletes nothing, as in AWS; on a FIFO queue a handle whose visibility
        timeout has passed is refused as expired. A deleted message's handle succeeds."""
        found = self._receipt(state, handle)
        if found is None:
            return
        seq, nonce = found
        queue = state.queue
        outcome = await self.store.delete(
            queue.queue_id, queue.fifo, seq, nonce, self.directory.clock()
        )
        if outcome.check is ReceiptCheck.EXPIRED:
            raise invalid_value("ReceiptHandle", handle, "The receipt handle has expired.")
        if outcome.check is ReceiptCheck.DONE:
            state.counts.removed(seq)
            if queue.fifo and outcome.group_id is not None:
                state.doorbell.ring()

    async def delete_many(self, state: QueueState, handles: Sequence[str]) -> None:
        """:meth:`delete` of each handle in one store operation (an event source mapping's
        batch); a stale or expired handle, or one of another queue (or of a purged
        incarnation of this one), deletes nothing."""
        queue_id = state.queue.queue_id
        receipts = []
        for handle in handles:
            found = self._received_handle(handle)
            if found is not None and found[0] == queue_id:
                receipts.append(found[1:])
        if not receipts:
            return
        queue = state.queue
        outcomes = await self.store.delete_many(
            queue.queue_id, queue.fifo, receipts, self.directory.clock()
        )
        ring = False
        for (seq, _), outcome in zip(receipts, outcomes, strict=True):
            if outcome.check is ReceiptCheck.DONE:
                state.counts.removed(seq)
                ring = ring or (queue.fifo and outcome.group_id is not None)
        if ring:
            state.doorbell.ring()

    @staticmethod
    def _received_handle(handle: str) -> tuple[int, int, str] | None:
        """(queue id, seq, nonce) of a handle; None when it is not one."""
        try:
            receipt = receipts.decode(handle)
        except AwsError:
            return None
        return receipt.queue_id, receipt.seq, receipt.nonce

    @staticmethod
    def check_visibility_timeout(timeout: int) -> None:
        if not 0 <= timeout <= 43_200:
            raise invalid_value(
                "VisibilityTimeout", timeout, "Must be >= 0 and <= 43200, if provided."
            )

    async def change_visibility(self, state: QueueState, handle: str, timeout: int) -> None:
        self.check_visibility_timeout(timeout)
        found = self._receipt(state, handle)
        outcome = None
        now = self.directory.clock()
        visible_at = now + timeout * 1000
        if found is not None:
            queue = state.queue
            outcome = await self.store.change_visibility(
                queue.queue_id, queue.fifo, found[0], found[1], now, visible_at
            )
        if outcome is None or outcome.check is ReceiptCheck.GONE:
            raise invalid_value(
                "ReceiptHandle",
                handle,
                "Message does not exist or is not available for visibility timeout change.",
            )
        if outcome.check is ReceiptCheck.NOT_IN_FLIGHT:
            raise AwsError("MessageNotInflight", "The message referred to isn't in flight.", 400)
        seq = found[0] if found is not None else 0
        if timeout > 0:
            state.counts.hide(seq, visible_at)
        else:
            state.counts.show(seq)
        if timeout == 0:
            state.doorbell.ring()

    # -- retention and housekeeping -----------------------------------------------------

    async def expire(self, state: QueueState, now: int, *, force: bool = False) -> None:
        """Delete messages older than the retention period (at most once a second)."""
        if not force and now - state.checked_retention_at < RETENTION_CHECK_MS:
            return
        state.checked_retention_at = now
        queue = state.queue
        cutoff = now - queue.number("MessageRetentionPeriod") * 1000
        for message in await self.store.expire(queue.queue_id, queue.fifo, cutoff):
            state.counts.removed(message.seq)

    async def housekeeping(self) -> None:
        """Retention on every queue, forgotten deduplication ids, retired queues' rows."""
        now = self.directory.clock()
        for state in self.directory.all():
            await self.expire(state, now, force=True)
        await self.store.forget_deduplication(now)
        await self.store.sweep_retired()
