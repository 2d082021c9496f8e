"""``services.interfaces.ObjectStore`` for the other services: whole small objects in and
out (function code from ``S3Bucket``/``S3Key``, async-invocation destinations to a bucket)."""

from __future__ import annotations

import asyncio
import hashlib

from lambdaport.request import RequestContext
from lambdaport.services.s3.backend import S3Backend
from lambdaport.services.s3.call import S3Call
from lambdaport.services.s3.models import new_host_id, new_request_id
from lambdaport.services.s3.storage import check_readable


class S3ObjectStore:
    def __init__(self, backend: S3Backend) -> None:
        self._backend = backend
        self._tasks: set[asyncio.Task[None]] = set()

    async def bucket_exists(self, bucket: str) -> bool:
        return await self._backend.tables.bucket(bucket) is not None

    async def get_object_bytes(self, bucket: str, key: str, version_id: str | None = None) -> bytes:
        """Raises ``AwsError`` ``NoSuchBucket``/``NoSuchKey``/``NoSuchVersion``."""
        found = await self._backend.bucket(bucket)
        obj = await self._backend.current(found, key, version_id)
        check_readable(obj)
        return self._backend.blobs.read_all(obj.blob)

    async def put_object_bytes(
        self, bucket: str, key: str, body: bytes, content_type: str = "application/json"
    ) -> None:
        found = await self._backend.bucket(bucket)
        writer = self._backend.blobs.writer()
        try:
            writer.write(body)
            blob = writer.commit()
        except BaseException:
            writer.discard()
            raise
        stored = await self._backend.put_version(
            found,
            key,
            size=len(body),
            etag=hashlib.md5(body).hexdigest(),
            blob=blob,
            attrs={"ContentType": content_type},
        )
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        call = S3Call(
            ctx=RequestContext(found.account_id, found.region, new_request_id()),
            request_id=new_request_id(),
            host_id=new_host_id(),
            method="PUT",
            headers={},
        )
        task = loop.create_task(self._backend.events.emit(call, found, "ObjectCreated:Put", stored))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
