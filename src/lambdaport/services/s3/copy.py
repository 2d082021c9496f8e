"""CopyObject (with its metadata and tagging directives) and the copy-source lookup that
UploadPartCopy shares."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from lambdaport.services.s3.acl import acl_attrs
from lambdaport.services.s3.backend import S3Backend, check_key, http_date, object_attrs
from lambdaport.services.s3.call import S3Call, S3Reply
from lambdaport.services.s3.conditions import check_copy_source_conditions
from lambdaport.services.s3.errors import invalid_argument, invalid_request
from lambdaport.services.s3.models import ObjectVersion
from lambdaport.services.s3.objects import checksum_result
from lambdaport.services.s3.storage import check_readable, check_storage_class

_SELF_COPY = (
    "This copy request is illegal because it is trying to copy an object to itself without "
    "changing the object's metadata, storage class, website redirect location or encryption "
    "attributes."
)


def parse_copy_source(text: str) -> tuple[str, str, str | None]:
    """``bucket/key[?versionId=...]`` (URL-encoded, optionally with a leading slash)."""
    source, _, query = text.partition("?")
    version_id = None
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if name == "versionId":
            version_id = unquote(value)
    bucket, slash, key = unquote(source.lstrip("/")).partition("/")
    if not slash or not bucket or not key:
        raise invalid_argument("Invalid copy source object key", "x-amz-copy-source", text)
    return bucket, key, version_id


# What a copy does not take from its source: the copy is one part, gets STANDARD unless
# the request names a class, its own ACL and owner, and no restore.
_NOT_COPIED = (
    "TagSet",
    "PartsCount",
    "PartSizes",
    "StorageClass",
    "ACL",
    "OwnerAccount",
    "Restore",
    "CompletedUpload",
)


async def copy_source(backend: S3Backend, params: Mapping[str, Any]) -> ObjectVersion:
    bucket_name, key, version_id = parse_copy_source(str(params["CopySource"]))
    bucket = await backend.bucket(bucket_name)
    source = await backend.current(bucket, key, version_id)
    check_readable(source, source=True)
    check_copy_source_conditions(params, source.etag, source.last_modified)
    return source


def _copied_attrs(
    source: ObjectVersion, params: Mapping[str, Any], headers: Mapping[str, str]
) -> dict[str, Any]:
    checksums = {} if source.attrs.get("ChecksumType") == "COMPOSITE" else source.checksums
    if params.get("MetadataDirective", "COPY") == "REPLACE":
        attrs = object_attrs({**params, "Tagging": None}, headers, checksums)
    else:
        attrs = {k: v for k, v in source.attrs.items() if k not in _NOT_COPIED}
        if not checksums:
            attrs.pop("Checksums", None)
            attrs.pop("ChecksumType", None)
        for member in ("StorageClass", "ServerSideEncryption"):
            if params.get(member):
                attrs[member] = str(params[member])
    if params.get("TaggingDirective", "COPY") == "REPLACE":
        attrs.pop("TagSet", None)
        if params.get("Tagging"):
            attrs["TagSet"] = object_attrs({"Tagging": params["Tagging"]}, {}, {})["TagSet"]
    elif source.tags:
        attrs["TagSet"] = source.tags
    return attrs


class CopyService:
    def __init__(self, backend: S3Backend) -> None:
        self._backend = backend

    async def copy_object(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        backend = self._backend
        check_storage_class(params.get("StorageClass"))
        bucket = await backend.bucket(params["Bucket"])
        key = str(params["Key"])
        check_key(key)
        source = await copy_source(backend, params)
        acl = acl_attrs(params, bucket, call.account_id)
        changes = params.get("MetadataDirective") == "REPLACE" or any(
            params.get(m) for m in ("StorageClass", "WebsiteRedirectLocation", "SSEKMSKeyId")
        )
        if (source.bucket, source.key) == (bucket.name, key) and not changes:
            raise invalid_request(_SELF_COPY)
        blob = backend.blobs.link(source.blob) if source.blob else ""
        etag = source.etag
        if "-" in etag:  # a copy of a multipart object is one part: its ETag is its MD5
            etag = await asyncio.to_thread(backend.blobs.md5_hex, source.blob)
        stored = await backend.put_version(
            bucket,
            key,
            size=source.size,
            etag=etag,
            blob=blob,
            attrs={**_copied_attrs(source, params, call.headers), **acl},
        )
        await backend.events.emit(call, bucket, "ObjectCreated:Copy", stored)
        copy_result: dict[str, Any] = {
            "ETag": stored.quoted_etag,
            "LastModified": http_date(stored.last_modified),
            **checksum_result(stored),
        }
        result: dict[str, Any] = {"CopyObjectResult": copy_result, "ServerSideEncryption": "AES256"}
        if bucket.versioned:
            result["VersionId"] = stored.version_id
        source_bucket = await backend.tables.bucket(source.bucket)
        if source_bucket is not None and source_bucket.versioned:
            result["CopySourceVersionId"] = source.version_id
        return S3Reply(result)
