"""Signature Version 4, verified: ``Authorization`` headers, presigned URLs (``X-Amz-*``
query parameters), S3's POST policies and aws-chunked chunk signatures; and presigning.

The canonical request follows AWS's specification (docs.aws.amazon.com, "Create a canonical
request for Signature Version 4"): the method, the path (S3's as sent; every other service's
with dot segments and double slashes removed, then encoded again), the query with names and
values percent-encoded and sorted, the signed headers with their values trimmed, and the
payload's SHA-256 (``X-Amz-Content-SHA256`` when the client sent one).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, unquote

from lambdaport.protocol.base import HttpRequest
from lambdaport.protocol.signing import (
    AMZ_DATE,
    IncompleteSignature,
    MissingAuthentication,
    PresignedUrlExpired,
    SignatureMismatch,
    check_skew,
    now_utc,
    parse_request_time,
    secret_for,
)

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_PAYLOAD = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
MAX_EXPIRES = 7 * 24 * 3600  # a presigned URL lives at most a week
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_QUERY_PARAMETERS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Expires",
)


@dataclass(frozen=True, slots=True)
class Dialect:
    """How a service canonicalises: S3 signs its path as sent, presigns with an unsigned
    payload and honours ``X-Amz-Expires``; the other services normalise the path, hash the
    body and give every signature the same 15 minutes."""

    normalize_path: bool
    presigned_payload: str | None
    presign_expires: bool


S3 = Dialect(normalize_path=False, presigned_payload=UNSIGNED_PAYLOAD, presign_expires=True)
SERVICES = Dialect(normalize_path=True, presigned_payload=None, presign_expires=False)


@dataclass(frozen=True, slots=True)
class Credential:
    """``AKID/20260101/us-east-1/s3/aws4_request``, split."""

    access_key: str
    date: str
    region: str
    service: str

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


@dataclass(frozen=True, slots=True)
class Verified:
    """A request whose signature held: who signed it, when, and (for aws-chunked bodies)
    what the first chunk's signature chains from."""

    credential: Credential
    timestamp: str
    signature: str
    signing_key: bytes


@functools.lru_cache(maxsize=256)
def signing_key(secret: str, credential: Credential) -> bytes:
    """The day's key for the credential's scope (four HMACs; kept, as clients keep it)."""
    key = hmac.new(f"AWS4{secret}".encode(), credential.date.encode(), hashlib.sha256).digest()
    for part in (credential.region, credential.service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _sign(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def _credential(text: str, where: str) -> Credential:
    parts = text.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not all(parts):
        raise IncompleteSignature(
            f"{where} the credential '{text}' is not of the form "
            "'<access key>/<yyyyMMdd>/<region>/<service>/aws4_request'."
        )
    return Credential(*parts[:4])


def _encode(text: str) -> str:
    return quote(unquote(text), safe="-_.~")


def canonical_query(query: str, *, without: str | None = None) -> str:
    pairs = []
    for item in query.split("&") if query else ():
        name, _, value = item.partition("=")
        if name and unquote(name) != without:
            pairs.append((_encode(name), _encode(value)))
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def _canonical_path(path: str, dialect: Dialect) -> str:
    if not dialect.normalize_path:
        return path or "/"
    segments: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment and segment != ".":
            segments.append(segment)
    normalized = "/" + "/".join(segments)
    if path.endswith("/") and segments:
        normalized += "/"
    return quote(normalized, safe="/~")


def canonical_request(
    request: HttpRequest,
    signed_headers: list[str],
    payload_hash: str,
    dialect: Dialect,
    *,
    without: str | None = None,
) -> str:
    headers = "".join(
        f"{name}:{' '.join(request.headers.get(name, '').split())}\n" for name in signed_headers
    )
    return "\n".join(
        (
            request.method.upper(),
            _canonical_path(request.path, dialect),
            canonical_query(request.query, without=without),
            headers,
            ";".join(signed_headers),
            payload_hash,
        )
    )


def string_to_sign(timestamp: str, credential: Credential, canonical: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{timestamp}\n{credential.scope}\n{digest}"


Secrets = Callable[[str], str]  # access key -> secret key


def _check(
    credential: Credential, timestamp: str, canonical: str, provided: str, secrets: Secrets
) -> Verified:
    key = signing_key(secrets(credential.access_key), credential)
    to_sign = string_to_sign(timestamp, credential, canonical)
    if not hmac.compare_digest(_sign(key, to_sign), provided):
        raise SignatureMismatch(credential.access_key, to_sign, provided, canonical)
    return Verified(credential, timestamp, provided, key)


def _authorization_fields(header: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in header[len(ALGORITHM) :].split(","):
        name, _, value = part.strip().partition("=")
        if name:
            fields[name] = value
    return fields


def verify_header(
    request: HttpRequest,
    dialect: Dialect = SERVICES,
    now: float | None = None,
    secrets: Secrets = secret_for,
) -> Verified:
    """Check an ``Authorization: AWS4-HMAC-SHA256 ...`` request: its date within 15 minutes
    of the server clock, then its signature. S3 callers pass the path as the client sent it
    and need the ``X-Amz-Content-SHA256`` header (S3 requires it)."""
    header = request.headers.get("authorization", "")
    if not header:
        raise MissingAuthentication()
    if not header.startswith(f"{ALGORITHM} "):
        raise IncompleteSignature(f"Unsupported AWS 'algorithm': '{header.split(' ', 1)[0]}'")
    fields = _authorization_fields(header)
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if name not in fields
    ]
    request_time = request.headers.get("x-amz-date") or request.headers.get("date", "")
    signed_at = parse_request_time(request_time)
    if signed_at is None:
        missing.append(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    if missing:
        raise IncompleteSignature(" ".join([*missing, f"Authorization={header}"]))
    assert signed_at is not None
    credential = _credential(fields["Credential"], "Authorization:")
    check_skew(request_time, signed_at, now)
    signed_headers = fields["SignedHeaders"].split(";")
    payload = (
        request.headers.get("x-amz-content-sha256") or hashlib.sha256(request.body).hexdigest()
    )
    canonical = canonical_request(request, signed_headers, payload, dialect)
    timestamp = signed_at.strftime(AMZ_DATE)
    return _check(credential, timestamp, canonical, fields["Signature"], secrets)


def query_parameters(query: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in query.split("&") if query else ():
        name, _, value = item.partition("=")
        values.setdefault(unquote(name), unquote(value))
    return values


def is_presigned(parameters: Mapping[str, str]) -> bool:
    """Whether the query's parameters (``query_parameters``) are a SigV4 presigned URL's."""
    return any(name in parameters for name in _QUERY_PARAMETERS[:3])


def verify_query(
    request: HttpRequest,
    dialect: Dialect = SERVICES,
    now: float | None = None,
    secrets: Secrets = secret_for,
) -> Verified:
    """Check a presigned URL: every ``X-Amz-*`` parameter present, then its expiry (S3:
    ``X-Amz-Date`` + ``X-Amz-Expires``, at most a week; the other services: 15 minutes
    from ``X-Amz-Date``), then its signature over the query without ``X-Amz-Signature``."""
    values = query_parameters(request.query)
    if any(name not in values for name in _QUERY_PARAMETERS[:5]) or (
        dialect.presign_expires and "X-Amz-Expires" not in values
    ):
        raise IncompleteSignature(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, "
            "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
            "X-Amz-Expires parameters."
        )
    if values["X-Amz-Algorithm"] != ALGORITHM:
        raise IncompleteSignature('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"')
    credential = _credential(values["X-Amz-Credential"], "X-Amz-Credential:")
    timestamp = values["X-Amz-Date"]
    signed_at = parse_request_time(timestamp)
    if signed_at is None or len(timestamp) != 16:
        raise IncompleteSignature(
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""
        )
    if dialect.presign_expires:
        _check_expires(values["X-Amz-Expires"], signed_at, now)
    else:
        check_skew(timestamp, signed_at, now)
    payload = dialect.presigned_payload or hashlib.sha256(request.body).hexdigest()
    payload = values.get("X-Amz-Content-Sha256", payload)
    canonical = canonical_request(
        request,
        values["X-Amz-SignedHeaders"].split(";"),
        payload,
        dialect,
        without="X-Amz-Signature",
    )
    return _check(credential, timestamp, canonical, values["X-Amz-Signature"], secrets)


def _check_expires(text: str, signed_at: datetime, now: float | None) -> None:
    if not text.isdigit():
        raise IncompleteSignature("X-Amz-Expires should be a number")
    if int(text) > MAX_EXPIRES:
        raise IncompleteSignature(
            "X-Amz-Expires must be less than a week (in seconds) that is; the maximum "
            f"expires is {MAX_EXPIRES} seconds"
        )
    server_time = now_utc(now)
    expires_at = datetime.fromtimestamp(signed_at.timestamp() + int(text), tz=UTC)
    if server_time > expires_at:
        raise PresignedUrlExpired("X-Amz-Expires", text, expires_at, server_time)


def verify_request(
    request: HttpRequest,
    dialect: Dialect = SERVICES,
    now: float | None = None,
    secrets: Secrets = secret_for,
) -> Verified:
    """Check whichever signature the request carries: its ``Authorization`` header, else
    its presigned query; a request with neither raises MissingAuthentication."""
    if "authorization" in request.headers:
        return verify_header(request, dialect, now, secrets)
    if is_presigned(query_parameters(request.query)):
        return verify_query(request, dialect, now, secrets)
    raise MissingAuthentication()


def verify_post_policy(fields: Mapping[str, str]) -> Verified:
    """An S3 POST form's ``x-amz-signature``: the HMAC of the base64 ``policy`` itself with
    the key of ``x-amz-credential`` (lower-case field names)."""
    missing = [
        name
        for name in ("x-amz-credential", "x-amz-date", "x-amz-signature", "policy")
        if not fields.get(name)
    ]
    if missing:
        raise IncompleteSignature(f"Bucket POST must contain a field named '{missing[0]}'.")
    credential = _credential(fields["x-amz-credential"], "x-amz-credential:")
    key = signing_key(secret_for(credential.access_key), credential)
    policy, provided = fields["policy"], fields["x-amz-signature"]
    if not hmac.compare_digest(_sign(key, policy), provided):
        raise SignatureMismatch(credential.access_key, policy, provided)
    return Verified(credential, fields["x-amz-date"], provided, key)


class ChunkSignatures:
    """The signature chain of a ``STREAMING-AWS4-HMAC-SHA256-PAYLOAD`` body: each chunk is
    signed over the previous signature (the header's, for the first) and its data's hash."""

    def __init__(self, seed: Verified) -> None:
        self._seed = seed
        self._previous = seed.signature
        self._hash = hashlib.sha256()

    def update(self, data: bytes) -> None:
        self._hash.update(data)

    def end_chunk(self, provided: str) -> None:
        seed = self._seed
        to_sign = "\n".join(
            (
                f"{ALGORITHM}-PAYLOAD",
                seed.timestamp,
                seed.credential.scope,
                self._previous,
                _EMPTY_SHA256,
                self._hash.hexdigest(),
            )
        )
        if not hmac.compare_digest(_sign(seed.signing_key, to_sign), provided):
            raise SignatureMismatch(seed.credential.access_key, to_sign, provided)
        self._previous = provided
        self._hash = hashlib.sha256()

    def end_trailer(self, trailers: Mapping[str, str], provided: str) -> None:
        """``x-amz-trailer-signature`` over the trailer lines (``...-PAYLOAD-TRAILER``)."""
        seed = self._seed
        lines = "".join(f"{name}:{value}\n" for name, value in trailers.items())
        to_sign = "\n".join(
            (
                f"{ALGORITHM}-TRAILER",
                seed.timestamp,
                seed.credential.scope,
                self._previous,
                hashlib.sha256(lines.encode()).hexdigest(),
            )
        )
        if not hmac.compare_digest(_sign(seed.signing_key, to_sign), provided):
            raise SignatureMismatch(seed.credential.access_key, to_sign, provided)


def presign(
    request: HttpRequest,
    access_key: str,
    secret: str,
    scope: tuple[str, str],
    expires: int,
    now: float | None = None,
) -> str:
    """The query string (``request.query`` plus the ``X-Amz-*`` parameters) that presigns
    ``request`` S3's way for ``expires`` seconds, signing its ``host`` header; ``scope`` is
    (region, service)."""
    timestamp = now_utc(now).strftime(AMZ_DATE)
    credential = Credential(access_key, timestamp[:8], *scope)
    auth = (
        f"X-Amz-Algorithm={ALGORITHM}"
        f"&X-Amz-Credential={quote(f'{access_key}/{credential.scope}', safe='')}"
        f"&X-Amz-Date={timestamp}&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host"
    )
    query = f"{request.query}&{auth}" if request.query else auth
    signed = HttpRequest(request.method, request.path, query, request.headers, b"", request.host)
    canonical = canonical_request(signed, ["host"], UNSIGNED_PAYLOAD, S3)
    signature = _sign(
        signing_key(secret, credential), string_to_sign(timestamp, credential, canonical)
    )
    return f"{query}&X-Amz-Signature={signature}"
