"""Fixtures for the S3 tests: a boto3 S3 client on the session's server and buckets with
unique names, emptied (every version) and deleted after each test."""

from __future__ import annotations

import contextlib
import http.client
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote

import boto3
import pytest

from lambdaport.testing.server import Server
from tests.helpers import REGION, client_options

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MakeBucket = Callable[..., str]


def s3_client_for(
    endpoint: str,
    *,
    region: str = REGION,
    access_key: str = "test",
    addressing_style: Literal["auto", "virtual", "path"] | None = None,
) -> S3Client:
    s3_options: Any = {"addressing_style": addressing_style} if addressing_style else None
    options = client_options(
        endpoint, region=region, access_key=access_key, read_timeout=120, s3=s3_options
    )
    return boto3.client("s3", **options)


def raw_request(
    server: Server,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One plain HTTP request to the server: (status, lower-cased headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def empty_bucket(client: S3Client, bucket: str) -> None:
    paginator = client.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket):
        for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
            client.delete_object(Bucket=bucket, Key=item["Key"], VersionId=item["VersionId"])
    uploads = client.list_multipart_uploads(Bucket=bucket, EncodingType="url")
    for upload in uploads.get("Uploads", []):
        key = unquote(upload["Key"])  # any key, even one XML cannot carry
        client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload["UploadId"])


@pytest.fixture(scope="session")
def s3(server: Server) -> S3Client:
    return s3_client_for(server.endpoint)


@pytest.fixture
def make_bucket(s3: S3Client) -> Iterator[MakeBucket]:
    created: list[str] = []

    def make(name: str | None = None, *, versioned: bool = False) -> str:
        bucket = name or f"bkt-{uuid.uuid4().hex[:16]}"
        s3.create_bucket(Bucket=bucket)
        if versioned:
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        created.append(bucket)
        return bucket

    yield make
    for bucket in created:
        with contextlib.suppress(s3.exceptions.NoSuchBucket):
            empty_bucket(s3, bucket)
            s3.delete_bucket(Bucket=bucket)


@pytest.fixture
def bucket(make_bucket: MakeBucket) -> str:
    return make_bucket()
