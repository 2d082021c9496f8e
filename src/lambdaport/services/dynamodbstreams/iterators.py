"""DynamoDB Streams' shard iterators (``lambdaport.shard_iterators``); they expire
after 15 minutes (``ExpiredIteratorException``), as AWS's do."""

from __future__ import annotations

from lambdaport.services.dynamodbstreams.models import (
    ITERATOR_TTL_S,
    expired_iterator,
    validation,
)
from lambdaport.shard_iterators import InvalidIterator, ShardIterator
from lambdaport.shard_iterators import decode as decode_text

__all__ = ["ShardIterator", "decode"]


def decode(text: str, now: float) -> ShardIterator:
    try:
        iterator = decode_text(text)
    except InvalidIterator:
        raise validation("Invalid ShardIterator") from None
    if now * 1000 - iterator.created_ms > ITERATOR_TTL_S * 1000:
        raise expired_iterator()
    return iterator
