"""Multipart uploads: boto3's upload_file/download_file with lowered thresholds, the
CompleteMultipartUpload rules (ETags, order, minimum part size), ListParts,
ListMultipartUploads, abort, UploadPartCopy, and the ``-N`` ETag."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from tests.services.s3.conftest import MakeBucket

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MIB = 1024 * 1024


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_upload_and_download_file(s3: S3Client, bucket: str, tmp_path: Path) -> None:
    source = tmp_path / "source.bin"
    data = os.urandom(13 * MIB)
    source.write_bytes(data)
    config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
    s3.upload_file(str(source), bucket, "big.bin", Config=config)
    head = s3.head_object(Bucket=bucket, Key="big.bin", ChecksumMode="ENABLED")
    part_md5s = [hashlib.md5(data[i : i + 5 * MIB]).digest() for i in range(0, len(data), 5 * MIB)]
    assert head["ETag"] == f'"{hashlib.md5(b"".join(part_md5s)).hexdigest()}-3"'
    assert head["ContentLength"] == len(data)
    assert head["ChecksumCRC32"].endswith("-3")
    target = tmp_path / "target.bin"
    s3.download_file(bucket, "big.bin", str(target), Config=config)
    assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(data).digest()
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_complete_rules(s3: S3Client, bucket: str) -> None:
    upload = s3.create_multipart_upload(Bucket=bucket, Key="m", ContentType="text/csv")
    upload_id = upload["UploadId"]
    first = os.urandom(5 * MIB)
    e1 = s3.upload_part(Bucket=bucket, Key="m", UploadId=upload_id, PartNumber=1, Body=first)
    e2 = s3.upload_part(Bucket=bucket, Key="m", UploadId=upload_id, PartNumber=2, Body=b"tail")
    e3 = s3.upload_part(Bucket=bucket, Key="m", UploadId=upload_id, PartNumber=3, Body=b"end")
    parts = s3.list_parts(Bucket=bucket, Key="m", UploadId=upload_id)["Parts"]
    assert [(p["PartNumber"], p["Size"]) for p in parts] == [(1, 5 * MIB), (2, 4), (3, 3)]
    listed = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in listed] == [("m", upload_id)]

    def complete(*pairs: tuple[int, str]) -> None:
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="m",
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in pairs]},
        )

    with pytest.raises(ClientError) as order:
        complete((2, e2["ETag"]), (1, e1["ETag"]))
    assert _code(order) == "InvalidPartOrder"
    with pytest.raises(ClientError) as wrong:
        complete((1, e1["ETag"]), (2, '"00000000000000000000000000000000"'))
    assert _code(wrong) == "InvalidPart"
    with pytest.raises(ClientError) as small:
        complete((1, e1["ETag"]), (2, e2["ETag"]), (3, e3["ETag"]))
    assert _code(small) == "EntityTooSmall"
    complete((1, e1["ETag"]), (2, e2["ETag"]))
    got = s3.get_object(Bucket=bucket, Key="m")
    assert got["Body"].read() == first + b"tail"
    assert got["ContentType"] == "text/csv"
    assert got["ETag"].endswith('-2"')
    with pytest.raises(ClientError) as done:
        s3.list_parts(Bucket=bucket, Key="m", UploadId=upload_id)
    assert _code(done) == "NoSuchUpload"


def test_abort_and_part_copy(s3: S3Client, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="source", Body=b"0123456789" * MIB)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="c")["UploadId"]
    copied = s3.upload_part_copy(
        Bucket=bucket,
        Key="c",
        UploadId=upload_id,
        PartNumber=1,
        CopySource={"Bucket": bucket, "Key": "source"},
        CopySourceRange=f"bytes=0-{5 * MIB - 1}",
    )
    tail = s3.upload_part_copy(
        Bucket=bucket,
        Key="c",
        UploadId=upload_id,
        PartNumber=2,
        CopySource=f"{bucket}/source",
        CopySourceRange=f"bytes={5 * MIB}-{5 * MIB + 9}",
    )
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="c",
        UploadId=upload_id,
        MultipartUpload={
            "Parts": [
                {"PartNumber": 1, "ETag": copied["CopyPartResult"]["ETag"]},
                {"PartNumber": 2, "ETag": tail["CopyPartResult"]["ETag"]},
            ]
        },
    )
    body = s3.get_object(Bucket=bucket, Key="c")["Body"].read()
    assert body == (b"0123456789" * MIB)[: 5 * MIB + 10]
    aborted = s3.create_multipart_upload(Bucket=bucket, Key="gone")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="gone", UploadId=aborted, PartNumber=1, Body=b"x")
    s3.abort_multipart_upload(Bucket=bucket, Key="gone", UploadId=aborted)
    with pytest.raises(ClientError) as missing:
        s3.upload_part(Bucket=bucket, Key="gone", UploadId=aborted, PartNumber=2, Body=b"y")
    assert _code(missing) == "NoSuchUpload"
    with pytest.raises(ClientError) as number:
        s3.upload_part(Bucket=bucket, Key="c", UploadId=aborted, PartNumber=10001, Body=b"y")
    assert _code(number) in ("InvalidArgument", "NoSuchUpload")


def test_complete_is_idempotent(s3: S3Client, make_bucket: MakeBucket) -> None:
    """A retried CompleteMultipartUpload (same parts) answers 200 with the same ETag and
    version, as S3 does; other parts, or an upload never made, are NoSuchUpload."""
    bucket = make_bucket(versioned=True)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="m")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="m", UploadId=upload, PartNumber=1, Body=b"one")[
        "ETag"
    ]
    parts: Any = {"Parts": [{"PartNumber": 1, "ETag": etag}]}
    first = s3.complete_multipart_upload(
        Bucket=bucket, Key="m", UploadId=upload, MultipartUpload=parts
    )
    again = s3.complete_multipart_upload(
        Bucket=bucket, Key="m", UploadId=upload, MultipartUpload=parts, IfNoneMatch="*"
    )
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert (again["ETag"], again["VersionId"]) == (first["ETag"], first["VersionId"])
    assert len(s3.list_object_versions(Bucket=bucket)["Versions"]) == 1  # nothing new written
    other: Any = {"Parts": [{"PartNumber": 1, "ETag": '"0123"'}]}
    with pytest.raises(ClientError) as different:
        s3.complete_multipart_upload(Bucket=bucket, Key="m", UploadId=upload, MultipartUpload=other)
    assert _code(different) == "NoSuchUpload"
    with pytest.raises(ClientError) as unknown:
        s3.complete_multipart_upload(Bucket=bucket, Key="m", UploadId="nope", MultipartUpload=parts)
    assert _code(unknown) == "NoSuchUpload"
    with pytest.raises(ClientError) as upload_after:
        s3.upload_part(Bucket=bucket, Key="m", UploadId=upload, PartNumber=2, Body=b"late")
    assert _code(upload_after) == "NoSuchUpload"
