"""Versioning: version ids on put/get/delete, delete markers, permanent deletes,
ListObjectVersions with markers, suspended versioning's ``null`` version."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from tests.services.s3.conftest import MakeBucket

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def test_versions_and_delete_markers(s3: S3Client, make_bucket: MakeBucket) -> None:
    bucket = make_bucket(versioned=True)
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="k", Body=b"two")["VersionId"]
    assert v1 != v2 and v1 != "null"
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"two"
    old = s3.get_object(Bucket=bucket, Key="k", VersionId=v1)
    assert old["Body"].read() == b"one" and old["VersionId"] == v1
    deleted = s3.delete_object(Bucket=bucket, Key="k")
    assert deleted["DeleteMarker"] is True
    marker = deleted["VersionId"]
    with pytest.raises(ClientError) as gone:
        s3.get_object(Bucket=bucket, Key="k")
    headers = gone.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert gone.value.response["Error"]["Code"] == "NoSuchKey"
    assert headers["x-amz-delete-marker"] == "true"
    with pytest.raises(ClientError) as marker_get:
        s3.get_object(Bucket=bucket, Key="k", VersionId=marker)
    assert marker_get.value.response["ResponseMetadata"]["HTTPStatusCode"] == 405
    listed = s3.list_object_versions(Bucket=bucket)
    assert [(v["VersionId"], v["IsLatest"]) for v in listed["Versions"]] == [
        (v2, False),
        (v1, False),
    ]
    assert [(m["VersionId"], m["IsLatest"]) for m in listed["DeleteMarkers"]] == [(marker, True)]
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    # Removing the marker brings v2 back; removing a version for good.
    removed = s3.delete_object(Bucket=bucket, Key="k", VersionId=marker)
    assert removed["DeleteMarker"] is True and removed["VersionId"] == marker
    assert s3.get_object(Bucket=bucket, Key="k")["VersionId"] == v2
    s3.delete_object(Bucket=bucket, Key="k", VersionId=v2)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"one"
    with pytest.raises(ClientError) as missing:
        s3.get_object(Bucket=bucket, Key="k", VersionId=v2)
    assert missing.value.response["Error"]["Code"] == "NoSuchVersion"


def test_list_object_versions_pages(s3: S3Client, make_bucket: MakeBucket) -> None:
    bucket = make_bucket(versioned=True)
    expected = []
    for key in ("a", "b/1", "b/2", "c"):
        ids = [s3.put_object(Bucket=bucket, Key=key, Body=b"x")["VersionId"] for _ in range(2)]
        expected += [(key, vid) for vid in reversed(ids)]
    paginator = s3.get_paginator("list_object_versions")
    seen = [
        (v["Key"], v["VersionId"])
        for page in paginator.paginate(Bucket=bucket, PaginationConfig={"PageSize": 3})
        for v in page.get("Versions", [])
    ]
    assert seen == expected
    rolled = s3.list_object_versions(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in rolled["CommonPrefixes"]] == ["b/"]
    assert {v["Key"] for v in rolled["Versions"]} == {"a", "c"}
    page = s3.list_object_versions(Bucket=bucket, MaxKeys=1)
    assert page["IsTruncated"] and page["NextKeyMarker"] == "a"
    assert page["NextVersionIdMarker"] == expected[0][1]


def test_suspended_versioning_uses_null(s3: S3Client, make_bucket: MakeBucket) -> None:
    bucket = make_bucket(versioned=True)
    kept = s3.put_object(Bucket=bucket, Key="k", Body=b"versioned")["VersionId"]
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    assert s3.put_object(Bucket=bucket, Key="k", Body=b"n1")["VersionId"] == "null"
    assert s3.put_object(Bucket=bucket, Key="k", Body=b"n2")["VersionId"] == "null"
    versions = s3.list_object_versions(Bucket=bucket)["Versions"]
    assert [v["VersionId"] for v in versions] == ["null", kept]
    assert s3.get_object(Bucket=bucket, Key="k", VersionId="null")["Body"].read() == b"n2"
