"""Buckets as destinations of asynchronous invocations (on failure only, as in AWS): the
invocation record is stored as a JSON object under
``aws/lambda/async/<function-name>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<uuid>``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from lambdaport.events.arns import parse_function_arn
from lambdaport.invoke.asynchronous.destinations import Delivery, DeliveryFailed
from lambdaport.services.interfaces import ObjectStore


def record_key(function_arn: str, at: datetime) -> str:
    arn = parse_function_arn(function_arn)
    name = function_arn if arn is None else arn.name
    stamp = at.strftime("%Y-%m-%dT%H.%M.%S")
    return f"aws/lambda/async/{name}/{at:%Y/%m/%d}/{stamp}-{uuid.uuid4()}"


class BucketDestination:
    """A ``DestinationTarget`` for ``arn:aws:s3:::bucket`` ARNs."""

    def __init__(self, objects: ObjectStore) -> None:
        self._objects = objects

    async def deliver(self, delivery: Delivery) -> None:
        if delivery.kind != "OnFailure":
            raise DeliveryFailed(
                f"an S3 bucket can only be an on-failure destination ({delivery.kind})"
            )
        bucket = delivery.destination_arn.split(":::", 1)[-1]
        if not await self._objects.bucket_exists(bucket):
            raise DeliveryFailed(f"the bucket {bucket} does not exist")
        key = record_key(delivery.function_arn, datetime.now(tz=UTC))
        await self._objects.put_object_bytes(bucket, key, delivery.body, "application/json")
