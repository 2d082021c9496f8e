"""Queue attributes: AWS's names, defaults, ranges and JSON policies, and how they read back."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import orjson

from lambdaport.errors import AwsError
from lambdaport.services.sqs.models import MAX_MESSAGE_SIZE, Queue, split_queue_arn

COMPUTED = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
)
_RANGES = {
    "DelaySeconds": (0, 900),
    "MaximumMessageSize": (1024, MAX_MESSAGE_SIZE),
    "MessageRetentionPeriod": (60, 1_209_600),
    "ReceiveMessageWaitTimeSeconds": (0, 20),
    "VisibilityTimeout": (0, 43_200),
    "KmsDataKeyReusePeriodSeconds": (60, 86_400),
}
_CHOICES = {
    "DeduplicationScope": ("messageGroup", "queue"),
    "FifoThroughputLimit": ("perQueue", "perMessageGroupId"),
}
_BOOLEANS = ("FifoQueue", "ContentBasedDeduplication", "SqsManagedSseEnabled")
_FIFO_ONLY = ("ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit")
_FREE_TEXT = ("Policy", "KmsMasterKeyId", "RedrivePolicy", "RedriveAllowPolicy")
SETTABLE = (*_RANGES, *_CHOICES, *_BOOLEANS, *_FREE_TEXT)
ALL_NAMES = frozenset((*SETTABLE, *COMPUTED))

STANDARD_DEFAULTS = {
    "VisibilityTimeout": "30",
    "MaximumMessageSize": str(MAX_MESSAGE_SIZE),
    "MessageRetentionPeriod": "345600",
    "DelaySeconds": "0",
    "ReceiveMessageWaitTimeSeconds": "0",
    "SqsManagedSseEnabled": "true",
}
FIFO_DEFAULTS = {
    **STANDARD_DEFAULTS,
    "FifoQueue": "true",
    "ContentBasedDeduplication": "false",
    "DeduplicationScope": "queue",
    "FifoThroughputLimit": "perQueue",
}

FindQueue = Callable[[str], Queue | None]  # by ARN


@dataclass(frozen=True, slots=True)
class Counts:
    visible: int
    not_visible: int
    delayed: int


def invalid_attribute_name(name: str) -> AwsError:
    return AwsError("InvalidAttributeName", f"Unknown Attribute {name}.", 400)


def invalid_attribute_value(name: str, reason: str = "") -> AwsError:
    message = f"Invalid value for the parameter {name}."
    return AwsError("InvalidAttributeValue", f"{message} Reason: {reason}" if reason else message)


def _normalise(name: str, value: str) -> str:
    if name in _RANGES:
        low, high = _RANGES[name]
        try:
            number = int(value)
        except ValueError:
            raise invalid_attribute_value(name) from None
        if not low <= number <= high:
            raise invalid_attribute_value(name)
        return str(number)
    if name in _BOOLEANS:
        if value.lower() not in ("true", "false"):
            raise invalid_attribute_value(name)
        return value.lower()
    if name in _CHOICES and value not in _CHOICES[name]:
        raise invalid_attribute_value(name)
    if name == "Policy" and value:
        try:
            if not isinstance(orjson.loads(value), dict):
                raise ValueError
        except ValueError:
            raise invalid_attribute_value(name, "Policy must be a JSON object.") from None
    return value


def _redrive_policy(value: str, queue_arn: str, fifo: bool, find: FindQueue) -> str:
    try:
        policy = orjson.loads(value)
        target = str(policy["deadLetterTargetArn"])
        count = int(policy["maxReceiveCount"])
    except (ValueError, KeyError, TypeError):
        raise invalid_attribute_value(
            "RedrivePolicy",
            "Redrive policy is not a valid JSON map with deadLetterTargetArn and maxReceiveCount.",
        ) from None
    if not 1 <= count <= 1000:
        raise invalid_attribute_value(
            "RedrivePolicy", "Invalid value for maxReceiveCount: must be between 1 and 1000."
        )
    dead_letter = find(target) if split_queue_arn(target) else None
    if dead_letter is None:
        raise invalid_attribute_value("RedrivePolicy", "Dead letter target does not exist.")
    if dead_letter.fifo != fifo:
        kind = "FIFO" if fifo else "standard"
        raise invalid_attribute_value(
            "RedrivePolicy", f"Dead-letter target must also be a {kind} queue."
        )
    allow = dead_letter.attributes.get("RedriveAllowPolicy")
    if allow:
        rule = orjson.loads(allow)
        permission = rule.get("redrivePermission", "allowAll")
        if permission == "denyAll" or (
            permission == "byQueue" and queue_arn not in rule.get("sourceQueueArns", [])
        ):
            raise invalid_attribute_value(
                "RedrivePolicy",
                "Dead-letter target does not allow this queue as a source queue.",
            )
    return orjson.dumps({"deadLetterTargetArn": target, "maxReceiveCount": count}).decode()


def _redrive_allow_policy(value: str) -> str:
    try:
        policy = orjson.loads(value)
        permission = policy["redrivePermission"]
        sources = policy.get("sourceQueueArns")
    except (ValueError, KeyError, TypeError):
        raise invalid_attribute_value("RedriveAllowPolicy") from None
    if permission not in ("allowAll", "denyAll", "byQueue"):
        raise invalid_attribute_value("RedriveAllowPolicy")
    if permission == "byQueue":
        if not isinstance(sources, list) or not 1 <= len(sources) <= 10:
            raise invalid_attribute_value(
                "RedriveAllowPolicy", "byQueue needs 1 to 10 sourceQueueArns."
            )
    elif sources:
        raise invalid_attribute_value(
            "RedriveAllowPolicy", "sourceQueueArns is only valid with byQueue."
        )
    out: dict[str, object] = {"redrivePermission": permission}
    if sources:
        out["sourceQueueArns"] = sources
    return orjson.dumps(out).decode()


def check_known(requested: Mapping[str, str]) -> None:
    """Names no queue has (checked before the queue is looked up)."""
    for name in requested:
        if name not in SETTABLE:
            raise invalid_attribute_name(name)


def check_names(requested: Mapping[str, str], *, fifo: bool, creating: bool) -> None:
    """The attribute names (and FifoQueue's value) the queue's type allows."""
    for name, value in requested.items():
        if name == "FifoQueue":
            if not fifo:  # a standard queue has no such attribute, not even "false"
                raise invalid_attribute_name(name)
            if not creating and value.lower() != "true":
                raise invalid_attribute_value(name, "Modifying queue type is not supported.")
        elif name not in SETTABLE:
            raise invalid_attribute_name(name)
        elif name in _FIFO_ONLY and not fifo:
            if name == "ContentBasedDeduplication":
                raise invalid_attribute_name(name)
            raise AwsError(
                "InvalidAttributeName",
                f"You can specify the {name} only when FifoQueue is set to true.",
            )


def validate(
    requested: Mapping[str, str],
    *,
    fifo: bool,
    queue_arn: str,
    find: FindQueue,
    creating: bool,
) -> dict[str, str]:
    """Check and normalise attributes for CreateQueue or SetQueueAttributes."""
    check_names(requested, fifo=fifo, creating=creating)
    out: dict[str, str] = {}
    for name, value in requested.items():
        if name == "RedrivePolicy":
            out[name] = _redrive_policy(value, queue_arn, fifo, find) if value else ""
        elif name == "RedriveAllowPolicy":
            out[name] = _redrive_allow_policy(value) if value else ""
        else:
            out[name] = _normalise(name, value)
    if out.get("KmsMasterKeyId") and out.get("SqsManagedSseEnabled") == "true":
        raise invalid_attribute_name(
            "SqsManagedSseEnabled (only one server-side encryption option is supported)"
        )
    return out


def merged(current: Mapping[str, str], changes: Mapping[str, str]) -> dict[str, str]:
    """The attributes after a change; an empty policy removes it."""
    out = dict(current)
    for name, value in changes.items():
        if value == "" and name in _FREE_TEXT:
            out.pop(name, None)
        else:
            out[name] = value
    if out.get("KmsMasterKeyId"):
        out["SqsManagedSseEnabled"] = "false"
        out.setdefault("KmsDataKeyReusePeriodSeconds", "300")
    else:
        out.pop("KmsDataKeyReusePeriodSeconds", None)
    return out


def expand_names(names: Iterable[str]) -> list[str]:
    """The attribute names a GetQueueAttributes call asks for (``All`` expanded)."""
    wanted: list[str] = []
    for name in names:
        if name == "All":
            return ["All"]
        if name not in ALL_NAMES:
            raise invalid_attribute_name(name)
        wanted.append(name)
    return wanted


def render(queue: Queue, names: Iterable[str], counts: Callable[[], Counts]) -> dict[str, str]:
    """GetQueueAttributes' answer for ``names`` (already expanded)."""
    wanted = list(names)
    every = "All" in wanted
    out: dict[str, str] = {}
    if every or "QueueArn" in wanted:
        out["QueueArn"] = queue.arn
    if every or any(name.startswith("ApproximateNumber") for name in wanted):
        figures = counts()
        numbers = {
            "ApproximateNumberOfMessages": figures.visible,
            "ApproximateNumberOfMessagesNotVisible": figures.not_visible,
            "ApproximateNumberOfMessagesDelayed": figures.delayed,
        }
        for name, count in numbers.items():
            if every or name in wanted:
                out[name] = str(count)
    if every or "CreatedTimestamp" in wanted:
        out["CreatedTimestamp"] = str(queue.created_at)
    if every or "LastModifiedTimestamp" in wanted:
        out["LastModifiedTimestamp"] = str(queue.modified_at)
    for name, value in queue.attributes.items():
        if every or name in wanted:
            out[name] = value
    return out
