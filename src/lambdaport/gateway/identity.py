"""Which service, account and region a request is for, read off the request itself.

Order: an HTTP front's address (``http_fronts.addressing``: an API's or a function URL's
host, or the path form ``/_aws/...``), then the SigV4 credential scope (``Authorization``
header, or ``X-Amz-Credential`` of a presigned URL), then ``X-Amz-Target``, then the host
name (S3's virtual hosts such as ``bucket.s3.localhost`` are S3), then the path; a request
nothing identifies is S3's (an unsigned form post of ``Action=...&Version=...`` to ``/``:
the query service whose API that is, once the gateway has read the form,
``query_service``). The service is named as botocore's client name (``stepfunctions``,
``dynamodbstreams``, ``cognito-idp``), translated from signing names and target prefixes
by ``service_names``. The account is the access key when it is 12 digits, else
``000000000000``; the region comes from the scope.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote

from lambdaport.gateway.service_names import (
    PATH_PREFIX_SERVICES,
    QUERY_API_VERSIONS,
    SIGNING_NAME_SERVICES,
    TARGET_PREFIX_SERVICES,
)
from lambdaport.http_fronts.addressing import CustomDomains, front_of
from lambdaport.protocol import load_service_model

DEFAULT_ACCOUNT = "000000000000"

# Path prefixes of services whose requests may arrive unsigned (for example curl).
_PATH_SERVICES = (
    ("/2015-03-31/", "lambda"),
    ("/2014-11-13/", "lambda"),
    ("/2016-08-19/", "lambda"),
    ("/2017-03-31/", "lambda"),
    ("/2017-10-31/", "lambda"),
    ("/2018-10-31/", "lambda"),
    ("/2019-09-25/", "lambda"),
    ("/2019-09-30/", "lambda"),
    ("/2020-04-22/", "lambda"),
    ("/2020-06-30/", "lambda"),
    ("/2021-07-20/", "lambda"),
    ("/2021-10-31/", "lambda"),
    ("/2021-11-15/", "lambda"),
    ("/2024-08-31/", "lambda"),
    ("/2025-11-30/", "lambda"),
    ("/2025-12-01/", "lambda"),
    ("/@connections/", "apigatewaymanagementapi"),
)


@dataclass(frozen=True, slots=True)
class Identity:
    service: str
    account_id: str
    region: str
    access_key: str
    signed: bool = False  # the request names a SigV4 credential scope (header or query)
    claimed: bool = True  # False: nothing in the request named the service (S3 by default)


def _scope_from_authorization(header: str) -> list[str] | None:
    # AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/lambda/aws4_request, SignedHeaders=...
    start = header.find("Credential=")
    if start < 0:
        return None
    end = header.find(",", start)
    credential = header[start + 11 : end if end >= 0 else None].strip()
    parts = credential.split("/")
    return parts if len(parts) == 5 else None


def _scope_from_query(query: str) -> list[str] | None:
    for pair in query.split("&"):
        if pair.startswith("X-Amz-Credential="):
            parts = unquote(pair[17:]).split("/")
            return parts if len(parts) == 5 else None
    return None


def _is_s3_label(label: str) -> bool:
    return label == "s3" or label.startswith("s3-")


# A queue URL's path: /<12-digit account>/<queue name>.
_QUEUE_PATH = re.compile(r"^/\d{12}/[A-Za-z0-9_-]{1,80}(\.fifo)?$")


@functools.lru_cache(maxsize=1024)
def _service_from_host(host: str) -> str | None:
    name = host.split(":", 1)[0].lower()
    labels = name.split(".")
    # S3 puts the bucket in front of its endpoint: bucket.s3.localhost, bucket.s3.amazonaws.com,
    # bucket.s3.<region>.amazonaws.com, bucket.s3-<region>.amazonaws.com (and s3.localhost).
    if any(_is_s3_label(label) for label in labels[:-1]):
        return "s3"
    if len(labels) >= 3 and labels[-2:] == ["amazonaws", "com"]:
        # API Gateway's data plane: <api-id>.execute-api.<region>.amazonaws.com
        return "execute-api" if "execute-api" in labels else labels[0]
    return None


def _service_from_target(target: str, signing_name: str | None) -> str:
    """A JSON-protocol request: its target prefix names the client exactly (DynamoDB and
    DynamoDB Streams share the signing name ``dynamodb``; Cognito's unsigned calls have none)."""
    prefix = target.split(".", 1)[0]
    known = TARGET_PREFIX_SERVICES.get(prefix)
    if known is not None:
        return known
    if signing_name is not None:
        return SIGNING_NAME_SERVICES.get(signing_name, signing_name)
    return prefix.lower()


def _service_from_signing_name(signing_name: str, path: str) -> str:
    """The client a signing name means: ``states`` is Step Functions, ``monitoring`` is
    CloudWatch; clients sharing one (API Gateway v1 and v2) differ by the path."""
    for name, prefix, service in PATH_PREFIX_SERVICES:
        if signing_name == name and path.startswith(prefix):
            return service
    return SIGNING_NAME_SERVICES.get(signing_name, signing_name)


def _unclaimed_service(path: str, query: str, headers: Mapping[str, str]) -> str | None:
    """The service of a request no signature, target or host names."""
    for prefix, name in _PATH_SERVICES:
        if path.startswith(prefix):
            return name
    if "AWSAccessKeyId=" in query or "X-Amz-Credential=" in query:
        return "s3"  # a SigV2 presigned URL (only S3 has them)
    if _QUEUE_PATH.match(path) and headers.get("content-type", "").startswith(
        "application/x-www-form-urlencoded"
    ):
        return "sqs"  # an unsigned query-protocol post to a queue URL
    return None


def identify(
    path: str,
    query: str,
    headers: Mapping[str, str],
    default_region: str,
    custom_domains: CustomDomains | None = None,
) -> Identity:
    scope = None
    authorization = headers.get("authorization")
    if authorization:
        scope = _scope_from_authorization(authorization)
    elif "X-Amz-Credential=" in query:
        scope = _scope_from_query(query)
    # An HTTP front's address (an API's or a function URL's host, or /_aws/...) before all:
    # a signed request to an AWS_IAM function URL names ``lambda`` in its scope.
    front = front_of(headers.get("host", ""), path, custom_domains)
    if front is not None:
        access_key = scope[0] if scope is not None else ""
        account = access_key if len(access_key) == 12 and access_key.isdigit() else DEFAULT_ACCOUNT
        region = front.region or default_region
        return Identity(front.kind, account, region, access_key, signed=scope is not None)
    service: str | None = None
    access_key = ""
    region = default_region
    if scope is not None:
        access_key, _, region, service, _ = scope
    target = headers.get("x-amz-target")
    if target:
        service = _service_from_target(target, service)
    elif service is not None:
        service = _service_from_signing_name(service, path)
    if service is None:
        service = _service_from_host(headers.get("host", ""))
    if service is None:
        service = _unclaimed_service(path, query, headers)
    account = access_key if len(access_key) == 12 and access_key.isdigit() else DEFAULT_ACCOUNT
    signed = scope is not None
    if service is None:
        # Unsigned requests nothing else claims are S3's (anonymous GETs of public objects,
        # curl against a path-style URL), as on AWS's own S3 endpoints.
        return Identity("s3", account, region, access_key, signed=signed, claimed=False)
    return Identity(
        service=service,
        account_id=account,
        region=region,
        access_key=access_key,
        signed=signed,
    )


# Query services in the order an action without a version is looked for: lambdaport's own first.
_QUERY_SERVICES = tuple(
    dict.fromkeys(("sns", "sqs", "sts", "iam", *itertools.chain(*QUERY_API_VERSIONS.values())))
)


@functools.lru_cache(maxsize=64)
def _operations(service: str) -> frozenset[str]:
    return frozenset(load_service_model(service).operation_names)


def query_service(form: str) -> str | None:
    """The query-protocol client an unsigned form (``Action=Publish&Version=2010-03-31``)
    is for: the one of that API version, else the first with that action; None if none."""
    params = parse_qs(form)
    action = (params.get("Action") or [""])[-1]
    if not action:
        return None
    candidates = QUERY_API_VERSIONS.get((params.get("Version") or [""])[-1], _QUERY_SERVICES)
    if len(candidates) == 1:
        return candidates[0]
    return next((name for name in candidates if action in _operations(name)), None)
