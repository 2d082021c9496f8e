"""Kinesis's records in botocore's output shapes, in one place."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from lambdaport.services.kinesis.consumers import arn_of_consumer
from lambdaport.services.kinesis.models import sequence_number, shard_id
from lambdaport.services.kinesis.records import ReadBatch
from lambdaport.services.kinesis.streams import arn_of
from lambdaport.store.kinesis import StoredConsumer, StoredRecord, StoredShard, StoredStream

Shape = dict[str, Any]


def timestamp(epoch_seconds: float) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, tz=UTC)


def hash_key_range(shard: StoredShard) -> Shape:
    return {"StartingHashKey": str(shard.starting_hash), "EndingHashKey": str(shard.ending_hash)}


def shard(item: StoredShard) -> Shape:
    out: Shape = {"ShardId": shard_id(item.shard_index)}
    if item.parent is not None:
        out["ParentShardId"] = shard_id(item.parent)
    if item.adjacent_parent is not None:
        out["AdjacentParentShardId"] = shard_id(item.adjacent_parent)
    out["HashKeyRange"] = hash_key_range(item)
    sequence: Shape = {
        "StartingSequenceNumber": sequence_number(item.starting_seq, item.shard_index)
    }
    if item.ending_seq is not None:
        sequence["EndingSequenceNumber"] = sequence_number(item.ending_seq, item.shard_index)
    out["SequenceNumberRange"] = sequence
    return out


def _mode(stream: StoredStream) -> Shape:
    return {"StreamMode": stream.mode}


def _monitoring(stream: StoredStream) -> list[Shape]:
    return [{"ShardLevelMetrics": list(stream.shard_level_metrics)}]


def _encryption(stream: StoredStream, out: Shape) -> Shape:
    out["EncryptionType"] = stream.encryption_type
    if stream.key_id is not None:
        out["KeyId"] = stream.key_id
    return out


def description(stream: StoredStream, shards: Sequence[StoredShard], has_more: bool) -> Shape:
    return _encryption(
        stream,
        {
            "StreamName": stream.name,
            "StreamARN": arn_of(stream),
            "StreamStatus": stream.status,
            "StreamModeDetails": _mode(stream),
            "Shards": [shard(item) for item in shards],
            "HasMoreShards": has_more,
            "RetentionPeriodHours": stream.retention_hours,
            "StreamCreationTimestamp": timestamp(stream.created_at),
            "EnhancedMonitoring": _monitoring(stream),
        },
    )


def summary(stream: StoredStream, open_shards: int, consumers: int) -> Shape:
    return _encryption(
        stream,
        {
            "StreamName": stream.name,
            "StreamARN": arn_of(stream),
            "StreamStatus": stream.status,
            "StreamModeDetails": _mode(stream),
            "RetentionPeriodHours": stream.retention_hours,
            "StreamCreationTimestamp": timestamp(stream.created_at),
            "EnhancedMonitoring": _monitoring(stream),
            "OpenShardCount": open_shards,
            "ConsumerCount": consumers,
            "MaxRecordSizeInKiB": stream.max_record_size_kib,
        },
    )


def stream_summary(stream: StoredStream) -> Shape:
    return {
        "StreamName": stream.name,
        "StreamARN": arn_of(stream),
        "StreamStatus": stream.status,
        "StreamModeDetails": _mode(stream),
        "StreamCreationTimestamp": timestamp(stream.created_at),
    }


def record(stream: StoredStream, item: StoredRecord) -> Shape:
    out: Shape = {
        "SequenceNumber": sequence_number(item.seq, item.shard_index),
        "ApproximateArrivalTimestamp": timestamp(item.arrival / 1000),
        "Data": item.data,
        "PartitionKey": item.partition_key,
    }
    if stream.encryption_type == "KMS":
        out["EncryptionType"] = "KMS"
    return out


def records(batch: ReadBatch, next_iterator: str | None) -> Shape:
    out: Shape = {
        "Records": [record(batch.stream, item) for item in batch.records],
        "MillisBehindLatest": batch.millis_behind_latest,
    }
    if next_iterator is not None:
        out["NextShardIterator"] = next_iterator
    if batch.ended:
        out["ChildShards"] = [
            {
                "ShardId": shard_id(child.shard_index),
                "ParentShards": [
                    shard_id(parent)
                    for parent in (child.parent, child.adjacent_parent)
                    if parent is not None
                ],
                "HashKeyRange": hash_key_range(child),
            }
            for child in batch.children
        ]
    return out


def consumer(stream: StoredStream, item: StoredConsumer) -> Shape:
    return {
        "ConsumerName": item.name,
        "ConsumerARN": arn_of_consumer(stream, item),
        "ConsumerStatus": item.status,
        "ConsumerCreationTimestamp": timestamp(item.created_at),
    }


def consumer_description(stream: StoredStream, item: StoredConsumer) -> Shape:
    return {**consumer(stream, item), "StreamARN": arn_of(stream)}


def tag_list(tags: Mapping[str, str]) -> list[Shape]:
    return [{"Key": key, "Value": tags[key]} for key in sorted(tags)]
