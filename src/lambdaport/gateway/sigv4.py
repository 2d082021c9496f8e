"""SigV4 verification for ``--strict-auth``: the signature is recomputed with botocore's own
signer over the headers the client signed, with the secret key lambdaport knows for the
access key (``test`` for every key unless configured otherwise)."""

from __future__ import annotations

import hmac

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from lambdaport.errors import AwsError
from lambdaport.protocol.base import HttpRequest

DEFAULT_SECRET = "test"


def _denied(code: str, message: str) -> AwsError:
    return AwsError(code, message, 403, fields={"Type": "User"})


def _parse_authorization(header: str) -> dict[str, str]:
    _, _, rest = header.partition(" ")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        key, _, value = part.strip().partition("=")
        fields[key] = value
    return fields


def verify_request(
    request: HttpRequest,
    secret_for: dict[str, str] | None = None,
    signer_class: type[SigV4Auth] = SigV4Auth,
) -> None:
    """Raise AwsError (403) unless the request carries a valid SigV4 header signature.

    ``signer_class`` is botocore's ``S3SigV4Auth`` for S3 (its paths are signed as sent,
    without normalisation); ``request.path`` must then be the path as the client sent it."""
    header = request.headers.get("authorization")
    if not header:
        raise _denied("MissingAuthenticationTokenException", "Missing Authentication Token")
    if not header.startswith("AWS4-HMAC-SHA256 "):
        raise _denied("IncompleteSignatureException", "Only AWS4-HMAC-SHA256 is supported.")
    fields = _parse_authorization(header)
    try:
        access_key, _, region, service, _ = fields["Credential"].split("/")
        signed_headers = fields["SignedHeaders"].split(";")
        signature = fields["Signature"]
        timestamp = request.headers["x-amz-date"]
    except (KeyError, ValueError):
        raise _denied(
            "IncompleteSignatureException", "The Authorization header is incomplete."
        ) from None
    secret = (secret_for or {}).get(access_key, DEFAULT_SECRET)
    url = f"http://{request.host}{request.path}" + (f"?{request.query}" if request.query else "")
    aws_request = AWSRequest(
        method=request.method,
        url=url,
        headers={name: request.headers.get(name, "") for name in signed_headers},
        data=request.body,
    )
    aws_request.context["timestamp"] = timestamp
    signer = signer_class(Credentials(access_key, secret), service, region)
    canonical = signer.canonical_request(aws_request)
    expected = signer.signature(signer.string_to_sign(aws_request, canonical), aws_request)
    if not hmac.compare_digest(expected, signature):
        raise _denied(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service "
            "documentation for details.",
        )
