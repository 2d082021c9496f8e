"""Virtual-host addressing: ``bucket.s3.localhost[:port]``, ``bucket.s3.amazonaws.com``,
``bucket.s3.<region>.amazonaws.com``, ``bucket.s3-<region>.amazonaws.com`` name the bucket
in the host; the operations see the path-style path (``/bucket/key``) either way."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import parse_qs

from lambdaport.errors import AwsError


def _is_s3_label(label: str) -> bool:
    return label == "s3" or label.startswith("s3-")


def bucket_from_host(host: str) -> str | None:
    """The bucket named by a virtual-hosted-style host, or None for path style."""
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    labels = name.lower().split(".")
    for index in range(len(labels) - 1, 0, -1):
        if _is_s3_label(labels[index]):
            return ".".join(labels[:index])
    return None


def path_style(host: str, raw_path: str) -> str:
    """The request's path as if it were path style."""
    bucket = bucket_from_host(host)
    if not bucket:
        return raw_path or "/"
    if raw_path in ("", "/"):
        return f"/{bucket}"
    return f"/{bucket}{raw_path}"


def check_presigned_expiry(query: str, now: float | None = None) -> None:
    """A presigned URL (SigV4 ``X-Amz-Date`` + ``X-Amz-Expires``, or SigV2 ``Expires``) that
    has expired is refused with 403 AccessDenied, as S3 refuses it."""
    if "X-Amz-Expires=" not in query and "Expires=" not in query:
        return
    values: Mapping[str, list[str]] = parse_qs(query)
    current = time.time() if now is None else now
    expires_at: float | None = None
    if "X-Amz-Date" in values and "X-Amz-Expires" in values:
        try:
            signed = datetime.strptime(values["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ")
            expires_at = signed.replace(tzinfo=UTC).timestamp() + int(values["X-Amz-Expires"][0])
        except ValueError:
            return
    elif "Expires" in values and "AWSAccessKeyId" in values:
        try:
            expires_at = float(values["Expires"][0])
        except ValueError:
            return
    if expires_at is not None and current > expires_at:
        raise AwsError(
            "AccessDenied",
            "Request has expired",
            403,
            fields={
                "Expires": datetime.fromtimestamp(expires_at, tz=UTC).strftime(
                    "%Y-%m-%dT%H:%M:%SZ"
                ),
                "ServerTime": datetime.fromtimestamp(current, tz=UTC).strftime(
                    "%Y-%m-%dT%H:%M:%SZ"
                ),
            },
        )
