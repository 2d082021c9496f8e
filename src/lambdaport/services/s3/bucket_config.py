"""Bucket configurations lambdaport keeps but does not act on: policy, CORS, lifecycle,
default encryption, public access block, ownership controls, website, logging, transfer
acceleration and request payment. Each is stored as the document it was put with and
returned as S3 returns it; absent ones answer with S3's error or its default."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from lambdaport.services.s3.backend import S3Backend
from lambdaport.services.s3.call import S3Call, S3Reply
from lambdaport.services.s3.errors import bucket_error

Operation = Callable[[S3Call, Mapping[str, Any]], Awaitable[S3Reply]]


@dataclass(frozen=True, slots=True)
class Subresource:
    key: str  # where the document lives in the bucket's config
    member: str  # the Put operation's member holding it
    payload: bool = False  # Get returns {member: document} (else the document's members)
    root: str | None = None  # the XML root of a non-payload Get answer
    missing: tuple[str, str] | None = None  # S3's error code and message when absent
    # What Get answers when never put (and no error); with ``missing`` too, the settings a
    # new bucket has, until Delete removes them (then Get answers ``missing``).
    default: Any = None
    deletable: bool = True  # S3 has a Delete operation for it


SUBRESOURCES: dict[str, Subresource] = {
    "Policy": Subresource(
        "Policy",
        "Policy",
        payload=True,
        missing=("NoSuchBucketPolicy", "The bucket policy does not exist"),
    ),
    "Cors": Subresource(
        "Cors",
        "CORSConfiguration",
        root="CORSConfiguration",
        missing=("NoSuchCORSConfiguration", "The CORS configuration does not exist"),
    ),
    "LifecycleConfiguration": Subresource(
        "Lifecycle",
        "LifecycleConfiguration",
        root="LifecycleConfiguration",
        missing=("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist"),
    ),
    "Encryption": Subresource(
        "Encryption",
        "ServerSideEncryptionConfiguration",
        payload=True,
        default={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                    "BucketKeyEnabled": False,
                }
            ]
        },
    ),
    "PublicAccessBlock": Subresource(
        "PublicAccessBlock",
        "PublicAccessBlockConfiguration",
        payload=True,
        missing=(
            "NoSuchPublicAccessBlockConfiguration",
            "The public access block configuration was not found",
        ),
        default={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    ),
    "OwnershipControls": Subresource(
        "OwnershipControls",
        "OwnershipControls",
        payload=True,
        missing=("OwnershipControlsNotFoundError", "The bucket ownership controls were not found"),
        default={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
    ),
    "Website": Subresource(
        "Website",
        "WebsiteConfiguration",
        root="WebsiteConfiguration",
        missing=(
            "NoSuchWebsiteConfiguration",
            "The specified bucket does not have a website configuration",
        ),
    ),
    "Logging": Subresource(
        "Logging",
        "BucketLoggingStatus",
        root="BucketLoggingStatus",
        default={},
        deletable=False,
    ),
    "AccelerateConfiguration": Subresource(
        "Accelerate",
        "AccelerateConfiguration",
        root="AccelerateConfiguration",
        default={},
        deletable=False,
    ),
    "RequestPayment": Subresource(
        "RequestPayment",
        "RequestPaymentConfiguration",
        root="RequestPaymentConfiguration",
        default={"Payer": "BucketOwner"},
        deletable=False,
    ),
}

# Operation names that differ from Put/Get/DeleteBucket<name>.
_DELETE_NAMES = {"LifecycleConfiguration": "DeleteBucketLifecycle"}
_PUT_GET_PREFIX = {"PublicAccessBlock": ""}


class BucketConfigService:
    def __init__(self, backend: S3Backend) -> None:
        self._backend = backend

    def operations(self) -> dict[str, Operation]:
        table: dict[str, Operation] = {}
        for name, sub in SUBRESOURCES.items():
            middle = _PUT_GET_PREFIX.get(name, "Bucket")
            table[f"Put{middle}{name}"] = self._put(sub)
            table[f"Get{middle}{name}"] = self._get(sub)
            if sub.deletable:
                table[_DELETE_NAMES.get(name, f"Delete{middle}{name}")] = self._delete(sub)
        table["GetBucketPolicyStatus"] = self.get_bucket_policy_status
        table["GetObjectLockConfiguration"] = self.get_object_lock_configuration
        return table

    def _put(self, sub: Subresource) -> Operation:
        async def put(call: S3Call, params: Mapping[str, Any]) -> S3Reply:
            bucket = await self._backend.bucket(params["Bucket"])
            config = {**bucket.config, sub.key: params.get(sub.member) or {}}
            await self._backend.tables.put_bucket(replace(bucket, config=config))
            return S3Reply()

        return put

    def _get(self, sub: Subresource) -> Operation:
        async def get(call: S3Call, params: Mapping[str, Any]) -> S3Reply:
            bucket = await self._backend.bucket(params["Bucket"])
            document = bucket.config.get(sub.key, sub.default)
            if document is None:
                assert sub.missing is not None
                code, message = sub.missing
                raise bucket_error(code, message, 404, bucket.name)
            if sub.payload:
                return S3Reply({sub.member: document})
            return S3Reply(dict(document), root=sub.root)

        return get

    def _delete(self, sub: Subresource) -> Operation:
        async def delete(call: S3Call, params: Mapping[str, Any]) -> S3Reply:
            bucket = await self._backend.bucket(params["Bucket"])
            config = {k: v for k, v in bucket.config.items() if k != sub.key}
            if sub.default is not None and sub.missing is not None:
                config[sub.key] = None  # deleted: no longer the new bucket's default
            await self._backend.tables.put_bucket(replace(bucket, config=config))
            return S3Reply(status=204)

        return delete

    async def get_bucket_policy_status(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        await self._backend.bucket(params["Bucket"])
        return S3Reply({"PolicyStatus": {"IsPublic": False}})

    async def get_object_lock_configuration(
        self, call: S3Call, params: Mapping[str, Any]
    ) -> S3Reply:
        bucket = await self._backend.bucket(params["Bucket"])
        raise bucket_error(
            "ObjectLockConfigurationNotFoundError",
            "Object Lock configuration does not exist for this bucket",
            404,
            bucket.name,
        )
