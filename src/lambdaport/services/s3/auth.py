"""Who sent an S3 request (``--strict-auth``), in S3's words when the answer is no.

Every door S3 has: SigV4 and SigV2 ``Authorization`` headers, SigV4 and SigV2 presigned
URLs, and the POST form's policy signature (either version). A request with none of them is
anonymous and is served only as far as the bucket makes itself public (``access``). The
signature checks themselves are the protocol layer's (``protocol/sigv4``, ``sigv2``); this
module picks the door and answers failures as S3 does: ``SignatureDoesNotMatch`` with the
string it signed, ``RequestTimeTooSkewed`` with both clocks, ``AccessDenied`` for an
expired URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from lambdaport.errors import AwsError
from lambdaport.protocol import sigv2, sigv4
from lambdaport.protocol.base import HttpRequest
from lambdaport.protocol.signing import (
    MAX_SKEW_SECONDS,
    IncompleteSignature,
    PresignedUrlExpired,
    RequestTimeSkewed,
    SignatureError,
    SignatureMismatch,
)
from lambdaport.services.s3.addressing import bucket_from_host
from lambdaport.services.s3.errors import invalid_argument, invalid_request

_ISO = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True, slots=True)
class S3Principal:
    """A signed request's signer; ``chunks`` is the seed of a signed aws-chunked body."""

    access_key: str
    chunks: sigv4.Verified | None = None


def _hex_bytes(text: str) -> str:
    return " ".join(f"{byte:02x}" for byte in text.encode())


# What S3 answers for a malformed signature, by door.
HEADER_V4 = ("AuthorizationHeaderMalformed", 400)
QUERY_V4 = ("AuthorizationQueryParametersError", 400)
SIGV2 = ("AccessDenied", 403)
FORM = ("InvalidArgument", 400)


def s3_error(failure: SignatureError, malformed: tuple[str, int] = HEADER_V4) -> AwsError:
    """``failure`` as S3 answers it; ``malformed``: the code and status of a malformed one."""
    if isinstance(failure, SignatureMismatch):
        fields = {
            "AWSAccessKeyId": failure.access_key,
            "StringToSign": failure.string_to_sign,
            "SignatureProvided": failure.signature_provided,
            "StringToSignBytes": _hex_bytes(failure.string_to_sign),
        }
        if failure.canonical_request is not None:
            fields["CanonicalRequest"] = failure.canonical_request
            fields["CanonicalRequestBytes"] = _hex_bytes(failure.canonical_request)
        return AwsError(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
            403,
            fields=fields,
        )
    if isinstance(failure, RequestTimeSkewed):
        return AwsError(
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
            403,
            fields={
                "RequestTime": failure.request_time,
                "ServerTime": failure.server_time.strftime(_ISO),
                "MaxAllowedSkewMilliseconds": MAX_SKEW_SECONDS * 1000,
            },
        )
    if isinstance(failure, PresignedUrlExpired):
        expiry = {"X-Amz-Expires": failure.value} if failure.parameter == "X-Amz-Expires" else {}
        return AwsError(
            "AccessDenied",
            "Request has expired",
            403,
            fields={
                **expiry,
                "Expires": failure.expired_at.strftime(_ISO),
                "ServerTime": failure.server_time.strftime(_ISO),
            },
        )
    if isinstance(failure, IncompleteSignature):
        code, status = malformed
        return AwsError(code, failure.message, status)
    return AwsError("AccessDenied", "Access Denied", 403)


class S3Authenticator:
    """Picks the request's door and checks its signature (a stateless service object)."""

    def authenticate(
        self, request: HttpRequest, raw_path: str, now: float | None = None
    ) -> S3Principal | None:
        """The request's signer, or None for an anonymous request (``raw_path``: the path
        as sent). Raises S3's error for a signature that does not hold."""
        header = request.headers.get("authorization")
        sent = replace(request, path=raw_path)
        # SigV2 signs the path with the bucket in it: /bucket/key, /bucket/ for the root
        # of a virtual host.
        bucket = bucket_from_host(request.host)
        v2 = replace(request, path=f"/{bucket}{raw_path or '/'}" if bucket else raw_path)
        door = HEADER_V4
        try:
            if header is not None:
                if header.startswith("AWS "):
                    door = SIGV2
                    return self._sigv2_header(v2, header, now)
                return self._sigv4_header(sent, header, now)
            names = sigv4.query_parameters(request.query)
            if sigv4.is_presigned(names):
                door = QUERY_V4
                return S3Principal(sigv4.verify_query(sent, sigv4.S3, now).credential.access_key)
            if sigv2.is_presigned(names):
                door = SIGV2
                return S3Principal(sigv2.verify_query(v2, v2.path, now))
        except SignatureError as failure:
            raise s3_error(failure, door) from None
        return None

    @staticmethod
    def _sigv2_header(request: HttpRequest, header: str, now: float | None) -> S3Principal:
        if ":" not in header:
            raise invalid_argument(
                "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature",
                "Authorization",
                header,
            )
        return S3Principal(sigv2.verify_header(request, request.path, now))

    @staticmethod
    def _sigv4_header(sent: HttpRequest, header: str, now: float | None) -> S3Principal:
        if not header.startswith(f"{sigv4.ALGORITHM} "):
            raise invalid_argument("Unsupported Authorization Type", "Authorization", header)
        sha = sent.headers.get("x-amz-content-sha256")
        if not sha:
            raise invalid_request("Missing required header for this request: x-amz-content-sha256")
        verified = sigv4.verify_header(sent, sigv4.S3, now)
        streaming = sha.startswith(sigv4.STREAMING_PAYLOAD)
        return S3Principal(verified.credential.access_key, verified if streaming else None)

    @staticmethod
    def form(fields: Mapping[str, str]) -> S3Principal | None:
        """A POST form's signer (field names lower-cased), None for an unsigned form."""
        try:
            if "x-amz-signature" in fields or "x-amz-algorithm" in fields:
                return S3Principal(sigv4.verify_post_policy(fields).credential.access_key)
            if "signature" in fields or "awsaccesskeyid" in fields or "policy" in fields:
                return S3Principal(sigv2.verify_post_policy(fields))
        except SignatureError as failure:
            raise s3_error(failure, FORM) from None
        return None
