"""What every S3 operation shares: the tables, the blob files, the notifier, and the
lookups that turn a missing bucket, key or version into S3's error."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import parse_qsl

from lambdaport.errors import AwsError
from lambdaport.services.s3.blobs import BlobStore
from lambdaport.services.s3.call import S3Call
from lambdaport.services.s3.conditions import check_write_conditions
from lambdaport.services.s3.errors import (
    invalid_argument,
    invalid_tag,
    method_not_allowed,
    no_such_bucket,
    no_such_key,
    no_such_version,
)
from lambdaport.services.s3.ingest import stored_content_encoding
from lambdaport.services.s3.models import (
    CONTENT_MEMBERS,
    DEFAULT_CONTENT_TYPE,
    NULL_VERSION,
    Bucket,
    ObjectVersion,
    new_version_id,
)
from lambdaport.store.s3 import S3Tables

MAX_KEY_LENGTH = 1024


class EventSink(Protocol):
    """Where operations report the events S3 notifications are made of (``triggers``)."""

    async def emit(
        self,
        call: S3Call,
        bucket: Bucket,
        event_name: str,
        obj: ObjectVersion,
        *,
        restore: Mapping[str, str] | None = None,
    ) -> None: ...


def new_version_for(bucket: Bucket) -> str:
    return new_version_id() if bucket.versioning == "Enabled" else NULL_VERSION


def http_date(seconds: float) -> datetime:
    return datetime.fromtimestamp(int(seconds), tz=UTC)


def check_key(key: str) -> None:
    if len(key.encode()) > MAX_KEY_LENGTH:
        raise AwsError(
            "KeyTooLongError",
            "Your key is too long",
            400,
            fields={"MaxSizeAllowed": MAX_KEY_LENGTH, "Size": len(key.encode())},
        )


def parse_tagging(text: str) -> list[dict[str, str]]:
    """The ``x-amz-tagging`` header (a URL query string) as a TagSet."""
    tags = [{"Key": k, "Value": v} for k, v in parse_qsl(text, keep_blank_values=True)]
    if len({tag["Key"] for tag in tags}) != len(tags):
        raise invalid_argument(
            "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query "
            "parameters without tag name duplicates.",
            "x-amz-tagging",
            text,
        )
    check_tags(tags)
    return tags


def check_tags(tags: list[dict[str, str]]) -> None:
    if len(tags) > 10:
        raise AwsError("BadRequest", "Object tags cannot be greater than 10", 400)
    keys = [tag["Key"] for tag in tags]
    if len(set(keys)) != len(keys):
        raise invalid_argument("Cannot provide multiple Tags with the same key", "Tag")
    for tag in tags:
        if not 1 <= len(tag["Key"]) <= 128:
            raise invalid_tag("The TagKey you have provided is invalid")
        if len(tag.get("Value", "")) > 256:
            raise invalid_tag("The TagValue you have provided is too long")


def object_attrs(
    params: Mapping[str, Any], headers: Mapping[str, str], checksums: Mapping[str, str]
) -> dict[str, Any]:
    """The stored details of a new object from its PutObject-like parameters."""
    attrs: dict[str, Any] = {}
    for member in CONTENT_MEMBERS:
        value = params.get(member)
        if isinstance(value, datetime):
            attrs[member] = value.timestamp()
        elif value is not None:
            attrs[member] = str(value)
    encoding = stored_content_encoding(headers)
    if encoding is None:
        attrs.pop("ContentEncoding", None)
    else:
        attrs["ContentEncoding"] = encoding
    attrs.setdefault("ContentType", DEFAULT_CONTENT_TYPE)
    metadata = params.get("Metadata")
    if metadata:
        attrs["Metadata"] = {str(k).lower(): str(v) for k, v in metadata.items()}
    if params.get("Tagging"):
        attrs["TagSet"] = parse_tagging(str(params["Tagging"]))
    for member in ("StorageClass", "ServerSideEncryption"):
        if params.get(member):
            attrs[member] = str(params[member])
    if checksums:
        attrs["Checksums"] = dict(checksums)
        attrs["ChecksumType"] = "FULL_OBJECT"
    return attrs


def content_result(obj: ObjectVersion) -> dict[str, Any]:
    """The content members of GetObject/HeadObject from the stored details."""
    result: dict[str, Any] = {}
    for member in CONTENT_MEMBERS:
        value = obj.attrs.get(member)
        if value is None:
            continue
        result[member] = http_date(value) if member == "Expires" else value
    if obj.metadata:
        result["Metadata"] = obj.metadata
    return result


@dataclass(frozen=True, slots=True)
class S3Backend:
    tables: S3Tables
    blobs: BlobStore
    events: EventSink

    async def bucket(self, name: str) -> Bucket:
        bucket = await self.tables.bucket(name)
        if bucket is None:
            raise no_such_bucket(name)
        return bucket

    async def current(self, bucket: Bucket, key: str, version_id: str | None) -> ObjectVersion:
        """The version a GET/HEAD/COPY reads: 404 for a missing key or a current delete
        marker, 405 for a version id that names a delete marker."""
        if version_id is None:
            obj = await self.tables.latest(bucket.name, key)
            if obj is None:
                raise no_such_key(key)
            if obj.delete_marker:
                error = no_such_key(key)
                error.headers["x-amz-delete-marker"] = "true"
                if bucket.versioned:
                    error.headers["x-amz-version-id"] = obj.version_id
                raise error
            return obj
        obj = await self.tables.version(bucket.name, key, version_id)
        if obj is None:
            if not _valid_version_id(version_id):
                raise invalid_argument("Invalid version id specified", "versionId", version_id)
            raise no_such_version(key, version_id)
        if obj.delete_marker:
            error = method_not_allowed("GET", "DeleteMarker")
            error.headers.update(
                {"x-amz-delete-marker": "true", "x-amz-version-id": obj.version_id}
            )
            raise error
        return obj

    async def check_write_conditions(
        self, params: Mapping[str, Any], bucket: Bucket, key: str
    ) -> None:
        """``If-Match``/``If-None-Match`` of a write against the key's current object."""
        if params.get("IfMatch") is None and params.get("IfNoneMatch") is None:
            return
        current = await self.tables.latest(bucket.name, key)
        live = current is not None and not current.delete_marker
        check_write_conditions(params, current.etag if live and current else None)

    async def put_version(
        self,
        bucket: Bucket,
        key: str,
        *,
        size: int = 0,
        etag: str = "",
        blob: str = "",
        attrs: Mapping[str, Any] | None = None,
        delete_marker: bool = False,
    ) -> ObjectVersion:
        """Store a new version of ``key`` (a new version id when versioning is enabled, else
        the null version it replaces), remove the blob files no longer referred to, and return
        the version as stored."""
        obj = ObjectVersion(
            bucket=bucket.name,
            key=key,
            version_id=new_version_for(bucket),
            last_modified=time.time(),
            size=size,
            etag=etag,
            blob=blob,
            delete_marker=delete_marker,
            attrs=attrs or {},
        )
        stored, released = await self.tables.put_version(obj)
        self.release(released)
        return stored

    def release(self, blobs: list[str]) -> None:
        self.blobs.remove(blobs)


def _valid_version_id(version_id: str) -> bool:
    return version_id == "null" or len(version_id) >= 8
