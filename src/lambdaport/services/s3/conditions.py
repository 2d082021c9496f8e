"""Conditional requests (If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since)
and byte ranges, evaluated as S3 evaluates them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lambdaport.errors import AwsError
from lambdaport.services.s3.errors import precondition_failed


class NotModified(Exception):
    """The object has not changed: answer 304 without a body."""


def _etag_matches(header: str, etag: str) -> bool:
    for item in header.split(","):
        value = item.strip()
        if value.startswith("W/"):
            value = value[2:]
        if value == "*" or value.strip('"') == etag:
            return True
    return False


def _seconds(value: Any) -> float | None:
    return value.timestamp() if isinstance(value, datetime) else None


def check_read_conditions(params: Mapping[str, Any], etag: str, last_modified: float) -> None:
    """GET/HEAD: 412 (``PreconditionFailed``) or :class:`NotModified` (304).

    If-Match that holds overrides a failing If-Unmodified-Since; If-None-Match that fails
    overrides a holding If-Modified-Since (RFC 7232 as S3 applies it)."""
    modified = int(last_modified)
    if_match = params.get("IfMatch")
    if if_match is not None:
        if not _etag_matches(str(if_match), etag):
            raise precondition_failed("If-Match")
    else:
        since = _seconds(params.get("IfUnmodifiedSince"))
        if since is not None and modified > since:
            raise precondition_failed("If-Unmodified-Since")
    if_none_match = params.get("IfNoneMatch")
    if if_none_match is not None:
        if _etag_matches(str(if_none_match), etag):
            raise NotModified
    else:
        since = _seconds(params.get("IfModifiedSince"))
        if since is not None and modified <= since:
            raise NotModified


def check_copy_source_conditions(
    params: Mapping[str, Any], etag: str, last_modified: float
) -> None:
    """CopyObject's ``x-amz-copy-source-if-*``: every failure is 412."""
    renamed = {
        "IfMatch": params.get("CopySourceIfMatch"),
        "IfNoneMatch": params.get("CopySourceIfNoneMatch"),
        "IfModifiedSince": params.get("CopySourceIfModifiedSince"),
        "IfUnmodifiedSince": params.get("CopySourceIfUnmodifiedSince"),
    }
    try:
        check_read_conditions(
            {k: v for k, v in renamed.items() if v is not None}, etag, last_modified
        )
    except NotModified:
        raise precondition_failed("x-amz-copy-source-If-None-Match") from None


def check_write_conditions(params: Mapping[str, Any], current_etag: str | None) -> None:
    """Conditional writes: ``If-None-Match: *`` (only if absent), ``If-Match`` (only if the
    current object has that ETag)."""
    if_none_match = params.get("IfNoneMatch")
    if if_none_match is not None and current_etag is not None:
        raise precondition_failed("If-None-Match")
    if_match = params.get("IfMatch")
    if if_match is not None:
        if current_etag is None:
            raise AwsError("NoSuchKey", "The specified key does not exist.", 404)
        if not _etag_matches(str(if_match), current_etag):
            raise precondition_failed("If-Match")


@dataclass(frozen=True, slots=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


def _invalid_range(size: int) -> AwsError:
    return AwsError(
        "InvalidRange",
        "The requested range is not satisfiable",
        416,
        fields={"ActualObjectSize": size},
        headers={"Content-Range": f"bytes */{size}"},
    )


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """``bytes=a-b``, ``bytes=a-`` or ``bytes=-n``; None means the whole object (also for
    forms S3 ignores: other units, several ranges, syntax errors)."""
    if not header or not header.startswith("bytes=") or "," in header:
        return None
    first, sep, last = header[6:].strip().partition("-")
    if not sep or not (first.isdigit() or last.isdigit()):
        return None
    if first and last and not (first.isdigit() and last.isdigit()):
        return None
    if not first:
        suffix = int(last)
        if suffix == 0:
            raise _invalid_range(size)
        return ByteRange(max(size - suffix, 0), size - 1) if size else None
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None
    if start >= size:
        raise _invalid_range(size)
    return ByteRange(start, min(end, size - 1))
