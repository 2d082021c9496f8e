"""Buckets through boto3: create (names, LocationConstraint, re-create), list, head, location,
delete (BucketNotEmpty), versioning status and bucket tagging."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from lambdaport.testing.server import Server
from tests.services.s3.conftest import MakeBucket, s3_client_for

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_create_list_head_delete(s3: S3Client) -> None:
    name = f"bkt-{uuid.uuid4().hex[:12]}"
    created = s3.create_bucket(Bucket=name)
    assert created["Location"] == f"/{name}"
    listed = s3.list_buckets()
    assert name in [b["Name"] for b in listed["Buckets"]]
    assert len(listed["Owner"]["ID"]) == 64
    head = s3.head_bucket(Bucket=name)
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-east-1"
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] is None
    s3.delete_bucket(Bucket=name)
    with pytest.raises(ClientError) as missing:
        s3.head_bucket(Bucket=name)
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(s3.exceptions.NoSuchBucket):
        s3.delete_bucket(Bucket=name)


def test_bucket_names_are_checked(s3: S3Client) -> None:
    for bad in ("ab", "Upper-Case", "has_underscore", "192.168.1.1", "a..b", "-start"):
        with pytest.raises(ClientError) as error:
            s3.create_bucket(Bucket=bad)
        assert _code(error) == "InvalidBucketName", bad


def test_location_constraint(server: Server) -> None:
    regional = s3_client_for(server.endpoint, region="eu-west-1")
    name = f"bkt-{uuid.uuid4().hex[:12]}"
    with pytest.raises(ClientError) as unspecified:
        regional.create_bucket(Bucket=name)
    assert _code(unspecified) == "IllegalLocationConstraintException"
    regional.create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    try:
        assert regional.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"
        with pytest.raises(ClientError) as again:
            regional.create_bucket(
                Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
            )
        assert _code(again) == "BucketAlreadyOwnedByYou"
        other = s3_client_for(server.endpoint, region="eu-west-1", access_key="111122223333")
        with pytest.raises(ClientError) as taken:
            other.create_bucket(
                Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
            )
        assert _code(taken) == "BucketAlreadyExists"
        assert name not in [b["Name"] for b in other.list_buckets()["Buckets"]]
    finally:
        regional.delete_bucket(Bucket=name)


def test_recreate_in_us_east_1_is_ok(s3: S3Client, bucket: str) -> None:
    assert s3.create_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_delete_non_empty_bucket(s3: S3Client, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as error:
        s3.delete_bucket(Bucket=bucket)
    assert _code(error) == "BucketNotEmpty"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_versioning_status(s3: S3Client, bucket: str) -> None:
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"


def test_bucket_tagging(s3: S3Client, make_bucket: MakeBucket) -> None:
    bucket = make_bucket()
    with pytest.raises(ClientError) as none:
        s3.get_bucket_tagging(Bucket=bucket)
    assert _code(none) == "NoSuchTagSet"
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "team", "Value": "a"}]})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "team", "Value": "a"}]
    s3.delete_bucket_tagging(Bucket=bucket)
    with pytest.raises(ClientError):
        s3.get_bucket_tagging(Bucket=bucket)


def test_list_buckets_pages_and_expected_owner(s3: S3Client, make_bucket: MakeBucket) -> None:
    prefix = f"pg-{uuid.uuid4().hex[:8]}"
    names = [make_bucket(f"{prefix}-{i}") for i in range(3)]
    first = s3.list_buckets(Prefix=prefix, MaxBuckets=2)
    assert [b["Name"] for b in first["Buckets"]] == names[:2]
    rest = s3.list_buckets(
        Prefix=prefix, MaxBuckets=2, ContinuationToken=first["ContinuationToken"]
    )
    assert [b["Name"] for b in rest["Buckets"]] == names[2:]
    assert "ContinuationToken" not in rest
    s3.head_bucket(Bucket=names[0], ExpectedBucketOwner="000000000000")
    with pytest.raises(ClientError) as other:
        s3.put_object(Bucket=names[0], Key="k", Body=b"x", ExpectedBucketOwner="111122223333")
    assert other.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_location_constraints_as_aws_takes_them(server: Server, s3: S3Client) -> None:
    """The global endpoint (us-east-1) makes a bucket in any other region it is told (``EU``
    is eu-west-1); it refuses its own name and unknown regions; a regional endpoint takes
    only its own region (eu-west-1's also ``EU``)."""
    made: list[tuple[S3Client, str]] = []
    try:
        west = f"bkt-{uuid.uuid4().hex[:16]}"
        s3.create_bucket(Bucket=west, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
        made.append((s3, west))
        assert s3.head_bucket(Bucket=west)["BucketRegion"] == "us-west-2"
        assert s3.get_bucket_location(Bucket=west)["LocationConstraint"] == "us-west-2"
        eu = f"bkt-{uuid.uuid4().hex[:16]}"
        s3.create_bucket(Bucket=eu, CreateBucketConfiguration={"LocationConstraint": "EU"})
        made.append((s3, eu))
        assert s3.head_bucket(Bucket=eu)["BucketRegion"] == "eu-west-1"
        assert s3.get_bucket_location(Bucket=eu)["LocationConstraint"] == "EU"
        for constraint in ("us-east-1", "foo", "aws-global"):
            with pytest.raises(ClientError) as invalid:
                s3.create_bucket(
                    Bucket=f"bkt-{uuid.uuid4().hex[:16]}",
                    CreateBucketConfiguration={"LocationConstraint": constraint},  # type: ignore[typeddict-item]
                )
            error = invalid.value.response["Error"]
            assert error["Code"] == "InvalidLocationConstraint"
            assert error["Message"] == "The specified location-constraint is not valid"
            assert error["LocationConstraint"] == constraint  # type: ignore[typeddict-item]
        regional = s3_client_for(server.endpoint, region="us-east-2")
        with pytest.raises(ClientError) as mismatch:
            regional.create_bucket(
                Bucket=f"bkt-{uuid.uuid4().hex[:16]}",
                CreateBucketConfiguration={"LocationConstraint": "us-west-1"},
            )
        error = mismatch.value.response["Error"]
        assert error["Code"] == "IllegalLocationConstraintException"
        assert error["Message"] == (
            "The us-west-1 location constraint is incompatible for the region specific "
            "endpoint this request was sent to."
        )
        ireland = s3_client_for(server.endpoint, region="eu-west-1")
        eu_too = f"bkt-{uuid.uuid4().hex[:16]}"
        ireland.create_bucket(Bucket=eu_too, CreateBucketConfiguration={"LocationConstraint": "EU"})
        made.append((ireland, eu_too))
    finally:
        for client, name in made:
            client.delete_bucket(Bucket=name)
