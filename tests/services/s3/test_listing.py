"""ListObjects v1 and v2: prefix, delimiter and CommonPrefixes, max-keys, markers and
continuation tokens, StartAfter, encoding-type=url; the paginators walk every page."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from lambdaport.testing.server import Server
from tests.services.s3.conftest import s3_client_for

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

KEYS = [
    "a.txt",
    "photos/2023/feb/1.jpg",
    "photos/2023/jan/1.jpg",
    "photos/2023/jan/2.jpg",
    "photos/2024/mar/1.jpg",
    "photos/readme",
    "videos/1.mp4",
    "videos/2.mp4",
    "z",
]


@pytest.fixture
def filled(s3: S3Client, bucket: str) -> str:
    for key in KEYS:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    return bucket


def test_v2_prefix_delimiter(s3: S3Client, filled: str) -> None:
    top = s3.list_objects_v2(Bucket=filled, Delimiter="/")
    assert [o["Key"] for o in top["Contents"]] == ["a.txt", "z"]
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["photos/", "videos/"]
    assert top["KeyCount"] == 4
    assert top["IsTruncated"] is False
    photos = s3.list_objects_v2(Bucket=filled, Prefix="photos/", Delimiter="/")
    assert [o["Key"] for o in photos["Contents"]] == ["photos/readme"]
    assert [p["Prefix"] for p in photos["CommonPrefixes"]] == ["photos/2023/", "photos/2024/"]
    deep = s3.list_objects_v2(Bucket=filled, Prefix="photos/2023/")
    assert [o["Key"] for o in deep["Contents"]] == sorted(KEYS[1:4])
    first = deep["Contents"][0]
    assert first["Size"] == len(first["Key"]) and first["StorageClass"] == "STANDARD"
    assert "Owner" not in first
    owned = s3.list_objects_v2(Bucket=filled, Prefix="z", FetchOwner=True)
    assert len(owned["Contents"][0]["Owner"]["ID"]) == 64


def test_v2_pages_and_start_after(s3: S3Client, filled: str) -> None:
    page = s3.list_objects_v2(Bucket=filled, MaxKeys=2, Delimiter="/")
    assert page["IsTruncated"] is True
    assert [o["Key"] for o in page["Contents"]] == ["a.txt"]
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["photos/"]
    rest = s3.list_objects_v2(
        Bucket=filled, MaxKeys=2, Delimiter="/", ContinuationToken=page["NextContinuationToken"]
    )
    assert [p["Prefix"] for p in rest["CommonPrefixes"]] == ["videos/"]
    assert [o["Key"] for o in rest["Contents"]] == ["z"]
    assert rest["IsTruncated"] is False
    paginator = s3.get_paginator("list_objects_v2")
    keys = [
        o["Key"]
        for p in paginator.paginate(Bucket=filled, PaginationConfig={"PageSize": 2})
        for o in p.get("Contents", [])
    ]
    assert keys == KEYS
    after = s3.list_objects_v2(Bucket=filled, StartAfter="photos/readme")
    assert [o["Key"] for o in after["Contents"]] == KEYS[6:]
    assert after["StartAfter"] == "photos/readme"
    empty = s3.list_objects_v2(Bucket=filled, MaxKeys=0)
    assert empty["KeyCount"] == 0 and "Contents" not in empty
    with pytest.raises(ClientError) as bad:
        s3.list_objects_v2(Bucket=filled, ContinuationToken="not-a-token")
    assert bad.value.response["Error"]["Code"] == "InvalidArgument"


def test_v1_markers(s3: S3Client, filled: str) -> None:
    page = s3.list_objects(Bucket=filled, MaxKeys=3)
    assert [o["Key"] for o in page["Contents"]] == KEYS[:3]
    assert page["IsTruncated"] is True
    assert "NextMarker" not in page
    rest = s3.list_objects(Bucket=filled, Marker=page["Contents"][-1]["Key"])
    assert [o["Key"] for o in rest["Contents"]] == KEYS[3:]
    delimited = s3.list_objects(Bucket=filled, Delimiter="/", MaxKeys=2)
    assert delimited["NextMarker"] == "photos/"
    following = s3.list_objects(Bucket=filled, Delimiter="/", Marker="photos/")
    assert [p["Prefix"] for p in following["CommonPrefixes"]] == ["videos/"]
    paginator = s3.get_paginator("list_objects")
    keys = [
        o["Key"]
        for p in paginator.paginate(Bucket=filled, PaginationConfig={"PageSize": 4})
        for o in p.get("Contents", [])
    ]
    assert keys == KEYS
    assert len(page["Contents"][0]["Owner"]["ID"]) == 64


def test_url_encoding(server: Server, bucket: str) -> None:
    s3 = s3_client_for(server.endpoint)
    s3.put_object(Bucket=bucket, Key="sp ace/a+b&c.txt", Body=b"x")
    seen: list[bytes] = []
    s3.meta.events.register(
        "after-call.s3.ListObjectsV2",
        lambda http_response, **_: seen.append(http_response.content),
    )
    # boto3 asks for encoding-type=url by itself and decodes what it asked for.
    listed = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in listed["CommonPrefixes"]] == ["sp ace/"]
    inner = s3.list_objects_v2(Bucket=bucket, Prefix="sp ace/")
    assert inner["Contents"][0]["Key"] == "sp ace/a+b&c.txt"
    assert b"<Key>sp%20ace/a%2Bb%26c.txt</Key>" in seen[-1]
    assert b"<EncodingType>url</EncodingType>" in seen[-1]
    # Asked for explicitly, the values stay encoded for the caller to decode.
    explicit = s3.list_objects(Bucket=bucket, EncodingType="url")
    assert explicit["Contents"][0]["Key"] == "sp%20ace/a%2Bb%26c.txt"
