"""Storage classes and parts: invalid classes refused, GLACIER/DEEP_ARCHIVE objects readable
only after RestoreObject (``x-amz-restore`` on HEAD), GET/HEAD of one part with
``partNumber``, and copies of multipart objects being one part."""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

PART = 5 * 1024 * 1024


def error(call: Any, **kwargs: Any) -> tuple[dict[str, Any], int]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    response = raised.value.response
    return dict(response["Error"]), response["ResponseMetadata"]["HTTPStatusCode"]


def multipart(s3: S3Client, bucket: str, key: str, parts: list[bytes]) -> str:
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    done: Any = [
        {
            "PartNumber": n,
            "ETag": s3.upload_part(
                Bucket=bucket, Key=key, UploadId=upload, PartNumber=n, Body=body
            )["ETag"],
        }
        for n, body in enumerate(parts, start=1)
    ]
    return s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": done}
    )["ETag"]


@pytest.mark.parametrize("storage_class", ["FakeClass", "OUTPOSTS", "EXPRESS_ONEZONE"])
def test_invalid_storage_classes(s3: S3Client, bucket: str, storage_class: str) -> None:
    for call, kwargs in (
        (s3.put_object, {"Body": b"x"}),
        (s3.create_multipart_upload, {}),
    ):
        found, status = error(call, Bucket=bucket, Key="k", StorageClass=storage_class, **kwargs)
        assert status == 400
        assert found["Code"] == "InvalidStorageClass"
        assert found["Message"] == "The storage class you specified is not valid"
        assert found["StorageClassRequested"] == storage_class


@pytest.mark.parametrize("storage_class", ["GLACIER", "DEEP_ARCHIVE"])
def test_archived_objects_need_a_restore(s3: S3Client, bucket: str, storage_class: Any) -> None:
    s3.put_object(Bucket=bucket, Key="cold", Body=b"frozen", StorageClass=storage_class)
    head = s3.head_object(Bucket=bucket, Key="cold")
    assert head["StorageClass"] == storage_class and "Restore" not in head
    found, status = error(s3.get_object, Bucket=bucket, Key="cold")
    assert status == 403
    assert found["Code"] == "InvalidObjectState"
    assert found["Message"] == "The operation is not valid for the object's storage class"
    assert found["StorageClass"] == storage_class
    copy, _ = error(s3.copy_object, Bucket=bucket, Key="c", CopySource=f"{bucket}/cold")
    assert copy["Message"] == "Operation is not valid for the source object's storage class"
    restore = s3.restore_object(
        Bucket=bucket,
        Key="cold",
        RestoreRequest={"Days": 2, "GlacierJobParameters": {"Tier": "Bulk"}},
    )
    assert restore["ResponseMetadata"]["HTTPStatusCode"] == 202
    header = s3.head_object(Bucket=bucket, Key="cold")["Restore"]
    assert re.fullmatch(
        r'ongoing-request="false", expiry-date="\w{3}, \d\d \w{3} \d{4} 00:00:00 GMT"', header
    )
    assert s3.get_object(Bucket=bucket, Key="cold")["Body"].read() == b"frozen"
    again = s3.restore_object(Bucket=bucket, Key="cold", RestoreRequest={"Days": 5})
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200
    s3.copy_object(Bucket=bucket, Key="warm", CopySource=f"{bucket}/cold")
    assert "StorageClass" not in s3.head_object(Bucket=bucket, Key="warm")  # STANDARD


def test_restore_refusals(s3: S3Client, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="hot", Body=b"x")
    found, status = error(s3.restore_object, Bucket=bucket, Key="hot", RestoreRequest={"Days": 1})
    assert (found["Code"], status) == ("InvalidObjectState", 403)
    assert found["Message"] == "Restore is not allowed for the object's current storage class"
    missing, status = error(
        s3.restore_object, Bucket=bucket, Key="nope", RestoreRequest={"Days": 1}
    )
    assert (missing["Code"], status) == ("NoSuchKey", 404)


def test_get_and_head_one_part(s3: S3Client, bucket: str) -> None:
    first, second = b"a" * PART, b"second part"
    etag = multipart(s3, bucket, "mp", [first, second])
    size = len(first) + len(second)
    head = s3.head_object(Bucket=bucket, Key="mp", PartNumber=2)
    assert head["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert head["PartsCount"] == 2 and head["ContentLength"] == len(second)
    assert head["ContentRange"] == f"bytes {len(first)}-{size - 1}/{size}"
    assert head["ETag"] == etag
    got = s3.get_object(Bucket=bucket, Key="mp", PartNumber=2)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["Body"].read() == second and got["PartsCount"] == 2
    assert s3.get_object(Bucket=bucket, Key="mp", PartNumber=1)["ContentLength"] == PART
    beyond, status = error(s3.get_object, Bucket=bucket, Key="mp", PartNumber=3)
    assert (beyond["Code"], status) == ("InvalidPartNumber", 416)
    assert beyond["Message"] == "The requested partnumber is not satisfiable"
    assert (beyond["PartNumberRequested"], beyond["ActualPartCount"]) == ("3", "2")
    both, status = error(s3.get_object, Bucket=bucket, Key="mp", PartNumber=1, Range="bytes=0-1")
    assert (both["Code"], status) == ("InvalidRequest", 400)
    zero, status = error(s3.get_object, Bucket=bucket, Key="mp", PartNumber=0)
    assert (zero["Code"], zero["ArgumentName"], status) == ("InvalidArgument", "partNumber", 400)
    # An object that was not uploaded in parts is one part.
    s3.put_object(Bucket=bucket, Key="single", Body=b"test-123")
    single = s3.get_object(Bucket=bucket, Key="single", PartNumber=1)
    assert single["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert single["ContentRange"] == "bytes 0-7/8" and "PartsCount" not in single
    assert single["Body"].read() == b"test-123"
    none, status = error(s3.get_object, Bucket=bucket, Key="single", PartNumber=2)
    assert (none["Code"], none["ActualPartCount"], status) == ("InvalidPartNumber", "1", 416)


def test_copy_of_a_multipart_object_is_one_part(s3: S3Client, bucket: str) -> None:
    body = b"b" * PART + b"tail"
    etag = multipart(s3, bucket, "mp", [body[:PART], body[PART:]])
    assert etag.endswith('-2"')
    copied = s3.copy_object(Bucket=bucket, Key="copy", CopySource=f"{bucket}/mp")
    assert copied["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    head = s3.head_object(Bucket=bucket, Key="copy", PartNumber=1)
    assert "PartsCount" not in head and head["ContentLength"] == len(body)
