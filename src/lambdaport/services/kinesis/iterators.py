"""Kinesis' shard iterators (``lambdaport.shard_iterators``); they expire after
5 minutes (``ExpiredIteratorException``), as AWS's do."""

from __future__ import annotations

from datetime import UTC, datetime

from lambdaport.errors import AwsError
from lambdaport.services.kinesis.models import ITERATOR_TTL_MS, invalid_argument
from lambdaport.shard_iterators import InvalidIterator, ShardIterator
from lambdaport.shard_iterators import decode as decode_text

__all__ = ["ShardIterator", "decode"]


def _java_date(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).strftime("%a %b %d %H:%M:%S UTC %Y")


def decode(text: str, now: int) -> ShardIterator:
    try:
        iterator = decode_text(text)
    except InvalidIterator:
        raise invalid_argument("Invalid ShardIterator.") from None
    created = iterator.created_ms
    if now - created > ITERATOR_TTL_MS:
        raise AwsError(
            "ExpiredIteratorException",
            f"Iterator expired. The iterator was created at time {_java_date(created)} while "
            f"right now it is {_java_date(now)} which is further in the future than the "
            f"tolerated delay of {ITERATOR_TTL_MS} milliseconds.",
            400,
        )
    return iterator
