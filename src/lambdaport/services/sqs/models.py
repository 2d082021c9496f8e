"""SQS's records: a queue as configured, a message as stored, limits in AWS's numbers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import orjson

from lambdaport.errors import AwsError

MAX_BATCH_ENTRIES = 10
MAX_MESSAGE_ATTRIBUTES = 10
MAX_VISIBILITY_TIMEOUT = 43_200
MAX_WAIT_SECONDS = 20
MAX_DELAY_SECONDS = 900
DEDUPLICATION_WINDOW_MS = 5 * 60 * 1000
PURGE_INTERVAL_MS = 60 * 1000
MAX_MESSAGE_SIZE = 1_048_576

_QUEUE_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
_FIFO_NAME = re.compile(r"[A-Za-z0-9_-]{1,75}\.fifo")
# MessageGroupId and MessageDeduplicationId: alphanumeric and punctuation, 1 to 128.
_MESSAGE_TOKEN = re.compile(r"[\x21-\x7e]{1,128}")


def queue_does_not_exist() -> AwsError:
    return AwsError("QueueDoesNotExist", "The specified queue does not exist.", 400)


def invalid_parameter(message: str) -> AwsError:
    return AwsError("InvalidParameterValue", message, 400)


def invalid_value(name: str, value: object, reason: str) -> AwsError:
    return invalid_parameter(f"Value {value} for parameter {name} is invalid. Reason: {reason}")


def missing_parameter(name: str) -> AwsError:
    return AwsError("MissingParameter", f"The request must contain the parameter {name}.", 400)


def check_message_token(name: str, value: str | None) -> None:
    """MessageGroupId / MessageDeduplicationId, when given, as AWS allows them."""
    if value is not None and not _MESSAGE_TOKEN.fullmatch(value):
        raise invalid_value(
            name,
            value,
            f"{name} can only include alphanumeric and punctuation characters. 1 to 128 in length.",
        )


def check_queue_name(name: str, fifo: bool) -> None:
    if fifo and not _FIFO_NAME.fullmatch(name):
        raise invalid_parameter(
            "The name of a FIFO queue can only include alphanumeric characters, hyphens, or "
            "underscores, must end with .fifo suffix and be 1 to 80 in length."
        )
    if not fifo and not _QUEUE_NAME.fullmatch(name):
        raise invalid_parameter(
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
        )


def queue_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:sqs:{region}:{account_id}:{name}"


def split_queue_arn(arn: str) -> tuple[str, str, str] | None:
    """(region, account, name) of a queue ARN, or None."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[:3] != ["arn", "aws", "sqs"] or not parts[5]:
        return None
    return parts[3], parts[4], parts[5]


def split_queue_url(url: str) -> tuple[str, str]:
    """(account, name) from ``http://host/<account>/<name>``; any host is accepted
    (``127.0.0.1:4566``, ``sqs.us-east-1.localhost``, AWS's own), the path decides."""
    try:
        path = urlsplit(url).path if "://" in url else url
    except ValueError as exc:
        raise invalid_address(url) from exc
    parts = [part for part in path.split("/") if part]
    if len(parts) == 2 and parts[0].isdigit():
        return parts[0], parts[1]
    if len(parts) == 1 and "://" not in url:
        return "", parts[0]
    raise invalid_address(url)


def invalid_address(url: str) -> AwsError:
    return AwsError("InvalidAddress", f"The address {url} is not valid for this endpoint.", 404)


@dataclass(frozen=True, slots=True)
class RedrivePolicy:
    dead_letter_target_arn: str
    max_receive_count: int


@dataclass(frozen=True, slots=True)
class Queue:
    """A queue as configured. ``attributes`` holds every settable attribute as the string
    AWS returns (defaults filled in at creation); ``queue_id`` changes on PurgeQueue."""

    queue_id: int
    account_id: str
    region: str
    name: str
    attributes: Mapping[str, str]
    tags: Mapping[str, str] = field(default_factory=dict)
    created_at: int = 0  # epoch seconds
    modified_at: int = 0
    last_purged_at: int = 0  # epoch ms

    @property
    def arn(self) -> str:
        return queue_arn(self.region, self.account_id, self.name)

    @property
    def fifo(self) -> bool:
        return self.attributes.get("FifoQueue") == "true"

    def url(self, endpoint: str) -> str:
        return f"{endpoint.rstrip('/')}/{self.account_id}/{self.name}"

    def number(self, name: str) -> int:
        return int(self.attributes[name])

    @property
    def content_based_deduplication(self) -> bool:
        return self.attributes.get("ContentBasedDeduplication") == "true"

    @property
    def deduplication_per_group(self) -> bool:
        return self.attributes.get("DeduplicationScope") == "messageGroup"

    @property
    def redrive_policy(self) -> RedrivePolicy | None:
        text = self.attributes.get("RedrivePolicy")
        if not text:
            return None
        policy = orjson.loads(text)
        return RedrivePolicy(str(policy["deadLetterTargetArn"]), int(policy["maxReceiveCount"]))


@dataclass(frozen=True, slots=True)
class AttributeValue:
    """A message (or message system) attribute value as sent."""

    data_type: str
    string_value: str | None = None
    binary_value: bytes | None = None
    string_list_values: tuple[str, ...] = ()
    binary_list_values: tuple[bytes, ...] = ()


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A message accepted for sending, validated, before it has a place in a queue."""

    body: str
    attributes: Mapping[str, AttributeValue]
    system_attributes: Mapping[str, AttributeValue]
    delay_seconds: int | None = None
    group_id: str | None = None
    deduplication_id: str | None = None
    sender_id: str = ""
    dead_letter_source_arn: str | None = None
    # The request's X-Amzn-Trace-Id: kept as the AWSTraceHeader system attribute when the
    # sender gave none (not in MD5OfMessageSystemAttributes, which covers what was sent).
    trace_header: str | None = None


@dataclass(frozen=True, slots=True)
class SendResult:
    message_id: str
    md5_body: str
    md5_attributes: str | None
    md5_system_attributes: str | None
    sequence_number: str | None


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
    """One message of a ReceiveMessage answer (before attribute filtering)."""

    message_id: str
    receipt_handle: str
    body: str
    md5_body: str
    attributes: Mapping[str, AttributeValue]
    system: Mapping[str, str]  # every message system attribute, as strings
