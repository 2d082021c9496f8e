"""Whether S3 serves an unsigned request (``--strict-auth``): only what the bucket makes
public, as S3 decides it (docs.aws.amazon.com, "How Amazon S3 authorizes a request").

An anonymous request is allowed when the bucket policy allows the action to everyone or an
``AllUsers`` grant of an ACL covers it (``public-read``: READ; ``public-read-write``: READ
and WRITE; FULL_CONTROL both) — the object's ACL for reading an object, the bucket's for
listing and writing — and no policy statement denies it. The bucket's Block Public Access settings
apply: ``IgnorePublicAcls`` disregards the grants, ``RestrictPublicBuckets`` a public
policy; Object Ownership ``BucketOwnerEnforced`` disables ACLs. New buckets have both, as on
S3 since 2023: a bucket is public only after those are changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from lambdaport.errors import AwsError
from lambdaport.services.s3.acl import ALL_USERS, ownership, public_access_block, stored_policy
from lambdaport.services.s3.bucket_policy import Decision, anonymous_decision
from lambdaport.services.s3.models import Bucket
from lambdaport.store.s3 import S3Tables

# Operations whose IAM action is not "s3:" + the operation's name.
_ACTIONS = {
    "HeadObject": "s3:GetObject",
    "HeadBucket": "s3:ListBucket",
    "ListObjects": "s3:ListBucket",
    "ListObjectsV2": "s3:ListBucket",
    "ListObjectVersions": "s3:ListBucketVersions",
    "ListMultipartUploads": "s3:ListBucketMultipartUploads",
    "ListParts": "s3:ListMultipartUploadParts",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "UploadPartCopy": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "CopyObject": "s3:PutObject",
    "PostObject": "s3:PutObject",
    "DeleteObjects": "s3:DeleteObject",
    "ListBuckets": "s3:ListAllMyBuckets",
    "GetBucketNotificationConfiguration": "s3:GetBucketNotification",
    "PutBucketNotificationConfiguration": "s3:PutBucketNotification",
    "GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "DeleteBucketLifecycle": "s3:PutLifecycleConfiguration",
    "GetBucketCors": "s3:GetBucketCORS",
    "PutBucketCors": "s3:PutBucketCORS",
    "DeleteBucketCors": "s3:PutBucketCORS",
    "GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "DeleteBucketEncryption": "s3:PutEncryptionConfiguration",
    "GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "DeletePublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "DeleteBucketOwnershipControls": "s3:PutBucketOwnershipControls",
    "DeleteBucketTagging": "s3:PutBucketTagging",
    "GetBucketAccelerateConfiguration": "s3:GetAccelerateConfiguration",
    "PutBucketAccelerateConfiguration": "s3:PutAccelerateConfiguration",
    "GetObjectLockConfiguration": "s3:GetBucketObjectLockConfiguration",
}
# Object actions that name a version when the request has a versionId.
_VERSIONED = frozenset(
    {
        "s3:GetObject",
        "s3:DeleteObject",
        "s3:GetObjectAcl",
        "s3:PutObjectAcl",
        "s3:GetObjectTagging",
        "s3:PutObjectTagging",
        "s3:DeleteObjectTagging",
    }
)
# What the AllUsers grants of a canned ACL let everyone do.
_OBJECT_READ = frozenset({"s3:GetObject", "s3:GetObjectVersion"})
_BUCKET_GRANTS = {
    "READ": frozenset({"s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"}),
    "WRITE": frozenset(
        {"s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:AbortMultipartUpload"}
    ),
}


def access_denied() -> AwsError:
    return AwsError("AccessDenied", "Access Denied", 403)


def action_for(operation: str, params: Mapping[str, Any]) -> str:
    action = _ACTIONS.get(operation, f"s3:{operation}")
    if params.get("VersionId") and action in _VERSIONED:
        return action.replace("Object", "ObjectVersion", 1)
    return action


class AnonymousAccess:
    """Decides unsigned requests against the bucket's policy, ACLs and public access block."""

    def __init__(self, tables: S3Tables) -> None:
        self._tables = tables

    async def check(self, operation: str, params: Mapping[str, Any]) -> None:
        """Raise AccessDenied unless everyone may run ``operation`` with ``params``."""
        bucket = params.get("Bucket")
        if not bucket:
            raise access_denied()
        key = params.get("Key")
        await self.check_action(
            str(bucket), action_for(operation, params), key, params.get("VersionId")
        )
        source = params.get("CopySource")
        if source:
            path, _, query = unquote(str(source)).lstrip("/").partition("?versionId=")
            source_bucket, _, source_key = path.partition("/")
            action = "s3:GetObjectVersion" if query else "s3:GetObject"
            await self.check_action(source_bucket, action, source_key, query or None)

    async def check_action(
        self, bucket_name: str, action: str, key: str | None = None, version: str | None = None
    ) -> None:
        bucket = await self._tables.bucket(bucket_name)
        if bucket is None:
            return  # S3 answers NoSuchBucket to anyone
        resource = bucket.arn if key is None else f"{bucket.arn}/{key}"
        block = public_access_block(bucket.config)
        decision = anonymous_decision(bucket.config.get("Policy"), action, resource)
        if decision is Decision.DENY:
            raise access_denied()
        if decision is Decision.ALLOW and not block.get("RestrictPublicBuckets"):
            return
        if block.get("IgnorePublicAcls") or ownership(bucket.config) == "BucketOwnerEnforced":
            raise access_denied()  # ACLs count for nothing
        if action in _OBJECT_READ and "READ" in await self._object_grants(bucket, key, version):
            return
        granted = _everyone(bucket.config.get("ACL"), bucket.account_id)
        if any(action in _BUCKET_GRANTS[permission] for permission in granted):
            return
        raise access_denied()

    async def _object_grants(
        self, bucket: Bucket, key: str | None, version: str | None
    ) -> set[str]:
        if key is None:
            return set()
        obj = (
            await self._tables.latest(bucket.name, key)
            if version is None
            else await self._tables.version(bucket.name, key, version)
        )
        return set() if obj is None else _everyone(obj.attrs.get("ACL"), bucket.account_id)


def _everyone(stored: Any, owner: str) -> set[str]:
    """What an ACL (as ``acl`` stores it) grants ``AllUsers``: READ and/or WRITE."""
    granted = {
        grant["Permission"]
        for grant in stored_policy(stored, owner)["Grants"]
        if grant["Grantee"].get("URI") == ALL_USERS
    }
    return {"READ", "WRITE"} if "FULL_CONTROL" in granted else granted & {"READ", "WRITE"}
