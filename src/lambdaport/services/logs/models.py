"""CloudWatch Logs' limits, ARNs, errors and opaque tokens, in AWS's words."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass

import orjson

from lambdaport.errors import AwsError
from lambdaport.store.logs import GroupKey, Position

RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip
EVENT_OVERHEAD = 26  # bytes AWS adds to each message when sizing a batch
MAX_BATCH_BYTES = 1_048_576
MAX_EVENT_BYTES = 1_048_576
MAX_BATCH_EVENTS = 10_000
MAX_BATCH_SPAN_MS = 24 * 3600 * 1000
TOO_NEW_MS = 2 * 3600 * 1000
TOO_OLD_MS = 14 * 24 * 3600 * 1000
MAX_RESPONSE_BYTES = 1_048_576
MAX_SUBSCRIPTION_FILTERS = 2
DAY_MS = 24 * 3600 * 1000


def now_ms() -> int:
    return int(time.time() * 1000)


def group_arn(key: GroupKey) -> str:
    """The log group's ARN as ``logGroupArn`` and tagging spell it (no ``:*``)."""
    account_id, region, name = key
    return f"arn:aws:logs:{region}:{account_id}:log-group:{name}"


def stream_arn(key: GroupKey, stream: str) -> str:
    return f"{group_arn(key)}:log-stream:{stream}"


def group_name_of(identifier: str) -> str:
    """A log group identifier (name or ARN, with or without ``:*``) -> its name."""
    if not identifier.startswith("arn:"):
        return identifier
    parts = identifier.split(":", 6)
    if len(parts) < 7 or parts[2] != "logs" or parts[5] != "log-group":
        raise invalid_parameter(f"Invalid log group identifier: {identifier}")
    return parts[6].removesuffix(":*")


def invalid_parameter(message: str) -> AwsError:
    return AwsError("InvalidParameterException", message, 400)


def not_found(message: str) -> AwsError:
    return AwsError("ResourceNotFoundException", message, 400)


def already_exists(message: str) -> AwsError:
    return AwsError("ResourceAlreadyExistsException", message, 400)


def limit_exceeded(message: str = "Resource limit exceeded.") -> AwsError:
    return AwsError("LimitExceededException", message, 400)


GROUP_NOT_FOUND = "The specified log group does not exist."
STREAM_NOT_FOUND = "The specified log stream does not exist."


def event_id(position: Position) -> str:
    """A 56-digit event id, as AWS's are, that sorts like the event's position."""
    timestamp, row_id = position
    return f"{timestamp:020d}{row_id:036d}"


def parse_event_id(text: str) -> Position:
    if len(text) != 56 or not text.isdigit():
        raise ValueError(text)
    return int(text[:20]), int(text[20:])


def stream_token(direction: str, position: Position) -> str:
    """GetLogEvents' ``f/…`` and ``b/…`` tokens."""
    return f"{direction}/{event_id(position)}"


def parse_stream_token(token: str) -> tuple[str, Position]:
    direction, _, digits = token.partition("/")
    try:
        if direction not in ("f", "b"):
            raise ValueError(token)
        return direction, parse_event_id(digits.split("/", 1)[0])
    except ValueError:
        raise invalid_parameter("The specified nextToken is invalid.") from None


def page_token(value: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).decode()


def parse_page_token(token: str) -> object:
    try:
        return orjson.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, orjson.JSONDecodeError):
        raise invalid_parameter("The specified nextToken is invalid.") from None


@dataclass(frozen=True, slots=True)
class SubscriptionFilter:
    log_group: str
    name: str
    filter_pattern: str
    destination_arn: str
    creation_time: int
    role_arn: str | None = None
    distribution: str = "ByLogStream"

    def describe(self) -> dict[str, object]:
        result: dict[str, object] = {
            "filterName": self.name,
            "logGroupName": self.log_group,
            "filterPattern": self.filter_pattern,
            "destinationArn": self.destination_arn,
            "distribution": self.distribution,
            "creationTime": self.creation_time,
        }
        if self.role_arn:
            result["roleArn"] = self.role_arn
        return result
