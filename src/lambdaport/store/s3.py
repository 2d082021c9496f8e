"""Amazon S3's store: buckets, object versions, multipart uploads and parts; their records and
the protocol.

Bodies are files (``services.s3.blobs``); these rows name them. Methods that replace or remove
versions return the blob names no row refers to any more, for the caller to delete after the
commit (a crash in between leaves an orphan file, never a row without its file). Every method
is atomic and committed before it returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

NULL_VERSION = "null"


@dataclass(frozen=True, slots=True)
class Bucket:
    name: str
    account_id: str  # the owner
    region: str
    created: float  # epoch seconds
    versioning: str = ""  # "" (never enabled), "Enabled" or "Suspended"
    config: Mapping[str, Any] = field(default_factory=dict)  # notification, acl, tags, ...

    @property
    def arn(self) -> str:
        return f"arn:aws:s3:::{self.name}"

    @property
    def versioned(self) -> bool:
        return self.versioning != ""


@dataclass(frozen=True, slots=True)
class ObjectVersion:
    bucket: str
    key: str
    version_id: str  # NULL_VERSION when written while versioning was off or suspended
    last_modified: float
    size: int = 0
    etag: str = ""  # without quotes
    blob: str = ""  # the body's file name ("" for delete markers)
    delete_marker: bool = False
    is_latest: bool = True
    seq: int = 0  # order of the key's versions, oldest first
    attrs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def quoted_etag(self) -> str:
        return f'"{self.etag}"'

    @property
    def metadata(self) -> dict[str, str]:
        return dict(self.attrs.get("Metadata") or {})

    @property
    def tags(self) -> list[dict[str, str]]:
        return [dict(tag) for tag in self.attrs.get("TagSet") or []]

    @property
    def checksums(self) -> dict[str, str]:
        """Algorithm (``CRC32``...) -> base64 value, as stored at upload."""
        return dict(self.attrs.get("Checksums") or {})

    @property
    def storage_class(self) -> str:
        return str(self.attrs.get("StorageClass") or "STANDARD")


@dataclass(frozen=True, slots=True)
class Upload:
    """A multipart upload in progress; ``attrs`` are what the object will get."""

    upload_id: str
    bucket: str
    key: str
    initiated: float
    attrs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def checksum_algorithm(self) -> str | None:
        value = self.attrs.get("ChecksumAlgorithm")
        return str(value) if value else None


@dataclass(frozen=True, slots=True)
class Part:
    upload_id: str
    part_number: int
    etag: str  # without quotes
    size: int
    last_modified: float
    blob: str
    checksums: Mapping[str, str] = field(default_factory=dict)


def after_prefix(prefix: str) -> str:
    """The smallest string greater than every string that starts with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


class S3Tables(Protocol):
    async def put_bucket(self, bucket: Bucket) -> None: ...

    async def bucket(self, name: str) -> Bucket | None: ...

    async def buckets(self, account_id: str) -> list[Bucket]: ...

    async def delete_bucket(self, name: str) -> list[str]:
        """Remove the bucket with its multipart uploads; returns the parts' blobs."""
        ...

    async def bucket_is_empty(self, name: str) -> bool: ...

    async def latest(self, bucket: str, key: str) -> ObjectVersion | None: ...

    async def version(self, bucket: str, key: str, version_id: str) -> ObjectVersion | None: ...

    async def put_version(self, obj: ObjectVersion) -> tuple[ObjectVersion, list[str]]:
        """Store ``obj`` as the key's newest version (replacing its ``null`` version when
        ``obj`` is one); returns the stored version and the blobs it released."""
        ...

    async def delete_version(self, bucket: str, key: str, version_id: str) -> ObjectVersion | None:
        """Remove one version for good (the next newest becomes the latest)."""
        ...

    async def update_attrs(self, obj: ObjectVersion, attrs: dict[str, Any]) -> ObjectVersion: ...

    async def list_latest(
        self, bucket: str, prefix: str, after: str, start: str, limit: int
    ) -> list[ObjectVersion]:
        """Current (not deleted) objects with keys ``> after`` and ``>= start`` under
        ``prefix``, in key order."""
        ...

    async def list_versions(
        self,
        bucket: str,
        prefix: str,
        key_marker: str,
        seq_marker: int | None,
        start: str,
        limit: int,
    ) -> list[ObjectVersion]:
        """Versions and delete markers in key order, newest first within a key, after the
        marker (``seq_marker`` None: after every version of ``key_marker``)."""
        ...

    async def put_upload(self, upload: Upload) -> None: ...

    async def upload(self, upload_id: str) -> Upload | None: ...

    async def uploads(self, bucket: str, prefix: str) -> list[Upload]: ...

    async def put_part(self, part: Part) -> str | None:
        """Store a part (replacing one with the same number); returns the replaced blob."""
        ...

    async def parts(self, upload_id: str) -> list[Part]: ...

    async def delete_upload(self, upload_id: str) -> list[str]:
        """Forget an upload and its parts; returns the parts' blobs."""
        ...
