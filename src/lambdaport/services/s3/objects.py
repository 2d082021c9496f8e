"""PutObject, GetObject, HeadObject, DeleteObject and DeleteObjects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdaport.services.s3.backend import (
    S3Backend,
    check_key,
    content_result,
    http_date,
    object_attrs,
)
from lambdaport.services.s3.call import BodySource, S3Call, S3Reply
from lambdaport.services.s3.conditions import NotModified, check_read_conditions, parse_range
from lambdaport.services.s3.errors import malformed_xml
from lambdaport.services.s3.ingest import receive_body
from lambdaport.services.s3.models import NULL_VERSION, Bucket, ObjectVersion

_OVERRIDES = (
    ("ResponseContentType", "ContentType"),
    ("ResponseContentLanguage", "ContentLanguage"),
    ("ResponseExpires", "Expires"),
    ("ResponseCacheControl", "CacheControl"),
    ("ResponseContentDisposition", "ContentDisposition"),
    ("ResponseContentEncoding", "ContentEncoding"),
)


def checksum_result(obj: ObjectVersion) -> dict[str, Any]:
    result: dict[str, Any] = {f"Checksum{name}": value for name, value in obj.checksums.items()}
    if result:
        result["ChecksumType"] = obj.attrs.get("ChecksumType", "FULL_OBJECT")
    return result


def write_result(bucket: Bucket, obj: ObjectVersion) -> dict[str, Any]:
    result: dict[str, Any] = {"ETag": obj.quoted_etag, "ServerSideEncryption": "AES256"}
    if bucket.versioned:
        result["VersionId"] = obj.version_id
    result.update(checksum_result(obj))
    return result


class ObjectService:
    def __init__(self, backend: S3Backend) -> None:
        self._backend = backend

    async def put_object(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        backend = self._backend
        bucket = backend.bucket(params["Bucket"])
        key = str(params["Key"])
        check_key(key)
        backend.check_write_conditions(params, bucket, key)
        received = await receive_body(call, backend.blobs)
        stored = backend.put_version(
            bucket,
            key,
            size=received.size,
            etag=received.md5_hex,
            blob=received.blob,
            attrs=object_attrs(params, call.headers, received.checksums),
        )
        await backend.events.emit(call, bucket, "ObjectCreated:Put", stored)
        return S3Reply(write_result(bucket, stored))

    def _read(self, params: Mapping[str, Any]) -> tuple[Bucket, ObjectVersion, dict[str, Any]]:
        backend = self._backend
        bucket = backend.bucket(params["Bucket"])
        obj = backend.current(bucket, str(params["Key"]), params.get("VersionId"))
        result: dict[str, Any] = {
            "LastModified": http_date(obj.last_modified),
            "ETag": obj.quoted_etag,
            "AcceptRanges": "bytes",
            "ServerSideEncryption": "AES256",
            **content_result(obj),
        }
        if bucket.versioned:
            result["VersionId"] = obj.version_id
        if obj.tags:
            result["TagCount"] = len(obj.tags)
        if obj.storage_class != "STANDARD":
            result["StorageClass"] = obj.storage_class
        if "PartsCount" in obj.attrs and params.get("PartNumber"):
            result["PartsCount"] = obj.attrs["PartsCount"]
        for param, member in _OVERRIDES:
            if params.get(param) is not None:
                result[member] = params[param]
        return bucket, obj, result

    def _answer(self, params: Mapping[str, Any], head: bool) -> S3Reply:
        _, obj, result = self._read(params)
        try:
            check_read_conditions(params, obj.etag, obj.last_modified)
        except NotModified:
            kept = {k: result[k] for k in ("ETag", "LastModified", "VersionId") if k in result}
            return S3Reply(kept, status=304)
        byte_range = parse_range(params.get("Range"), obj.size)
        if params.get("ChecksumMode") == "ENABLED" and byte_range is None:
            result.update(checksum_result(obj))
        if byte_range is None:
            result["ContentLength"] = obj.size
            body = BodySource(obj.blob, 0, obj.size)
            status = 200
        else:
            result["ContentLength"] = byte_range.length
            result["ContentRange"] = byte_range.content_range(obj.size)
            body = BodySource(obj.blob, byte_range.start, byte_range.length)
            status = 206
        return S3Reply(result, status=status, body=None if head else body)

    async def get_object(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        return self._answer(params, head=False)

    async def head_object(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        return self._answer(params, head=True)

    async def delete_object(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        bucket = self._backend.bucket(params["Bucket"])
        result = await self.delete_one(call, bucket, str(params["Key"]), params.get("VersionId"))
        return S3Reply(result, status=204)

    async def delete_one(
        self, call: S3Call, bucket: Bucket, key: str, version_id: str | None
    ) -> dict[str, Any]:
        """Delete a version for good, or (versioned bucket, no version id) add a delete
        marker; returns DeleteObject's output members."""
        backend = self._backend
        if version_id is not None or not bucket.versioned:
            removed = backend.tables.delete_version(bucket.name, key, version_id or NULL_VERSION)
            result: dict[str, Any] = {}
            if version_id is not None:
                result["VersionId"] = version_id
            if removed is None:
                return result
            backend.release([removed.blob])
            if removed.delete_marker:
                result["DeleteMarker"] = True
            await backend.events.emit(call, bucket, "ObjectRemoved:Delete", removed)
            return result
        stored = backend.put_version(bucket, key, delete_marker=True)
        await backend.events.emit(call, bucket, "ObjectRemoved:DeleteMarkerCreated", stored)
        return {"DeleteMarker": True, "VersionId": stored.version_id}

    async def delete_objects(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        bucket = self._backend.bucket(params["Bucket"])
        request = params.get("Delete") or {}
        objects = request.get("Objects") or []
        if not objects or len(objects) > 1000:
            raise malformed_xml()
        deleted: list[dict[str, Any]] = []
        for item in objects:
            key = str(item["Key"])
            version_id = item.get("VersionId")
            outcome = await self.delete_one(call, bucket, key, version_id)
            entry: dict[str, Any] = {"Key": key}
            if version_id is not None:
                entry["VersionId"] = version_id
            if outcome.get("DeleteMarker"):
                entry["DeleteMarker"] = True
                if version_id is None:
                    entry["DeleteMarkerVersionId"] = outcome["VersionId"]
            deleted.append(entry)
        result: dict[str, Any] = {}
        if not request.get("Quiet"):
            result["Deleted"] = deleted
        return S3Reply(result, root="DeleteResult")
