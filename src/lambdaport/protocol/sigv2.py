"""S3's Signature Version 2, verified: ``Authorization: AWS AKID:signature`` headers,
presigned URLs (``AWSAccessKeyId``, ``Expires``, ``Signature``) and POST policies.

The signature is the base64 HMAC-SHA1 of S3's string to sign (docs.aws.amazon.com, "Signing
and authenticating REST requests"): the method, ``Content-MD5``, ``Content-Type``, the date
(``Expires`` for a presigned URL; empty when ``x-amz-date`` is sent), the ``x-amz-*`` headers
lower-cased and sorted, and the resource: the path-style path as sent plus the
sub-resources among the query parameters, sorted, their values decoded.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import unquote

from lambdaport.protocol.base import HttpRequest
from lambdaport.protocol.signing import (
    IncompleteSignature,
    PresignedUrlExpired,
    SignatureMismatch,
    check_skew,
    now_utc,
    parse_request_time,
    secret_for,
)
from lambdaport.protocol.sigv4 import query_parameters

# Query parameters that name a sub-resource or override a response header: signed.
SUB_RESOURCES = frozenset(
    {
        "accelerate",
        "acl",
        "analytics",
        "cors",
        "defaultObjectAcl",
        "delete",
        "inventory",
        "lifecycle",
        "location",
        "logging",
        "metrics",
        "notification",
        "object-lock",
        "partNumber",
        "policy",
        "replication",
        "requestPayment",
        "response-cache-control",
        "response-content-disposition",
        "response-content-encoding",
        "response-content-language",
        "response-content-type",
        "response-expires",
        "restore",
        "select",
        "select-type",
        "storageClass",
        "tagging",
        "torrent",
        "uploadId",
        "uploads",
        "versionId",
        "versioning",
        "versions",
        "website",
    }
)


def sign(secret: str, text: str) -> str:
    digest = hmac.new(secret.encode(), text.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def canonical_resource(path: str, query: str) -> str:
    """``path`` is the path-style path (``/bucket/key``) as the client encoded it."""
    subresources = []
    for item in query.split("&") if query else ():
        name, equals, value = item.partition("=")
        if name in SUB_RESOURCES:
            subresources.append((name, f"{name}={unquote(value)}" if equals else name))
    if not subresources:
        return path
    return path + "?" + "&".join(text for _, text in sorted(subresources))


def string_to_sign(
    request: HttpRequest, resource_path: str, date: str, extra: Mapping[str, str]
) -> str:
    """``extra``: headers a presigned URL carries as query parameters (``x-amz-*``,
    ``content-type``, ``content-md5``), taken where the request has none of its own."""
    headers = {**extra, **request.headers}
    amz = sorted(
        (name, value.strip()) for name, value in headers.items() if name.startswith("x-amz-")
    )
    lines = [
        request.method.upper(),
        headers.get("content-md5", "").strip(),
        headers.get("content-type", "").strip(),
        date,
        *(f"{name}:{value}" for name, value in amz),
        canonical_resource(resource_path, request.query),
    ]
    return "\n".join(lines)


def _compare(access_key: str, to_sign: str, provided: str) -> None:
    if not hmac.compare_digest(sign(secret_for(access_key), to_sign), provided):
        raise SignatureMismatch(access_key, to_sign, provided)


def verify_header(request: HttpRequest, resource_path: str, now: float | None = None) -> str:
    """Check ``Authorization: AWS AKID:signature``: a ``Date`` or ``x-amz-date`` within 15
    minutes of the server clock, then the signature. Returns the access key."""
    header = request.headers.get("authorization", "")
    access_key, colon, provided = header[len("AWS ") :].rpartition(":")
    if not colon or not access_key:
        raise IncompleteSignature(f"The authorization header is malformed: '{header}'.")
    amz_date = request.headers.get("x-amz-date")
    request_time = amz_date or request.headers.get("date", "")
    signed_at = parse_request_time(request_time)
    if signed_at is None:
        raise IncompleteSignature("AWS authentication requires a valid Date or x-amz-date header")
    check_skew(request_time, signed_at, now)
    date = "" if amz_date else request_time
    _compare(access_key, string_to_sign(request, resource_path, date, {}), provided)
    return access_key


def is_presigned(parameters: Mapping[str, str]) -> bool:
    """Whether the query's parameters (``query_parameters``) are a SigV2 presigned URL's."""
    return "AWSAccessKeyId" in parameters or "Signature" in parameters


def verify_query(request: HttpRequest, resource_path: str, now: float | None = None) -> str:
    """Check a presigned URL: ``Expires`` (seconds since the epoch) not past, then the
    signature. Returns the access key."""
    values = query_parameters(request.query)
    if not all(values.get(name) for name in ("AWSAccessKeyId", "Expires", "Signature")):
        raise IncompleteSignature(
            "Query-string authentication requires the Signature, Expires and AWSAccessKeyId "
            "parameters"
        )
    expires = values["Expires"]
    if not expires.isdigit():
        raise IncompleteSignature(f"Invalid date (should be seconds since epoch): {expires}")
    server_time = now_utc(now)
    expires_at = datetime.fromtimestamp(int(expires), tz=UTC)
    if server_time > expires_at:
        raise PresignedUrlExpired("Expires", expires, expires_at, server_time)
    carried = {
        name.lower(): value
        for name, value in values.items()
        if name.lower().startswith("x-amz-") or name.lower() in ("content-type", "content-md5")
    }
    access_key = values["AWSAccessKeyId"]
    _compare(
        access_key, string_to_sign(request, resource_path, expires, carried), values["Signature"]
    )
    return access_key


def verify_post_policy(fields: Mapping[str, str]) -> str:
    """An S3 POST form's V2 ``signature``: the HMAC-SHA1 of the base64 ``policy`` with the
    secret of ``AWSAccessKeyId`` (lower-case field names). Returns the access key."""
    for name in ("awsaccesskeyid", "policy", "signature"):
        if not fields.get(name):
            label = "AWSAccessKeyId" if name == "awsaccesskeyid" else name
            raise IncompleteSignature(f"Bucket POST must contain a field named '{label}'.")
    access_key = fields["awsaccesskeyid"]
    _compare(access_key, fields["policy"], fields["signature"])
    return access_key
