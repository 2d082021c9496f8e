"""SNS's names, ARNs, errors and message attributes, in AWS's words."""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from lambdaport.errors import AwsError

TOPIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
FIFO_TOPIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,251}\.fifo$")
TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_.-]{1,256})$")
BATCH_ENTRY_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
ATTRIBUTE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,256}$")

MAX_MESSAGE_BYTES = 256 * 1024
DEDUPLICATION_WINDOW = 300.0  # FIFO topics: five minutes
PROTOCOLS = (
    "http",
    "https",
    "email",
    "email-json",
    "sms",
    "sqs",
    "application",
    "lambda",
    "firehose",
)
RAW_PROTOCOLS = ("http", "https", "sqs", "firehose")


def invalid_parameter(message: str) -> AwsError:
    return AwsError("InvalidParameter", f"Invalid parameter: {message}", 400)


def not_found(message: str) -> AwsError:
    return AwsError("NotFound", message, 404)


def topic_not_found() -> AwsError:
    return not_found("Topic does not exist")


def subscription_not_found() -> AwsError:
    return not_found("Subscription does not exist")


@dataclass(frozen=True, slots=True)
class TopicArn:
    region: str
    account_id: str
    name: str

    @property
    def fifo(self) -> bool:
        return self.name.endswith(".fifo")


def check_arn_elements(arn: str | None, parameter: str) -> list[str]:
    """An ARN's colon-separated elements; fewer than six is AWS's own refusal."""
    elements = (arn or "").split(":")
    if len(elements) < 6:
        raise invalid_parameter(
            f"{parameter} Reason: An ARN must have at least 6 elements, not {len(elements)}"
        )
    return elements


def parse_topic_arn(arn: str | None, parameter: str = "TopicArn") -> TopicArn:
    check_arn_elements(arn, parameter)
    match = TOPIC_ARN.fullmatch(arn or "")
    if match is None:
        raise invalid_parameter(parameter)
    return TopicArn(match.group(1), match.group(2), match.group(3))


def check_region(arn: str | None, region: str, parameter: str = "TopicArn") -> None:
    """A topic of another region is not reachable from this one (AWS: InvalidParameter)."""
    elements = (arn or "").split(":")
    sns = len(elements) >= 6 and elements[0] == "arn" and elements[2] == "sns"
    if sns and elements[3] != region:
        raise invalid_parameter(parameter)


def topic_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:sns:{region}:{account_id}:{name}"


def arn_parts(arn: str) -> list[str]:
    """``arn:partition:service:region:account:resource`` split into its six parts."""
    parts = arn.split(":", 5)
    return parts if len(parts) == 6 and parts[0] == "arn" else []


def encode_token(arn: str) -> str:
    """A NextToken: the last ARN of the page, opaque to clients."""
    return base64.urlsafe_b64encode(arn.encode()).decode()


def decode_token(token: str | None) -> str:
    if not token:
        return ""
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise invalid_parameter("NextToken") from None


def is_true(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def check_boolean(name: str, value: str) -> str:
    if value.strip().lower() not in ("true", "false"):
        raise invalid_parameter(
            f"Attributes Reason: {name}: Invalid value [{value}]. Must be true or false."
        )
    return value.strip().lower()


def check_json_object(parameter: str, value: str) -> dict[str, Any]:
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        raise invalid_parameter(f"{parameter}: failed to parse JSON.") from None
    if not isinstance(parsed, dict):
        raise invalid_parameter(f"{parameter}: must be a JSON object.")
    return parsed


# -- message attributes -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attribute:
    """A message attribute as published: its ``DataType`` and value (Binary as bytes)."""

    data_type: str
    string_value: str | None = None
    binary_value: bytes | None = None

    @property
    def base_type(self) -> str:
        return "String.Array" if self.data_type == "String.Array" else self.data_type.split(".")[0]

    def envelope(self) -> dict[str, str]:
        """``{"Type": ..., "Value": ...}`` as SNS puts it in notifications (Binary base64)."""
        if self.binary_value is not None:
            return {"Type": self.data_type, "Value": base64.b64encode(self.binary_value).decode()}
        return {"Type": self.data_type, "Value": self.string_value or ""}

    def to_json(self) -> dict[str, str]:
        out = {"DataType": self.data_type}
        if self.binary_value is not None:
            out["BinaryValue"] = base64.b64encode(self.binary_value).decode()
        else:
            out["StringValue"] = self.string_value or ""
        return out

    @staticmethod
    def from_json(data: Mapping[str, str]) -> Attribute:
        binary = data.get("BinaryValue")
        return Attribute(
            data["DataType"],
            data.get("StringValue"),
            None if binary is None else base64.b64decode(binary),
        )


def parse_attributes(raw: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Attribute]:
    """Validate Publish's ``MessageAttributes`` as SNS does."""
    out: dict[str, Attribute] = {}
    for name, value in (raw or {}).items():
        _check_attribute_name(name)
        data_type = str(value.get("DataType") or "")
        base = data_type.split(".")[0]
        if base not in ("String", "Number", "Binary"):
            raise invalid_parameter(
                f"The message attribute '{name}' has an invalid message attribute type, the set "
                "of supported type prefixes is Binary, Number, and String."
            )
        if base == "Binary":
            binary = value.get("BinaryValue")
            if binary is None:
                raise _empty_value(name, "Binary")
            out[name] = Attribute(data_type, binary_value=bytes(binary))
            continue
        text = value.get("StringValue")
        if text is None or text == "":
            raise _empty_value(name, base)
        if base == "Number":
            _check_number(name, text)
        if data_type == "String.Array":
            _check_string_array(name, text)
        out[name] = Attribute(data_type, string_value=str(text))
    return out


def _check_attribute_name(name: str) -> None:
    lowered = name.lower()
    if (
        not ATTRIBUTE_NAME.match(name)
        or ".." in name
        or name.startswith(".")
        or name.endswith(".")
        or lowered.startswith(("aws.", "amazon."))
    ):
        raise invalid_parameter(f"MessageAttributes Reason: Invalid attribute name: {name}")


def _empty_value(name: str, base: str) -> AwsError:
    return invalid_parameter(
        f"The message attribute '{name}' must contain non-empty message attribute value for "
        f"message attribute type '{base}'."
    )


def _check_number(name: str, text: str) -> None:
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise invalid_parameter(f"Could not cast message attribute '{name}' value to number.")


def _check_string_array(name: str, text: str) -> None:
    try:
        parsed = orjson.loads(text)
    except orjson.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, list):
        raise invalid_parameter(
            f"The message attribute '{name}' with type 'String.Array' does not have a valid "
            "JSON array value."
        )
