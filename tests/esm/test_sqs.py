"""The SQS event source through boto3 against a real server: records as AWS builds them
(checked against powertools' ``SqsModel``), deletes after success, failures back after the
visibility timeout and redriven to the dead-letter queue, partial batch responses, filters,
batching, FIFO order, concurrency, and a deleted queue disabling its mapping."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from aws_lambda_powertools.utilities.parser.models import SqsModel

from lambdaport.testing.aws import wait_drained
from lambdaport.testing.server import Server
from tests.esm.conftest import (
    MakeQueue,
    MapQueue,
    mapping_health,
    send_bodies,
    wait_settled,
)
from tests.helpers import wait_for

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_sqs import SQSClient

    from tests.conftest import MakeFunction

# Records every batch ({"records": [...]}) to $OUT; fails the batch when a body is "fail";
# answers batchItemFailures for bodies starting with "partial" (or a malformed answer for a
# body "malformed").
CONSUMER = """
import json, os

def handler(event, context):
    records = event["Records"]
    with open(os.environ["OUT"], "a") as out:
        out.write(json.dumps({"id": context.aws_request_id, "records": records}) + "\\n")
    bodies = [r["body"] for r in records]
    if "fail" in bodies:
        raise RuntimeError("failing on purpose")
    if "malformed" in bodies:
        return {"batchItemFailures": [{"itemIdentifier": ""}]}
    return {"batchItemFailures": [
        {"itemIdentifier": r["messageId"]} for r in records if r["body"].startswith("partial")
    ]}
"""


class Consumer:
    def __init__(self, name: str, out: Path) -> None:
        self.name = name
        self.out = out

    def batches(self) -> list[list[dict[str, Any]]]:
        """Every batch written so far (a line still being written is not one yet)."""
        if not self.out.exists():
            return []
        lines = self.out.read_text().splitlines(keepends=True)
        return [json.loads(line)["records"] for line in lines if line.endswith("\n")]

    def records(self) -> list[dict[str, Any]]:
        return [record for batch in self.batches() for record in batch]

    def bodies(self) -> list[str]:
        return [record["body"] for record in self.records()]

    def wait_records(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        def enough() -> list[dict[str, Any]] | None:
            records = self.records()
            return records if len(records) >= count else None

        return wait_for(enough, timeout, f"{count} records in {self.name}")


@pytest.fixture
def consumer(make_function: MakeFunction, tmp_path: Path) -> Consumer:
    out = tmp_path / "batches.jsonl"
    name = make_function(CONSUMER, Timeout=3, Environment={"Variables": {"OUT": str(out)}})
    return Consumer(name, out)


def counts(sqs: SQSClient, url: str) -> tuple[int, int]:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )


def test_records_are_aws_sqs_records_and_are_deleted_after_success(
    server: Server,
    lambda_client: LambdaClient,
    sqs: SQSClient,
    consumer: Consumer,
    make_queue: MakeQueue,
    map_queue: MapQueue,
) -> None:
    url, arn = make_queue()
    map_queue(arn, consumer.name)
    sent = sqs.send_message(
        QueueUrl=url,
        MessageBody='{"order": 1}',
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "order"},
            "count": {"DataType": "Number", "StringValue": "3"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    plain = sqs.send_message(QueueUrl=url, MessageBody="plain text")
    records = {r["messageId"]: r for r in consumer.wait_records(2)}
    wait_drained(server.endpoint)
    event = {"Records": list(records.values())}
    parsed = SqsModel.model_validate(event)  # powertools' model of the SQS event
    assert len(parsed.Records) == 2
    first, second = records[sent["MessageId"]], records[plain["MessageId"]]
    assert list(first) == [
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfMessageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    ]
    assert first["body"] == '{"order": 1}'
    assert first["md5OfBody"] == sent["MD5OfMessageBody"]
    assert first["md5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert first["messageAttributes"] == {
        "kind": {
            "stringValue": "order",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        },
        "count": {
            "stringValue": "3",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Number",
        },
        "blob": {
            "binaryValue": base64.b64encode(b"\x00\x01").decode(),
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Binary",
        },
    }
    assert (first["eventSource"], first["eventSourceARN"]) == ("aws:sqs", arn)
    assert first["awsRegion"] == "us-east-1"
    assert set(first["attributes"]) == {
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    }
    assert first["attributes"]["ApproximateReceiveCount"] == "1"
    assert all(isinstance(v, str) for v in first["attributes"].values())
    assert second["md5OfMessageAttributes"] is None
    assert second["messageAttributes"] == {}
    assert counts(sqs, url) == (0, 0)  # both deleted


def test_a_failed_batch_comes_back_and_is_redriven_to_the_dead_letter_queue(
    server: Server,
    lambda_client: LambdaClient,
    sqs: SQSClient,
    consumer: Consumer,
    make_queue: MakeQueue,
    map_queue: MapQueue,
) -> None:
    dlq_url, dlq_arn = make_queue()
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    url, arn = make_queue(VisibilityTimeout="3", RedrivePolicy=redrive)
    mapping = map_queue(arn, consumer.name)
    sqs.send_message(QueueUrl=url, MessageBody="fail")
    records = consumer.wait_records(2)
    assert [r["attributes"]["ApproximateReceiveCount"] for r in records] == ["1", "2"]
    assert records[0]["messageId"] == records[1]["messageId"]

    def in_dead_letter_queue() -> list[Any]:
        return sqs.receive_message(QueueUrl=dlq_url, AttributeNames=["All"]).get("Messages", [])

    (moved,) = wait_for(in_dead_letter_queue, 30, "the message in the dead-letter queue")
    assert moved["MessageId"] == records[0]["messageId"]
    assert moved["Body"] == "fail"
    assert counts(sqs, url) == (0, 0)
    got = lambda_client.get_event_source_mapping(UUID=mapping["UUID"])
    assert got["LastProcessingResult"] == "PROBLEM: Function call failed"


def test_report_batch_item_failures_deletes_only_the_successes(
    lambda_client: LambdaClient,
    sqs: SQSClient,
    consumer: Consumer,
    make_queue: MakeQueue,
    map_queue: MapQueue,
) -> None:
    url, arn = make_queue(VisibilityTimeout="3")
    send_bodies(sqs, url, ["ok-1", "partial-1", "ok-2"])
    mapping = map_queue(
        arn,
        consumer.name,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    # The reported message comes back (again and again: it always reports itself); the others
    # are delivered once and deleted.
    wait_for(lambda: consumer.bodies().count("partial-1") >= 2, 30, "the failure redelivered")
    assert consumer.bodies().count("ok-1") == 1 and consumer.bodies().count("ok-2") == 1
    lambda_client.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
    wait_settled(lambda_client, mapping["UUID"])
    visible, hidden = counts(sqs, url)
    assert visible + hidden == 1


def test_a_malformed_batch_response_fails_the_whole_batch(
    lambda_client: LambdaClient,
    sqs: SQSClient,
    consumer: Consumer,
    make_queue: MakeQueue,
    map_queue: MapQueue,
) -> None:
    url, arn = make_queue(VisibilityTimeout="3")
    send_bodies(sqs, url, ["ok", "malformed"])
    mapping = map_queue(
        arn,
        consumer.name,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        MaximumBatchingWindowInSeconds=1,
        BatchSize=20,
    )
    wait_for(lambda: consumer.bodies().count("ok") >= 2, 30, "the whole batch redelivered")
    lambda_client.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
    wait_settled(lambda_client, mapping["UUID"])
    visible, hidden = counts(sqs, url)
    assert visible + hidden == 2  # nothing deleted


def test_filter_criteria_deliver_matches_and_delete_the_rest(
    server: Server,
    lambda_client: LambdaClient,
    sqs: SQSClient,
    consumer: Consumer,
    make_queue: MakeQueue,
    map_queue: MapQueue,
) -> None:
    url, arn = make_queue()
    patterns = [
        {"body": {"kind": ["order"], "total": [{"numeric": [">", 10]}]}},
        {"body": [{"prefix": "urgent"}]},
    ]
    map_queue(
        arn,
        consumer.name,
        FilterCriteria={"Filters": [{"Pattern": json.dumps(p)} for p in patterns]},
    )
    bodies = [
        '{"kind": "order", "total": 20}',
        '{"kind": "order", "total": 5}',
        '{"kind": "refund", "total": 20}',
        "urgent: call",
        "not urgent",
    ]
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body)
    wait_for(lambda: counts(sqs, url) == (0, 0), 30, "every message deleted")
    wait_drained(server.endpoint)
    assert sorted(consumer.bodies()) == sorted([bodies[0], bodies[3]])


def test_a_batch_fills_to_its_size_within_the_window(
    lambda_client: LambdaClient,
    sqs: SQSClient,
    consumer: Consumer,
    make_queue: MakeQueue,
    map_queue: MapQueue,
) -> None:
    """25 messages waiting, BatchSize 25 and a 300-second window: one batch of all 25, made
    by size long before its window ends."""
    url, arn = make_queue()
    send_bodies(sqs, url, [f"m{i}" for i in range(25)])
    map_queue(
        arn,
        consumer.name,
        BatchSize=25,
        MaximumBatchingWindowInSeconds=300,
    )
    consumer.wait_records(25, timeout=60)
    assert [len(batch) for batch in consumer.batches()] == [25]


def test_batch_size_caps_a_batch(
    lambda_client: LambdaClient,
    sqs: SQSClient,
    consumer: Consumer,
    make_queue: MakeQueue,
    map_queue: MapQueue,
) -> None:
    url, arn = make_queue()
    send_bodies(sqs, url, [f"m{i}" for i in range(7)])
    map_queue(arn, consumer.name, BatchSize=3)
    consumer.wait_records(7)
    assert all(len(batch) <= 3 for batch in consumer.batches())
    assert sorted(consumer.bodies()) == sorted(f"m{i}" for i in range(7))


def test_the_6_mb_payload_limit_splits_batches(
    lambda_client: LambdaClient,
    sqs: SQSClient,
    consumer: Consumer,
    make_queue: MakeQueue,
    map_queue: MapQueue,
) -> None:
    """Ten messages of 250 KB each with a window: never more than 6 MB in one invocation."""
    url, arn = make_queue()
    big = "x" * 250_000
    for i in range(30):
        sqs.send_message(QueueUrl=url, MessageBody=f"{i}:{big}")
    map_queue(
        arn,
        consumer.name,
        BatchSize=100,
        MaximumBatchingWindowInSeconds=1,
    )
    consumer.wait_records(30, timeout=60)
    sizes = [len(json.dumps({"Records": batch})) for batch in consumer.batches()]
    assert max(sizes) <= 6 * 1024 * 1024
    assert len(sizes) >= 2
    assert sorted(int(b.split(":")[0]) for b in consumer.bodies()) == list(range(30))


def test_fifo_keeps_group_order_with_fifo_attributes(
    server: Server,
    lambda_client: LambdaClient,
    sqs: SQSClient,
    consumer: Consumer,
    make_queue: MakeQueue,
    map_queue: MapQueue,
) -> None:
    url, arn = make_queue(fifo=True, ContentBasedDeduplication="true")
    for i in range(30):
        sqs.send_message(QueueUrl=url, MessageBody=f"{i % 3}:{i}", MessageGroupId=f"g{i % 3}")
    map_queue(arn, consumer.name, BatchSize=4)
    records = consumer.wait_records(30)
    wait_drained(server.endpoint)
    SqsModel.model_validate({"Records": records})
    by_group: dict[str, list[int]] = defaultdict(list)
    for record in records:
        attributes = record["attributes"]
        assert attributes["MessageGroupId"] == "g" + record["body"].split(":")[0]
        assert len(attributes["SequenceNumber"]) == 20
        assert attributes["MessageDeduplicationId"]
        by_group[attributes["MessageGroupId"]].append(int(record["body"].split(":")[1]))
    assert {g: sorted(v) for g, v in by_group.items()} == by_group  # in order per group
    assert sum(len(v) for v in by_group.values()) == 30


# Every run marks its arrival and waits (60 s at most) until $MEET runs have arrived,
# itself included, then writes the number it arrived as and leaves. Arrivals stay marked, so
# the runs after the first $MEET pass at once: the first $MEET were running all at one time.
MEETING = """
import os, time

def handler(event, context):
    directory, meet = os.environ["DIR"], int(os.environ["MEET"])
    def arrived():
        return len([n for n in os.listdir(directory) if n.endswith(".here")])
    open(os.path.join(directory, context.aws_request_id + ".here"), "w").close()
    number = arrived()
    deadline = time.monotonic() + 60
    while arrived() < meet:
        if time.monotonic() > deadline:
            raise RuntimeError("alone")
        time.sleep(0.01)  # watching the directory, bounded by the deadline
    with open(os.path.join(directory, context.aws_request_id + ".met"), "w") as out:
        out.write(str(number))
"""


class Meeting:
    """A function whose runs meet in ``directory`` once ``meet`` of them run at once."""

    def __init__(self, make_function: MakeFunction, directory: Path, meet: int) -> None:
        self.directory = directory
        variables = {"DIR": str(directory), "MEET": str(meet)}
        self.name = make_function(MEETING, Timeout=60, Environment={"Variables": variables})

    def met(self) -> int:
        return len(list(self.directory.glob("*.met")))

    def wait_met(self, count: int) -> None:
        wait_for(lambda: self.met() >= count, 60, f"{count} runs met")


@pytest.fixture
def meeting(make_function: MakeFunction, tmp_path: Path) -> Callable[[int], Meeting]:
    return lambda meet: Meeting(make_function, tmp_path, meet)


def peak_batches(server: Server, mapping: dict[str, Any]) -> int:
    """The most batches the mapping's poller ever had running at once."""
    entry = mapping_health(server.endpoint, mapping["UUID"])
    assert entry is not None
    return int(entry["batchesInFlightPeak"])


def test_maximum_concurrency_bounds_concurrent_batches(
    server: Server,
    sqs: SQSClient,
    meeting: Callable[[int], Meeting],
    make_queue: MakeQueue,
    map_queue: MapQueue,
) -> None:
    """MaximumConcurrency 2 and eight batches waiting: the first two meet (two ran at once),
    and the poller never had a third running."""
    runs = meeting(2)
    url, arn = make_queue(VisibilityTimeout="120")
    send_bodies(sqs, url, [str(i) for i in range(8)])
    mapping = map_queue(arn, runs.name, BatchSize=1, ScalingConfig={"MaximumConcurrency": 2})
    runs.wait_met(8)
    wait_drained(server.endpoint)
    assert peak_batches(server, mapping) == 2


def test_without_maximum_concurrency_five_batches_run_at_once(
    server: Server,
    sqs: SQSClient,
    meeting: Callable[[int], Meeting],
    make_queue: MakeQueue,
    map_queue: MapQueue,
) -> None:
    runs = meeting(5)
    url, arn = make_queue(VisibilityTimeout="120")
    send_bodies(sqs, url, [str(i) for i in range(5)])
    mapping = map_queue(arn, runs.name, BatchSize=1)
    runs.wait_met(5)
    wait_drained(server.endpoint)
    assert peak_batches(server, mapping) == 5


def test_concurrency_grows_past_five_while_the_queue_stays_busy(
    server: Server,
    sqs: SQSClient,
    meeting: Callable[[int], Meeting],
    make_queue: MakeQueue,
    map_queue: MapQueue,
) -> None:
    """Batches held until eight run at once, twenty waiting: the mapping grew from five."""
    runs = meeting(8)
    url, arn = make_queue(VisibilityTimeout="120")
    send_bodies(sqs, url, [str(i) for i in range(20)])
    mapping = map_queue(arn, runs.name, BatchSize=1)
    runs.wait_met(20)
    wait_drained(server.endpoint)
    assert peak_batches(server, mapping) >= 8


def test_reserved_concurrency_bounds_the_mapping(
    server: Server,
    lambda_client: LambdaClient,
    sqs: SQSClient,
    meeting: Callable[[int], Meeting],
    make_queue: MakeQueue,
    map_queue: MapQueue,
) -> None:
    runs = meeting(1)
    lambda_client.put_function_concurrency(FunctionName=runs.name, ReservedConcurrentExecutions=1)
    url, arn = make_queue(VisibilityTimeout="120")
    send_bodies(sqs, url, [str(i) for i in range(4)])
    mapping = map_queue(arn, runs.name, BatchSize=1)
    runs.wait_met(4)
    wait_drained(server.endpoint)
    assert peak_batches(server, mapping) == 1  # one at a time
    entry = mapping_health(server.endpoint, mapping["UUID"])
    assert entry is not None and entry["batchesThrottled"] == 0  # bounded, not throttled


def test_deleting_the_queue_disables_its_mapping(
    lambda_client: LambdaClient,
    sqs: SQSClient,
    consumer: Consumer,
    make_queue: MakeQueue,
    map_queue: MapQueue,
) -> None:
    url, arn = make_queue()
    mapping = map_queue(arn, consumer.name)
    sqs.delete_queue(QueueUrl=url)

    def disabled() -> dict[str, Any] | None:
        got = dict(lambda_client.get_event_source_mapping(UUID=mapping["UUID"]))
        return got if got["State"] == "Disabled" else None

    got = wait_for(disabled, 30, "the mapping disabled")
    assert got["StateTransitionReason"] == "PROBLEM: The event source queue does not exist."


def test_health_document_shows_each_mappings_counts(
    server: Server,
    lambda_client: LambdaClient,
    sqs: SQSClient,
    consumer: Consumer,
    make_queue: MakeQueue,
    map_queue: MapQueue,
) -> None:
    url, arn = make_queue()
    mapping = map_queue(arn, consumer.name)
    sqs.send_message(QueueUrl=url, MessageBody="one")
    consumer.wait_records(1)
    wait_drained(server.endpoint)
    entry = mapping_health(server.endpoint, mapping["UUID"])
    assert entry is not None
    assert entry["eventSourceArn"] == arn
    assert entry["recordsSucceeded"] == 1
    assert entry["batchesInvoked"] == 1
    assert entry["recordsInFlight"] == 0
    status = subprocess.run(
        [sys.executable, "-m", "lambdaport", "status"],
        capture_output=True,
        text=True,
        env={**os.environ, "LAMBDAPORT_ENDPOINT": server.endpoint, "COLUMNS": "200"},
        timeout=120,
        check=False,
    )
    assert status.returncode == 0, status.stderr
    assert re.search(r"^mappings\s+\d+ pollers?, \d+ records? in flight$", status.stdout, re.M)
    (row,) = [line for line in status.stdout.splitlines() if mapping["UUID"] in line]
    assert arn.rsplit(":", 1)[-1] in row and consumer.name in row


def test_throttled_batches_come_back_and_are_delivered_once_the_function_can_run(
    server: Server,
    lambda_client: LambdaClient,
    sqs: SQSClient,
    consumer: Consumer,
    make_queue: MakeQueue,
    map_queue: MapQueue,
) -> None:
    """Reserved concurrency 0: every invocation is throttled, nothing is deleted, the
    message comes back after its visibility timeout; with concurrency again it is delivered."""
    lambda_client.put_function_concurrency(
        FunctionName=consumer.name, ReservedConcurrentExecutions=0
    )
    url, arn = make_queue(VisibilityTimeout="3")
    mapping = map_queue(arn, consumer.name)
    sqs.send_message(QueueUrl=url, MessageBody="wait for me")

    def throttled() -> bool:
        entry = mapping_health(server.endpoint, mapping["UUID"])
        return entry is not None and entry["batchesThrottled"] >= 2

    wait_for(throttled, 30, "the batch throttled twice")
    assert consumer.records() == []
    assert sum(counts(sqs, url)) == 1  # not deleted
    lambda_client.delete_function_concurrency(FunctionName=consumer.name)
    (record,) = consumer.wait_records(1)
    assert record["body"] == "wait for me"
    assert int(record["attributes"]["ApproximateReceiveCount"]) >= 3
    wait_for(lambda: counts(sqs, url) == (0, 0), 30, "the message deleted")
