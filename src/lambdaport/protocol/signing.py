"""What signature checks find wrong, and how the JSON and query services answer it.

The verifiers (``sigv4``, ``sigv2``) raise a :class:`SignatureError`; the caller turns it
into its service's error: :func:`service_error` for the JSON, REST-JSON and query protocols,
S3 its own (``services/s3/auth.py``), because S3 spells every one of them differently.

lambdaport knows one secret for every access key (``test``, what every local AWS tool
configures), so a signature proves the client holds the configuration, not an identity.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from lambdaport.errors import AwsError

DEFAULT_SECRET = "test"
MAX_SKEW_SECONDS = 15 * 60  # AWS refuses a request signed more than 15 minutes off its clock
AMZ_DATE = "%Y%m%dT%H%M%SZ"


def secret_for(access_key: str) -> str:
    """The secret key lambdaport holds for ``access_key``."""
    return DEFAULT_SECRET


class SignatureError(Exception):
    """A request whose authentication lambdaport refuses."""


class MissingAuthentication(SignatureError):
    """No signature at all."""


class IncompleteSignature(SignatureError):
    """A signature whose parts are missing or malformed; ``message`` says which."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SignatureMismatch(SignatureError):
    """The signature recomputed from the request differs from the one sent."""

    def __init__(
        self,
        access_key: str,
        string_to_sign: str,
        signature_provided: str,
        canonical_request: str | None = None,
    ) -> None:
        super().__init__("signature mismatch")
        self.access_key = access_key
        self.string_to_sign = string_to_sign
        self.signature_provided = signature_provided
        self.canonical_request = canonical_request


class RequestTimeSkewed(SignatureError):
    """The request's date is more than 15 minutes off the server clock.

    ``request_time`` is the date as the request gave it (``X-Amz-Date`` or ``Date``);
    ``signed_at`` and ``server_time`` are UTC."""

    def __init__(self, request_time: str, signed_at: datetime, server_time: datetime) -> None:
        super().__init__("request time too skewed")
        self.request_time = request_time
        self.signed_at = signed_at
        self.server_time = server_time


class PresignedUrlExpired(SignatureError):
    """A presigned URL used after its expiry (``parameter``: ``X-Amz-Expires``/``Expires``)."""

    def __init__(self, parameter: str, value: str, expired_at: datetime, now: datetime) -> None:
        super().__init__("request has expired")
        self.parameter = parameter
        self.value = value
        self.expired_at = expired_at
        self.server_time = now


def now_utc(now: float | None = None) -> datetime:
    return datetime.fromtimestamp(time.time() if now is None else now, tz=UTC)


def parse_request_time(value: str) -> datetime | None:
    """``20260101T000000Z`` (``X-Amz-Date``) or an RFC 1123 ``Date``; None when neither."""
    try:
        return datetime.strptime(value, AMZ_DATE).replace(tzinfo=UTC)
    except ValueError:
        pass
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def check_skew(request_time: str, signed_at: datetime, now: float | None = None) -> None:
    server_time = now_utc(now)
    if abs((server_time - signed_at).total_seconds()) > MAX_SKEW_SECONDS:
        raise RequestTimeSkewed(request_time, signed_at, server_time)


_GENERIC_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service "
    "documentation for details."
)


def _skew_message(failure: RequestTimeSkewed) -> str:
    """AWS's words: ``Signature expired: 20200101T000000Z is now earlier than
    20261203T055302Z (20261203T060802Z - 15 min.)`` (or ``not yet current``)."""
    signed = failure.signed_at.strftime(AMZ_DATE)
    now = failure.server_time
    if failure.signed_at < now:
        bound = datetime.fromtimestamp(now.timestamp() - MAX_SKEW_SECONDS, tz=UTC)
        return (
            f"Signature expired: {signed} is now earlier than {bound.strftime(AMZ_DATE)} "
            f"({now.strftime(AMZ_DATE)} - 15 min.)"
        )
    bound = datetime.fromtimestamp(now.timestamp() + MAX_SKEW_SECONDS, tz=UTC)
    return (
        f"Signature not yet current: {signed} is still later than {bound.strftime(AMZ_DATE)} "
        f"({now.strftime(AMZ_DATE)} + 15 min.)"
    )


def service_error(failure: SignatureError, *, query_style: bool) -> AwsError:
    """The error a JSON or REST-JSON service (``query_style`` False: ``...Exception`` codes)
    or a query service (STS, SNS, IAM: bare codes) answers for ``failure``."""
    suffix = "" if query_style else "Exception"
    if isinstance(failure, MissingAuthentication):
        message = (
            "Request is missing Authentication Token"
            if query_style
            else "Missing Authentication Token"
        )
        return _denied(f"MissingAuthenticationToken{suffix}", message)
    if isinstance(failure, IncompleteSignature):
        return _denied(f"IncompleteSignature{suffix}", failure.message)
    code = "SignatureDoesNotMatch" if query_style else "InvalidSignatureException"
    if isinstance(failure, RequestTimeSkewed):
        return _denied(code, _skew_message(failure))
    if isinstance(failure, PresignedUrlExpired):
        return _denied(code, "Request has expired")
    return _denied(code, _GENERIC_MISMATCH)


def _denied(code: str, message: str) -> AwsError:
    return AwsError(code, message, 403, fields={"Type": "User"})
