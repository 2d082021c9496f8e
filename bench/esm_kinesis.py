"""The Kinesis part of ``bench/esm.py``: records per second a Kinesis mapping delivers from a
pre-filled stream of 1 and of 4 shards, and the floor (the same records read from
lambdaport's store, shard by shard, with no invoke and no HTTP).

- **drain**: ``--kinesis-records`` records (``PutRecords``, 500 a call, partition keys spread
  over the shards) are put before the mapping exists; then ``CreateEventSourceMapping``
  (TRIM_HORIZON, BatchSize 100) and the clock runs until the function has seen every record
  (it appends each batch's size to a file): records per second.
- **floor**: the same records put into a ``KinesisService`` over its own store, then read
  through its ``StreamReader`` (10,000 a read, every shard to its end), as the poller reads
  them.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

# Appends each batch's record count to the file named by $OUT.
COUNTING = """
import os

def handler(event, context):
    with open(os.environ["OUT"], "a") as out:
        out.write(f"{len(event['Records'])}\\n")
"""

SHARD_COUNTS = (1, 4)
BATCH_SIZE = 100
PUT_BATCH = 500


def _entries(records: int) -> list[list[dict[str, Any]]]:
    keys = [f"key-{k}" for k in range(64)]
    entries = [
        {"Data": f"record-{i}".encode(), "PartitionKey": keys[i % len(keys)]}
        for i in range(records)
    ]
    return [entries[i : i + PUT_BATCH] for i in range(0, records, PUT_BATCH)]


async def _floor(records: int, shards: int, data_dir: Path) -> float:
    from lambdaport.request import RequestContext
    from lambdaport.services.interfaces import StreamPosition
    from lambdaport.services.kinesis import KinesisService
    from lambdaport.services.kinesis.records import Entry
    from lambdaport.store.sqlite import SqliteStore

    store = SqliteStore(data_dir)
    try:
        kinesis = KinesisService(store.kinesis)
        ctx = RequestContext("000000000000", "us-east-1", "bench")
        name = f"floor-{shards}"
        await kinesis.api.dispatch(ctx, "CreateStream", {"StreamName": name, "ShardCount": shards})
        stream = await kinesis.streams.find(ctx, {"StreamName": name, "StreamARN": None})
        for chunk in _entries(records):
            put = [Entry(e["Data"], e["PartitionKey"], None, "") for e in chunk]
            await kinesis.records.put(stream, put, batch=True)
        reader = kinesis.reader
        arn = reader.stream_arn("000000000000", "us-east-1", name)
        description = await reader.describe(arn)
        read = 0
        began = time.perf_counter()
        for shard in description.shards:
            position = StreamPosition("TRIM_HORIZON")
            while True:
                batch = await reader.read(arn, shard.shard_id, position, 10_000)
                read += len(batch.records)
                position = batch.next_position
                if not batch.records:
                    break
        elapsed = time.perf_counter() - began
        if read != records:
            raise RuntimeError(f"the Kinesis floor read {read} of {records} records")
        return records / elapsed
    finally:
        store.close()


def floor_rates(records: int, work_dir: Path) -> dict[int, float]:
    return {
        shards: asyncio.run(_floor(records, shards, work_dir / f"kinesis-floor-{shards}"))
        for shards in SHARD_COUNTS
    }


def drain_rate(
    client: Callable[[str, str], Any],
    endpoint: str,
    deploy: Callable[..., str],
    records: int,
    shards: int,
    work_dir: Path,
    timeout: float,
) -> tuple[float, int]:
    """(records per second, records seen) for a mapping on a pre-filled stream."""
    lam, kinesis = client("lambda", endpoint), client("kinesis", endpoint)
    tag = uuid.uuid4().hex[:8]
    out = work_dir / f"kinesis-{shards}-{tag}.txt"
    name = deploy(lam, f"kinesis-{shards}-{tag}", COUNTING, {"OUT": str(out)})
    stream = f"drain-{shards}-{tag}"
    kinesis.create_stream(StreamName=stream, ShardCount=shards)
    deadline = time.monotonic() + 60
    while (
        kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"][
            "StreamStatus"
        ]
        != "ACTIVE"
    ):
        if time.monotonic() > deadline:
            raise RuntimeError(f"stream {stream} did not become ACTIVE")
        time.sleep(0.05)  # waiting for ACTIVE, bounded by the deadline
    arn = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"][
        "StreamARN"
    ]
    clients = [client("kinesis", endpoint) for _ in range(4)]
    chunks = _entries(records)
    with ThreadPoolExecutor(4) as pool:
        list(
            pool.map(
                lambda i: clients[i % 4].put_records(StreamName=stream, Records=chunks[i]),
                range(len(chunks)),
            )
        )

    def seen() -> int:
        if not out.exists():
            return 0
        return sum(int(line) for line in out.read_text().splitlines() if line.strip())

    began = time.perf_counter()
    mapping = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, BatchSize=BATCH_SIZE, StartingPosition="TRIM_HORIZON"
    )
    end = began + timeout
    count = 0
    while (count := seen()) < records:
        if time.perf_counter() > end:
            break
        time.sleep(0.02)  # watching the function's file, bounded by the deadline
    elapsed = time.perf_counter() - began
    lam.delete_event_source_mapping(UUID=mapping["UUID"])
    kinesis.delete_stream(StreamName=stream)
    return min(count, records) / elapsed, count
