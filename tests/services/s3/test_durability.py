"""What S3 accepted survives a restart of the server on the same data directory; a large
object streams through the server in both directions without the server holding it in memory
(its peak RSS, ``VmHWM``, stays far below the object's size)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from lambdaport.testing.server import ServerProcess
from tests.services.s3.conftest import s3_client_for

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MIB = 1024 * 1024
BIG = 300 * MIB


def peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc status")


def test_state_survives_restart(data_dir: Path) -> None:
    with ServerProcess(data_dir) as server:
        s3 = s3_client_for(server.endpoint)
        s3.create_bucket(Bucket="durable")
        s3.put_bucket_versioning(Bucket="durable", VersioningConfiguration={"Status": "Enabled"})
        v1 = s3.put_object(Bucket="durable", Key="k", Body=b"one", Metadata={"m": "1"})
        s3.put_object(Bucket="durable", Key="k", Body=b"two", Tagging="t=2")
        s3.put_bucket_notification_configuration(
            Bucket="durable",
            NotificationConfiguration={
                "LambdaFunctionConfigurations": [
                    {
                        "Id": "kept",
                        "LambdaFunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:f",
                        "Events": ["s3:ObjectCreated:*"],
                    }
                ]
            },
            SkipDestinationValidation=True,
        )
        upload = s3.create_multipart_upload(Bucket="durable", Key="mp")["UploadId"]
        part = s3.upload_part(
            Bucket="durable", Key="mp", UploadId=upload, PartNumber=1, Body=b"part one"
        )["ETag"]
    with ServerProcess(data_dir) as server:
        s3 = s3_client_for(server.endpoint)
        assert s3.get_bucket_versioning(Bucket="durable")["Status"] == "Enabled"
        assert s3.get_object(Bucket="durable", Key="k")["Body"].read() == b"two"
        old = s3.get_object(Bucket="durable", Key="k", VersionId=v1["VersionId"])
        assert old["Body"].read() == b"one" and old["Metadata"] == {"m": "1"}
        assert s3.get_object_tagging(Bucket="durable", Key="k")["TagSet"] == [
            {"Key": "t", "Value": "2"}
        ]
        saved = s3.get_bucket_notification_configuration(Bucket="durable")
        assert saved["LambdaFunctionConfigurations"][0]["Id"] == "kept"
        assert [
            p["ETag"] for p in s3.list_parts(Bucket="durable", Key="mp", UploadId=upload)["Parts"]
        ] == [part]
        s3.complete_multipart_upload(
            Bucket="durable",
            Key="mp",
            UploadId=upload,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part}]},
        )
        assert s3.get_object(Bucket="durable", Key="mp")["Body"].read() == b"part one"


def _write_big(path: Path) -> bytes:
    """A file of BIG pseudo-random bytes, written in 1 MiB blocks; returns its SHA-256."""
    digest = hashlib.sha256()
    block = os.urandom(MIB)
    with path.open("wb") as out:
        for index in range(BIG // MIB):
            chunk = index.to_bytes(8, "big") + block[8:]
            digest.update(chunk)
            out.write(chunk)
    return digest.digest()


@pytest.fixture
def big_server(data_dir: Path) -> Iterator[ServerProcess]:
    with ServerProcess(data_dir) as server:
        yield server


def test_large_object_streams(big_server: ServerProcess, tmp_path: Path) -> None:
    assert big_server.process is not None
    pid = big_server.process.pid
    source = tmp_path / "big.bin"
    expected = _write_big(source)
    s3: S3Client = s3_client_for(big_server.endpoint)
    s3.create_bucket(Bucket="streams")
    s3.put_object(Bucket="streams", Key="warm", Body=b"x")
    s3.get_object(Bucket="streams", Key="warm")["Body"].read()
    before = peak_rss(pid)
    with source.open("rb") as body:
        s3.put_object(Bucket="streams", Key="big", Body=body)
    source.unlink()
    got = s3.get_object(Bucket="streams", Key="big")
    assert got["ContentLength"] == BIG
    digest = hashlib.sha256()
    for chunk in got["Body"].iter_chunks(MIB):
        digest.update(chunk)
    assert digest.digest() == expected
    after = peak_rss(pid)
    grown = after - before
    sizes = f"{before / MIB:.0f} MiB -> {after / MIB:.0f} MiB"
    print(f"server VmHWM {sizes} for a {BIG // MIB} MiB object")
    assert grown < 64 * MIB, f"the server's peak RSS grew by {grown / MIB:.0f} MiB"
    assert after < BIG / 2
