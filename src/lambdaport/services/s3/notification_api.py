"""Put/GetBucketNotificationConfiguration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from lambdaport.services.s3.backend import S3Backend
from lambdaport.services.s3.call import S3Call, S3Reply
from lambdaport.services.s3.notifications import (
    check_overlaps,
    check_regions,
    destinations,
    normalize,
    unable_to_validate,
)
from lambdaport.services.s3.triggers import Notifier, configuration_of


class NotificationService:
    def __init__(self, backend: S3Backend, notifier: Notifier) -> None:
        self._backend = backend
        self._notifier = notifier

    async def put_bucket_notification_configuration(
        self, call: S3Call, params: Mapping[str, Any]
    ) -> S3Reply:
        bucket = await self._backend.bucket(params["Bucket"])
        configuration = normalize(params.get("NotificationConfiguration") or {})
        found = destinations(configuration)
        check_overlaps(found)
        check_regions(found, bucket.region)
        if not params.get("SkipDestinationValidation"):
            failures = await self._notifier.validate(bucket, found)
            if failures:
                raise unable_to_validate(failures)
        config = {k: v for k, v in bucket.config.items() if k != "Notification"}
        if configuration:
            config["Notification"] = configuration
        updated = replace(bucket, config=config)
        await self._backend.tables.put_bucket(updated)
        await self._notifier.send_test_events(updated, found, call.request_id, call.host_id)
        return S3Reply()

    async def get_bucket_notification_configuration(
        self, call: S3Call, params: Mapping[str, Any]
    ) -> S3Reply:
        bucket = await self._backend.bucket(params["Bucket"])
        return S3Reply(dict(configuration_of(bucket)), root="NotificationConfiguration")
