"""A received message as ReceiveMessage returns it: the system attributes asked for
(``AttributeNames`` / ``MessageSystemAttributeNames``, ``All``), the message attributes
asked for (names, ``All``, ``.*`` and ``prefix.*``), and the MD5 of those returned."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from lambdaport.services.sqs.digest import md5_of_attributes
from lambdaport.services.sqs.models import AttributeValue, ReceivedMessage

MESSAGE_SYSTEM_ATTRIBUTE_NAMES = frozenset(
    (
        "All",
        "SenderId",
        "SentTimestamp",
        "ApproximateReceiveCount",
        "ApproximateFirstReceiveTimestamp",
        "SequenceNumber",
        "MessageDeduplicationId",
        "MessageGroupId",
        "AWSTraceHeader",
        "DeadLetterQueueSourceArn",
    )
)


def _system_attributes(system: Mapping[str, str], names: Iterable[str]) -> dict[str, str]:
    wanted = set(names)
    if "All" in wanted:
        return dict(system)
    return {name: value for name, value in system.items() if name in wanted}


def _wanted(name: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        if pattern in ("All", ".*") or pattern == name:
            return True
        if pattern.endswith(".*") and name.startswith(pattern[:-1]):
            return True
    return False


def _attribute(value: AttributeValue) -> dict[str, Any]:
    out: dict[str, Any] = {"DataType": value.data_type}
    if value.string_value is not None:
        out["StringValue"] = value.string_value
    if value.binary_value is not None:
        out["BinaryValue"] = value.binary_value
    if value.string_list_values:
        out["StringListValues"] = list(value.string_list_values)
    if value.binary_list_values:
        out["BinaryListValues"] = list(value.binary_list_values)
    return out


def received_message(
    message: ReceivedMessage, system_names: list[str], attribute_names: list[str]
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "MessageId": message.message_id,
        "ReceiptHandle": message.receipt_handle,
        "MD5OfBody": message.md5_body,
        "Body": message.body,
    }
    system = _system_attributes(message.system, system_names)
    if system:
        out["Attributes"] = system
    chosen = {
        name: value for name, value in message.attributes.items() if _wanted(name, attribute_names)
    }
    if chosen:
        out["MessageAttributes"] = {name: _attribute(value) for name, value in chosen.items()}
        out["MD5OfMessageAttributes"] = md5_of_attributes(chosen)
    return out
