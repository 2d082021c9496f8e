"""Stream mappings survive a ``kill -9`` of the server in mid-batch: after the restart every
shard resumes after its checkpoint, every record is delivered at least once and the records
of each shard come in order (a redelivery starts again at the oldest not checkpointed)."""

from __future__ import annotations

import json
import signal
from collections import defaultdict
from pathlib import Path
from typing import Any

import boto3

from lambdaport.testing.server import ServerProcess
from tests.esm.conftest import wait_settled
from tests.helpers import client_for, client_options, create_function, wait_for

STARTUP_S = 120.0  # a loaded machine imports slowly

# Writes each batch's (shard, body) pairs to $OUT, then takes a while (so a kill lands
# mid-batch).
SLOW_CONSUMER = """
import base64, json, os, time

def handler(event, context):
    pairs = [
        [r["eventID"].split(":")[0], base64.b64decode(r["kinesis"]["data"]).decode()]
        for r in event["Records"]
    ]
    with open(os.environ["OUT"], "a") as out:
        out.write(json.dumps(pairs) + "\\n")
    time.sleep(0.05)
"""


def _delivered(out: Path) -> list[list[str]]:
    if not out.exists():
        return []
    lines = out.read_text().splitlines(keepends=True)
    return [pair for line in lines if line.endswith("\n") for pair in json.loads(line)]


def test_kill_9_mid_batch_loses_nothing_and_keeps_shard_order(tmp_path: Path) -> None:
    data_dir, out = tmp_path / "data", tmp_path / "batches.jsonl"
    shards, per_key, keys = 2, 40, 4
    server = ServerProcess(data_dir)
    server.start(timeout=STARTUP_S)
    try:
        client = client_for(server.endpoint)
        kinesis: Any = boto3.Session().client("kinesis", **client_options(server.endpoint))
        name = create_function(
            client, SLOW_CONSUMER, Timeout=2, Environment={"Variables": {"OUT": str(out)}}
        )
        kinesis.create_stream(StreamName="durable", ShardCount=shards)
        arn = kinesis.describe_stream_summary(StreamName="durable")["StreamDescriptionSummary"][
            "StreamARN"
        ]
        for i in range(per_key):
            kinesis.put_records(
                StreamName="durable",
                Records=[
                    {"Data": f"k{k}:{i}".encode(), "PartitionKey": f"k{k}"} for k in range(keys)
                ],
            )
        mapping = client.create_event_source_mapping(
            EventSourceArn=arn, FunctionName=name, BatchSize=3, StartingPosition="TRIM_HORIZON"
        )
        wait_for(lambda: len(_delivered(out)) >= 30, 60, "30 records delivered")
        server.stop(signal.SIGKILL)  # batches in flight: delivered, not yet checkpointed
    finally:
        server.stop()
    before = len(_delivered(out))
    assert before < keys * per_key

    everything = {f"k{k}:{i}" for k in range(keys) for i in range(per_key)}
    again = ServerProcess(data_dir)
    again.start(timeout=STARTUP_S)
    try:
        client = client_for(again.endpoint)
        assert wait_settled(client, mapping["UUID"])["State"] == "Enabled"
        wait_for(
            lambda: {body for _, body in _delivered(out)} >= everything,
            120,
            "every record delivered",
        )
    finally:
        again.stop()
    by_key: dict[str, list[int]] = defaultdict(list)
    shard_of: dict[str, set[str]] = defaultdict(set)
    for shard, body in _delivered(out):
        key, number = body.split(":")
        by_key[key].append(int(number))
        shard_of[key].add(shard)
    assert all(len(s) == 1 for s in shard_of.values())  # a key lives in one shard
    for indices in by_key.values():
        highest = -1
        for index in indices:  # a redelivery restarts at the oldest not checkpointed
            assert index <= highest + 1, indices
            highest = max(highest, index)
        assert highest == per_key - 1
