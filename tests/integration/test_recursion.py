"""Recursive loop detection through a real server: the trace header's Lineage counts each
function's invocations in a request chain; past 16 a loop is stopped (Terminate, the
default) or let run (Allow). Loops through S3, SNS and Lambda itself, each started once and
stopped by lambdaport; SQS carries the header on as the message's ``AWSTraceHeader``."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from lambdaport.invoke.recursion import MAX_INVOCATIONS, function_hash
from lambdaport.testing.aws import wait_drained
from lambdaport.testing.server import Server
from tests.conftest import MakeFunction
from tests.helpers import (
    ACCOUNT,
    REGION,
    allow_invoke,
    client_error,
    client_options,
    json_lines,
    receive_messages,
    wait_for,
)

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_sqs import SQSClient

# Notes each run (its n and trace header) in $OUT, then starts the next one.
NOTE = """
import json, os
import boto3

def note(n):
    with open(os.environ["OUT"], "a") as out:
        out.write(json.dumps({"n": n, "trace": os.environ.get("_X_AMZN_TRACE_ID")}) + "\\n")
"""
S3_LOOP = (
    NOTE
    + """
s3 = boto3.client("s3")

def handler(event, context):
    record = event["Records"][0]
    bucket, key = record["s3"]["bucket"]["name"], record["s3"]["object"]["key"]
    n = int(key.rsplit("/", 1)[1])
    note(n)
    s3.put_object(Bucket=bucket, Key=f"loop/{n + 1}", Body=b"once more")
"""
)
SNS_LOOP = (
    NOTE
    + """
sns = boto3.client("sns")

def handler(event, context):
    record = event["Records"][0]["Sns"]
    n = int(record["Message"])
    note(n)
    sns.publish(TopicArn=record["TopicArn"], Message=str(n + 1))
"""
)
LAMBDA_LOOP = (
    NOTE
    + """
lam = boto3.client("lambda")

def handler(event, context):
    note(event["n"])
    lam.invoke(
        FunctionName=context.function_name,
        InvocationType="Event",
        Payload=json.dumps({"n": event["n"] + 1}),
    )
"""
)
SQS_LOOP = (
    NOTE
    + """
sqs = boto3.client("sqs")

def handler(event, context):
    record = event["Records"][0]
    n = int(record["body"])
    note(n)
    url = sqs.get_queue_url(QueueName=record["eventSourceARN"].rsplit(":", 1)[1])["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=str(n + 1))
"""
)
TRACE = "import os\ndef handler(event, context):\n    return os.environ['_X_AMZN_TRACE_ID']\n"


@pytest.fixture
def sqs(server: Server) -> SQSClient:
    return boto3.client("sqs", **client_options(server.endpoint))


def _failure_queue(sqs: SQSClient, lam: LambdaClient, name: str) -> str:
    """A queue that gets the function's failed asynchronous events; its URL."""
    url = sqs.create_queue(QueueName=f"failed-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    lam.put_function_event_invoke_config(
        FunctionName=name,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": arn}},
    )
    return url


def _runs(out: Path) -> list[dict[str, Any]]:
    return json_lines(out)


def _stopped_after_16(server: Server, sqs: SQSClient, failed: str, out: Path) -> dict[str, Any]:
    """The loop ran 16 times and no more; the 17th event went to the failure queue: its
    destination record."""
    wait_for(lambda: len(_runs(out)) >= MAX_INVOCATIONS, 120, "16 runs of the loop")
    [message] = receive_messages(sqs, failed, 1, timeout=60)
    wait_drained(server.endpoint)
    runs = _runs(out)
    assert [run["n"] for run in runs] == list(range(MAX_INVOCATIONS))
    record: dict[str, Any] = json.loads(message["Body"])
    assert record["responsePayload"]["errorType"] == "RecursiveInvocationException"
    assert record["requestContext"]["approximateInvokeCount"] == 0  # it never ran
    # Each run's trace header counted it in its Lineage.
    assert runs[-1]["trace"].endswith(f":{MAX_INVOCATIONS - 1}")
    assert "Lineage=1:" in runs[0]["trace"] and runs[0]["trace"].endswith(":0")
    return record


def test_an_s3_function_s3_loop_is_stopped(
    server: Server,
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    sqs: SQSClient,
    tmp_path: Path,
) -> None:
    s3 = boto3.client("s3", **client_options(server.endpoint))
    bucket = f"loop-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    out = tmp_path / "runs.jsonl"
    name = make_function(S3_LOOP, Timeout=30, Environment={"Variables": {"OUT": str(out)}})
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    failed = _failure_queue(sqs, lambda_client, name)
    allow_invoke(lambda_client, name, "s3.amazonaws.com", f"arn:aws:s3:::{bucket}")
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}
            ]
        },
    )
    s3.put_object(Bucket=bucket, Key="loop/0", Body=b"start")
    record = _stopped_after_16(server, sqs, failed, out)
    # The event stopped is the 17th: S3's notification of the 16th run's object.
    assert record["requestPayload"]["Records"][0]["s3"]["object"]["key"] == "loop/16"
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="loop/")
    assert sorted(o["Key"] for o in listed["Contents"]) == sorted(
        f"loop/{n}" for n in range(MAX_INVOCATIONS + 1)
    )


def test_an_sns_function_sns_loop_is_stopped(
    server: Server,
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    sqs: SQSClient,
    tmp_path: Path,
) -> None:
    sns = boto3.client("sns", **client_options(server.endpoint))
    topic = sns.create_topic(Name=f"loop-{uuid.uuid4().hex[:8]}")["TopicArn"]
    out = tmp_path / "runs.jsonl"
    name = make_function(SNS_LOOP, Timeout=30, Environment={"Variables": {"OUT": str(out)}})
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    failed = _failure_queue(sqs, lambda_client, name)
    allow_invoke(lambda_client, name, "sns.amazonaws.com", topic)
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="0")
    _stopped_after_16(server, sqs, failed, out)


def test_an_sqs_function_sqs_loop_is_stopped(
    server: Server,
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    sqs: SQSClient,
    tmp_path: Path,
) -> None:
    """Through an event source mapping: the stopped batch fails, comes back once the
    visibility timeout ends and goes to the queue's dead-letter queue."""
    dead = sqs.create_queue(QueueName=f"dead-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": 1})
    url = sqs.create_queue(
        QueueName=f"loop-{uuid.uuid4().hex[:8]}",
        Attributes={"VisibilityTimeout": "2", "RedrivePolicy": redrive},
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    out = tmp_path / "runs.jsonl"
    name = make_function(SQS_LOOP, Timeout=2, Environment={"Variables": {"OUT": str(out)}})
    mapping = lambda_client.create_event_source_mapping(
        FunctionName=name, EventSourceArn=queue_arn, BatchSize=1
    )["UUID"]
    try:
        sqs.send_message(QueueUrl=url, MessageBody="0")
        wait_for(lambda: len(_runs(out)) >= MAX_INVOCATIONS, 120, "16 runs of the loop")
        [stopped] = receive_messages(sqs, dead, 1, timeout=60)
        assert stopped["Body"] == str(MAX_INVOCATIONS)
        runs = _runs(out)
        assert [run["n"] for run in runs] == list(range(MAX_INVOCATIONS))
        assert runs[-1]["trace"].endswith(f":{MAX_INVOCATIONS - 1}")
    finally:
        lambda_client.delete_event_source_mapping(UUID=mapping)


def test_a_function_invoking_itself_is_stopped(
    server: Server,
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    sqs: SQSClient,
    tmp_path: Path,
) -> None:
    out = tmp_path / "runs.jsonl"
    name = make_function(LAMBDA_LOOP, Timeout=30, Environment={"Variables": {"OUT": str(out)}})
    failed = _failure_queue(sqs, lambda_client, name)
    lambda_client.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"n": 0}')
    record = _stopped_after_16(server, sqs, failed, out)
    assert record["requestPayload"] == {"n": MAX_INVOCATIONS}


def test_allow_lets_the_loop_run_on(
    server: Server,
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    sqs: SQSClient,
    tmp_path: Path,
) -> None:
    out = tmp_path / "runs.jsonl"
    stop_at = MAX_INVOCATIONS + 4
    source = LAMBDA_LOOP.replace(
        '    note(event["n"])\n',
        f'    note(event["n"])\n    if event["n"] >= {stop_at}:\n        return\n',
    )
    name = make_function(source, Timeout=30, Environment={"Variables": {"OUT": str(out)}})
    lambda_client.put_function_recursion_config(FunctionName=name, RecursiveLoop="Allow")
    lambda_client.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"n": 0}')
    wait_for(lambda: len(_runs(out)) > stop_at, 120, "the loop to run past 16")
    wait_drained(server.endpoint)
    assert [run["n"] for run in _runs(out)] == list(range(stop_at + 1))


def _with_trace(lam: LambdaClient, header: str) -> LambdaClient:
    def add(request: Any, **_: Any) -> None:
        request.headers["X-Amzn-Trace-Id"] = header

    lam.meta.events.register("before-send.lambda.Invoke", add)
    return lam


def test_a_synchronous_invocation_past_16_is_refused(
    server: Server, make_function: MakeFunction
) -> None:
    name = make_function(TRACE)
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    root = "Root=1-6567a1b2-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=0"
    own, other = function_hash(arn), "0badf00d"

    def client(header: str) -> LambdaClient:
        return _with_trace(boto3.client("lambda", **client_options(server.endpoint)), header)

    # 15 runs so far: the 16th runs, and its header counts it.
    lam = client(f"{root};Lineage=1:{other}:3|{own}:{MAX_INVOCATIONS - 2}")
    seen = json.loads(lam.invoke(FunctionName=name)["Payload"].read())
    assert seen.startswith(root)
    assert seen.endswith(f";Lineage=1:{other}:3|{own}:{MAX_INVOCATIONS - 1}")
    # 16 runs so far: the 17th is refused.
    lam = client(f"{root};Lineage=1:{own}:{MAX_INVOCATIONS - 1}")
    code, message, status = client_error(lam.invoke, FunctionName=name)
    assert (code, status) == ("RecursiveInvocationException", 400)
    assert "recursive loop" in message
    # Unless the function allows it.
    client(root).put_function_recursion_config(FunctionName=name, RecursiveLoop="Allow")
    seen = json.loads(lam.invoke(FunctionName=name)["Payload"].read())
    assert seen.endswith(f";Lineage=1:{own}:{MAX_INVOCATIONS}")
    # A call with no Lineage starts one.
    fresh = json.loads(client(root).invoke(FunctionName=name)["Payload"].read())
    assert fresh == f"{root};Lineage=1:{own}:0"


def test_sqs_keeps_the_callers_trace_header(server: Server, sqs: SQSClient) -> None:
    url = sqs.create_queue(QueueName=f"traced-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    header = "Root=1-6567a1b2-0123456789abcdef01234567;Sampled=0;Lineage=1:0badf00d:2"

    def add(request: Any, **_: Any) -> None:
        request.headers["X-Amzn-Trace-Id"] = header

    sqs.meta.events.register("before-send.sqs.SendMessage", add)
    sent = sqs.send_message(QueueUrl=url, MessageBody="traced")
    assert "MD5OfMessageSystemAttributes" not in sent
    [message] = receive_messages(sqs, url, 1)
    assert message["Attributes"]["AWSTraceHeader"] == header
