"""Mappings survive restarts: every Enabled mapping resumes (a Disabled one stays disabled),
and a ``kill -9`` of the server in mid-batch loses nothing: the batch in flight comes back
after the queue's visibility timeout and every message is delivered at least once, in
order within each FIFO message group."""

from __future__ import annotations

import json
import signal
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from lambdaport.testing.server import ServerProcess
from tests.esm.conftest import new_queue, sqs_client_for, wait_settled
from tests.helpers import client_for, create_function, wait_for

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

# Writes each batch's bodies to $OUT, then takes a while (so a kill lands mid-batch).
SLOW_CONSUMER = """
import json, os, time

def handler(event, context):
    bodies = [r["body"] for r in event["Records"]]
    with open(os.environ["OUT"], "a") as out:
        out.write(json.dumps(bodies) + "\\n")
    time.sleep(0.05)
"""


def _delivered(out: Path) -> list[str]:
    return [body for line in json_lines_of(out) for body in line]


def json_lines_of(out: Path) -> list[list[str]]:
    if not out.exists():
        return []
    return [json.loads(line) for line in out.read_text().splitlines() if line.strip()]


def _empty(sqs: SQSClient, url: str) -> bool:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return (
        attributes["ApproximateNumberOfMessages"],
        attributes["ApproximateNumberOfMessagesNotVisible"],
    ) == ("0", "0")


def test_kill_9_mid_batch_loses_nothing_and_keeps_group_order(tmp_path: Path) -> None:
    data_dir, out = tmp_path / "data", tmp_path / "batches.jsonl"
    groups, per_group = 4, 40
    server = ServerProcess(data_dir)
    server.start()
    try:
        client, sqs = client_for(server.endpoint), sqs_client_for(server.endpoint)
        name = create_function(
            client, SLOW_CONSUMER, Timeout=2, Environment={"Variables": {"OUT": str(out)}}
        )
        url, arn = new_queue(
            sqs, fifo=True, VisibilityTimeout="2", ContentBasedDeduplication="true"
        )
        for i in range(per_group):
            sqs.send_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": f"g{g}", "MessageBody": f"g{g}:{i}", "MessageGroupId": f"g{g}"}
                    for g in range(groups)
                ],
            )
        mapping = client.create_event_source_mapping(
            EventSourceArn=arn, FunctionName=name, BatchSize=3
        )
        wait_for(lambda: len(_delivered(out)) >= 30, 60, "30 messages delivered")
        server.stop(signal.SIGKILL)  # batches in flight: delivered, not yet deleted
    finally:
        server.stop()
    before = len(_delivered(out))
    assert before < groups * per_group

    with ServerProcess(data_dir) as again:
        client, sqs = client_for(again.endpoint), sqs_client_for(again.endpoint)
        resumed = wait_settled(client, mapping["UUID"])
        assert resumed["State"] == "Enabled"
        wait_for(lambda: _empty(sqs, url), 120, "every message delivered and deleted")
        delivered = _delivered(out)
    assert set(delivered) == {f"g{g}:{i}" for g in range(groups) for i in range(per_group)}
    by_group: dict[str, list[int]] = defaultdict(list)
    for body in delivered:
        group, number = body.split(":")
        by_group[group].append(int(number))
    for indices in by_group.values():
        highest = -1
        for index in indices:  # a redelivery restarts at the oldest not deleted, never skips
            assert index <= highest + 1, indices
            highest = max(highest, index)


def test_enabled_mappings_resume_and_disabled_ones_stay_disabled(tmp_path: Path) -> None:
    data_dir, out = tmp_path / "data", tmp_path / "batches.jsonl"
    with ServerProcess(data_dir) as server:
        client, sqs = client_for(server.endpoint), sqs_client_for(server.endpoint)
        name = create_function(
            client, SLOW_CONSUMER, Timeout=2, Environment={"Variables": {"OUT": str(out)}}
        )
        url, arn = new_queue(sqs)
        other_url, other_arn = new_queue(sqs)
        enabled = client.create_event_source_mapping(
            EventSourceArn=arn, FunctionName=name, Tags={"kept": "yes"}
        )
        disabled = client.create_event_source_mapping(
            EventSourceArn=other_arn, FunctionName=name, Enabled=False
        )
        wait_settled(client, enabled["UUID"])
        wait_settled(client, disabled["UUID"])
    with ServerProcess(data_dir) as again:
        client, sqs = client_for(again.endpoint), sqs_client_for(again.endpoint)
        assert wait_settled(client, enabled["UUID"])["State"] == "Enabled"
        assert wait_settled(client, disabled["UUID"])["State"] == "Disabled"
        tags = client.list_tags(Resource=enabled["EventSourceMappingArn"])["Tags"]
        assert tags == {"kept": "yes"}
        sqs.send_message(QueueUrl=url, MessageBody="after")
        sqs.send_message(QueueUrl=other_url, MessageBody="not read")
        wait_for(lambda: "after" in _delivered(out), 30, "the resumed mapping delivered")
        wait_for(lambda: _empty(sqs, url), 30, "the delivered message deleted")
        assert "not read" not in _delivered(out)
        assert not _empty(sqs, other_url)
