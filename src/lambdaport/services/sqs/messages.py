"""Messages: send (delay, FIFO deduplication), receive (visibility, long polling, FIFO
groups, redrive to the dead-letter queue), delete, change visibility, retention.

Every step is a handful of index seeks, whatever the queue's depth (see ``store/sqs.py``).
A long poll waits on the queue's doorbell, rung by sends, or until the next hidden message
becomes visible, whichever is first; it never polls the table on a timer.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
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
from lambdaport.store.sqs import SqsStore, StoredMessage

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


def _system(row: StoredMessage, fifo_queue: bool) -> dict[str, str]:
    out = {
        "SenderId": row.sender_id,
        "SentTimestamp": str(row.sent_at),
        "ApproximateReceiveCount": str(row.receive_count),
        "ApproximateFirstReceiveTimestamp": str(row.first_received_at or row.sent_at),
    }
    if row.group_id is not None:
        out["MessageGroupId"] = row.group_id
    if fifo_queue:
        out["SequenceNumber"] = fifo.sequence_number(row.seq)
        if row.deduplication_id is not None:
            out["MessageDeduplicationId"] = row.deduplication_id
    trace = decode_attributes(row.system_attributes).get("AWSTraceHeader")
    if trace is not None and trace.string_value is not None:
        out["AWSTraceHeader"] = trace.string_value
    if row.dead_letter_source_arn:
        out["DeadLetterQueueSourceArn"] = row.dead_letter_source_arn
    return out


class Messages:
    def __init__(self, directory: QueueDirectory) -> None:
        self.directory = directory
        self.store: SqsStore = directory.store

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

    def send(self, state: QueueState, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        """Store already checked messages in one transaction; ring the doorbell."""
        now = self.directory.clock()
        with self.store.transaction():
            results = [self._insert(state, message, now) for message in messages]
        state.doorbell.ring()
        return results

    def _insert(self, state: QueueState, message: OutgoingMessage, now: int) -> SendResult:
        queue = state.queue
        md5_attributes = md5_of_attributes(message.attributes)
        md5_system = md5_of_attributes(message.system_attributes)
        md5_body = md5_of_body(message.body)
        dedup_id = dedup_key = None
        if queue.fifo:
            group = message.group_id or ""
            dedup_id = fifo.deduplication_id(queue, message.body, message.deduplication_id)
            dedup_key = fifo.deduplication_key(queue, group, dedup_id)
            known = self.store.deduplicated(queue.queue_id, dedup_key, now)
            if known is not None:
                return SendResult(known[0], md5_body, md5_attributes, md5_system, known[1])
        delay = message.delay_seconds
        if delay is None or queue.fifo:
            delay = queue.number("DelaySeconds")
        visible_at = now + delay * 1000
        row = StoredMessage(
            seq=0,
            queue_id=queue.queue_id,
            message_id=str(uuid.uuid4()),
            body=message.body,
            attributes=_encode_attributes(message.attributes),
            system_attributes=_encode_attributes(message.system_attributes),
            md5_body=md5_body,
            md5_attributes=md5_attributes,
            md5_system_attributes=md5_system,
            sent_at=now,
            visible_at=visible_at,
            receive_count=0,
            first_received_at=None,
            receipt=None,
            group_id=message.group_id,
            deduplication_id=dedup_id,
            sender_id=message.sender_id or queue.account_id,
            dead_letter_source_arn=message.dead_letter_source_arn,
        )
        seq = self.store.insert_message(row)
        state.counts.added(seq, visible_at, now)
        sequence = None
        if queue.fifo and message.group_id is not None and dedup_key is not None:
            sequence = fifo.sequence_number(seq)
            self.store.add_group(queue.queue_id, message.group_id, visible_at, seq)
            self.store.remember_deduplication(
                queue.queue_id, dedup_key, row.message_id, sequence, fifo.deduplication_expiry(now)
            )
        return SendResult(row.message_id, md5_body, md5_attributes, md5_system, sequence)

    # -- receiving ----------------------------------------------------------------------

    async def receive(
        self, state: QueueState, *, limit: int, visibility_timeout: int, wait_seconds: int
    ) -> list[ReceivedMessage]:
        clock = self.directory.clock
        deadline = clock() + wait_seconds * 1000
        while True:
            if state.deleted:
                raise queue_does_not_exist()
            now = clock()
            taken = self._take(state, limit, visibility_timeout, now)
            if taken or now >= deadline:
                return taken
            queue_id = state.queue.queue_id
            if state.queue.fifo:
                next_at = fifo.next_ready_at(self.store, queue_id, now)
            else:
                next_at = self.store.next_visible_at(queue_id, now)
            until = deadline if next_at is None else min(deadline, next_at)
            await state.doorbell.wait((until - now) / 1000)

    def _take(
        self, state: QueueState, limit: int, visibility_timeout: int, now: int
    ) -> list[ReceivedMessage]:
        self.expire(state, now)
        queue = state.queue
        policy = queue.redrive_policy
        dead_letter = (
            None if policy is None else self.directory.find_arn(policy.dead_letter_target_arn)
        )
        out: list[ReceivedMessage] = []
        for _ in range(MAX_REFILLS):
            want = limit - len(out)
            if queue.fifo:
                rows = fifo.deliverable(self.store, queue.queue_id, now, want)
            else:
                rows = self.store.visible(queue.queue_id, now, want)
            if not rows:
                break
            moved = False
            taken: list[StoredMessage] = []
            with self.store.transaction():
                for row in rows:
                    if (
                        policy is not None
                        and dead_letter is not None
                        and row.receive_count >= policy.max_receive_count
                    ):
                        self._move(state, dead_letter, row, now)
                        moved = True
                    else:
                        taken.append(row)
                out.extend(self._mark_received(state, taken, visibility_timeout, now))
            if dead_letter is not None and moved:
                dead_letter.doorbell.ring()
            if not moved or len(out) >= limit:
                break
        return out

    def _mark_received(
        self, state: QueueState, rows: list[StoredMessage], visibility_timeout: int, now: int
    ) -> list[ReceivedMessage]:
        if not rows:
            return []
        queue = state.queue
        nonce = receipts.new_nonce()
        visible_at = now + visibility_timeout * 1000
        self.store.mark_received([row.seq for row in rows], visible_at, nonce, now)
        out = []
        for row in rows:
            if visible_at > now:
                state.counts.hide(row.seq, visible_at)
            else:
                state.counts.show(row.seq)
            received = replace(
                row,
                receive_count=row.receive_count + 1,
                first_received_at=row.first_received_at or now,
            )
            out.append(
                ReceivedMessage(
                    row.message_id,
                    receipts.encode(queue.queue_id, row.seq, nonce),
                    row.body,
                    row.md5_body,
                    decode_attributes(row.attributes),
                    _system(received, queue.fifo),
                )
            )
        if queue.fifo:
            for group_id in {row.group_id for row in rows if row.group_id is not None}:
                fifo.refresh_group(self.store, queue.queue_id, group_id)
        return out

    def _move(self, source: QueueState, target: QueueState, row: StoredMessage, now: int) -> None:
        """Redrive: the message leaves its queue for the dead-letter queue (same id, body
        and attributes; standard queues keep the enqueue time, FIFO queues restart it)."""
        self.store.delete_message(row.seq)
        source.counts.removed(row.seq)
        if source.queue.fifo and row.group_id is not None:
            fifo.refresh_group(self.store, source.queue.queue_id, row.group_id)
        dead_letter = target.queue
        sent_at = now if dead_letter.fifo else row.sent_at
        moved = replace(
            row,
            queue_id=dead_letter.queue_id,
            sent_at=sent_at,
            visible_at=now,
            receive_count=0,
            first_received_at=None,
            receipt=None,
            dead_letter_source_arn=source.queue.arn,
        )
        seq = self.store.insert_message(moved)
        target.counts.added(seq, now, now)
        if dead_letter.fifo and row.group_id is not None:
            self.store.add_group(dead_letter.queue_id, row.group_id, now, seq)

    # -- after receiving ----------------------------------------------------------------

    def _received_row(self, state: QueueState, handle: str) -> tuple[StoredMessage | None, str]:
        receipt = receipts.decode(handle)
        if receipt.queue_id != state.queue.queue_id:
            other = self.directory.by_id(receipt.queue_id)
            if other is not None:
                raise receipts.invalid_receipt(handle)
            return None, receipt.nonce  # a purged incarnation of this queue: gone
        row = self.store.message(receipt.seq)
        if row is None or row.queue_id != receipt.queue_id:
            return None, receipt.nonce
        return row, receipt.nonce

    def delete(self, state: QueueState, handle: str) -> None:
        """Delete with the latest receive's handle. On a standard queue an older handle
        succeeds and deletes nothing, as in AWS; on a FIFO queue a handle whose visibility
        timeout has passed is refused as expired. A deleted message's handle succeeds."""
        row, nonce = self._received_row(state, handle)
        if row is None:
            return
        if state.queue.fifo and (row.receipt != nonce or row.visible_at <= self.directory.clock()):
            raise invalid_value("ReceiptHandle", handle, "The receipt handle has expired.")
        if row.receipt != nonce:
            return
        self.store.delete_message(row.seq)
        state.counts.removed(row.seq)
        if state.queue.fifo and row.group_id is not None:
            fifo.refresh_group(self.store, row.queue_id, row.group_id)
            state.doorbell.ring()

    @staticmethod
    def check_visibility_timeout(timeout: int) -> None:
        if not 0 <= timeout <= 43_200:
            raise invalid_value(
                "VisibilityTimeout", timeout, "Must be >= 0 and <= 43200, if provided."
            )

    def change_visibility(self, state: QueueState, handle: str, timeout: int) -> None:
        self.check_visibility_timeout(timeout)
        row, nonce = self._received_row(state, handle)
        if row is None or row.receipt != nonce:
            raise invalid_value(
                "ReceiptHandle",
                handle,
                "Message does not exist or is not available for visibility timeout change.",
            )
        now = self.directory.clock()
        if row.visible_at <= now:
            raise AwsError("MessageNotInflight", "The message referred to isn't in flight.", 400)
        visible_at = now + timeout * 1000
        self.store.set_visible_at(row.seq, visible_at)
        if timeout > 0:
            state.counts.hide(row.seq, visible_at)
        else:
            state.counts.show(row.seq)
        if state.queue.fifo and row.group_id is not None:
            fifo.refresh_group(self.store, row.queue_id, row.group_id)
        if timeout == 0:
            state.doorbell.ring()

    # -- retention and housekeeping -----------------------------------------------------

    def expire(self, state: QueueState, now: int, *, force: bool = False) -> None:
        """Delete messages older than the retention period (at most once a second)."""
        if not force and now - state.checked_retention_at < RETENTION_CHECK_MS:
            return
        state.checked_retention_at = now
        queue = state.queue
        cutoff = now - queue.number("MessageRetentionPeriod") * 1000
        gone = self.store.expire(queue.queue_id, cutoff)
        for message in gone:
            state.counts.removed(message.seq)
        if queue.fifo:
            for group_id in {m.group_id for m in gone if m.group_id is not None}:
                fifo.refresh_group(self.store, queue.queue_id, group_id)

    def housekeeping(self) -> None:
        """Retention on every queue, forgotten deduplication ids, retired queues' rows."""
        now = self.directory.clock()
        for state in self.directory.all():
            self.expire(state, now, force=True)
        self.store.forget_deduplication(now)
        self.store.sweep_retired()
