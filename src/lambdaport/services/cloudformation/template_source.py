"""``TemplateURL``: a template read from lambdaport's own S3 (through the ``ObjectStore``
seam), whichever URL style the tool wrote: path style (``https://s3.amazonaws.com/b/k``,
``https://s3.REGION.amazonaws.com/b/k``, ``https://s3-REGION.amazonaws.com/b/k``,
``http://127.0.0.1:4566/b/k``, ``http://localhost:4566/b/k``) or virtual host
(``https://b.s3.amazonaws.com/k``, ``https://b.s3.REGION.amazonaws.com/k``,
``http://b.s3.localhost[:port]/k``)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

from lambdaport.errors import AwsError
from lambdaport.services.cloudformation.templates import validation_error
from lambdaport.services.interfaces import ObjectStore

_REGIONAL = r"s3(?:[.-](?:dualstack\.)?[a-z0-9-]+)?"
_SUFFIX = r"(?:amazonaws\.com(?:\.cn)?|localhost(?:\.localstack\.cloud)?)"
_VIRTUAL = re.compile(rf"(?P<bucket>.+?)\.{_REGIONAL}\.{_SUFFIX}")
_PATH_HOST = re.compile(
    rf"{_REGIONAL}\.{_SUFFIX}|localhost|localhost\.localstack\.cloud|127\.0\.0\.1|::1"
)
MAX_TEMPLATE_URL_BODY = 1_000_000  # bytes, AWS's limit for a template in S3


def locate(url: str) -> tuple[str, str, str | None]:
    """(bucket, key, version id) of an S3 template URL."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    path = unquote(parts.path)
    versions = parse_qs(parts.query).get("versionId")
    version = versions[0] if versions else None
    virtual = _VIRTUAL.fullmatch(host)
    if virtual is not None and not host.startswith("s3.") and not host.startswith("s3-"):
        key = path.lstrip("/")
        if key:
            return virtual.group("bucket"), key, version
    if _PATH_HOST.fullmatch(host) or host.startswith("127."):
        bucket, _, key = path.lstrip("/").partition("/")
        if bucket and key:
            return bucket, key, version
    raise validation_error("TemplateURL must be a supported URL.")


class TemplateSource:
    def __init__(self, objects: ObjectStore) -> None:
        self._objects = objects

    async def read(self, url: str) -> str:
        bucket, key, version = locate(url)
        try:
            body = await self._objects.get_object_bytes(bucket, key, version)
        except AwsError as error:
            raise validation_error(f"S3 error: {error.message}") from None
        if len(body) > MAX_TEMPLATE_URL_BODY:
            raise validation_error("Template may not exceed 1000000 bytes in size.")
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            raise validation_error(
                "Template format error: the template is not UTF-8 text"
            ) from None
