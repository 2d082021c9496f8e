"""S3 behind the gateway as a ``RawEndpoint``: the ASGI exchange is S3's own, so bodies
stream.

Per request: the virtual host becomes a path-style path, botocore's model finds the operation
(from the method, path, query and headers alone), uploads stream their body into a file while
every other operation's small XML body is read whole, one operation runs, and the answer goes
out with S3's headers; object bodies leave in chunks (``more_body``). Errors are raised to
the gateway, which answers them as ``errors.S3Errors`` words them (S3's error XML; HEAD:
status and headers only).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

from lambdaport.asgi import Receive, RequestBody, Scope, Send, read_body
from lambdaport.errors import AwsError
from lambdaport.protocol.base import HttpRequest, HttpResponse
from lambdaport.protocol.rest_binding import InvalidMemberValue
from lambdaport.protocol.rest_xml import RestXmlProtocol
from lambdaport.request import RequestContext
from lambdaport.services.s3.access import AnonymousAccess
from lambdaport.services.s3.addressing import check_presigned_expiry, path_style
from lambdaport.services.s3.auth import S3Authenticator
from lambdaport.services.s3.backend import S3Backend
from lambdaport.services.s3.bucket_config import BucketConfigService
from lambdaport.services.s3.buckets import BucketService
from lambdaport.services.s3.call import S3Call, S3Reply
from lambdaport.services.s3.copy import CopyService
from lambdaport.services.s3.deletes import DeleteService
from lambdaport.services.s3.errors import invalid_value, not_implemented
from lambdaport.services.s3.listing import ListingService
from lambdaport.services.s3.models import S3_NAMESPACE, new_host_id
from lambdaport.services.s3.multipart import MultipartService
from lambdaport.services.s3.notification_api import NotificationService
from lambdaport.services.s3.objects import ObjectService
from lambdaport.services.s3.post_object import PostObjectService
from lambdaport.services.s3.storage import RestoreService
from lambdaport.services.s3.subresources import SubresourceService
from lambdaport.services.s3.triggers import Notifier

logger = logging.getLogger("lambdaport.s3")

Operation = Callable[[S3Call, Mapping[str, Any]], Awaitable[S3Reply]]
STREAMING_INPUT = frozenset({"PutObject", "UploadPart"})
MAX_XML_BODY = 20 * 1024 * 1024  # configuration and DeleteObjects bodies, read whole


def _too_big() -> AwsError:
    return AwsError("MaxMessageLengthExceeded", "Your request was too big.", 400)


def operations(backend: S3Backend, notifier: Notifier) -> dict[str, Operation]:
    """The implemented operations, by their botocore names."""
    buckets = BucketService(backend)
    objects = ObjectService(backend)
    deletes = DeleteService(backend)
    listing = ListingService(backend)
    multipart = MultipartService(backend)
    sub = SubresourceService(backend)
    notifications = NotificationService(backend, notifier)
    return {
        "CreateBucket": buckets.create_bucket,
        "DeleteBucket": buckets.delete_bucket,
        "ListBuckets": buckets.list_buckets,
        "HeadBucket": buckets.head_bucket,
        "GetBucketLocation": buckets.get_bucket_location,
        "PutBucketVersioning": buckets.put_bucket_versioning,
        "GetBucketVersioning": buckets.get_bucket_versioning,
        "PutBucketTagging": buckets.put_bucket_tagging,
        "GetBucketTagging": buckets.get_bucket_tagging,
        "DeleteBucketTagging": buckets.delete_bucket_tagging,
        "PutBucketAcl": buckets.put_bucket_acl,
        "GetBucketAcl": buckets.get_bucket_acl,
        "PutObject": objects.put_object,
        "GetObject": objects.get_object,
        "HeadObject": objects.head_object,
        "DeleteObject": deletes.delete_object,
        "DeleteObjects": deletes.delete_objects,
        "RestoreObject": RestoreService(backend).restore_object,
        "CopyObject": CopyService(backend).copy_object,
        "ListObjects": listing.list_objects,
        "ListObjectsV2": listing.list_objects_v2,
        "ListObjectVersions": listing.list_object_versions,
        "CreateMultipartUpload": multipart.create_multipart_upload,
        "UploadPart": multipart.upload_part,
        "UploadPartCopy": multipart.upload_part_copy,
        "ListParts": multipart.list_parts,
        "CompleteMultipartUpload": multipart.complete_multipart_upload,
        "AbortMultipartUpload": multipart.abort_multipart_upload,
        "ListMultipartUploads": multipart.list_multipart_uploads,
        "PutObjectTagging": sub.put_object_tagging,
        "GetObjectTagging": sub.get_object_tagging,
        "DeleteObjectTagging": sub.delete_object_tagging,
        "PutObjectAcl": sub.put_object_acl,
        "GetObjectAcl": sub.get_object_acl,
        "PutBucketNotificationConfiguration": (notifications.put_bucket_notification_configuration),
        "GetBucketNotificationConfiguration": (notifications.get_bucket_notification_configuration),
        **BucketConfigService(backend).operations(),
    }


async def _read_body(receive: Receive, headers: Mapping[str, str]) -> bytes:
    """A non-upload body, whole; one announced or grown past ``MAX_XML_BODY`` is refused
    without reading on."""
    body = await read_body(receive, headers, MAX_XML_BODY)
    if body is None:
        raise _too_big()
    return body


def _form_upload(request: HttpRequest) -> tuple[str, str] | None:
    """(bucket, boundary) of a POST Object browser-form upload (not in botocore's model)."""
    content_type = request.headers.get("content-type", "")
    if request.method != "POST" or not content_type.startswith("multipart/form-data"):
        return None
    bucket = request.path.strip("/")
    if not bucket or "/" in bucket or request.query:
        return None
    for item in content_type.split(";")[1:]:
        name, _, value = item.strip().partition("=")
        if name == "boundary" and value:
            return bucket, value.strip('"')
    return None


class S3Api:
    """The handler of S3's ``RawEndpoint``: the gateway hands it every S3 request."""

    def __init__(
        self,
        protocol: RestXmlProtocol,
        backend: S3Backend,
        notifier: Notifier,
        *,
        strict_auth: bool = False,
    ) -> None:
        self._protocol = protocol
        self._blobs = backend.blobs
        self._tables = backend.tables
        self._operations = operations(backend, notifier)
        self._posts = PostObjectService(backend)
        # --strict-auth: signatures checked at every door, unsigned requests only where public
        self._auth = S3Authenticator() if strict_auth else None
        self._access = AnonymousAccess(backend.tables)

    @property
    def operation_names(self) -> list[str]:
        return sorted(self._operations)

    async def __call__(
        self, scope: Scope, body: RequestBody, send: Send, ctx: RequestContext
    ) -> None:
        started = time.perf_counter()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        raw_path = scope.get("raw_path", b"").decode("latin-1").split("?", 1)[0] or scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        method: str = scope["method"]
        client = scope.get("client") or ("127.0.0.1", 0)
        call = S3Call(
            ctx=ctx,
            request_id=ctx.request_id,
            host_id=new_host_id(),
            method=method,
            headers=headers,
            source_ip=str(client[0]),
            receive=body,
        )
        request = HttpRequest(method, path_style(host, raw_path), query, headers, b"", host)
        anonymous = False
        if self._auth is None:
            check_presigned_expiry(request.query)
        else:
            principal = self._auth.authenticate(request, raw_path)
            anonymous = principal is None
            if principal is not None and principal.chunks is not None:
                call = replace(call, signed_chunks=principal.chunks)
        form = _form_upload(request)
        if form is not None:
            operation = "PostObject"
            authorize = self._authorize_form if anonymous else None
            reply = await self._posts.post_object(call, *form, authorize=authorize)
        else:
            operation, params = self._parse(request, body_read=False)
            if anonymous:
                await self._access.check(operation, params)
            reply = await self._run(call, request, operation, params, body)
        response = self._render(operation, reply, call)
        await self._send(send, response, reply, call, method == "HEAD", body.unread)
        logger.info("s3.%s %.2fms", operation, (time.perf_counter() - started) * 1000)

    async def _run(
        self,
        call: S3Call,
        request: HttpRequest,
        operation: str,
        params: dict[str, Any],
        body: RequestBody,
    ) -> S3Reply:
        if operation not in STREAMING_INPUT:
            data = await _read_body(body, request.headers)
            if data or self._protocol.requires_body(operation):
                request = HttpRequest(
                    request.method,
                    request.path,
                    request.query,
                    request.headers,
                    data,
                    request.host,
                )
                operation, params = self._parse(request)
        handler = self._operations.get(operation)
        if handler is None:
            raise not_implemented(operation)
        await self._check_expected_owner(params)
        return await handler(call, params)

    def _parse(self, request: HttpRequest, body_read: bool = True) -> tuple[str, dict[str, Any]]:
        try:
            return self._protocol.parse(request, validate=False, body_read=body_read)
        except InvalidMemberValue as error:
            raise invalid_value(error.wire, error.text) from error

    async def _authorize_form(self, fields: Mapping[str, str], bucket: str, key: str) -> None:
        """A POST form without other authentication: its policy signature, or else a bucket
        that lets everyone write ``key``."""
        if S3Authenticator.form(fields) is None:
            await self._access.check_action(bucket, "s3:PutObject", key)

    async def _check_expected_owner(self, params: Mapping[str, Any]) -> None:
        """``x-amz-expected-bucket-owner``: 403 when the bucket belongs to another account."""
        expected = params.get("ExpectedBucketOwner")
        if not expected or "Bucket" not in params:
            return
        bucket = await self._tables.bucket(str(params["Bucket"]))
        if bucket is not None and bucket.account_id != expected:
            raise AwsError("AccessDenied", "Access Denied", 403)

    def _render(self, operation: str, reply: S3Reply, call: S3Call) -> HttpResponse:
        if reply.xml is not None or operation == "PostObject":  # no model output to follow
            content = [("Content-Type", "application/xml")] if reply.xml else []
            response = HttpResponse(200, content, reply.xml or b"")
        else:
            response = self._protocol.serialize(
                operation, reply.result, call.request_id, root_name=reply.root
            )
            if reply.root and response.body:
                response.body = response.body.replace(
                    f"<{reply.root}>".encode(),
                    f'<{reply.root} xmlns="{S3_NAMESPACE}">'.encode(),
                    1,
                )
        if reply.status is not None:
            response.status = reply.status
        response.headers.extend(reply.headers)
        return response

    async def _send(
        self,
        send: Send,
        response: HttpResponse,
        reply: S3Reply,
        call: S3Call,
        head: bool,
        unread: bool,
    ) -> None:
        headers = [(k.encode("latin-1"), str(v).encode("latin-1")) for k, v in response.headers]
        headers += [
            (b"x-amz-request-id", call.request_id.encode()),
            (b"x-amz-id-2", call.host_id.encode()),
        ]
        if unread:
            headers.append((b"connection", b"close"))
        has_length = any(k.lower() == b"content-length" for k, _ in headers)
        if not has_length:
            length = reply.body.length if reply.body is not None else len(response.body)
            headers.append((b"content-length", str(length).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        if head or reply.body is None:
            await send({"type": "http.response.body", "body": b"" if head else response.body})
            return
        source = reply.body
        blobs = self._blobs
        for chunk in blobs.read(source.blob, source.start, source.length):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
