"""A bucket's CORS configuration (PutBucketCors), applied as S3 applies it.

The first ``CORSRule`` whose ``AllowedOrigins`` match the request's ``Origin``, whose
``AllowedMethods`` hold the method (for a preflight ``Access-Control-Request-Method``) and,
for a preflight, whose ``AllowedHeaders`` match every ``Access-Control-Request-Headers``
name answers: the origin (``*`` when the rule allows every origin), its methods, the
requested headers, ``ExposeHeaders`` and ``MaxAgeSeconds``. A preflight no rule matches is
refused with 403 ``AccessForbidden``; an actual request no rule matches is served without
CORS headers. Origins and header names may hold one ``*`` wildcard each
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html).

Buckets without a configuration (and requests naming no bucket) get the gateway's answer
for its allowed origins; the gateway's origin allowlist applies before any of this.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote

from lambdaport.endpoint import CorsAnswer, CorsRequest
from lambdaport.errors import AwsError
from lambdaport.services.s3.addressing import path_style
from lambdaport.store.s3 import S3Tables

_REFUSED = (
    "CORSResponse: This CORS request is not allowed. This is usually because the evalution "
    "of Origin, request method / Access-Control-Request-Method or "
    "Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."
)
_VARY = ("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")


@functools.lru_cache(maxsize=256)
def _pattern(text: str, ignore_case: bool) -> re.Pattern[str]:
    body = ".*".join(re.escape(part) for part in text.split("*"))
    return re.compile(f"^{body}$", re.IGNORECASE if ignore_case else 0)


def _matches(patterns: Sequence[str], value: str, *, ignore_case: bool) -> bool:
    return any(_pattern(str(pattern), ignore_case).match(value) for pattern in patterns)


def _rule_matches(rule: Mapping[str, Any], request: CorsRequest) -> bool:
    if not _matches(rule.get("AllowedOrigins") or [], request.origin, ignore_case=False):
        return False
    if request.method not in (rule.get("AllowedMethods") or []):
        return False
    allowed_headers = rule.get("AllowedHeaders") or []
    return all(_matches(allowed_headers, name, ignore_case=True) for name in request.headers)


def _answer(rule: Mapping[str, Any], request: CorsRequest) -> CorsAnswer:
    origins = rule.get("AllowedOrigins") or []
    headers: list[tuple[str, str]] = []
    if "*" in origins:
        headers.append(("Access-Control-Allow-Origin", "*"))
    else:
        headers.append(("Access-Control-Allow-Origin", request.origin))
        headers.append(("Access-Control-Allow-Credentials", "true"))
    if request.preflight:
        methods = ", ".join(str(method) for method in rule.get("AllowedMethods") or [])
        headers.append(("Access-Control-Allow-Methods", methods))
        if request.headers:
            headers.append(("Access-Control-Allow-Headers", ", ".join(request.headers)))
    exposed = rule.get("ExposeHeaders") or []
    if exposed:
        headers.append(("Access-Control-Expose-Headers", ", ".join(str(h) for h in exposed)))
    if request.preflight and rule.get("MaxAgeSeconds") is not None:
        headers.append(("Access-Control-Max-Age", str(rule["MaxAgeSeconds"])))
    headers.append(_VARY)
    return CorsAnswer(tuple(headers))


class BucketCors:
    """The S3 endpoint's ``ServiceCors``: answers for buckets that have a configuration."""

    def __init__(self, tables: S3Tables) -> None:
        self._tables = tables

    async def __call__(self, request: CorsRequest) -> CorsAnswer | None:
        path = path_style(request.host, request.path)
        name, _, key = unquote(path.lstrip("/")).partition("/")
        bucket = await self._tables.bucket(name) if name else None
        config = bucket.config.get("Cors") if bucket is not None else None
        if not config:
            return None
        for rule in config.get("CORSRules") or []:
            if _rule_matches(rule, request):
                return _answer(rule, request)
        if not request.preflight:
            return CorsAnswer()
        refusal = AwsError(
            "AccessForbidden",
            _REFUSED,
            403,
            fields={"Method": request.method, "ResourceType": "OBJECT" if key else "BUCKET"},
        )
        return CorsAnswer(refusal=refusal)
