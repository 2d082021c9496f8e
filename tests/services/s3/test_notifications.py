"""S3 event notifications to a real Lambda function (asynchronously, through the invoker),
checked field by field against ``../shared/docs/AWS-SEMANTICS.md`` D.26 and by powertools'
``S3Model``; the refusals S3 makes when a configuration is saved; prefix/suffix filters; SQS
and SNS destinations with the ``s3:TestEvent``."""

from __future__ import annotations

import json
import re
import urllib.request
import uuid
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parser.models import S3Model
from botocore.exceptions import ClientError

from lambdaport.testing.aws import wait_drained
from lambdaport.testing.server import Server
from tests.helpers import (
    ACCOUNT,
    REGION,
    Recorder,
    Recorders,
    client_options,
    receive_messages,
    wait_for,
)
from tests.services.s3.conftest import MakeBucket
from tests.services.s3.forms import multipart_form

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def records(recorder: Recorder) -> list[dict[str, Any]]:
    """The S3 records the function received, in order."""
    return [record for event in recorder.events() for record in event["Records"]]


def record_for(recorder: Recorder, event_name: str, key: str) -> dict[str, Any]:
    def find() -> dict[str, Any] | None:
        for record in records(recorder):
            if record["eventName"] == event_name and record["s3"]["object"]["key"] == key:
                return record
        return None

    return wait_for(find, what=f"{event_name} of {key}")


def allow_s3(function: Recorder, bucket: str, account: str = ACCOUNT) -> None:
    function.allow("s3.amazonaws.com", f"arn:aws:s3:::{bucket}", source_account=account)


def lambda_config(arn: str, events: list[str], **rules: str) -> Any:
    config: dict[str, Any] = {"Id": "to-lambda", "LambdaFunctionArn": arn, "Events": events}
    if rules:
        config["Filter"] = {
            "Key": {"FilterRules": [{"Name": n, "Value": v} for n, v in rules.items()]}
        }
    return {"LambdaFunctionConfigurations": [config]}


@pytest.fixture
def recorder(recorders: Recorders) -> Recorder:
    return recorders()


def test_object_created_record(
    s3: S3Client, make_bucket: MakeBucket, recorder: Recorder, server: Server
) -> None:
    arn = recorder.arn
    bucket = make_bucket()
    allow_s3(recorder, bucket)
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration=lambda_config(
            arn, ["s3:ObjectCreated:*"], prefix="uploads/", suffix=".jpg"
        ),
    )
    saved = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert saved["LambdaFunctionConfigurations"][0]["LambdaFunctionArn"] == arn
    assert saved["LambdaFunctionConfigurations"][0]["Id"] == "to-lambda"
    s3.put_object(Bucket=bucket, Key="uploads/skip.png", Body=b"no")  # suffix does not match
    s3.put_object(Bucket=bucket, Key="other/skip.jpg", Body=b"no")  # prefix does not match
    put = s3.put_object(Bucket=bucket, Key="uploads/red flower=1.jpg", Body=b"petals")
    record = record_for(recorder, "ObjectCreated:Put", "uploads/red+flower%3D1.jpg")

    assert record["eventVersion"] == "2.1"
    assert record["eventSource"] == "aws:s3"
    assert record["awsRegion"] == REGION
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["eventTime"])
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["userIdentity"]["principalId"].startswith("AWS:")
    assert record["requestParameters"] == {"sourceIPAddress": "127.0.0.1"}
    response = put["ResponseMetadata"]
    assert record["responseElements"] == {
        "x-amz-request-id": response["RequestId"],
        "x-amz-id-2": response["HostId"],
    }
    s3_part = record["s3"]
    assert s3_part["s3SchemaVersion"] == "1.0"
    assert s3_part["configurationId"] == "to-lambda"
    assert s3_part["bucket"]["name"] == bucket
    assert s3_part["bucket"]["arn"] == f"arn:aws:s3:::{bucket}"
    assert re.fullmatch(r"A[A-Z0-9]{13}", s3_part["bucket"]["ownerIdentity"]["principalId"])
    obj = s3_part["object"]
    assert set(obj) == {"key", "size", "eTag", "sequencer"}  # no versionId: not versioned
    assert obj["size"] == 6 and obj["eTag"] == put["ETag"].strip('"')
    assert re.fullmatch(r"[0-9A-F]+", obj["sequencer"])
    parsed = S3Model.model_validate({"Records": [record]})
    parsed_object = parsed.Records[0].s3.object
    assert parsed_object is not None and parsed_object.key == "uploads/red+flower%3D1.jpg"
    # Every delivery done: the filtered-out writes were never sent.
    wait_drained(server.endpoint)
    assert all("skip" not in r["s3"]["object"]["key"] for r in records(recorder))

    # More events of the same configuration: copy and multipart completion.
    s3.copy_object(
        Bucket=bucket, Key="uploads/copy.jpg", CopySource=f"{bucket}/uploads/red flower=1.jpg"
    )
    assert (
        record_for(recorder, "ObjectCreated:Copy", "uploads/copy.jpg")["s3"]["object"]["size"] == 6
    )
    upload = s3.create_multipart_upload(Bucket=bucket, Key="uploads/mp.jpg")["UploadId"]
    etag = s3.upload_part(
        Bucket=bucket, Key="uploads/mp.jpg", UploadId=upload, PartNumber=1, Body=b"one part"
    )["ETag"]
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="uploads/mp.jpg",
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
    )
    completed = record_for(recorder, "ObjectCreated:CompleteMultipartUpload", "uploads/mp.jpg")
    assert completed["s3"]["object"]["eTag"].endswith("-1")
    post = s3.generate_presigned_post(bucket, "uploads/posted.jpg")
    form, content_type = multipart_form(post["fields"], b"form body", "posted.jpg")
    request = urllib.request.Request(
        post["url"], data=form, method="POST", headers={"Content-Type": content_type}
    )
    urllib.request.urlopen(request).close()
    assert (
        record_for(recorder, "ObjectCreated:Post", "uploads/posted.jpg")["s3"]["object"]["size"]
        == 9
    )
    # Sequencers grow per key.
    s3.put_object(Bucket=bucket, Key="uploads/copy.jpg", Body=b"newer")
    again = wait_for(
        lambda: [
            r
            for r in records(recorder)
            if r["s3"]["object"]["key"] == "uploads/copy.jpg"
            and r["eventName"] == "ObjectCreated:Put"
        ],
        what="second write of uploads/copy.jpg",
    )[0]
    first = record_for(recorder, "ObjectCreated:Copy", "uploads/copy.jpg")
    assert int(again["s3"]["object"]["sequencer"], 16) > int(first["s3"]["object"]["sequencer"], 16)


def test_removed_tagging_and_acl_records(
    s3: S3Client, make_bucket: MakeBucket, recorder: Recorder
) -> None:
    arn = recorder.arn
    bucket = make_bucket(versioned=True)
    allow_s3(recorder, bucket)
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration=lambda_config(
            arn, ["s3:ObjectRemoved:*", "s3:ObjectTagging:*", "s3:ObjectAcl:Put"]
        ),
    )
    version = s3.put_object(Bucket=bucket, Key="doc.txt", Body=b"x")["VersionId"]
    s3.put_object_tagging(
        Bucket=bucket, Key="doc.txt", Tagging={"TagSet": [{"Key": "a", "Value": "b"}]}
    )
    tagged = record_for(recorder, "ObjectTagging:Put", "doc.txt")
    assert tagged["eventVersion"] == "2.3"
    # Tagging and ACL records name the object by its ETag: no size, no sequencer (as AWS).
    assert set(tagged["s3"]["object"]) == {"key", "eTag", "versionId"}
    assert tagged["s3"]["object"]["versionId"] == version
    s3.delete_object_tagging(Bucket=bucket, Key="doc.txt")
    untagged = record_for(recorder, "ObjectTagging:Delete", "doc.txt")
    assert untagged["eventVersion"] == "2.3"
    assert set(untagged["s3"]["object"]) == {"key", "eTag", "versionId"}
    s3.put_object_acl(Bucket=bucket, Key="doc.txt", ACL="private")
    acl = record_for(recorder, "ObjectAcl:Put", "doc.txt")
    assert acl["eventVersion"] == "2.3"
    assert set(acl["s3"]["object"]) == {"key", "eTag", "versionId"}
    marker = s3.delete_object(Bucket=bucket, Key="doc.txt")["VersionId"]
    created = record_for(recorder, "ObjectRemoved:DeleteMarkerCreated", "doc.txt")
    assert created["eventVersion"] == "2.1"
    assert set(created["s3"]["object"]) == {"key", "eTag", "versionId", "sequencer"}
    assert created["s3"]["object"]["eTag"] == "d41d8cd98f00b204e9800998ecf8427e"  # of nothing
    assert created["s3"]["object"]["versionId"] == marker
    s3.delete_object(Bucket=bucket, Key="doc.txt", VersionId=version)
    deleted = wait_for(
        lambda: [r for r in records(recorder) if r["eventName"] == "ObjectRemoved:Delete"],
        what="ObjectRemoved:Delete",
    )[0]
    assert deleted["s3"]["object"]["versionId"] == version
    assert "size" not in deleted["s3"]["object"] and "eTag" not in deleted["s3"]["object"]
    check_with_powertools(records(recorder))


def check_with_powertools(found: list[dict[str, Any]]) -> None:
    """Every record parses with powertools' ``S3Model`` but for the ``ObjectTagging:Put`` and
    ``ObjectAcl:Put`` ones: S3 sends those without ``size`` (as recorded from AWS), which
    powertools' validator wants for every event whose name lacks ``:Delete``."""
    for record in found:
        if record["eventName"] in ("ObjectTagging:Put", "ObjectAcl:Put"):
            with pytest.raises(ValueError, match="Size and eTag fields are required"):
                S3Model.model_validate({"Records": [record]})
        else:
            S3Model.model_validate({"Records": [record]})


def test_refused_without_permission(
    s3: S3Client, make_bucket: MakeBucket, recorder: Recorder
) -> None:
    arn = recorder.arn
    bucket = make_bucket()
    with pytest.raises(ClientError) as refused:
        s3.put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration=lambda_config(arn, ["s3:ObjectCreated:*"])
        )
    error = refused.value.response["Error"]
    assert error["Code"] == "InvalidArgument"
    assert error["Message"] == "Unable to validate the following destination configurations"
    assert error["ArgumentName1"] == arn  # type: ignore[typeddict-item]
    assert error["ArgumentValue1"] == f"Not authorized to invoke function [{arn}]"  # type: ignore[typeddict-item]
    assert "LambdaFunctionConfigurations" not in s3.get_bucket_notification_configuration(
        Bucket=bucket
    )
    # A permission for another bucket or another account does not do either.
    recorder.allow("s3.amazonaws.com", "arn:aws:s3:::some-other-bucket", source_account=ACCOUNT)
    allow_s3(recorder, bucket, account="111122223333")
    with pytest.raises(ClientError):
        s3.put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration=lambda_config(arn, ["s3:ObjectCreated:*"])
        )
    allow_s3(recorder, bucket)
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration=lambda_config(arn, ["s3:ObjectCreated:*"])
    )
    missing = arn + "-missing"
    with pytest.raises(ClientError) as unknown:
        s3.put_bucket_notification_configuration(
            Bucket=bucket,
            NotificationConfiguration=lambda_config(missing, ["s3:ObjectCreated:*"]),
        )
    assert unknown.value.response["Error"]["ArgumentName1"] == missing  # type: ignore[typeddict-item]


def test_configuration_validation(s3: S3Client, bucket: str) -> None:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:whatever"

    def refused(config: Any) -> str:
        with pytest.raises(ClientError) as error:
            s3.put_bucket_notification_configuration(
                Bucket=bucket, NotificationConfiguration=config, SkipDestinationValidation=True
            )
        return str(error.value.response["Error"]["Message"])

    assert "not supported" in refused(lambda_config(arn, ["s3:ObjectCreated:Nope"]))
    both = lambda_config(arn, ["s3:ObjectCreated:*"], prefix="a/")
    second: Any = dict(
        both["LambdaFunctionConfigurations"][0], Id="two", Events=["s3:ObjectCreated:Put"]
    )
    overlapping = {"LambdaFunctionConfigurations": [*both["LambdaFunctionConfigurations"], second]}
    assert refused(overlapping).startswith("Configurations overlap")
    rules = [{"Name": "prefix", "Value": "b/"}]
    disjoint: Any = dict(second, Filter={"Key": {"FilterRules": rules}})
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [*both["LambdaFunctionConfigurations"], disjoint]
        },
        SkipDestinationValidation=True,
    )
    assert (
        len(s3.get_bucket_notification_configuration(Bucket=bucket)["LambdaFunctionConfigurations"])
        == 2
    )
    wrong_region = lambda_config(arn.replace(REGION, "eu-west-1"), ["s3:ObjectCreated:*"])
    assert "region" in refused(wrong_region)
    no_id = lambda_config(arn, ["s3:ObjectRemoved:*"])
    del no_id["LambdaFunctionConfigurations"][0]["Id"]
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration=no_id, SkipDestinationValidation=True
    )
    saved = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert saved["LambdaFunctionConfigurations"][0]["Id"]
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    assert "LambdaFunctionConfigurations" not in s3.get_bucket_notification_configuration(
        Bucket=bucket
    )


def test_sqs_and_sns_destinations(server: Server, s3: S3Client, make_bucket: MakeBucket) -> None:
    sqs = boto3.client("sqs", **client_options(server.endpoint))
    sns = boto3.client("sns", **client_options(server.endpoint))
    bucket = make_bucket()
    direct_url = sqs.create_queue(QueueName=f"s3-direct-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    via_url = sqs.create_queue(QueueName=f"s3-via-sns-{uuid.uuid4().hex[:8]}")["QueueUrl"]

    def arn_of(url: str) -> str:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return str(attributes["Attributes"]["QueueArn"])

    topic = sns.create_topic(Name=f"s3-topic-{uuid.uuid4().hex[:8]}")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn_of(via_url))
    config: Any = {
        "QueueConfigurations": [
            {"Id": "q", "QueueArn": arn_of(direct_url), "Events": ["s3:ObjectCreated:*"]}
        ],
        "TopicConfigurations": [{"Id": "t", "TopicArn": topic, "Events": ["s3:ObjectRemoved:*"]}],
    }
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)

    def bodies(url: str, count: int) -> list[str]:
        return [m["Body"] for m in receive_messages(sqs, url, count, delete=True)]

    test_event = json.loads(bodies(direct_url, 1)[0])
    assert test_event["Event"] == "s3:TestEvent" and test_event["Bucket"] == bucket
    assert set(test_event) == {"Service", "Event", "Time", "Bucket", "RequestId", "HostId"}
    envelope = json.loads(bodies(via_url, 1)[0])
    assert envelope["Subject"] == "Amazon S3 Notification"
    assert json.loads(envelope["Message"])["Event"] == "s3:TestEvent"

    s3.put_object(Bucket=bucket, Key="a b.txt", Body=b"queued")
    created = json.loads(bodies(direct_url, 1)[0])["Records"][0]
    assert created["eventName"] == "ObjectCreated:Put"
    assert created["s3"]["configurationId"] == "q"
    assert created["s3"]["object"]["key"] == "a+b.txt"
    S3Model.model_validate({"Records": [created]})
    s3.delete_object(Bucket=bucket, Key="a b.txt")
    removed_envelope = json.loads(bodies(via_url, 1)[0])
    assert removed_envelope["Subject"] == "Amazon S3 Notification"
    removed = json.loads(removed_envelope["Message"])["Records"][0]
    assert removed["eventName"] == "ObjectRemoved:Delete"
    assert removed["s3"]["configurationId"] == "t"

    missing: Any = {
        "QueueConfigurations": [
            {"QueueArn": arn_of(direct_url) + "-gone", "Events": ["s3:ObjectCreated:*"]}
        ]
    }
    with pytest.raises(ClientError) as refused:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=missing)
    assert refused.value.response["Error"]["Message"] == (
        "Unable to validate the following destination configurations"
    )
