"""PutObject, GetObject and HeadObject (whole, a byte range, or one part of a multipart
object with ``partNumber``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdaport.errors import AwsError
from lambdaport.services.s3.acl import acl_attrs
from lambdaport.services.s3.backend import (
    S3Backend,
    check_key,
    content_result,
    http_date,
    object_attrs,
)
from lambdaport.services.s3.call import BodySource, S3Call, S3Reply
from lambdaport.services.s3.conditions import (
    ByteRange,
    NotModified,
    check_read_conditions,
    parse_range,
)
from lambdaport.services.s3.errors import PART_NUMBER_RANGE, invalid_argument, invalid_request
from lambdaport.services.s3.ingest import receive_body
from lambdaport.services.s3.models import Bucket, ObjectVersion
from lambdaport.services.s3.storage import check_readable, check_storage_class, restore_header

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


def _part_number(params: Mapping[str, Any]) -> int | None:
    """GET/HEAD ``partNumber``, checked before the object is looked up."""
    number = params.get("PartNumber")
    if number is None:
        return None
    if params.get("Range") is not None:
        raise invalid_request("Cannot specify both Range header and partNumber query parameter")
    if not 1 <= int(number) <= 10_000:
        raise invalid_argument(PART_NUMBER_RANGE, "partNumber", str(number))
    return int(number)


def part_range(obj: ObjectVersion, number: int) -> ByteRange | None:
    """The bytes of part ``number`` (an object that was not uploaded in parts is one part);
    None for an empty object. 416 ``InvalidPartNumber`` beyond the last part."""
    sizes = [int(size) for size in obj.attrs.get("PartSizes") or [obj.size]]
    if number > len(sizes):
        raise AwsError(
            "InvalidPartNumber",
            "The requested partnumber is not satisfiable",
            416,
            fields={"PartNumberRequested": number, "ActualPartCount": len(sizes)},
        )
    start = sum(sizes[: number - 1])
    length = sizes[number - 1]
    return ByteRange(start, start + length - 1) if length else None


class ObjectService:
    def __init__(self, backend: S3Backend) -> None:
        self._backend = backend

    async def put_object(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        backend = self._backend
        check_storage_class(params.get("StorageClass"))
        bucket = await backend.bucket(params["Bucket"])
        key = str(params["Key"])
        check_key(key)
        await backend.check_write_conditions(params, bucket, key)
        acl = acl_attrs(params, bucket, call.account_id)
        received = await receive_body(call, backend.blobs)
        stored = await backend.put_version(
            bucket,
            key,
            size=received.size,
            etag=received.md5_hex,
            blob=received.blob,
            attrs={**object_attrs(params, call.headers, received.checksums), **acl},
        )
        await backend.events.emit(call, bucket, "ObjectCreated:Put", stored)
        return S3Reply(write_result(bucket, stored))

    async def _read(
        self, params: Mapping[str, Any], head: bool
    ) -> tuple[ObjectVersion, dict[str, Any], int | None]:
        backend = self._backend
        part = _part_number(params)
        bucket = await backend.bucket(params["Bucket"])
        obj = await backend.current(bucket, str(params["Key"]), params.get("VersionId"))
        if not head:
            check_readable(obj)
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
        restore = restore_header(obj)
        if restore is not None:
            result["Restore"] = restore
        if "PartsCount" in obj.attrs and part is not None:
            result["PartsCount"] = obj.attrs["PartsCount"]
        for param, member in _OVERRIDES:
            if params.get(param) is not None:
                result[member] = params[param]
        return obj, result, part

    async def _answer(self, params: Mapping[str, Any], head: bool) -> S3Reply:
        obj, result, part = await self._read(params, head)
        try:
            check_read_conditions(params, obj.etag, obj.last_modified)
        except NotModified:
            kept = {k: result[k] for k in ("ETag", "LastModified", "VersionId") if k in result}
            return S3Reply(kept, status=304)
        if part is None:
            byte_range = parse_range(params.get("Range"), obj.size)
        else:
            byte_range = part_range(obj, part)
        whole = byte_range is None or (part is not None and "PartsCount" not in obj.attrs)
        if params.get("ChecksumMode") == "ENABLED" and whole:
            result.update(checksum_result(obj))
        status = 206 if part is not None and obj.size else 200
        if byte_range is None:
            result["ContentLength"] = obj.size
            body = BodySource(obj.blob, 0, obj.size)
        else:
            result["ContentLength"] = byte_range.length
            result["ContentRange"] = byte_range.content_range(obj.size)
            body = BodySource(obj.blob, byte_range.start, byte_range.length)
            status = 206
        return S3Reply(result, status=status, body=None if head else body)

    async def get_object(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        return await self._answer(params, head=False)

    async def head_object(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        return await self._answer(params, head=True)
