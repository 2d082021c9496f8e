"""ListObjects (v1), ListObjectsV2 and ListObjectVersions: prefixes, delimiters rolled up into
CommonPrefixes, max-keys, markers and continuation tokens, ``encoding-type=url``.

Keys come out of the store in UTF-8 binary order (S3's order). A common prefix is found on
the first key under it and the scan then jumps past every key that shares it, so a listing
costs one indexed range scan per page and per common prefix, whatever the bucket's size.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import orjson

from lambdaport.services.s3.arguments import page_size
from lambdaport.services.s3.backend import S3Backend, http_date
from lambdaport.services.s3.buckets import owner
from lambdaport.services.s3.call import S3Call, S3Reply
from lambdaport.services.s3.errors import invalid_argument
from lambdaport.services.s3.models import ObjectVersion
from lambdaport.store.s3 import after_prefix

MAX_KEYS = 1000


@dataclass(frozen=True, slots=True)
class Entry:
    """One listing entry: an object version, or a common prefix (``obj`` None)."""

    key: str
    obj: ObjectVersion | None = None


@dataclass(frozen=True, slots=True)
class Page:
    entries: list[Entry]
    truncated: bool


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a scan resumes: after ``key`` (after all its versions when ``seq`` is None,
    else after its version ``seq``, versions going newest first)."""

    key: str
    seq: int | None = None


# fetch(cursor, start, limit) -> the next rows after the cursor with keys >= start
Fetch = Callable[[Cursor, str, int], Awaitable[list[ObjectVersion]]]


async def walk(fetch: Fetch, prefix: str, delimiter: str, cursor: Cursor, max_keys: int) -> Page:
    """Up to ``max_keys`` entries after ``cursor``; truncated if more exist."""
    entries: list[Entry] = []
    if max_keys == 0:
        return Page(entries, False)
    start = ""
    marker = cursor.key
    if delimiter and marker.startswith(prefix) and marker.endswith(delimiter):
        start = after_prefix(marker)  # a marker that is a common prefix: skip all it covers
    while len(entries) <= max_keys:
        rows = await fetch(cursor, start, max_keys + 2 - len(entries))
        if not rows:
            break
        for obj in rows:
            rolled = _common_prefix(obj.key, prefix, delimiter)
            if rolled is not None:
                if not entries or entries[-1].key != rolled or entries[-1].obj is not None:
                    entries.append(Entry(rolled))
                cursor, start = Cursor(obj.key), after_prefix(rolled)
                break
            entries.append(Entry(obj.key, obj))
            cursor = Cursor(obj.key, obj.seq)
            if len(entries) > max_keys:
                break
    truncated = len(entries) > max_keys
    return Page(entries[:max_keys], truncated)


def _common_prefix(key: str, prefix: str, delimiter: str) -> str | None:
    if not delimiter:
        return None
    index = key.find(delimiter, len(prefix))
    return None if index < 0 else key[: index + len(delimiter)]


def key_encoder(params: Mapping[str, Any]) -> Callable[[str], str]:
    """``encoding-type=url``: keys in listings URL-encoded (the only encoding S3 knows)."""
    encoding = params.get("EncodingType")
    if encoding is None:
        return lambda text: text
    if encoding != "url":
        raise invalid_argument("Invalid Encoding Method specified in Request", "encoding-type")
    return lambda text: quote(text, safe="/")


def _max_keys(params: Mapping[str, Any], negative: tuple[str, str] | None = None) -> int:
    return page_size(params, "MaxKeys", "max-keys", MAX_KEYS, negative=negative)


def _content(
    obj: ObjectVersion, encode: Callable[[str], str], with_owner: bool, account: str
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "Key": encode(obj.key),
        "LastModified": http_date(obj.last_modified),
        "ETag": obj.quoted_etag,
        "Size": obj.size,
        "StorageClass": obj.storage_class,
    }
    if obj.checksums:
        item["ChecksumAlgorithm"] = sorted(obj.checksums)
        item["ChecksumType"] = obj.attrs.get("ChecksumType", "FULL_OBJECT")
    if with_owner:
        item["Owner"] = owner(account)
    return item


def _token(after: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"after": after})).decode()


def _untoken(token: str) -> str:
    try:
        return str(orjson.loads(base64.urlsafe_b64decode(token.encode()))["after"])
    except (ValueError, KeyError, TypeError):
        raise invalid_argument(
            "The continuation token provided is incorrect", "continuation-token", token
        ) from None


class ListingService:
    def __init__(self, backend: S3Backend) -> None:
        self._backend = backend

    def _latest(self, bucket: str, prefix: str) -> Fetch:
        tables = self._backend.tables

        async def fetch(cursor: Cursor, start: str, limit: int) -> list[ObjectVersion]:
            return await tables.list_latest(bucket, prefix, cursor.key, start, limit)

        return fetch

    async def _page(self, params: Mapping[str, Any], after: str) -> tuple[Any, Page, int]:
        bucket = await self._backend.bucket(params["Bucket"])
        prefix = str(params.get("Prefix") or "")
        delimiter = str(params.get("Delimiter") or "")
        max_keys = _max_keys(params)
        fetch = self._latest(bucket.name, prefix)
        page = await walk(fetch, prefix, delimiter, Cursor(after), max_keys)
        return bucket, page, max_keys

    def _common(
        self,
        params: Mapping[str, Any],
        page: Page,
        max_keys: int,
        encode: Callable[[str], str],
        with_owner: bool,
        account: str,
    ) -> dict[str, Any]:
        result: dict[str, Any] = {
            "Name": params["Bucket"],
            "Prefix": encode(str(params.get("Prefix") or "")),
            "MaxKeys": max_keys,
            "IsTruncated": page.truncated,
            "Contents": [
                _content(e.obj, encode, with_owner, account) for e in page.entries if e.obj
            ],
            "CommonPrefixes": [{"Prefix": encode(e.key)} for e in page.entries if e.obj is None],
        }
        if params.get("Delimiter"):
            result["Delimiter"] = encode(str(params["Delimiter"]))
        if params.get("EncodingType"):
            result["EncodingType"] = params["EncodingType"]
        return result

    async def list_objects(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        encode = key_encoder(params)
        marker = str(params.get("Marker") or "")
        bucket, page, max_keys = await self._page(params, marker)
        result = self._common(params, page, max_keys, encode, True, bucket.account_id)
        result["Marker"] = encode(marker)
        if page.truncated and params.get("Delimiter"):
            result["NextMarker"] = encode(page.entries[-1].key)
        return S3Reply(result, root="ListBucketResult")

    async def list_objects_v2(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        encode = key_encoder(params)
        token = params.get("ContinuationToken")
        start_after = str(params.get("StartAfter") or "")
        after = _untoken(str(token)) if token else start_after
        bucket, page, max_keys = await self._page(params, after)
        with_owner = bool(params.get("FetchOwner"))
        result = self._common(params, page, max_keys, encode, with_owner, bucket.account_id)
        result["KeyCount"] = len(page.entries)
        if token:
            result["ContinuationToken"] = token
        if start_after:
            result["StartAfter"] = encode(start_after)
        if page.truncated:
            result["NextContinuationToken"] = _token(page.entries[-1].key)
        return S3Reply(result, root="ListBucketResult")

    async def list_object_versions(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        encode = key_encoder(params)
        bucket = await self._backend.bucket(params["Bucket"])
        prefix = str(params.get("Prefix") or "")
        delimiter = str(params.get("Delimiter") or "")
        max_keys = _max_keys(params, negative=("max-keys cannot be negative", "maxKeys"))
        key_marker = str(params.get("KeyMarker") or "")
        seq = await self._marker_seq(bucket.name, key_marker, params.get("VersionIdMarker"))
        tables = self._backend.tables

        async def fetch(cursor: Cursor, start: str, limit: int) -> list[ObjectVersion]:
            return await tables.list_versions(
                bucket.name, prefix, cursor.key, cursor.seq, start, limit
            )

        cursor = Cursor(key_marker, seq)
        page = await walk(fetch, prefix, delimiter, cursor, max_keys)
        versions, markers = [], []
        for entry in page.entries:
            obj = entry.obj
            if obj is None:
                continue
            item: dict[str, Any] = {
                "Key": encode(obj.key),
                "VersionId": obj.version_id,
                "IsLatest": obj.is_latest,
                "LastModified": http_date(obj.last_modified),
                "Owner": owner(bucket.account_id),
            }
            if obj.delete_marker:
                markers.append(item)
            else:
                item.update(ETag=obj.quoted_etag, Size=obj.size, StorageClass=obj.storage_class)
                versions.append(item)
        result: dict[str, Any] = {
            "Name": bucket.name,
            "Prefix": encode(prefix),
            "KeyMarker": encode(key_marker),
            "MaxKeys": max_keys,
            "IsTruncated": page.truncated,
            "Versions": versions,
            "DeleteMarkers": markers,
            "CommonPrefixes": [{"Prefix": encode(e.key)} for e in page.entries if e.obj is None],
        }
        if params.get("VersionIdMarker"):
            result["VersionIdMarker"] = params["VersionIdMarker"]
        if delimiter:
            result["Delimiter"] = encode(delimiter)
        if params.get("EncodingType"):
            result["EncodingType"] = params["EncodingType"]
        if page.truncated and page.entries:
            last = page.entries[-1]
            result["NextKeyMarker"] = encode(last.key)
            if last.obj is not None:
                result["NextVersionIdMarker"] = last.obj.version_id
        return S3Reply(result, root="ListVersionsResult")

    async def _marker_seq(self, bucket: str, key_marker: str, version_marker: Any) -> int | None:
        if not version_marker or not key_marker:
            return None
        found = await self._backend.tables.version(bucket, key_marker, str(version_marker))
        if found is None:
            raise invalid_argument(
                "Invalid version id specified", "version-id-marker", str(version_marker)
            )
        return found.seq
