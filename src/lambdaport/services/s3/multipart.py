"""Multipart uploads: Create, UploadPart, UploadPartCopy, ListParts, Complete (part order,
ETag and size rules; the ``-N`` ETag), Abort and ListMultipartUploads."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

from lambdaport.errors import AwsError
from lambdaport.services.s3.acl import acl_attrs
from lambdaport.services.s3.arguments import INT32_MAX, page_size
from lambdaport.services.s3.backend import S3Backend, check_key, http_date, object_attrs
from lambdaport.services.s3.buckets import owner
from lambdaport.services.s3.call import S3Call, S3Reply
from lambdaport.services.s3.checksums import BodyDigests, composite, multipart_etag
from lambdaport.services.s3.conditions import parse_range
from lambdaport.services.s3.copy import copy_source
from lambdaport.services.s3.errors import (
    invalid_argument,
    invalid_request,
    malformed_xml,
    no_such_upload,
)
from lambdaport.services.s3.ingest import receive_body
from lambdaport.services.s3.listing import key_encoder
from lambdaport.services.s3.models import Bucket, ObjectVersion, Part, Upload, new_upload_id
from lambdaport.services.s3.storage import check_storage_class

MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PARTS = 10_000


def _invalid_part(upload_id: str, number: int, etag: str) -> AwsError:
    return AwsError(
        "InvalidPart",
        "One or more of the specified parts could not be found.  The part may not have been "
        "uploaded, or the specified entity tag may not match the part's entity tag.",
        400,
        fields={"UploadId": upload_id, "PartNumber": number, "ETag": etag},
    )


def _part_number(params: Mapping[str, Any]) -> int:
    number = int(params["PartNumber"])
    if not 1 <= number <= MAX_PARTS:
        raise invalid_argument(
            "Part number must be an integer between 1 and 10000, inclusive",
            "partNumber",
            str(number),
        )
    return number


def _checked_parts(upload: Upload, stored: list[Part], requested: list[Any]) -> list[Part]:
    if not requested:
        raise invalid_request("You must specify at least one part")
    by_number = {part.part_number: part for part in stored}
    chosen: list[Part] = []
    previous = 0
    for item in requested:
        number = int(item["PartNumber"])
        if number <= previous:
            raise AwsError(
                "InvalidPartOrder",
                "The list of parts was not in ascending order. Parts must be ordered by part "
                "number.",
                400,
                fields={"UploadId": upload.upload_id},
            )
        previous = number
        etag = str(item.get("ETag") or "").strip('"')
        part = by_number.get(number)
        if part is None or part.etag != etag:
            raise _invalid_part(upload.upload_id, number, etag)
        chosen.append(part)
    for part in chosen[:-1]:
        if part.size < MIN_PART_SIZE:
            raise AwsError(
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed size",
                400,
                fields={
                    "ProposedSize": part.size,
                    "MinSizeAllowed": MIN_PART_SIZE,
                    "PartNumber": part.part_number,
                    "ETag": part.etag,
                },
            )
    return chosen


def _part_list(parts: list[Part]) -> list[list[Any]]:
    return [[part.part_number, part.etag] for part in parts]


def _requested_list(requested: list[Any]) -> list[list[Any]]:
    return [
        [int(item.get("PartNumber") or 0), str(item.get("ETag") or "").strip('"')]
        for item in requested
    ]


def _completion(call: S3Call, bucket: Bucket, stored: ObjectVersion) -> S3Reply:
    result: dict[str, Any] = {
        "Location": f"{call.ctx.endpoint}/{bucket.name}/{stored.key}",
        "Bucket": bucket.name,
        "Key": stored.key,
        "ETag": stored.quoted_etag,
        "ServerSideEncryption": "AES256",
    }
    if bucket.versioned:
        result["VersionId"] = stored.version_id
    for name, value in stored.checksums.items():
        result[f"Checksum{name}"] = value
        result["ChecksumType"] = "COMPOSITE"
    return S3Reply(result, root="CompleteMultipartUploadResult")


def _part_checksums(part: Part) -> dict[str, Any]:
    return {f"Checksum{name}": value for name, value in part.checksums.items()}


class MultipartService:
    def __init__(self, backend: S3Backend) -> None:
        self._backend = backend

    async def _upload(self, params: Mapping[str, Any]) -> Upload:
        await self._backend.bucket(params["Bucket"])
        upload = await self._backend.tables.upload(str(params["UploadId"]))
        if upload is None or (upload.bucket, upload.key) != (params["Bucket"], params["Key"]):
            raise no_such_upload(str(params["UploadId"]))
        return upload

    async def create_multipart_upload(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        check_storage_class(params.get("StorageClass"))
        bucket = await self._backend.bucket(params["Bucket"])
        key = str(params["Key"])
        check_key(key)
        attrs = {
            **object_attrs(params, call.headers, {}),
            **acl_attrs(params, bucket, call.account_id),
        }
        algorithm = params.get("ChecksumAlgorithm")
        if algorithm:
            attrs["ChecksumAlgorithm"] = str(algorithm).upper()
            attrs["ChecksumType"] = str(params.get("ChecksumType") or "COMPOSITE")
        upload = Upload(new_upload_id(), bucket.name, key, time.time(), attrs)
        await self._backend.tables.put_upload(upload)
        result: dict[str, Any] = {"Bucket": bucket.name, "Key": key, "UploadId": upload.upload_id}
        if algorithm:
            result["ChecksumAlgorithm"] = attrs["ChecksumAlgorithm"]
            result["ChecksumType"] = attrs["ChecksumType"]
        return S3Reply(result, root="InitiateMultipartUploadResult")

    async def upload_part(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        upload = await self._upload(params)
        number = _part_number(params)
        received = await receive_body(call, self._backend.blobs, upload.checksum_algorithm)
        part = Part(
            upload.upload_id,
            number,
            received.md5_hex,
            received.size,
            time.time(),
            received.blob,
            dict(received.checksums),
        )
        await self._store_part(part)
        return S3Reply({"ETag": f'"{part.etag}"', **_part_checksums(part)})

    async def _store_part(self, part: Part) -> None:
        replaced = await self._backend.tables.put_part(part)
        if replaced:
            self._backend.release([replaced])
        if await self._backend.tables.upload(part.upload_id) is None:  # aborted meanwhile
            self._backend.release(await self._backend.tables.delete_upload(part.upload_id))

    async def upload_part_copy(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        upload = await self._upload(params)
        number = _part_number(params)
        source = await copy_source(self._backend, params)
        start, length = 0, source.size
        text = params.get("CopySourceRange")
        if text:
            byte_range = parse_range(str(text), source.size)
            if byte_range is None or byte_range.end >= source.size:
                raise invalid_argument(
                    "The x-amz-copy-source-range value must be of the form bytes=first-last "
                    "where first and last are the zero-based offsets of the first and last "
                    "bytes to copy",
                    "x-amz-copy-source-range",
                    str(text),
                )
            start, length = byte_range.start, byte_range.length
        algorithms = [upload.checksum_algorithm] if upload.checksum_algorithm else []
        blob, digests = await asyncio.to_thread(self._copy_range, source, start, length, algorithms)
        part = Part(
            upload.upload_id,
            number,
            digests.md5.hexdigest(),
            digests.size,
            time.time(),
            blob,
            digests.checksum_values(),
        )
        await self._store_part(part)
        copy_result = {"ETag": f'"{part.etag}"', "LastModified": http_date(part.last_modified)}
        return S3Reply({"CopyPartResult": {**copy_result, **_part_checksums(part)}})

    def _copy_range(
        self, source: ObjectVersion, start: int, length: int, algorithms: list[str]
    ) -> tuple[str, BodyDigests]:
        digests = BodyDigests(algorithms)
        writer = self._backend.blobs.writer()
        try:
            for chunk in self._backend.blobs.read(source.blob, start, length):
                digests.update(chunk)
                writer.write(chunk)
            return writer.commit(), digests
        except BaseException:
            writer.discard()
            raise

    async def list_parts(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        upload = await self._upload(params)
        marker = page_size(params, "PartNumberMarker", "part-number-marker", 0, cap=INT32_MAX)
        max_parts = page_size(params, "MaxParts", "max-parts", 1000)
        parts = [
            p for p in await self._backend.tables.parts(upload.upload_id) if p.part_number > marker
        ]
        page = parts[:max_parts]
        who = owner(call.account_id)
        result: dict[str, Any] = {
            "Bucket": upload.bucket,
            "Key": upload.key,
            "UploadId": upload.upload_id,
            "PartNumberMarker": marker,
            "MaxParts": max_parts,
            "IsTruncated": len(parts) > max_parts,
            "Parts": [
                {
                    "PartNumber": p.part_number,
                    "LastModified": http_date(p.last_modified),
                    "ETag": f'"{p.etag}"',
                    "Size": p.size,
                    **_part_checksums(p),
                }
                for p in page
            ],
            "Initiator": who,
            "Owner": who,
            "StorageClass": upload.attrs.get("StorageClass", "STANDARD"),
        }
        if page:
            result["NextPartNumberMarker"] = page[-1].part_number
        if upload.checksum_algorithm:
            result["ChecksumAlgorithm"] = upload.checksum_algorithm
            result["ChecksumType"] = upload.attrs.get("ChecksumType", "COMPOSITE")
        return S3Reply(result, root="ListPartsResult")

    async def complete_multipart_upload(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        backend = self._backend
        if "MultipartUpload" not in params:
            raise malformed_xml()
        requested = params["MultipartUpload"].get("Parts") or []
        bucket = await backend.bucket(params["Bucket"])
        upload = await backend.tables.upload(str(params["UploadId"]))
        if upload is None or (upload.bucket, upload.key) != (bucket.name, params["Key"]):
            return await self._completed_before(call, bucket, params, requested)
        await backend.check_write_conditions(params, bucket, upload.key)
        parts = _checked_parts(upload, await backend.tables.parts(upload.upload_id), requested)
        blob = await asyncio.to_thread(backend.blobs.concatenate, [p.blob for p in parts])
        attrs = {k: v for k, v in upload.attrs.items() if k != "ChecksumAlgorithm"}
        attrs["PartsCount"] = len(parts)
        attrs["PartSizes"] = [p.size for p in parts]
        attrs["CompletedUpload"] = {"UploadId": upload.upload_id, "Parts": _part_list(parts)}
        algorithm = upload.checksum_algorithm
        attrs.pop("Checksums", None)
        if algorithm and all(algorithm in p.checksums for p in parts):
            value = composite(algorithm, [p.checksums[algorithm] for p in parts])
            attrs["Checksums"] = {algorithm: value}
            attrs["ChecksumType"] = "COMPOSITE"
        else:
            attrs.pop("ChecksumType", None)
        stored = await backend.put_version(
            bucket,
            upload.key,
            size=sum(p.size for p in parts),
            etag=multipart_etag(p.etag for p in parts),
            blob=blob,
            attrs=attrs,
        )
        backend.release(await backend.tables.delete_upload(upload.upload_id))
        await backend.events.emit(call, bucket, "ObjectCreated:CompleteMultipartUpload", stored)
        return _completion(call, bucket, stored)

    async def _completed_before(
        self, call: S3Call, bucket: Bucket, params: Mapping[str, Any], requested: list[Any]
    ) -> S3Reply:
        """A CompleteMultipartUpload repeated (a client's retry): while the object it made
        is the key's current version, the same parts get the same answer, as S3 gives."""
        upload_id = str(params["UploadId"])
        current = await self._backend.tables.latest(bucket.name, str(params["Key"]))
        completed = current.attrs.get("CompletedUpload") if current is not None else None
        if (
            current is None
            or not isinstance(completed, Mapping)
            or completed.get("UploadId") != upload_id
            or completed.get("Parts") != _requested_list(requested)
        ):
            raise no_such_upload(upload_id)
        return _completion(call, bucket, current)

    async def abort_multipart_upload(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        upload = await self._upload(params)
        self._backend.release(await self._backend.tables.delete_upload(upload.upload_id))
        return S3Reply(status=204)

    async def list_multipart_uploads(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        encode = key_encoder(params)
        bucket = await self._backend.bucket(params["Bucket"])
        prefix = str(params.get("Prefix") or "")
        delimiter = str(params.get("Delimiter") or "")
        key_marker = str(params.get("KeyMarker") or "")
        id_marker = str(params.get("UploadIdMarker") or "")
        max_uploads = page_size(params, "MaxUploads", "max-uploads", 1000)
        uploads: list[Upload] = []
        prefixes: list[str] = []
        truncated = False
        for upload in await self._backend.tables.uploads(bucket.name, prefix):
            if upload.key < key_marker or (
                upload.key == key_marker and (not id_marker or upload.upload_id <= id_marker)
            ):
                continue
            index = upload.key.find(delimiter, len(prefix)) if delimiter else -1
            if index >= 0:
                rolled = upload.key[: index + len(delimiter)]
                if rolled not in prefixes:
                    prefixes.append(rolled)
                continue
            if len(uploads) + len(prefixes) >= max_uploads:
                truncated = True
                break
            uploads.append(upload)
        who = owner(bucket.account_id)
        result: dict[str, Any] = {
            "Bucket": bucket.name,
            "KeyMarker": encode(key_marker),
            "UploadIdMarker": id_marker,
            "Prefix": encode(prefix),
            "MaxUploads": max_uploads,
            "IsTruncated": truncated,
            "Uploads": [
                {
                    "UploadId": u.upload_id,
                    "Key": encode(u.key),
                    "Initiated": http_date(u.initiated),
                    "StorageClass": u.attrs.get("StorageClass", "STANDARD"),
                    "Owner": who,
                    "Initiator": who,
                }
                for u in uploads
            ],
            "CommonPrefixes": [{"Prefix": encode(p)} for p in prefixes],
        }
        if delimiter:
            result["Delimiter"] = encode(delimiter)
        if params.get("EncodingType"):
            result["EncodingType"] = params["EncodingType"]
        if truncated and uploads:
            result["NextKeyMarker"] = encode(uploads[-1].key)
            result["NextUploadIdMarker"] = uploads[-1].upload_id
        return S3Reply(result, root="ListMultipartUploadsResult")
