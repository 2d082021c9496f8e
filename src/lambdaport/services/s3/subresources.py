"""An object's tag set (Put/Get/DeleteObjectTagging) and ACL (Put/GetObjectAcl)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdaport.services.s3.acl import (
    check_settable,
    object_owner,
    required_policy,
    stored_policy,
)
from lambdaport.services.s3.backend import S3Backend, check_tags
from lambdaport.services.s3.call import S3Call, S3Reply
from lambdaport.services.s3.models import Bucket, ObjectVersion


class SubresourceService:
    def __init__(self, backend: S3Backend) -> None:
        self._backend = backend

    async def _object(self, params: Mapping[str, Any]) -> tuple[Bucket, ObjectVersion]:
        bucket = await self._backend.bucket(params["Bucket"])
        return bucket, await self._backend.current(
            bucket, str(params["Key"]), params.get("VersionId")
        )

    def _version_result(self, bucket: Bucket, obj: ObjectVersion) -> dict[str, Any]:
        return {"VersionId": obj.version_id} if bucket.versioned else {}

    async def put_object_tagging(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        bucket, obj = await self._object(params)
        tags = [dict(tag) for tag in (params.get("Tagging") or {}).get("TagSet") or []]
        check_tags(tags)
        attrs = {k: v for k, v in obj.attrs.items() if k != "TagSet"}
        if tags:
            attrs["TagSet"] = tags
        updated = await self._backend.tables.update_attrs(obj, attrs)
        await self._backend.events.emit(call, bucket, "ObjectTagging:Put", updated)
        return S3Reply(self._version_result(bucket, obj))

    async def get_object_tagging(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        bucket, obj = await self._object(params)
        result = {"TagSet": obj.tags, **self._version_result(bucket, obj)}
        return S3Reply(result, root="Tagging")

    async def delete_object_tagging(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        bucket, obj = await self._object(params)
        attrs = {k: v for k, v in obj.attrs.items() if k != "TagSet"}
        updated = await self._backend.tables.update_attrs(obj, attrs)
        await self._backend.events.emit(call, bucket, "ObjectTagging:Delete", updated)
        return S3Reply(self._version_result(bucket, obj), status=204)

    async def put_object_acl(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        """Kept and returned by GetObjectAcl; not enforced on requests."""
        bucket, obj = await self._object(params)
        owner = object_owner(bucket, call.account_id, obj)
        policy = required_policy(params, owner, bucket.account_id)
        check_settable(policy, bucket.config, bucket.account_id)
        updated = await self._backend.tables.update_attrs(obj, {**obj.attrs, "ACL": policy})
        await self._backend.events.emit(call, bucket, "ObjectAcl:Put", updated)
        return S3Reply(self._version_result(bucket, obj))

    async def get_object_acl(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        bucket, obj = await self._object(params)
        result = stored_policy(obj.attrs.get("ACL"), object_owner(bucket, bucket.account_id, obj))
        return S3Reply({**result, **self._version_result(bucket, obj)}, root="AccessControlPolicy")
