"""S3 on the wire: presigned GET and PUT with plain urllib (and an expired one), unsigned
requests, virtual-host addressing (boto3's ``addressing_style: virtual`` and raw requests
with a Host header), aws-chunked uploads framed by botocore's own ``AwsChunkedWrapper`` with
CRC32 and SHA256 trailers, signed-chunk framing, and the digests S3 checks."""

from __future__ import annotations

import base64
import hashlib
import io
import urllib.error
import urllib.request
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.httpchecksum import AwsChunkedWrapper, Crc32Checksum, Sha256Checksum

from lambdaport.testing.inprocess import InProcessServer
from lambdaport.testing.server import Server
from tests.helpers import REGION, wait_for
from tests.services.s3.conftest import raw_request as _raw
from tests.services.s3.conftest import s3_client_for
from tests.services.s3.forms import multipart_form

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def test_presigned_get_and_put(s3: S3Client, bucket: str) -> None:
    put_url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "pre/signed.txt"}, ExpiresIn=300
    )
    request = urllib.request.Request(put_url, data=b"presigned body", method="PUT")
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
        assert response.headers["ETag"] == f'"{hashlib.md5(b"presigned body").hexdigest()}"'
    get_url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "pre/signed.txt"}, ExpiresIn=300
    )
    with urllib.request.urlopen(get_url) as response:
        assert response.read() == b"presigned body"
    expired = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "pre/signed.txt"}, ExpiresIn=1
    )

    def refusal() -> tuple[int, bytes] | None:
        try:
            urllib.request.urlopen(expired).close()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        return None

    status, body = wait_for(refusal, 10, "the one-second URL to expire", interval=0.2)
    assert status == 403
    assert b"<Code>AccessDenied</Code>" in body


def test_unsigned_path_style_get(server: Server, s3: S3Client, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="public.txt", Body=b"anyone")
    status, headers, body = _raw(server, "GET", f"/{bucket}/public.txt")
    assert (status, body) == (200, b"anyone")
    assert len(headers["x-amz-request-id"]) == 16


def test_virtual_host_with_boto3(server: Server, bucket: str) -> None:
    client = s3_client_for(f"http://s3.localhost:{server.port}", addressing_style="virtual")
    seen: list[str] = []

    def to_loopback(request: Any, **_: Any) -> None:
        # *.localhost does not resolve on every machine: connect to 127.0.0.1, keep the Host.
        parts = urlsplit(request.url)
        seen.append(parts.netloc)
        request.headers["Host"] = parts.netloc
        request.url = request.url.replace(parts.netloc, f"127.0.0.1:{server.port}", 1)

    client.meta.events.register("before-send.s3.*", to_loopback)
    client.put_object(Bucket=bucket, Key="dir/virtual.txt", Body=b"virtual")
    assert client.get_object(Bucket=bucket, Key="dir/virtual.txt")["Body"].read() == b"virtual"
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["dir/virtual.txt"]
    assert seen and all(host == f"{bucket}.s3.localhost:{server.port}" for host in seen)


@pytest.mark.parametrize(
    "host",
    [
        "{bucket}.s3.localhost:{port}",
        "{bucket}.s3.amazonaws.com",
        "{bucket}.s3.eu-west-1.amazonaws.com",
    ],
)
def test_virtual_host_raw(server: Server, s3: S3Client, bucket: str, host: str) -> None:
    s3.put_object(Bucket=bucket, Key="v.txt", Body=b"hosted")
    name = host.format(bucket=bucket, port=server.port)
    status, _, body = _raw(server, "GET", "/v.txt", headers={"Host": name})
    assert (status, body) == (200, b"hosted")
    status, _, listing = _raw(server, "GET", "/?list-type=2", headers={"Host": name})
    assert status == 200 and b"<Key>v.txt</Key>" in listing
    assert b'<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' in listing


def _chunked_upload(
    server: Server, path: str, data: bytes, checksum: type[Any], name: str, **extra: str
) -> tuple[int, dict[str, str], bytes]:
    framed = AwsChunkedWrapper(
        io.BytesIO(data), checksum_cls=checksum, checksum_name=name, chunk_size=64 * 1024
    ).read()
    headers = {
        "Content-Encoding": "aws-chunked",
        "X-Amz-Content-SHA256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "X-Amz-Trailer": name,
        "X-Amz-Decoded-Content-Length": str(len(data)),
        "Content-Length": str(len(framed)),
        **extra,
    }
    return _raw(server, "PUT", path, framed, headers)


def test_aws_chunked_with_trailers(server: Server, s3: S3Client, bucket: str) -> None:
    data = bytes(range(256)) * 1000  # several chunks
    status, headers, _ = _chunked_upload(
        server, f"/{bucket}/chunked", data, Crc32Checksum, "x-amz-checksum-crc32"
    )
    assert status == 200
    crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    assert headers["x-amz-checksum-crc32"] == crc
    assert headers["etag"] == f'"{hashlib.md5(data).hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key="chunked", ChecksumMode="ENABLED")
    assert got["Body"].read() == data
    assert got["ChecksumCRC32"] == crc
    assert "ContentEncoding" not in got  # aws-chunked is framing, not the object's encoding
    status, headers, _ = _chunked_upload(
        server, f"/{bucket}/sha", data, Sha256Checksum, "x-amz-checksum-sha256"
    )
    assert status == 200
    assert (
        headers["x-amz-checksum-sha256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
    )


def test_aws_chunked_bad_trailer_and_signed_chunks(
    server: Server, s3: S3Client, bucket: str
) -> None:
    data = b"payload" * 100
    framed = (
        f"{len(data):x}\r\n".encode() + data + b"\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"
    )
    headers = {
        "Content-Encoding": "aws-chunked",
        "X-Amz-Content-SHA256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "X-Amz-Trailer": "x-amz-checksum-crc32",
        "X-Amz-Decoded-Content-Length": str(len(data)),
    }
    status, _, body = _raw(server, "PUT", f"/{bucket}/bad", framed, headers)
    assert status == 400 and b"<Code>BadDigest</Code>" in body
    with pytest.raises(ClientError) as missing:
        s3.head_object(Bucket=bucket, Key="bad")
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    signature = "0" * 64
    signed = (
        f"{len(data):x};chunk-signature={signature}\r\n".encode()
        + data
        + f"\r\n0;chunk-signature={signature}\r\n\r\n".encode()
    )
    headers = {
        "Content-Encoding": "aws-chunked,gzip",
        "X-Amz-Content-SHA256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "X-Amz-Decoded-Content-Length": str(len(data)),
    }
    status, _, _ = _raw(server, "PUT", f"/{bucket}/signed", signed, headers)
    assert status == 200
    got = s3.get_object(Bucket=bucket, Key="signed")
    assert got["Body"].read() == data
    assert got["ContentEncoding"] == "gzip"
    short = {**headers, "X-Amz-Decoded-Content-Length": str(len(data) + 1)}
    status, _, body = _raw(server, "PUT", f"/{bucket}/short", signed, short)
    assert status == 400 and b"<Code>IncompleteBody</Code>" in body


def test_digests_are_checked(server: Server, bucket: str) -> None:
    wrong_md5 = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    status, _, body = _raw(server, "PUT", f"/{bucket}/md5", b"data", {"Content-MD5": wrong_md5})
    assert status == 400 and b"<Code>BadDigest</Code>" in body
    status, _, body = _raw(
        server, "PUT", f"/{bucket}/sha", b"data", {"X-Amz-Content-SHA256": "0" * 64}
    )
    assert status == 400 and b"<Code>XAmzContentSHA256Mismatch</Code>" in body
    crc = base64.b64encode(zlib.crc32(b"data").to_bytes(4, "big")).decode()
    status, headers, _ = _raw(
        server, "PUT", f"/{bucket}/crc", b"data", {"x-amz-checksum-crc32": crc}
    )
    assert status == 200 and headers["x-amz-checksum-crc32"] == crc


def test_strict_auth(data_dir: Path) -> None:
    with InProcessServer(data_dir, extra_args=("--strict-auth",)) as strict:
        good = s3_client_for(strict.endpoint)
        good.create_bucket(Bucket="strict")
        good.put_object(Bucket="strict", Key="odd key/ü+%.txt", Body=b"signed")
        assert good.get_object(Bucket="strict", Key="odd key/ü+%.txt")["Body"].read() == b"signed"
        virtual = s3_client_for(f"http://s3.localhost:{strict.port}", addressing_style="virtual")

        def to_loopback(request: Any, **_: Any) -> None:
            parts = urlsplit(request.url)
            request.headers["Host"] = parts.netloc
            request.url = request.url.replace(parts.netloc, f"127.0.0.1:{strict.port}", 1)

        virtual.meta.events.register("before-send.s3.*", to_loopback)
        assert virtual.get_object(Bucket="strict", Key="odd key/ü+%.txt")["Body"].read() == (
            b"signed"
        )
        bad = boto3.client(
            "s3",
            endpoint_url=strict.endpoint,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="wrong",
        )
        with pytest.raises(ClientError) as refused:
            bad.get_object(Bucket="strict", Key="odd key/ü+%.txt")
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_presigned_post(server: Server, s3: S3Client, bucket: str) -> None:
    post = s3.generate_presigned_post(
        bucket,
        "uploads/${filename}",
        Fields={"success_action_status": "201", "Content-Type": "text/plain"},
        Conditions=[
            {"success_action_status": "201"},
            {"Content-Type": "text/plain"},
            ["starts-with", "$key", "uploads/"],
            ["content-length-range", 1, 1024 * 1024],
        ],
        ExpiresIn=300,
    )
    body = b"\r\n--not-the-boundary\r\n" + bytes(range(256)) * 64  # boundary-like bytes inside
    form, content_type = multipart_form(post["fields"], body, "hello.txt")
    request = urllib.request.Request(
        post["url"], data=form, method="POST", headers={"Content-Type": content_type}
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 201
        answer = response.read()
    assert b"<Key>uploads/hello.txt</Key>" in answer
    assert f'<ETag>"{hashlib.md5(body).hexdigest()}"</ETag>'.encode() in answer
    got = s3.get_object(Bucket=bucket, Key="uploads/hello.txt")
    assert got["Body"].read() == body and got["ContentType"] == "text/plain"
    too_big, content_type = multipart_form(post["fields"], b"x" * (1024 * 1024 + 1), "big.txt")
    status, _, error = _raw(server, "POST", f"/{bucket}", too_big, {"Content-Type": content_type})
    assert status == 400 and b"<Code>EntityTooLarge</Code>" in error
    wrong = dict(post["fields"], **{"Content-Type": "image/png"})
    form, content_type = multipart_form(wrong, b"x", "x.txt")
    status, _, error = _raw(server, "POST", f"/{bucket}", form, {"Content-Type": content_type})
    assert status == 403 and b"<Code>AccessDenied</Code>" in error
