"""Kinesis's names, numbers and errors: shard ids, sequence numbers, ARNs, the hash key
space, the limits AWS documents, and the errors worded as AWS words them."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from lambdaport.errors import AwsError, ResourceNotFound

Clock = Callable[[], int]  # epoch milliseconds

HASH_KEYS = 2**128  # the hash key space: 0 .. 2**128 - 1
DEFAULT_RETENTION_HOURS = 24
MIN_RETENTION_HOURS = 24
MAX_RETENTION_HOURS = 8760
ON_DEMAND_SHARDS = 4  # what an ON_DEMAND stream starts with
DEFAULT_MAX_RECORD_SIZE_KIB = 1024
MAX_PUT_RECORDS_BYTES = 5 * 1024 * 1024
MAX_GET_RECORDS_BYTES = 10 * 1024 * 1024
ITERATOR_TTL_MS = 300_000
MAX_CONSUMERS = 20
MAX_TAGS = 50
SHARD_LEVEL_METRICS = (
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
)

_SHARD_ID = re.compile(r"shardId-(\d{1,20})")
_STREAM_ARN = re.compile(r"arn:aws[\w-]*:kinesis:([\w-]+):(\d{12}):stream/([a-zA-Z0-9_.-]+)")
_CONSUMER_ARN = re.compile(
    r"arn:aws[\w-]*:kinesis:([\w-]+):(\d{12}):stream/([a-zA-Z0-9_.-]+)"
    r"/consumer/([a-zA-Z0-9_.-]+):(\d+)"
)
# A SequenceNumber: "49", the record counter in 34 digits, the shard index in 20 (56 digits,
# as AWS's are); so it increases within a shard and says which shard it came from.
_SEQUENCE = re.compile(r"49(\d{34})(\d{20})")


def shard_id(index: int) -> str:
    return f"shardId-{index:012d}"


def shard_index(text: str) -> int | None:
    """The index of ``shardId-000000000007`` (AWS also takes a bare ``7``)."""
    match = _SHARD_ID.fullmatch(text)
    if match:
        return int(match.group(1))
    return int(text) if text.isdigit() and len(text) <= 20 else None


def sequence_number(seq: int, index: int) -> str:
    return f"49{seq:034d}{index:020d}"


def parse_sequence_number(text: str) -> tuple[int, int] | None:
    """(record counter, shard index) of a SequenceNumber this service made, else None."""
    match = _SEQUENCE.fullmatch(text)
    return None if match is None else (int(match.group(1)), int(match.group(2)))


def stream_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:kinesis:{region}:{account_id}:stream/{name}"


def parse_stream_arn(arn: str) -> tuple[str, str, str] | None:
    """(region, account, stream name)."""
    match = _STREAM_ARN.fullmatch(arn)
    return None if match is None else (match.group(1), match.group(2), match.group(3))


def consumer_arn(stream: str, name: str, created_at: int) -> str:
    return f"{stream}/consumer/{name}:{created_at}"


def parse_consumer_arn(arn: str) -> tuple[str, str, str, str, int] | None:
    """(region, account, stream name, consumer name, creation time)."""
    match = _CONSUMER_ARN.fullmatch(arn)
    if match is None:
        return None
    region, account, stream, name, created = match.groups()
    return region, account, stream, name, int(created)


def uniform_ranges(count: int) -> list[tuple[int, int]]:
    """The hash key ranges of ``count`` shards splitting the space evenly, as AWS does."""
    starts = [index * HASH_KEYS // count for index in range(count)]
    ends = [start - 1 for start in starts[1:]] + [HASH_KEYS - 1]
    return list(zip(starts, ends, strict=True))


def partition_hash(partition_key: str) -> int:
    """AWS's hash of a partition key: its MD5 as a 128-bit unsigned integer."""
    return int.from_bytes(hashlib.md5(partition_key.encode()).digest(), "big")


# -- errors -----------------------------------------------------------------------------


def invalid_argument(message: str) -> AwsError:
    return AwsError("InvalidArgumentException", message, 400)


def validation_error(message: str) -> AwsError:
    return AwsError("ValidationException", message, 400)


def in_use(message: str) -> AwsError:
    return AwsError("ResourceInUseException", message, 400)


def limit_exceeded(message: str) -> AwsError:
    return AwsError("LimitExceededException", message, 400)


def not_found(message: str) -> ResourceNotFound:
    return ResourceNotFound("ResourceNotFoundException", message, 400)


def stream_not_found(name: str, account_id: str) -> ResourceNotFound:
    return not_found(f"Stream {name} under account {account_id} not found.")


def shard_not_found(shard: str, stream: str, account_id: str) -> ResourceNotFound:
    return not_found(f"Shard {shard} in stream {stream} under account {account_id} does not exist")


def too_long(path: str, limit: int) -> AwsError:
    return validation_error(
        f"1 validation error detected: Value at '{path}' failed to satisfy constraint: "
        f"Member must have length less than or equal to {limit}"
    )


def must_not_be_null(path: str) -> AwsError:
    return validation_error(
        f"1 validation error detected: Value null at '{path}' failed to satisfy constraint: "
        "Member must not be null"
    )
