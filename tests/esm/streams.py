"""Shared by the stream mapping tests: a consumer function that records every invocation's
event and acts on the records' bodies, and helpers to read what it saw."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.esm.conftest import MakeMapping, wait_settled
from tests.helpers import wait_for

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_sqs import SQSClient

# Records every invocation ({"event": <the event without Records>, "records": [...]}) to $OUT.
# A record's body is a Kinesis record's data, or a DynamoDB record's NewImage "v" (or, for a
# REMOVE, its OldImage's). "fail" anywhere fails the batch; "partial..." bodies are reported
# as batch item failures; "malformed" answers a malformed partial batch response. With a
# tumbling window the answer carries the state: the bodies seen in the window so far.
CONSUMER = """
import base64, json, os

def body(record):
    if "kinesis" in record:
        return base64.b64decode(record["kinesis"]["data"]).decode()
    image = record["dynamodb"].get("NewImage") or record["dynamodb"].get("OldImage") or {}
    return image.get("v", {}).get("S", "")

def sequence(record):
    if "kinesis" in record:
        return record["kinesis"]["sequenceNumber"]
    return record["dynamodb"]["SequenceNumber"]

def handler(event, context):
    records = event.get("Records", [])
    rest = {k: v for k, v in event.items() if k != "Records"}
    with open(os.environ["OUT"], "a") as out:
        out.write(json.dumps({"event": rest, "records": records}) + "\\n")
    bodies = [body(r) for r in records]
    if "fail" in bodies:
        raise RuntimeError("failing on purpose")
    if "malformed" in bodies:
        return {"batchItemFailures": [{"itemIdentifier": ""}]}
    answer = {"batchItemFailures": [
        {"itemIdentifier": sequence(r)} for r in records if body(r).startswith("partial")
    ]}
    if "window" in event:
        answer["state"] = {"seen": event["state"].get("seen", []) + bodies}
    return answer
"""


class StreamConsumer:
    def __init__(self, name: str, out: Path) -> None:
        self.name = name
        self.out = out

    def invocations(self) -> list[dict[str, Any]]:
        """Every invocation written so far (a line still being written is not one yet)."""
        if not self.out.exists():
            return []
        lines = self.out.read_text().splitlines(keepends=True)
        return [json.loads(line) for line in lines if line.endswith("\n")]

    def batches(self) -> list[list[dict[str, Any]]]:
        return [i["records"] for i in self.invocations() if i["records"]]

    def records(self) -> list[dict[str, Any]]:
        return [record for batch in self.batches() for record in batch]

    def bodies(self) -> list[str]:
        return [body_of(record) for record in self.records()]

    def wait_bodies(self, count: int, timeout: float = 30.0) -> list[str]:
        def enough() -> list[str] | None:
            bodies = self.bodies()
            return bodies if len(bodies) >= count else None

        return wait_for(enough, timeout, f"{count} records in {self.name}")

    def batch_bodies(self) -> list[list[str]]:
        return [[body_of(record) for record in batch] for batch in self.batches()]


def body_of(record: dict[str, Any]) -> str:
    import base64

    if "kinesis" in record:
        return base64.b64decode(record["kinesis"]["data"]).decode()
    image = record["dynamodb"].get("NewImage") or record["dynamodb"].get("OldImage") or {}
    return str(image.get("v", {}).get("S", ""))


def mapped(
    client: LambdaClient, make_mapping: MakeMapping, arn: str, function: str, **params: Any
) -> dict[str, Any]:
    """A stream mapping (TRIM_HORIZON unless told), once Enabled."""
    params.setdefault("StartingPosition", "TRIM_HORIZON")
    mapping = make_mapping(EventSourceArn=arn, FunctionName=function, **params)
    return wait_settled(client, mapping["UUID"])


def first_message(sqs: SQSClient, url: str, what: str = "the on-failure record") -> Any:
    """The body of the first message the queue gets, parsed."""
    messages = wait_for(
        lambda: sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages"), 30, what
    )
    return json.loads(messages[0]["Body"])
