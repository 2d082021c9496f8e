"""Kinesis survives a ``kill -9``: every PutRecord and PutRecords that was answered is read
back after the restart, in its shard and with its sequence number, and the stream, its
shards (after a split) and consumers are as they were."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from lambdaport.testing.server import ServerProcess
from tests.helpers import wait_for
from tests.services.kinesis.conftest import kinesis_client_for, read_all

if TYPE_CHECKING:
    from mypy_boto3_kinesis import KinesisClient


def _put_until_stopped(
    kinesis: KinesisClient, worker: int, answered: dict[str, tuple[str, bytes]]
) -> None:
    """PutRecord, then PutRecords, in turn, until the server is gone; what was answered."""
    number = 0
    try:
        while True:
            data = b"w%d-%d" % (worker, number)
            put = kinesis.put_record(StreamName="durable", Data=data, PartitionKey=data.decode())
            answered[put["SequenceNumber"]] = (put["ShardId"], data)
            batch = [b"w%d-%d-b%d" % (worker, number, i) for i in range(3)]
            results = kinesis.put_records(
                StreamName="durable",
                Records=[{"Data": item, "PartitionKey": item.decode()} for item in batch],
            )["Records"]
            for item, result in zip(batch, results, strict=True):
                answered[result["SequenceNumber"]] = (result["ShardId"], item)
            number += 1
    except Exception:
        return  # the server was killed


def test_answered_records_survive_kill_9(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    answered: dict[str, tuple[str, bytes]] = {}
    server = ServerProcess(data_dir)
    server.start()
    try:
        kinesis = kinesis_client_for(server.endpoint)
        kinesis.create_stream(StreamName="durable", ShardCount=2)
        kinesis.split_shard(
            StreamName="durable",
            ShardToSplit="shardId-000000000000",
            NewStartingHashKey=str(2**126),
        )
        arn = kinesis.describe_stream_summary(StreamName="durable")["StreamDescriptionSummary"][
            "StreamARN"
        ]
        kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="kept")
        clients = [kinesis_client_for(server.endpoint) for _ in range(3)]
        workers = [
            threading.Thread(target=_put_until_stopped, args=(client, i, answered))
            for i, client in enumerate(clients)
        ]
        for worker in workers:
            worker.start()
        wait_for(lambda: len(answered) >= 300, timeout=60)
        server.stop(signal.SIGKILL)
        for worker in workers:
            worker.join(timeout=60)
    finally:
        server.stop()
    assert len(answered) >= 300

    with ServerProcess(data_dir) as again:
        kinesis = kinesis_client_for(again.endpoint)
        shards = {s["ShardId"]: s for s in kinesis.list_shards(StreamName="durable")["Shards"]}
        assert sorted(shards) == [f"shardId-00000000000{i}" for i in range(4)]
        assert "EndingSequenceNumber" in shards["shardId-000000000000"]["SequenceNumberRange"]
        consumers = kinesis.list_stream_consumers(StreamARN=arn)["Consumers"]
        assert [c["ConsumerName"] for c in consumers] == ["kept"]
        stored: dict[str, tuple[str, bytes]] = {}
        for shard in shards:
            for record in read_all(kinesis, "durable", shard):
                stored[record["SequenceNumber"]] = (shard, record["Data"])
        missing = {seq: value for seq, value in answered.items() if stored.get(seq) != value}
        assert not missing, (
            f"{len(missing)} answered records lost, e.g. {next(iter(missing.values()))}"
        )
        # and the stream takes records again, after the ones it had
        put = kinesis.put_record(StreamName="durable", Data=b"after", PartitionKey="after")
        assert put["SequenceNumber"] not in stored
