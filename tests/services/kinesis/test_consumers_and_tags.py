"""Stream consumers and tags through boto3 against a real server: register, describe, list,
deregister (by ARN and by name), DeleteStream's EnforceConsumerDeletion, the stream's own tag
operations and the ARN-based ones (streams and consumers), and SubscribeToShard's error."""

from __future__ import annotations

from typing import TYPE_CHECKING

import botocore.exceptions
import pytest

from tests.services.kinesis.conftest import MakeStream, error_of

if TYPE_CHECKING:
    from mypy_boto3_kinesis import KinesisClient


def _arn(kinesis: KinesisClient, stream: str) -> str:
    return kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"][
        "StreamARN"
    ]


def test_consumers_are_registered_described_listed_and_deregistered(
    kinesis: KinesisClient, make_stream: MakeStream
) -> None:
    stream = make_stream()
    arn = _arn(kinesis, stream)
    registered = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="reader")["Consumer"]
    assert registered["ConsumerName"] == "reader"
    assert registered["ConsumerStatus"] == "ACTIVE"
    assert registered["ConsumerARN"].startswith(f"{arn}/consumer/reader:")
    described = kinesis.describe_stream_consumer(ConsumerARN=registered["ConsumerARN"])
    assert described["ConsumerDescription"]["StreamARN"] == arn
    by_name = kinesis.describe_stream_consumer(StreamARN=arn, ConsumerName="reader")
    assert by_name["ConsumerDescription"]["ConsumerARN"] == registered["ConsumerARN"]
    for name in ("a", "b"):
        kinesis.register_stream_consumer(StreamARN=arn, ConsumerName=name)
    listed = kinesis.list_stream_consumers(StreamARN=arn, MaxResults=2)
    assert [c["ConsumerName"] for c in listed["Consumers"]] == ["a", "b"]
    rest = kinesis.list_stream_consumers(StreamARN=arn, NextToken=listed["NextToken"])
    assert [c["ConsumerName"] for c in rest["Consumers"]] == ["reader"]
    summary = kinesis.describe_stream_summary(StreamARN=arn)["StreamDescriptionSummary"]
    assert summary["ConsumerCount"] == 3

    with pytest.raises(botocore.exceptions.ClientError) as caught:
        kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="reader")
    assert error_of(caught.value)[:2] == (400, "ResourceInUseException")

    kinesis.deregister_stream_consumer(ConsumerARN=registered["ConsumerARN"])
    kinesis.deregister_stream_consumer(StreamARN=arn, ConsumerName="a")
    listed = kinesis.list_stream_consumers(StreamARN=arn)
    assert [c["ConsumerName"] for c in listed["Consumers"]] == ["b"]
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        kinesis.describe_stream_consumer(ConsumerARN=registered["ConsumerARN"])
    assert error_of(caught.value) == (
        400,
        "ResourceNotFoundException",
        f"Consumer {registered['ConsumerARN']}, account 000000000000 not found.",
    )


def test_delete_stream_with_consumers_needs_enforce_consumer_deletion(
    kinesis: KinesisClient, make_stream: MakeStream
) -> None:
    stream = make_stream()
    arn = _arn(kinesis, stream)
    kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="reader")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        kinesis.delete_stream(StreamName=stream)
    assert error_of(caught.value) == (
        400,
        "ResourceInUseException",
        f"DeleteStream can't delete 000000000000:{stream} because there are consumers "
        f"associated with this data stream. To delete {stream} anyway, set the "
        "EnforceConsumerDeletion parameter to true to force the deletion of all the consumers "
        "that are associated with it.",
    )
    kinesis.delete_stream(StreamName=stream, EnforceConsumerDeletion=True)
    with pytest.raises(kinesis.exceptions.ResourceNotFoundException):
        kinesis.describe_stream_summary(StreamName=stream)


def test_subscribe_to_shard_is_answered_with_a_clear_error(
    kinesis: KinesisClient, make_stream: MakeStream
) -> None:
    stream = make_stream()
    arn = _arn(kinesis, stream)
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="fan-out")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        kinesis.subscribe_to_shard(
            ConsumerARN=consumer["Consumer"]["ConsumerARN"],
            ShardId="shardId-000000000000",
            StartingPosition={"Type": "LATEST"},
        )
    status, code, message = error_of(caught.value)
    assert (status, code) == (501, "NotImplementedException")
    assert "SubscribeToShard" in message and "GetRecords" in message


def test_stream_tags_old_and_new_operations(
    kinesis: KinesisClient, make_stream: MakeStream
) -> None:
    stream = make_stream(Tags={"created": "yes"})
    arn = _arn(kinesis, stream)
    kinesis.add_tags_to_stream(StreamName=stream, Tags={"b": "2", "a": "1", "c": "3"})
    page = kinesis.list_tags_for_stream(StreamName=stream, Limit=2)
    assert page["Tags"] == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    assert page["HasMoreTags"] is True
    rest = kinesis.list_tags_for_stream(StreamName=stream, ExclusiveStartTagKey="b")
    assert rest["Tags"] == [{"Key": "c", "Value": "3"}, {"Key": "created", "Value": "yes"}]
    assert rest["HasMoreTags"] is False
    kinesis.remove_tags_from_stream(StreamName=stream, TagKeys=["a", "created"])
    kinesis.tag_resource(ResourceARN=arn, Tags={"d": "4"})
    kinesis.untag_resource(ResourceARN=arn, TagKeys=["b"])
    assert kinesis.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
        {"Key": "c", "Value": "3"},
        {"Key": "d", "Value": "4"},
    ]
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        kinesis.add_tags_to_stream(StreamName=stream, Tags={f"k{i}": "v" for i in range(49)})
    assert error_of(caught.value)[1] == "InvalidArgumentException"
    assert "more than 50 tags" in error_of(caught.value)[2]


def test_consumer_tags_by_arn(kinesis: KinesisClient, make_stream: MakeStream) -> None:
    stream = make_stream()
    arn = _arn(kinesis, stream)
    consumer = kinesis.register_stream_consumer(
        StreamARN=arn, ConsumerName="tagged", Tags={"owner": "me"}
    )["Consumer"]["ConsumerARN"]
    kinesis.tag_resource(ResourceARN=consumer, Tags={"env": "dev"})
    kinesis.untag_resource(ResourceARN=consumer, TagKeys=["owner"])
    assert kinesis.list_tags_for_resource(ResourceARN=consumer)["Tags"] == [
        {"Key": "env", "Value": "dev"}
    ]
    assert kinesis.list_tags_for_resource(ResourceARN=arn)["Tags"] == []
