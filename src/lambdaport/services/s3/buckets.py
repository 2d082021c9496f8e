"""CreateBucket, DeleteBucket, ListBuckets, HeadBucket, GetBucketLocation, versioning,
bucket tagging and bucket ACLs."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from functools import cache
from typing import Any

from lambdaport.errors import AwsError
from lambdaport.protocol import load_service_model
from lambdaport.services.s3.acl import (
    check_settable,
    ownership,
    requested_policy,
    required_policy,
    stored_policy,
)
from lambdaport.services.s3.arguments import max_buckets
from lambdaport.services.s3.backend import S3Backend, http_date
from lambdaport.services.s3.call import S3Call, S3Reply
from lambdaport.services.s3.errors import (
    bucket_error,
    invalid_argument,
    invalid_tag,
    malformed_xml,
)
from lambdaport.services.s3.models import S3_NAMESPACE, Bucket, canonical_user_id

US_EAST_1 = "us-east-1"
EU_WEST_1 = "eu-west-1"
OBJECT_OWNERSHIPS = frozenset({"BucketOwnerPreferred", "ObjectWriter", "BucketOwnerEnforced"})
_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_IP = re.compile(r"\d+\.\d+\.\d+\.\d+")


def check_bucket_name(name: str) -> None:
    if (
        _NAME.fullmatch(name) is None
        or _IP.fullmatch(name)
        or ".." in name
        or ".-" in name
        or "-." in name
        or name.startswith("xn--")
        or name.endswith("-s3alias")
    ):
        raise bucket_error("InvalidBucketName", "The specified bucket is not valid.", 400, name)


@cache
def location_constraints() -> frozenset[str]:
    """What the global endpoint takes as a LocationConstraint (botocore's enum)."""
    return frozenset(load_service_model("s3").shape_for("BucketLocationConstraint").enum)


def owner(account_id: str) -> dict[str, str]:
    """An owner as S3 names it now: the canonical user id (S3 no longer returns display
    names)."""
    return {"ID": canonical_user_id(account_id)}


def _location(params: Mapping[str, Any], region: str) -> tuple[str, str | None]:
    """The bucket's region and the LocationConstraint to keep (GetBucketLocation answers
    ``EU`` for a bucket made with it). The global endpoint (us-east-1) takes any other
    region S3 knows and makes the bucket there; a regional endpoint takes its own region
    only (eu-west-1's also ``EU``)."""
    constraint = (params.get("CreateBucketConfiguration") or {}).get("LocationConstraint")
    if not constraint:
        if region != US_EAST_1:
            raise _illegal_constraint("unspecified")
        return US_EAST_1, None
    constraint = str(constraint)
    if region == US_EAST_1:
        if constraint not in location_constraints():
            raise AwsError(
                "InvalidLocationConstraint",
                "The specified location-constraint is not valid",
                400,
                fields={"LocationConstraint": constraint},
            )
    elif constraint != region and not (region == EU_WEST_1 and constraint == "EU"):
        raise _illegal_constraint(constraint)
    return (EU_WEST_1 if constraint == "EU" else constraint), constraint


def _illegal_constraint(constraint: str) -> AwsError:
    return AwsError(
        "IllegalLocationConstraintException",
        f"The {constraint} location constraint is incompatible for the region specific "
        "endpoint this request was sent to.",
        400,
    )


def _creation_config(params: Mapping[str, Any], account_id: str) -> dict[str, Any]:
    """The ownership setting and ACL a new bucket starts with."""
    config: dict[str, Any] = {}
    object_ownership = params.get("ObjectOwnership")
    if object_ownership is not None:
        if object_ownership not in OBJECT_OWNERSHIPS:
            raise invalid_argument(
                f"Invalid x-amz-object-ownership header: {object_ownership}",
                "x-amz-object-ownership",
            )
        config["OwnershipControls"] = {"Rules": [{"ObjectOwnership": str(object_ownership)}]}
    policy = requested_policy(params, account_id)
    if policy is not None:
        if ownership(config) == "BucketOwnerEnforced" and any(
            g["Permission"] != "FULL_CONTROL" or g["Grantee"].get("Type") != "CanonicalUser"
            for g in policy["Grants"]
        ):
            raise AwsError(
                "InvalidBucketAclWithObjectOwnership",
                "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
                400,
            )
        config["ACL"] = policy
    return config


class BucketService:
    def __init__(self, backend: S3Backend) -> None:
        self._backend = backend

    async def create_bucket(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        name = str(params["Bucket"])
        check_bucket_name(name)
        region, constraint = _location(params, call.ctx.region)
        config = _creation_config(params, call.account_id)
        if constraint == "EU":
            config["LocationConstraint"] = constraint
        existing = await self._backend.tables.bucket(name)
        if existing is not None:
            if existing.account_id != call.account_id:
                raise bucket_error(
                    "BucketAlreadyExists",
                    "The requested bucket name is not available. The bucket namespace is shared "
                    "by all users of the system. Please select a different name and try again.",
                    409,
                    name,
                )
            if existing.region != US_EAST_1:
                raise bucket_error(
                    "BucketAlreadyOwnedByYou",
                    "Your previous request to create the named bucket succeeded and you "
                    "already own it.",
                    409,
                    name,
                )
            return S3Reply({"Location": f"/{name}"})
        await self._backend.tables.put_bucket(
            Bucket(name, call.account_id, region, time.time(), config=config)
        )
        return S3Reply({"Location": f"/{name}"})

    async def delete_bucket(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        bucket = await self._backend.bucket(params["Bucket"])
        if not await self._backend.tables.bucket_is_empty(bucket.name):
            message = "The bucket you tried to delete is not empty"
            raise bucket_error("BucketNotEmpty", message, 409, bucket.name)
        self._backend.release(await self._backend.tables.delete_bucket(bucket.name))
        return S3Reply(status=204)

    async def list_buckets(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        buckets = [
            b
            for b in await self._backend.tables.buckets(call.account_id)
            if b.name.startswith(str(params.get("Prefix") or ""))
        ]
        region = params.get("BucketRegion")
        if region:
            buckets = [b for b in buckets if b.region == region]
        after = str(params.get("ContinuationToken") or "")
        buckets = [b for b in buckets if b.name > after]
        limit = max_buckets(params)
        page = buckets[:limit]
        listed = [
            {"Name": b.name, "CreationDate": http_date(b.created), "BucketRegion": b.region}
            for b in page
        ]
        result: dict[str, Any] = {"Buckets": listed, "Owner": owner(call.account_id)}
        if params.get("Prefix"):
            result["Prefix"] = params["Prefix"]
        if len(buckets) > limit:
            result["ContinuationToken"] = page[-1].name
        return S3Reply(result, root="ListAllMyBucketsResult")

    async def head_bucket(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        bucket = await self._backend.bucket(params["Bucket"])
        return S3Reply({"BucketRegion": bucket.region, "AccessPointAlias": False})

    async def get_bucket_location(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        bucket = await self._backend.bucket(params["Bucket"])
        region = str(bucket.config.get("LocationConstraint") or bucket.region)
        region = "" if region == US_EAST_1 else region
        xml = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<LocationConstraint xmlns="{S3_NAMESPACE}">{region}</LocationConstraint>'
        )
        return S3Reply(xml=xml.encode())

    async def _save_config(self, bucket: Bucket, **changes: Any) -> None:
        config = dict(bucket.config)
        for key, value in changes.items():
            if value is None:
                config.pop(key, None)
            else:
                config[key] = value
        await self._backend.tables.put_bucket(
            Bucket(
                bucket.name,
                bucket.account_id,
                bucket.region,
                bucket.created,
                bucket.versioning,
                config,
            )
        )

    async def put_bucket_versioning(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        bucket = await self._backend.bucket(params["Bucket"])
        status = (params.get("VersioningConfiguration") or {}).get("Status")
        if status not in ("Enabled", "Suspended"):
            raise malformed_xml()
        await self._backend.tables.put_bucket(
            Bucket(
                bucket.name, bucket.account_id, bucket.region, bucket.created, status, bucket.config
            )
        )
        return S3Reply()

    async def get_bucket_versioning(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        bucket = await self._backend.bucket(params["Bucket"])
        result = {"Status": bucket.versioning} if bucket.versioning else {}
        return S3Reply(result, root="VersioningConfiguration")

    async def put_bucket_tagging(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        bucket = await self._backend.bucket(params["Bucket"])
        tags = [dict(t) for t in (params.get("Tagging") or {}).get("TagSet") or []]
        if len(tags) > 50 or len({t["Key"] for t in tags}) != len(tags):
            raise invalid_tag("The TagSet you have provided is invalid")
        await self._save_config(bucket, TagSet=tags)
        return S3Reply(status=204)

    async def get_bucket_tagging(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        bucket = await self._backend.bucket(params["Bucket"])
        tags = bucket.config.get("TagSet")
        if not tags:
            raise bucket_error("NoSuchTagSet", "The TagSet does not exist", 404, bucket.name)
        return S3Reply({"TagSet": tags}, root="Tagging")

    async def delete_bucket_tagging(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        bucket = await self._backend.bucket(params["Bucket"])
        await self._save_config(bucket, TagSet=None)
        return S3Reply(status=204)

    async def put_bucket_acl(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        """Kept and returned by GetBucketAcl; not enforced on requests."""
        bucket = await self._backend.bucket(params["Bucket"])
        policy = required_policy(params, bucket.account_id, bucket.account_id)
        check_settable(policy, bucket.config, bucket.account_id)
        await self._save_config(bucket, ACL=policy)
        return S3Reply()

    async def get_bucket_acl(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        bucket = await self._backend.bucket(params["Bucket"])
        result = stored_policy(bucket.config.get("ACL"), bucket.account_id)
        return S3Reply(result, root="AccessControlPolicy")
