"""The pieces on their own: aws-chunked decoding fed in awkward slices, checksums against
their published check values, host addressing and service identification, and listing walks
over a real store."""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path

import pytest
from botocore.httpchecksum import AwsChunkedWrapper, Crc32Checksum

from lambdaport.errors import AwsError
from lambdaport.gateway.identity import identify
from lambdaport.services.s3.addressing import bucket_from_host, check_presigned_expiry, path_style
from lambdaport.services.s3.checksums import b64, composite, multipart_etag, new_hasher
from lambdaport.services.s3.chunked import ChunkedDecoder
from lambdaport.services.s3.listing import Cursor, walk
from lambdaport.services.s3.models import NULL_VERSION, ObjectVersion
from lambdaport.store.sqlite import SqliteStore


@pytest.mark.parametrize("step", [1, 7, 4096, 1 << 20])
def test_chunked_decoder_any_slicing(step: int) -> None:
    data = bytes(range(256)) * 300
    framed = AwsChunkedWrapper(
        io.BytesIO(data),
        checksum_cls=Crc32Checksum,
        checksum_name="x-amz-checksum-crc32",
        chunk_size=8192,
    ).read()
    decoder = ChunkedDecoder()
    out = b"".join(decoder.feed(framed[i : i + step]) for i in range(0, len(framed), step))
    decoder.finish()
    assert out == data
    crc = new_hasher("CRC32")
    crc.update(data)
    assert decoder.trailers == {"x-amz-checksum-crc32": b64(crc.digest())}


def test_chunked_decoder_rejects_truncation() -> None:
    decoder = ChunkedDecoder()
    decoder.feed(b"10\r\nshort")
    with pytest.raises(AwsError) as error:
        decoder.finish()
    assert error.value.code == "IncompleteBody"
    with pytest.raises(AwsError):
        ChunkedDecoder().feed(b"zz\r\n")


def test_checksum_check_values() -> None:
    check = {"CRC32": 0xCBF43926, "CRC32C": 0xE3069283, "CRC64NVME": 0xAE8B14860A799888}
    for name, value in check.items():
        hasher = new_hasher(name)
        hasher.update(b"1234")
        hasher.update(b"56789")
        assert int.from_bytes(hasher.digest(), "big") == value, name
    assert multipart_etag(["0" * 32, "f" * 32]).endswith("-2")
    assert composite("CRC32", ["AAAAAA==", "AAAAAA=="]).endswith("-2")


def test_addressing_and_identity() -> None:
    assert bucket_from_host("my.bucket.s3.localhost:4566") == "my.bucket"
    assert bucket_from_host("b.s3.us-west-2.amazonaws.com") == "b"
    assert bucket_from_host("b.s3-us-west-2.amazonaws.com") == "b"
    assert bucket_from_host("s3.localhost:4566") is None
    assert bucket_from_host("s3.amazonaws.com") is None
    assert bucket_from_host("127.0.0.1:4566") is None
    assert path_style("b.s3.localhost", "/") == "/b"
    assert path_style("b.s3.localhost", "/k/e/y") == "/b/k/e/y"
    assert path_style("localhost:4566", "/b/k") == "/b/k"
    for host in ("mybucket.s3.localhost", "mybucket.s3.amazonaws.com", "s3.localhost:1"):
        assert identify("/", "", {"host": host}, "us-east-1").service == "s3", host
    assert identify("/bucket/key", "", {"host": "127.0.0.1:4566"}, "us-east-1").service == "s3"
    sigv2 = "AWSAccessKeyId=test&Expires=1&Signature=x"
    assert identify("/b/k", sigv2, {}, "us-east-1").service == "s3"
    with pytest.raises(AwsError) as expired:
        check_presigned_expiry(sigv2, now=time.time())
    assert expired.value.code == "AccessDenied"
    check_presigned_expiry("X-Amz-Date=20300101T000000Z&X-Amz-Expires=60", now=time.time())


def test_walk_over_a_store(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "data")
    tables = store.s3

    async def scenario() -> None:
        keys = ["a", "b/1", "b/2", "b/3/x", "c", "d/1"]
        for key in keys:
            await tables.put_version(ObjectVersion("bk", key, NULL_VERSION, time.time(), blob="f"))

        async def fetch(cursor: Cursor, start: str, limit: int) -> list[ObjectVersion]:
            return await tables.list_latest("bk", "", cursor.key, start, limit)

        page = await walk(fetch, "", "/", Cursor(""), 3)
        assert [e.key for e in page.entries] == ["a", "b/", "c"] and page.truncated
        rest = await walk(fetch, "", "/", Cursor("c"), 3)
        assert [e.key for e in rest.entries] == ["d/"] and not rest.truncated
        skipped = await walk(fetch, "", "/", Cursor("b/"), 10)
        assert [e.key for e in skipped.entries] == ["c", "d/"]
        flat = await walk(fetch, "", "", Cursor(""), 100)
        assert [e.key for e in flat.entries] == keys

    try:
        asyncio.run(scenario())
    finally:
        store.close()
