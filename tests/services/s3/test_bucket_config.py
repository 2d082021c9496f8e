"""Bucket configurations kept as documents: policy, CORS, lifecycle, encryption, public
access block, ownership controls, website, logging, acceleration, request payment."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_policy_cors_lifecycle_website(s3: S3Client, bucket: str) -> None:
    with pytest.raises(ClientError) as none:
        s3.get_bucket_policy(Bucket=bucket)
    assert _code(none) == "NoSuchBucketPolicy"
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                }
            ],
        }
    )
    s3.put_bucket_policy(Bucket=bucket, Policy=policy)
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]) == json.loads(policy)
    s3.delete_bucket_policy(Bucket=bucket)
    with pytest.raises(ClientError):
        s3.get_bucket_policy(Bucket=bucket)

    rules = [{"AllowedMethods": ["GET", "PUT"], "AllowedOrigins": ["*"], "MaxAgeSeconds": 30}]
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})  # type: ignore[typeddict-item]
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == rules
    s3.delete_bucket_cors(Bucket=bucket)
    with pytest.raises(ClientError) as no_cors:
        s3.get_bucket_cors(Bucket=bucket)
    assert _code(no_cors) == "NoSuchCORSConfiguration"

    lifecycle = [
        {
            "ID": "expire",
            "Status": "Enabled",
            "Filter": {"Prefix": "tmp/"},
            "Expiration": {"Days": 1},
        }
    ]
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={"Rules": lifecycle},  # type: ignore[typeddict-item]
    )
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"] == lifecycle
    s3.delete_bucket_lifecycle(Bucket=bucket)
    with pytest.raises(ClientError) as no_lifecycle:
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert _code(no_lifecycle) == "NoSuchLifecycleConfiguration"

    with pytest.raises(ClientError) as no_site:
        s3.get_bucket_website(Bucket=bucket)
    assert _code(no_site) == "NoSuchWebsiteConfiguration"
    s3.put_bucket_website(
        Bucket=bucket, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}}
    )
    assert s3.get_bucket_website(Bucket=bucket)["IndexDocument"] == {"Suffix": "index.html"}


def test_defaults_and_replacements(s3: S3Client, bucket: str) -> None:
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block["BlockPublicAcls"] is True
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": False,
            "IgnorePublicAcls": False,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        },
    )
    changed = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert changed["BlockPublicPolicy"] is False
    ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]
    assert ownership["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "BucketOwner"
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=bucket)
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is False
    with pytest.raises(ClientError) as lock:
        s3.get_object_lock_configuration(Bucket=bucket)
    assert _code(lock) == "ObjectLockConfigurationNotFoundError"
    with pytest.raises(s3.exceptions.NoSuchBucket):
        s3.get_bucket_encryption(Bucket="no-such-bucket-anywhere")


def test_deleted_public_access_block_and_ownership_controls_are_gone(
    s3: S3Client, bucket: str
) -> None:
    """A new bucket has both (as on S3 since 2023); once deleted, Get answers S3's 404."""
    s3.delete_public_access_block(Bucket=bucket)
    with pytest.raises(ClientError) as block:
        s3.get_public_access_block(Bucket=bucket)
    assert _code(block) == "NoSuchPublicAccessBlockConfiguration"
    s3.delete_bucket_ownership_controls(Bucket=bucket)
    with pytest.raises(ClientError) as ownership:
        s3.get_bucket_ownership_controls(Bucket=bucket)
    assert _code(ownership) == "OwnershipControlsNotFoundError"
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )
    controls = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]
    assert controls["Rules"] == [{"ObjectOwnership": "ObjectWriter"}]
