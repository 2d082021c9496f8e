"""The gateway's tests use S3's fixtures: a client on the session's server and buckets
emptied and deleted after each test."""

from __future__ import annotations

from tests.services.s3.conftest import bucket, make_bucket, s3

__all__ = ["bucket", "make_bucket", "s3"]
