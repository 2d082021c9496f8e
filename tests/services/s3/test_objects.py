"""Objects through boto3: put/get/head with metadata and content headers, ranges, conditional
requests, delete, DeleteObjects, CopyObject (metadata and tagging directives), tagging, ACLs,
and S3's errors (XML bodies; HEAD without one)."""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from xml.etree import ElementTree

import pytest
from botocore.exceptions import ClientError

from lambdaport.testing.server import Server

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_put_get_head_with_headers_and_metadata(s3: S3Client, bucket: str) -> None:
    body = b"hello, object"
    put = s3.put_object(
        Bucket=bucket,
        Key="docs/a.txt",
        Body=body,
        ContentType="text/plain",
        ContentEncoding="identity",
        ContentDisposition='attachment; filename="a.txt"',
        CacheControl="max-age=60",
        ContentLanguage="en",
        Metadata={"Owner": "me", "purpose": "test"},
    )
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert "VersionId" not in put
    got = s3.get_object(Bucket=bucket, Key="docs/a.txt")
    assert got["Body"].read() == body
    assert got["ContentType"] == "text/plain"
    assert got["ContentEncoding"] == "identity"
    assert got["ContentDisposition"] == 'attachment; filename="a.txt"'
    assert got["CacheControl"] == "max-age=60"
    assert got["ContentLanguage"] == "en"
    assert got["Metadata"] == {"owner": "me", "purpose": "test"}
    assert got["ContentLength"] == len(body)
    assert got["ETag"] == put["ETag"]
    head = s3.head_object(Bucket=bucket, Key="docs/a.txt")
    assert head["ContentLength"] == len(body)
    assert head["LastModified"] == got["LastModified"]
    assert head["AcceptRanges"] == "bytes"
    default = s3.put_object(Bucket=bucket, Key="plain", Body=b"")
    assert default["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'
    assert s3.head_object(Bucket=bucket, Key="plain")["ContentType"] == "binary/octet-stream"


def test_ranges(s3: S3Client, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="r", Body=b"0123456789")
    cases = {"bytes=0-3": b"0123", "bytes=5-": b"56789", "bytes=-2": b"89", "bytes=8-100": b"89"}
    for header, expected in cases.items():
        got = s3.get_object(Bucket=bucket, Key="r", Range=header)
        assert got["Body"].read() == expected, header
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
        assert got["ContentRange"].endswith("/10")
    with pytest.raises(ClientError) as error:
        s3.get_object(Bucket=bucket, Key="r", Range="bytes=10-12")
    assert _code(error) == "InvalidRange"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 416


def test_conditional_requests(s3: S3Client, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"v1")["ETag"]
    modified = s3.head_object(Bucket=bucket, Key="c")["LastModified"]
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"v1"
    with pytest.raises(ClientError) as failed:
        s3.get_object(Bucket=bucket, Key="c", IfMatch='"0000"')
    assert _code(failed) == "PreconditionFailed"
    with pytest.raises(ClientError) as not_modified:
        s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert not_modified.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    with pytest.raises(ClientError) as unchanged:
        s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=modified + timedelta(seconds=5))
    assert unchanged.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    earlier = modified - timedelta(days=1)
    with pytest.raises(ClientError) as since:
        s3.get_object(Bucket=bucket, Key="c", IfUnmodifiedSince=earlier)
    assert _code(since) == "PreconditionFailed"
    assert s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=earlier)["Body"].read() == b"v1"
    # Conditional writes.
    with pytest.raises(ClientError) as exists:
        s3.put_object(Bucket=bucket, Key="c", Body=b"v2", IfNoneMatch="*")
    assert _code(exists) == "PreconditionFailed"
    s3.put_object(Bucket=bucket, Key="c", Body=b"v2", IfMatch=etag)
    assert s3.get_object(Bucket=bucket, Key="c")["Body"].read() == b"v2"


def test_delete_and_delete_objects(s3: S3Client, bucket: str) -> None:
    for key in ("a", "b", "c"):
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    assert s3.delete_object(Bucket=bucket, Key="a")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.delete_object(Bucket=bucket, Key="a")["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket=bucket, Key="a")
    result = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "b"}, {"Key": "c"}, {"Key": "missing"}]}
    )
    assert sorted(d["Key"] for d in result["Deleted"]) == ["b", "c", "missing"]
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "x"}], "Quiet": True})
    assert "Deleted" not in quiet


def test_copy_object_with_directives(s3: S3Client, bucket: str, make_bucket: object) -> None:
    s3.put_object(
        Bucket=bucket,
        Key="src",
        Body=b"copy me",
        ContentType="text/plain",
        Metadata={"a": "1"},
        Tagging="t=1",
    )
    copied = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert copied["CopyObjectResult"]["ETag"] == s3.head_object(Bucket=bucket, Key="src")["ETag"]
    head = s3.head_object(Bucket=bucket, Key="dst")
    assert (head["ContentType"], head["Metadata"]) == ("text/plain", {"a": "1"})
    assert s3.get_object_tagging(Bucket=bucket, Key="dst")["TagSet"] == [{"Key": "t", "Value": "1"}]
    s3.copy_object(
        Bucket=bucket,
        Key="dst2",
        CopySource=f"{bucket}/src",
        MetadataDirective="REPLACE",
        ContentType="application/json",
        Metadata={"b": "2"},
        TaggingDirective="REPLACE",
        Tagging="u=2",
    )
    head2 = s3.head_object(Bucket=bucket, Key="dst2")
    assert (head2["ContentType"], head2["Metadata"]) == ("application/json", {"b": "2"})
    assert s3.get_object(Bucket=bucket, Key="dst2")["Body"].read() == b"copy me"
    assert s3.get_object_tagging(Bucket=bucket, Key="dst2")["TagSet"] == [
        {"Key": "u", "Value": "2"}
    ]
    with pytest.raises(ClientError) as itself:
        s3.copy_object(Bucket=bucket, Key="src", CopySource={"Bucket": bucket, "Key": "src"})
    assert _code(itself) == "InvalidRequest"
    s3.copy_object(
        Bucket=bucket,
        Key="src",
        CopySource={"Bucket": bucket, "Key": "src"},
        MetadataDirective="REPLACE",
        Metadata={"c": "3"},
    )
    assert s3.head_object(Bucket=bucket, Key="src")["Metadata"] == {"c": "3"}
    with pytest.raises(ClientError) as failed:
        s3.copy_object(
            Bucket=bucket, Key="d3", CopySource=f"{bucket}/src", CopySourceIfMatch='"nope"'
        )
    assert _code(failed) == "PreconditionFailed"
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.copy_object(Bucket=bucket, Key="d4", CopySource=f"{bucket}/none")


def test_object_tagging(s3: S3Client, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="t", Body=b"x", Tagging="a=1&b=two%20words")
    assert s3.get_object(Bucket=bucket, Key="t")["TagCount"] == 2
    tags = s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"]
    assert {t["Key"]: t["Value"] for t in tags} == {"a": "1", "b": "two words"}
    s3.put_object_tagging(
        Bucket=bucket, Key="t", Tagging={"TagSet": [{"Key": "only", "Value": "one"}]}
    )
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == [
        {"Key": "only", "Value": "one"}
    ]
    s3.delete_object_tagging(Bucket=bucket, Key="t")
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == []
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object_tagging(Bucket=bucket, Key="missing")


def test_error_xml_and_head_errors(server: Server, s3: S3Client, bucket: str) -> None:
    url = f"{server.endpoint}/{bucket}/no%20such"
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(url)
    assert error.value.code == 404
    root = ElementTree.fromstring(error.value.read())
    assert root.tag == "Error"
    assert [child.tag for child in root] == ["Code", "Message", "Key", "RequestId"]
    assert root.findtext("Code") == "NoSuchKey"
    assert root.findtext("Key") == "no such"
    assert root.findtext("RequestId") == error.value.headers["x-amz-request-id"]
    head = urllib.request.Request(url, method="HEAD")
    with pytest.raises(urllib.error.HTTPError) as head_error:
        urllib.request.urlopen(head)
    assert head_error.value.code == 404
    assert head_error.value.read() == b""
    with pytest.raises(s3.exceptions.NoSuchBucket):
        s3.get_object(Bucket="no-such-bucket-here", Key="k")


def test_odd_keys(s3: S3Client, bucket: str) -> None:
    keys = ["with space", "plus+sign", "uni/ç/ü.txt", "a%2Fb", "dir/", "q?x=1&y", "~tilde*"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    for key in keys:
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode()
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == sorted(keys, key=lambda k: k.encode())


def test_expires_header_round_trips(s3: S3Client, bucket: str) -> None:
    expires = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    s3.put_object(Bucket=bucket, Key="e", Body=b"x", Expires=expires)
    head = s3.head_object(Bucket=bucket, Key="e")
    assert head["ResponseMetadata"]["HTTPHeaders"]["expires"] == "Wed, 02 Jan 2030 03:04:05 GMT"
