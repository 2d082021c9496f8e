"""What SQS refuses in a message or a batch, with AWS's error codes."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from lambdaport.errors import AwsError
from lambdaport.services.sqs.models import (
    MAX_BATCH_ENTRIES,
    MAX_MESSAGE_ATTRIBUTES,
    AttributeValue,
    invalid_parameter,
)

_INVALID_CHARACTERS = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_DATA_TYPE = re.compile(r"(String|Number|Binary)(\..{1,250})?", re.DOTALL)
_BATCH_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")
_SYSTEM_ATTRIBUTES = ("AWSTraceHeader",)


def invalid_contents() -> AwsError:
    return AwsError(
        "InvalidMessageContents",
        "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to "
        "#xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
        400,
    )


def check_text(text: str) -> None:
    if _INVALID_CHARACTERS.search(text):
        raise invalid_contents()


def _name_character(character: str) -> bool:
    # Letters and digits of any script (AWS takes "attr.1øßä"), "_", "-" and ".".
    return character.isalnum() or character in "_.-"


def _check_name(name: str) -> None:
    lowered = name.lower()
    if (
        not 1 <= len(name) <= 256
        or not all(_name_character(c) for c in name)
        or name.startswith(".")
        or name.endswith(".")
        or ".." in name
        or lowered.startswith(("aws.", "amazon."))
    ):
        raise invalid_parameter(
            f"Message (user) attribute name '{name}' is invalid. The attribute name can "
            "contain only A-Z, a-z, 0-9, underscore (_), hyphen (-), and period (.) "
            "characters, must not start or end with a period, must not have consecutive "
            "periods and must not start with 'AWS.' or 'Amazon.'."
        )


def _value(name: str, raw: Mapping[str, Any]) -> AttributeValue:
    data_type = str(raw.get("DataType") or "")
    if not data_type:
        raise invalid_parameter(f"The message attribute '{name}' must contain a DataType.")
    if not _DATA_TYPE.fullmatch(data_type):
        raise invalid_parameter(
            f"The type of message (user) attribute '{name}' is invalid. You must use only the "
            "following supported type prefixes: Binary, Number, String."
        )
    string, binary = raw.get("StringValue"), raw.get("BinaryValue")
    value = AttributeValue(
        data_type,
        None if string is None else str(string),
        None if binary is None else bytes(binary),
        tuple(str(item) for item in raw.get("StringListValues") or ()),
        tuple(bytes(item) for item in raw.get("BinaryListValues") or ()),
    )
    kind = data_type.split(".", 1)[0]
    present = value.binary_value if kind == "Binary" else value.string_value
    if not present:
        raise invalid_parameter(
            f"Message (user) attribute '{name}' must contain a non-empty value of type '{kind}'."
        )
    if kind != "Binary" and _INVALID_CHARACTERS.search(str(value.string_value)):
        # In a body this is InvalidMessageContents; in an attribute, InvalidParameterValue.
        raise invalid_parameter(
            f"Message (user) attribute '{name}' contains invalid characters. Valid unicode "
            "characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | "
            "#x10000 to #x10FFFF"
        )
    if kind == "Number":
        try:
            number = Decimal(str(value.string_value))
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite() or len(number.as_tuple().digits) > 38:
            raise invalid_parameter(
                f"Can't cast the value of message (user) attribute '{name}' to a number."
            )
    return value


def message_attributes(raw: Mapping[str, Any] | None) -> dict[str, AttributeValue]:
    if not raw:
        return {}
    if len(raw) > MAX_MESSAGE_ATTRIBUTES:
        raise invalid_parameter(
            f"Number of message attributes [{len(raw)}] exceeds the allowed maximum "
            f"[{MAX_MESSAGE_ATTRIBUTES}]."
        )
    out: dict[str, AttributeValue] = {}
    for name, value in raw.items():
        _check_name(name)
        out[name] = _value(name, value or {})
    return out


def system_attributes(raw: Mapping[str, Any] | None) -> dict[str, AttributeValue]:
    out: dict[str, AttributeValue] = {}
    for name, value in (raw or {}).items():
        if name not in _SYSTEM_ATTRIBUTES:
            raise invalid_parameter(f"Message system attribute name '{name}' is invalid.")
        parsed = _value(name, value or {})
        if parsed.data_type != "String":
            raise invalid_parameter(
                f"Message system attribute '{name}' must have the DataType String."
            )
        out[name] = parsed
    return out


def message_size(body: str, attributes: Mapping[str, AttributeValue]) -> int:
    size = len(body.encode())
    for name, value in attributes.items():
        size += len(name.encode()) + len(value.data_type.encode())
        if value.string_value is not None:
            size += len(value.string_value.encode())
        if value.binary_value is not None:
            size += len(value.binary_value)
    return size


def check_size(size: int, limit: int, *, batch_entry: bool = False) -> None:
    if size > limit:
        verdict = "cannot be validated" if batch_entry else "are invalid"
        raise invalid_parameter(
            f"One or more parameters {verdict}. Reason: Message must be shorter than {limit} bytes."
        )


def check_batch(entries: Sequence[Mapping[str, Any]], entry_shape: str) -> None:
    """Empty, too long, bad or repeated ids: the whole batch is refused."""
    if not entries:
        raise AwsError(
            "EmptyBatchRequest",
            f"There should be at least one {entry_shape} in the request.",
            400,
        )
    if len(entries) > MAX_BATCH_ENTRIES:
        raise AwsError(
            "TooManyEntriesInBatchRequest",
            f"Maximum number of entries per request are {MAX_BATCH_ENTRIES}. "
            f"You have sent {len(entries)}.",
            400,
        )
    seen: set[str] = set()
    for entry in entries:
        entry_id = str(entry.get("Id", ""))
        if not _BATCH_ID.fullmatch(entry_id):
            raise AwsError(
                "InvalidBatchEntryId",
                "A batch entry id can only contain alphanumeric characters, hyphens and "
                "underscores. It can be at most 80 letters long.",
                400,
            )
        if entry_id in seen:
            raise AwsError("BatchEntryIdsNotDistinct", f"Id {entry_id} repeated.", 400)
        seen.add(entry_id)
