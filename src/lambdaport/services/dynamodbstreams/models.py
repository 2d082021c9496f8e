"""DynamoDB Streams' names and numbers: stream ARNs and labels, shard ids, sequence numbers,
the retention and iterator lifetimes, and the service's errors
(https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Operations_Amazon_DynamoDB_Streams.html)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime

from lambdaport.errors import AwsError, DataTrimmed, ResourceNotFound

Clock = Callable[[], float]  # epoch seconds

RETENTION_S = 24 * 3600.0  # stream records are kept 24 hours
ITERATOR_TTL_S = 15 * 60.0  # a shard iterator expires 15 minutes after it was returned
# AWS closes a stream's shard and opens a child every few hours (about four, as observed);
# lambdaport rolls the open shard over once it is this old.
SHARD_ROLLOVER_S = 4 * 3600.0
MAX_RECORDS = 1000  # GetRecords' Limit
MAX_READ_BYTES = 1024 * 1024  # GetRecords answers at most 1 MB

_SEQUENCE_BASE = 10**20  # sequence numbers are 21 digits or more (botocore's minimum)


def sequence_number(seq: int) -> str:
    return str(_SEQUENCE_BASE + seq)


def parse_sequence_number(text: str) -> int | None:
    """The record counter in a sequence number (None for one lambdaport never gave)."""
    if not text.isdigit() or len(text) < 21:
        return None
    value = int(text) - _SEQUENCE_BASE
    return value if value >= 0 else None


def stream_label(at: float) -> str:
    """The StreamLabel: the stream's creation time, ISO 8601 to the millisecond."""
    moment = datetime.fromtimestamp(at, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def table_arn(account_id: str, region: str, table_name: str) -> str:
    return f"arn:aws:dynamodb:{region}:{account_id}:table/{table_name}"


def stream_arn(account_id: str, region: str, table_name: str, label: str) -> str:
    return f"{table_arn(account_id, region, table_name)}/stream/{label}"


def new_shard_id(at: float) -> str:
    """``shardId-`` and the creation time in 20 digits of milliseconds, a dash and 8 hex
    digits, as AWS names them."""
    return f"shardId-{int(at * 1000):020d}-{secrets.token_hex(4)}"


def validation(message: str) -> AwsError:
    return AwsError("ValidationException", message, 400)


def stream_not_found(arn: str) -> AwsError:
    return ResourceNotFound(
        "ResourceNotFoundException", f"Requested resource not found: Stream: {arn} not found"
    )


def shard_not_found(arn: str, shard_id: str) -> AwsError:
    return ResourceNotFound(
        "ResourceNotFoundException",
        f"Requested resource not found: Shard: {shard_id} in Stream: {arn} not found",
    )


def trimmed() -> AwsError:
    return DataTrimmed(
        "TrimmedDataAccessException",
        "The operation attempted to read past the oldest stream record in a shard.",
        400,
    )


def expired_iterator() -> AwsError:
    return AwsError(
        "ExpiredIteratorException",
        "The shard iterator has expired and can no longer be used to retrieve stream records.",
        400,
    )
