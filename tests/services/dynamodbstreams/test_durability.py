"""DynamoDB streams survive restarts: after a ``kill -9`` in the middle of writes, every
write that was answered has its stream record, in order; the stream keeps its ARN (as
DescribeTable names it) and its shard, and the writes after the restart are streamed after
the ones before."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from lambdaport.testing.server import ServerProcess
from tests.helpers import wait_for
from tests.services.dynamodbstreams.conftest import (
    create_table,
    dynamodb_client_for,
    read_stream,
    streams_client_for,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def _write_until_stopped(dynamodb: DynamoDBClient, worker: int, answered: list[str]) -> None:
    number = 0
    try:
        while True:
            key = f"w{worker}-{number}"
            dynamodb.put_item(TableName="durable", Item={"pk": {"S": key}})
            answered.append(key)
            number += 1
    except Exception:
        return  # the server was killed


def test_answered_writes_keep_their_records_across_kill_9(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    answered: list[list[str]] = [[], []]
    server = ServerProcess(data_dir)
    server.start()
    try:
        dynamodb = dynamodb_client_for(server.endpoint)
        arn = create_table(dynamodb, "durable", "NEW_AND_OLD_IMAGES")
        dynamodb.put_item(TableName="durable", Item={"pk": {"S": "first"}, "v": {"N": "1"}})
        clients = [dynamodb_client_for(server.endpoint) for _ in answered]
        workers = [
            threading.Thread(target=_write_until_stopped, args=(client, i, answered[i]))
            for i, client in enumerate(clients)
        ]
        for worker in workers:
            worker.start()
        wait_for(lambda: sum(map(len, answered)) >= 200, timeout=60)
        server.stop(signal.SIGKILL)
        for worker in workers:
            worker.join(timeout=60)
    finally:
        server.stop()

    with ServerProcess(data_dir) as again:
        dynamodb = dynamodb_client_for(again.endpoint)
        streams = streams_client_for(again.endpoint)
        assert dynamodb.describe_table(TableName="durable")["Table"]["LatestStreamArn"] == arn
        before = read_stream(streams, arn)
        keys = [r["dynamodb"]["Keys"]["pk"]["S"] for r in before]
        assert keys[0] == "first"
        for written in answered:
            streamed = [key for key in keys if key.startswith(written[0].split("-")[0] + "-")]
            assert streamed[: len(written)] == written  # each writer's, in order, none lost
        numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in before]
        assert numbers == sorted(set(numbers))
        # the stream is still fed (the table's stream was loaded back), after what it had
        dynamodb.update_item(
            TableName="durable",
            Key={"pk": {"S": "first"}},
            UpdateExpression="SET v = :v",
            ExpressionAttributeValues={":v": {"N": "2"}},
        )
        after = read_stream(streams, arn)
        assert after[: len(before)] == before
        [modify] = after[len(before) :]
        assert modify["eventName"] == "MODIFY"
        assert modify["dynamodb"]["OldImage"] == {"pk": {"S": "first"}, "v": {"N": "1"}}
        assert int(modify["dynamodb"]["SequenceNumber"]) > numbers[-1]

    with ServerProcess(data_dir) as third:  # a clean stop and start keeps it all too
        streams = streams_client_for(third.endpoint)
        assert read_stream(streams, arn) == after
