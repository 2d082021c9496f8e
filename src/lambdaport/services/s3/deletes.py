"""DeleteObject and DeleteObjects, as S3 deletes.

Without versioning a delete removes the null version (a version id other than ``null`` is
refused); with versioning, no version id adds a delete marker and a version id removes that
version for good. ``If-Match`` (DeleteObject's header, DeleteObjects' ``ETag`` elements) is
checked against the current version. DeleteObjects reports each key in ``Deleted`` or
``Errors`` and notifies ``ObjectRemoved:Delete`` for every key it deleted, whether or not an
object was there, as S3 does.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from lambdaport.errors import AwsError
from lambdaport.services.s3.backend import S3Backend
from lambdaport.services.s3.call import S3Call, S3Reply
from lambdaport.services.s3.errors import invalid_argument, malformed_xml
from lambdaport.services.s3.models import NULL_VERSION, Bucket, ObjectVersion

MAX_KEYS_PER_DELETE = 1000


class DeleteService:
    def __init__(self, backend: S3Backend) -> None:
        self._backend = backend

    async def delete_object(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        backend = self._backend
        bucket = await backend.bucket(params["Bucket"])
        key = str(params["Key"])
        version_id = params.get("VersionId")
        await backend.check_write_conditions({"IfMatch": params.get("IfMatch")}, bucket, key)
        if version_id is not None and not bucket.versioned and version_id != NULL_VERSION:
            raise _invalid_version(str(version_id))
        if version_id is not None and bucket.versioned:
            found = await backend.tables.version(bucket.name, key, str(version_id))
            if found is None and await backend.tables.latest(bucket.name, key) is not None:
                raise _invalid_version(str(version_id))
        result = await self._delete(call, bucket, key, version_id, every_key=False)
        return S3Reply(result, status=204)

    async def delete_objects(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        bucket = await self._backend.bucket(params["Bucket"])
        request = params.get("Delete") or {}
        objects = request.get("Objects") or []
        if not objects or len(objects) > MAX_KEYS_PER_DELETE:
            raise malformed_xml()
        deleted: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for item in objects:
            key = str(item.get("Key") or "")
            version_id = item.get("VersionId")
            refusal = await self._refusal(bucket, key, version_id, item.get("ETag"))
            if refusal is not None:
                errors.append(refusal)
                continue
            outcome = await self._delete(call, bucket, key, version_id, every_key=True)
            entry: dict[str, Any] = {"Key": key}
            if version_id is not None:
                entry["VersionId"] = version_id
            if outcome.get("DeleteMarker"):
                entry["DeleteMarker"] = True
                entry["DeleteMarkerVersionId"] = outcome["VersionId"]
            deleted.append(entry)
        result: dict[str, Any] = {"Errors": errors} if errors else {}
        if not request.get("Quiet"):
            result["Deleted"] = deleted
        return S3Reply(result, root="DeleteResult")

    async def _refusal(
        self, bucket: Bucket, key: str, version_id: Any, etag: Any
    ) -> dict[str, Any] | None:
        """The ``Error`` entry of a key DeleteObjects does not delete, or None."""
        tables = self._backend.tables
        if version_id is not None:
            exists = (
                version_id == NULL_VERSION
                if not bucket.versioned
                else await tables.version(bucket.name, key, str(version_id)) is not None
            )
            if not exists:
                message = "The specified version does not exist."
                return _entry(key, version_id, "NoSuchVersion", message)
        if etag is not None:
            try:
                await self._backend.check_write_conditions({"IfMatch": etag}, bucket, key)
            except AwsError as error:
                return _entry(key, version_id, error.code, error.message)
        return None

    async def _delete(
        self, call: S3Call, bucket: Bucket, key: str, version_id: Any, *, every_key: bool
    ) -> dict[str, Any]:
        """Delete a version for good, or (versioned bucket, no version id) add a delete
        marker; returns DeleteObject's output members. ``every_key``: notify the removal of
        a key that had no object too (DeleteObjects)."""
        backend = self._backend
        if version_id is None and bucket.versioned:
            marker = await backend.put_version(bucket, key, delete_marker=True)
            await backend.events.emit(call, bucket, "ObjectRemoved:DeleteMarkerCreated", marker)
            return {"DeleteMarker": True, "VersionId": marker.version_id}
        removed = await backend.tables.delete_version(
            bucket.name, key, str(version_id or NULL_VERSION)
        )
        result: dict[str, Any] = {}
        if removed is None:
            if every_key:
                absent = ObjectVersion(bucket.name, key, NULL_VERSION, time.time())
                await backend.events.emit(call, bucket, "ObjectRemoved:Delete", absent)
            return result
        if version_id is not None and bucket.versioned:
            result["VersionId"] = removed.version_id
        backend.release([removed.blob])
        if removed.delete_marker:
            result["DeleteMarker"] = True
        await backend.events.emit(call, bucket, "ObjectRemoved:Delete", removed)
        return result


def _invalid_version(version_id: str) -> AwsError:
    return invalid_argument("Invalid version id specified", "versionId", version_id)


def _entry(key: str, version_id: Any, code: str, message: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"Key": key, "Code": code, "Message": message}
    if version_id is not None:
        entry["VersionId"] = version_id
    return entry
