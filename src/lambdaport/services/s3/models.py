"""S3's records (kept in ``store.s3``): buckets, object versions, multipart uploads and their parts.

Every record is immutable; changes go through ``store.s3.S3Tables``. ``attrs`` holds the
per-object details S3 returns but lambdaport does not index: the content headers
(``ContentType``...), user metadata, tags, checksums, the part count of multipart objects,
the storage class and the ACL.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from lambdaport.store.s3 import NULL_VERSION, Bucket, ObjectVersion, Part, Upload

S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"

# Content headers kept with an object, in the model's member names.
CONTENT_MEMBERS = (
    "ContentType",
    "ContentEncoding",
    "ContentDisposition",
    "ContentLanguage",
    "CacheControl",
    "Expires",
    "WebsiteRedirectLocation",
)
DEFAULT_CONTENT_TYPE = "binary/octet-stream"


def new_version_id() -> str:
    return secrets.token_urlsafe(24).replace("-", ".")


def new_upload_id() -> str:
    return secrets.token_urlsafe(48)


def new_request_id() -> str:
    """S3's request ids are 16 upper-case hex digits."""
    return secrets.token_hex(8).upper()


def new_host_id() -> str:
    return base64.b64encode(secrets.token_bytes(48)).decode()


def canonical_user_id(account_id: str) -> str:
    """A stable 64-hex canonical user id for an account (ACL owners)."""
    return hashlib.sha256(f"lambdaport-canonical:{account_id}".encode()).hexdigest()


def principal_id(account_id: str) -> str:
    """A stable S3 principal id (``A`` + 13 upper-case characters) for an account."""
    digest = base64.b32encode(hashlib.sha1(account_id.encode()).digest()).decode()
    return "A" + digest[:13]


__all__ = [
    "CONTENT_MEMBERS",
    "DEFAULT_CONTENT_TYPE",
    "NULL_VERSION",
    "S3_NAMESPACE",
    "Bucket",
    "ObjectVersion",
    "Part",
    "Upload",
    "canonical_user_id",
    "new_host_id",
    "new_request_id",
    "new_upload_id",
    "new_version_id",
    "principal_id",
]
