"""S3 records to an SQS queue, per event type as AWS sends them: DeleteObjects notifies every
key asked for (deleted or absent; delete markers in a versioned bucket), restores send
``ObjectRestore:Post`` and ``ObjectRestore:Completed`` with ``glacierEventData``, and a
request's ``X-Amzn-Trace-Id`` travels on as the message's ``AWSTraceHeader`` — also through
a function to its asynchronous-invocation destination."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parser.models import S3Model

from lambdaport.testing.server import Server
from tests.helpers import Recorder, Recorders, client_options, receive_messages
from tests.services.s3.conftest import MakeBucket
from tests.services.s3.test_notifications import allow_s3, lambda_config

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

TRACE = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
Queue = tuple[str, str]  # (url, arn)


@pytest.fixture
def sqs(server: Server) -> SQSClient:
    return boto3.client("sqs", **client_options(server.endpoint))


@pytest.fixture
def make_queue(sqs: SQSClient) -> Callable[[], Queue]:
    def make() -> Queue:
        url = sqs.create_queue(QueueName=f"s3-records-{uuid.uuid4().hex[:8]}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
        return url, arn["QueueArn"]

    return make


def to_queue(s3: S3Client, bucket: str, arn: str, events: list[str]) -> None:
    config: Any = {"QueueConfigurations": [{"Id": "q", "QueueArn": arn, "Events": events}]}
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)


def records(sqs: SQSClient, url: str, count: int) -> list[dict[str, Any]]:
    """The next ``count`` S3 records on the queue (the s3:TestEvent skipped)."""
    found: list[dict[str, Any]] = []
    while len(found) < count:
        for message in receive_messages(sqs, url, 1, delete=True):
            body = json.loads(message["Body"])
            found.extend(body.get("Records", []))
    return found


def traced(s3: S3Client) -> S3Client:
    """The same client, sending ``X-Amzn-Trace-Id`` with every request."""

    def add_header(request: Any, **_: Any) -> None:
        request.headers["X-Amzn-Trace-Id"] = TRACE

    client = boto3.client("s3", **client_options(s3.meta.endpoint_url))
    client.meta.events.register("before-sign.s3.*", add_header)
    return client


def test_delete_objects_notifies_every_key(
    s3: S3Client, sqs: SQSClient, make_bucket: MakeBucket, make_queue: Callable[[], Queue]
) -> None:
    url, arn = make_queue()
    bucket = make_bucket()
    to_queue(s3, bucket, arn, ["s3:ObjectRemoved:*"])
    s3.put_object(Bucket=bucket, Key="there", Body=b"x")
    answer = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "there"}, {"Key": "never was"}]}
    )
    assert sorted(d["Key"] for d in answer["Deleted"]) == ["never was", "there"]
    found = records(sqs, url, 2)
    assert sorted(r["s3"]["object"]["key"] for r in found) == ["never+was", "there"]
    for record in found:
        assert record["eventName"] == "ObjectRemoved:Delete"
        assert set(record["s3"]["object"]) == {"key", "sequencer"}
    S3Model.model_validate({"Records": found})

    versioned = make_bucket(versioned=True)
    to_queue(s3, versioned, arn, ["s3:ObjectRemoved:*"])
    answer = s3.delete_objects(Bucket=versioned, Delete={"Objects": [{"Key": "a"}, {"Key": "b"}]})
    markers = {d["Key"]: d["DeleteMarkerVersionId"] for d in answer["Deleted"]}
    found = records(sqs, url, 2)
    assert {r["s3"]["object"]["key"]: r["s3"]["object"]["versionId"] for r in found} == markers
    assert {r["eventName"] for r in found} == {"ObjectRemoved:DeleteMarkerCreated"}


def test_delete_objects_errors_and_conditions(s3: S3Client, make_bucket: MakeBucket) -> None:
    bucket = make_bucket()
    etag = s3.put_object(Bucket=bucket, Key="k", Body=b"x")["ETag"]
    answer = s3.delete_objects(
        Bucket=bucket,
        Delete={
            "Objects": [
                {"Key": "k", "ETag": '"not-it"'},
                {"Key": "v", "VersionId": "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"},
            ]
        },
    )
    errors = {e["Key"]: (e["Code"], e["Message"]) for e in answer["Errors"]}
    assert errors == {
        "k": (
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
        ),
        "v": ("NoSuchVersion", "The specified version does not exist."),
    }
    assert s3.head_object(Bucket=bucket, Key="k")["ETag"] == etag
    answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "k", "ETag": etag}]})
    assert [d["Key"] for d in answer["Deleted"]] == ["k"]


def test_delete_object_if_match(s3: S3Client, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="k", Body=b"x")["ETag"]
    with pytest.raises(s3.exceptions.ClientError) as failed:
        s3.delete_object(Bucket=bucket, Key="k", IfMatch='"other"')
    assert failed.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    assert failed.value.response["Error"]["Code"] == "PreconditionFailed"
    assert s3.head_object(Bucket=bucket, Key="k")["ETag"] == etag
    s3.delete_object(Bucket=bucket, Key="k", IfMatch=etag)
    with pytest.raises(s3.exceptions.ClientError) as gone:
        s3.delete_object(Bucket=bucket, Key="k", IfMatch="*")
    assert gone.value.response["Error"]["Code"] == "NoSuchKey"


def test_restore_records(
    s3: S3Client, sqs: SQSClient, make_bucket: MakeBucket, make_queue: Callable[[], Queue]
) -> None:
    url, arn = make_queue()
    bucket = make_bucket()
    to_queue(s3, bucket, arn, ["s3:ObjectRestore:*"])
    etag = s3.put_object(Bucket=bucket, Key="cold", Body=b"frozen", StorageClass="GLACIER")["ETag"]
    s3.restore_object(Bucket=bucket, Key="cold", RestoreRequest={"Days": 1})
    posted, completed = records(sqs, url, 2)
    assert (posted["eventName"], completed["eventName"]) == (
        "ObjectRestore:Post",
        "ObjectRestore:Completed",
    )
    for record in (posted, completed):
        assert record["eventVersion"] == "2.1"
        assert record["s3"]["object"]["size"] == 6
        assert record["s3"]["object"]["eTag"] == etag.strip('"')
    assert "glacierEventData" not in posted
    data = completed["glacierEventData"]["restoreEventData"]
    assert data["lifecycleRestoreStorageClass"] == "GLACIER"
    assert data["lifecycleRestorationExpiryTime"].endswith("T00:00:00.000Z")
    assert completed["userIdentity"]["principalId"].startswith("AmazonCustomer:")
    parsed = S3Model.model_validate({"Records": [completed]}).Records[0]
    assert parsed.glacierEventData is not None


def test_trace_header_reaches_the_queue(
    s3: S3Client, sqs: SQSClient, make_bucket: MakeBucket, make_queue: Callable[[], Queue]
) -> None:
    url, arn = make_queue()
    bucket = make_bucket()
    to_queue(s3, bucket, arn, ["s3:ObjectCreated:*"])
    receive_messages(sqs, url, 1, delete=True)  # the s3:TestEvent
    traced(s3).put_object(Bucket=bucket, Key="traced", Body=b"x")
    (message,) = receive_messages(sqs, url, 1, delete=True)
    assert json.loads(message["Body"])["Records"][0]["s3"]["object"]["key"] == "traced"
    assert message["Attributes"]["AWSTraceHeader"] == TRACE
    s3.put_object(Bucket=bucket, Key="plain", Body=b"x")
    (untraced,) = receive_messages(sqs, url, 1, delete=True)
    assert "AWSTraceHeader" not in untraced["Attributes"]


def test_trace_header_reaches_an_async_destination(
    s3: S3Client,
    sqs: SQSClient,
    lambda_client: LambdaClient,
    recorders: Recorders,
    make_bucket: MakeBucket,
    make_queue: Callable[[], Queue],
) -> None:
    url, arn = make_queue()
    recorder: Recorder = recorders()
    lambda_client.put_function_event_invoke_config(
        FunctionName=recorder.name, DestinationConfig={"OnSuccess": {"Destination": arn}}
    )
    bucket = make_bucket()
    allow_s3(recorder, bucket)
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration=lambda_config(recorder.arn, ["s3:ObjectCreated:*"])
    )
    traced(s3).put_object(Bucket=bucket, Key="through-a-function", Body=b"x")
    (message,) = receive_messages(sqs, url, 1, delete=True)
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "Success"
    assert message["Attributes"]["AWSTraceHeader"] == TRACE
