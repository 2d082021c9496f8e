"""Storage classes: the ones a general purpose bucket takes, archived objects (GLACIER,
DEEP_ARCHIVE) that must be restored before they can be read, and RestoreObject.

A restore completes at once (``ObjectRestore:Post`` then ``ObjectRestore:Completed``): the
restored copy is readable until its expiry date, which S3 sets to midnight UTC after
``Days`` days, and HEAD shows it in ``x-amz-restore``. Restoring an object already restored
only moves that date (200 instead of 202).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from lambdaport.errors import AwsError
from lambdaport.services.s3.backend import S3Backend
from lambdaport.services.s3.call import S3Call, S3Reply
from lambdaport.services.s3.errors import malformed_xml
from lambdaport.services.s3.models import ObjectVersion

# What PutObject, CopyObject, CreateMultipartUpload and POST take on a general purpose bucket
# (OUTPOSTS, SNOW, EXPRESS_ONEZONE, FSX_* and AWS_BACKUP_* are other kinds of storage's).
STORAGE_CLASSES = frozenset(
    {
        "STANDARD",
        "REDUCED_REDUNDANCY",
        "STANDARD_IA",
        "ONEZONE_IA",
        "INTELLIGENT_TIERING",
        "GLACIER",
        "DEEP_ARCHIVE",
        "GLACIER_IR",
    }
)
ARCHIVED = frozenset({"GLACIER", "DEEP_ARCHIVE"})
MAX_RESTORE_DAYS = 2_147_483_647


def check_storage_class(value: Any) -> None:
    """``x-amz-storage-class`` of a write: 400 ``InvalidStorageClass`` for one S3 does not
    take here."""
    if value is not None and str(value) not in STORAGE_CLASSES:
        raise AwsError(
            "InvalidStorageClass",
            "The storage class you specified is not valid",
            400,
            fields={"StorageClassRequested": str(value)},
        )


def restored_until(obj: ObjectVersion) -> float | None:
    """When the restored copy of an archived object expires (None: not restored)."""
    restore = obj.attrs.get("Restore")
    return float(restore["Expiry"]) if isinstance(restore, Mapping) else None


def check_readable(obj: ObjectVersion, source: bool = False) -> None:
    """GET (``source``: the source of a copy) of an archived object needs a live restore."""
    if obj.storage_class not in ARCHIVED:
        return
    expiry = restored_until(obj)
    if expiry is not None and expiry > time.time():
        return
    message = (
        "Operation is not valid for the source object's storage class"
        if source
        else "The operation is not valid for the object's storage class"
    )
    raise AwsError("InvalidObjectState", message, 403, fields={"StorageClass": obj.storage_class})


def restore_header(obj: ObjectVersion) -> str | None:
    """``x-amz-restore`` of HEAD/GET: the restore's state and its expiry date."""
    expiry = restored_until(obj)
    if expiry is None or expiry <= time.time():
        return None
    date = format_datetime(datetime.fromtimestamp(expiry, tz=UTC), usegmt=True)
    return f'ongoing-request="false", expiry-date="{date}"'


def _expiry(days: int, now: float) -> float:
    """``days`` after ``now``, rounded up to the next midnight UTC (as S3 computes it)."""
    moment = datetime.fromtimestamp(now, tz=UTC) + timedelta(days=days)
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return midnight.timestamp()


def _days(request: Mapping[str, Any]) -> int:
    if request.get("Type") == "SELECT" or request.get("OutputLocation"):
        raise AwsError(
            "NotImplemented",
            "A header you provided implies functionality that is not implemented "
            "(RestoreObject of type SELECT).",
            501,
            sender_fault=False,
        )
    days = request.get("Days")
    if days is None:
        raise malformed_xml()
    if not 1 <= int(days) <= MAX_RESTORE_DAYS:
        raise AwsError(
            "InvalidArgument",
            "Restoration days should be positive integer",
            400,
            fields={"ArgumentName": "Days", "ArgumentValue": str(days)},
        )
    return int(days)


class RestoreService:
    def __init__(self, backend: S3Backend) -> None:
        self._backend = backend

    async def restore_object(self, call: S3Call, params: Mapping[str, Any]) -> S3Reply:
        backend = self._backend
        days = _days(params.get("RestoreRequest") or {})
        bucket = await backend.bucket(params["Bucket"])
        obj = await backend.current(bucket, str(params["Key"]), params.get("VersionId"))
        if obj.storage_class not in ARCHIVED:
            raise AwsError(
                "InvalidObjectState",
                "Restore is not allowed for the object's current storage class",
                403,
                fields={"StorageClass": obj.storage_class},
            )
        already = restored_until(obj) is not None
        now = time.time()
        attrs = {**obj.attrs, "Restore": {"Expiry": _expiry(days, now), "Days": days}}
        restored = await backend.tables.update_attrs(obj, attrs)
        if not already:
            await backend.events.emit(call, bucket, "ObjectRestore:Post", obj)
            expiry = datetime.fromtimestamp(attrs["Restore"]["Expiry"], tz=UTC)
            await backend.events.emit(
                call,
                bucket,
                "ObjectRestore:Completed",
                restored,
                restore={
                    "lifecycleRestorationExpiryTime": expiry.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    "lifecycleRestoreStorageClass": obj.storage_class,
                },
            )
        return S3Reply(status=200 if already else 202)
