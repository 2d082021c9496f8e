"""POST Object: browser-form uploads (``multipart/form-data``, what boto3's
``generate_presigned_post`` prepares). The form's fields come first and the ``file`` field
last, as S3 requires; the file streams into a blob like any upload. The policy's expiration
and its ``eq``/``starts-with``/``content-length-range`` conditions are checked; its signature
is checked with ``--strict-auth`` (the caller's ``authorize``, before the file is read).
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import orjson

from lambdaport.errors import AwsError
from lambdaport.services.s3.acl import acl_attrs
from lambdaport.services.s3.backend import S3Backend, check_key, object_attrs
from lambdaport.services.s3.call import S3Call, S3Reply
from lambdaport.services.s3.checksums import BodyDigests
from lambdaport.services.s3.errors import invalid_argument, malformed_xml
from lambdaport.services.s3.ingest import MAX_OBJECT_SIZE, entity_too_large
from lambdaport.services.s3.models import S3_NAMESPACE, Bucket, ObjectVersion
from lambdaport.services.s3.storage import check_storage_class

MAX_FIELD = 64 * 1024
# Checks a form's authentication: (fields with lower-case names, bucket, key).
Authorize = Callable[[Mapping[str, str], str, str], Awaitable[None]]
_HEADER_FIELDS = {
    "content-type": "ContentType",
    "cache-control": "CacheControl",
    "content-disposition": "ContentDisposition",
    "content-encoding": "ContentEncoding",
    "content-language": "ContentLanguage",
    "x-amz-storage-class": "StorageClass",
    "x-amz-website-redirect-location": "WebsiteRedirectLocation",
    "acl": "ACL",
}


def _policy_failed(detail: str) -> AwsError:
    return AwsError("AccessDenied", f"Invalid according to Policy: {detail}", 403)


class FormReader:
    """The parts of a ``multipart/form-data`` body, read from the ASGI receive loop."""

    def __init__(self, receive: Any, boundary: str) -> None:
        self._receive = receive
        self._buffer = bytearray()
        self._more = True
        self._opening = b"--" + boundary.encode("latin-1")
        self._marker = b"\r\n" + self._opening
        self._done = False
        self._started = False

    async def _fill(self) -> bool:
        if not self._more:
            return False
        message = await self._receive()
        if message["type"] == "http.disconnect":
            self._more = False
            return False
        self._buffer += message.get("body", b"")
        self._more = bool(message.get("more_body", False))
        return True

    async def next_part(self) -> dict[str, str] | None:
        """The headers of the next part (lower-case names), or None after the last one."""
        if not self._started:
            while self._buffer.find(self._opening) < 0:
                if not await self._fill():
                    raise malformed_xml()
            start = self._buffer.find(self._opening)
            del self._buffer[: start + len(self._opening)]
            self._started = True
        while len(self._buffer) < 2:
            if not await self._fill():
                return None
        if self._buffer[:2] == b"--" or self._done:
            return None
        while (end := self._buffer.find(b"\r\n\r\n")) < 0:
            if len(self._buffer) > MAX_FIELD or not await self._fill():
                raise invalid_argument("Malformed multipart form field headers", "form")
        lines = self._buffer[2:end].decode("utf-8", "replace").split("\r\n")
        del self._buffer[: end + 4]
        headers: dict[str, str] = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return headers

    async def chunks(self) -> AsyncIterator[bytes]:
        """The current part's value, up to the next boundary."""
        keep = len(self._marker) - 1
        while True:
            found = self._buffer.find(self._marker)
            if found >= 0:
                chunk = bytes(self._buffer[:found])
                del self._buffer[: found + len(self._marker)]
                if chunk:
                    yield chunk
                return
            if len(self._buffer) > keep:
                chunk = bytes(self._buffer[: len(self._buffer) - keep])
                del self._buffer[: len(self._buffer) - keep]
                yield chunk
            if not await self._fill():
                raise invalid_argument("The multipart form ended without its boundary", "form")

    async def value(self) -> str:
        parts: list[bytes] = []
        size = 0
        async for chunk in self.chunks():
            size += len(chunk)
            if size > MAX_FIELD:
                raise invalid_argument("A form field is too large", "form")
            parts.append(chunk)
        return b"".join(parts).decode("utf-8")


def _field_name(headers: Mapping[str, str]) -> tuple[str, str | None]:
    disposition = headers.get("content-disposition", "")
    name, filename = "", None
    for item in disposition.split(";")[1:]:
        key, _, value = item.strip().partition("=")
        value = value.strip('"')
        if key == "name":
            name = value
        elif key == "filename":
            filename = value
    return name, filename


def check_policy(policy: str | None, fields: Mapping[str, str], size: int) -> None:
    if not policy:
        return
    try:
        document = orjson.loads(base64.b64decode(policy))
    except (binascii.Error, ValueError):
        raise invalid_argument("Invalid Policy: Invalid JSON.", "Policy") from None
    expiration = document.get("expiration")
    if expiration:
        expires = datetime.fromisoformat(str(expiration).replace("Z", "+00:00")).timestamp()
        if time.time() > expires:
            raise _policy_failed("Policy expired.")
    lowered = {k.lower(): v for k, v in fields.items()}
    for condition in document.get("conditions") or []:
        _check_condition(condition, lowered, size)


def _check_condition(condition: Any, fields: Mapping[str, str], size: int) -> None:
    if isinstance(condition, dict):
        for name, expected in condition.items():
            if fields.get(str(name).lower(), "") != expected:
                raise _policy_failed(f'Policy Condition failed: ["eq", "${name}", "{expected}"]')
        return
    if not isinstance(condition, list) or len(condition) != 3:
        return
    operator, name, expected = condition
    if operator == "content-length-range":
        if not int(name) <= size <= int(expected):
            code = "EntityTooLarge" if size > int(expected) else "EntityTooSmall"
            raise AwsError(code, "Your proposed upload exceeds the allowed range", 400)
        return
    value = fields.get(str(name).lstrip("$").lower(), "")
    holds = value == expected if operator == "eq" else value.startswith(str(expected))
    if not holds:
        raise _policy_failed(f'Policy Condition failed: ["{operator}", "{name}", "{expected}"]')


def _tags(text: str | None) -> list[dict[str, str]] | None:
    if not text:
        return None
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        raise malformed_xml() from None
    return [
        {"Key": tag.findtext("{*}Key") or "", "Value": tag.findtext("{*}Value") or ""}
        for tag in root.iter()
        if tag.tag.split("}")[-1] == "Tag"
    ]


class PostObjectService:
    def __init__(self, backend: S3Backend) -> None:
        self._backend = backend

    async def post_object(
        self, call: S3Call, bucket_name: str, boundary: str, authorize: Authorize | None = None
    ) -> S3Reply:
        bucket = await self._backend.bucket(bucket_name)
        form = FormReader(call.receive, boundary)
        fields: dict[str, str] = {}
        while (headers := await form.next_part()) is not None:
            name, filename = _field_name(headers)
            if name.lower() == "file":
                return await self._upload(call, bucket, form, fields, filename or "", authorize)
            fields[name] = await form.value()
        raise invalid_argument("POST requires exactly one file upload per request.", "file", "0")

    async def _upload(
        self,
        call: S3Call,
        bucket: Bucket,
        form: FormReader,
        fields: dict[str, str],
        filename: str,
        authorize: Authorize | None,
    ) -> S3Reply:
        lowered = {k.lower(): v for k, v in fields.items()}
        if "key" not in lowered:
            raise invalid_argument(
                "Bucket POST must contain a field named 'key'.  If it is specified, please "
                "check the order of the fields.",
                "key",
            )
        key = lowered["key"].replace("${filename}", filename)
        check_key(key)
        if authorize is not None:
            await authorize(lowered, bucket.name, key)
        check_storage_class(lowered.get("x-amz-storage-class"))
        acl = acl_attrs({"ACL": lowered.get("acl")}, bucket, call.account_id)
        digests = BodyDigests()
        writer = self._backend.blobs.writer()
        try:
            async for chunk in form.chunks():
                if digests.size + len(chunk) > MAX_OBJECT_SIZE:
                    raise entity_too_large(digests.size + len(chunk))
                digests.update(chunk)
                writer.write(chunk)
            check_policy(lowered.get("policy"), {**lowered, "bucket": bucket.name}, digests.size)
            blob = writer.commit()
        except BaseException:
            writer.discard()
            raise
        params: dict[str, Any] = {
            member: lowered[name] for name, member in _HEADER_FIELDS.items() if name in lowered
        }
        params["Metadata"] = {
            k[len("x-amz-meta-") :]: v for k, v in lowered.items() if k.startswith("x-amz-meta-")
        }
        tags = _tags(lowered.get("tagging"))
        attrs = {**object_attrs(params, {}, {}), **acl}
        if tags:
            attrs["TagSet"] = tags
        stored = await self._backend.put_version(
            bucket, key, size=digests.size, etag=digests.md5.hexdigest(), blob=blob, attrs=attrs
        )
        await self._backend.events.emit(call, bucket, "ObjectCreated:Post", stored)
        return self._reply(call, bucket, stored, lowered)

    @staticmethod
    def _reply(
        call: S3Call, bucket: Bucket, obj: ObjectVersion, fields: Mapping[str, str]
    ) -> S3Reply:
        location = f"{call.ctx.endpoint}/{bucket.name}/{quote(obj.key)}"
        headers = [("ETag", obj.quoted_etag), ("Location", location)]
        if bucket.versioned:
            headers.append(("x-amz-version-id", obj.version_id))
        redirect = fields.get("success_action_redirect")
        if redirect:
            query = "&".join(
                f"{name}={quote(value)}"
                for name, value in (
                    ("bucket", bucket.name),
                    ("key", obj.key),
                    ("etag", obj.quoted_etag),
                )
            )
            target = redirect + ("&" if "?" in redirect else "?") + query
            return S3Reply(status=303, headers=[("ETag", obj.quoted_etag), ("Location", target)])
        status = fields.get("success_action_status", "204")
        if status == "201":
            xml = (
                f'<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse xmlns="{S3_NAMESPACE}">'
                f"<Location>{escape(location)}</Location><Bucket>{escape(bucket.name)}</Bucket>"
                f"<Key>{escape(obj.key)}</Key><ETag>{escape(obj.quoted_etag)}</ETag>"
                "</PostResponse>"
            )
            return S3Reply(xml=xml.encode(), status=201, headers=headers)
        return S3Reply(status=200 if status == "200" else 204, headers=headers)
