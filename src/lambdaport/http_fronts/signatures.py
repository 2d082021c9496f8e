"""Who signed a request to an HTTP front: the SigV4 signature (``Authorization`` header or
presigned query) of an AWS_IAM function URL (service ``lambda``), REST API method or HTTP
API route (service ``execute-api``), verified whether or not the server runs with
``--strict-auth``. The signer's account is its access key when that is an account id (as
lambdaport's credentials name accounts), else the default account.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lambdaport.protocol.base import HttpRequest
from lambdaport.protocol.sigv4 import verify_request

DEFAULT_ACCOUNT = "000000000000"
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check "
    "your AWS Secret Access Key and signing method. Consult the service documentation for "
    "details."
)


@dataclass(frozen=True, slots=True)
class Signer:
    access_key: str
    account_id: str

    @property
    def user_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:root"


def is_signed(headers: Iterable[tuple[str, str]], raw_query: str) -> bool:
    """Whether the request carries a signature at all (header or presigned query)."""
    return any(name.lower() == "authorization" for name, _ in headers) or (
        "X-Amz-Signature=" in raw_query
    )


def signer_of(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
) -> Signer:
    """The request's verified signer (``protocol.signing.SignatureError`` when it is not
    signed, or its signature does not verify)."""
    lowered = {name.lower(): value for name, value in headers}
    signed = HttpRequest(
        method=method,
        path=raw_path,
        query=raw_query,
        headers=lowered,
        body=body,
        host=lowered.get("host", ""),
    )
    key = verify_request(signed).credential.access_key
    return Signer(key, key if len(key) == 12 and key.isdigit() else DEFAULT_ACCOUNT)


def iam_identity(signer: Signer) -> dict[str, Any]:
    """Payload 1.0's ``requestContext.identity`` members a signed caller fills."""
    return {
        "accessKey": signer.access_key,
        "accountId": signer.account_id,
        "caller": signer.access_key,
        "user": signer.access_key,
        "userArn": signer.user_arn,
    }


def iam_authorizer(signer: Signer) -> dict[str, Any]:
    """Payload 2.0's ``requestContext.authorizer`` of a signed caller."""
    return {
        "iam": {
            "accessKey": signer.access_key,
            "accountId": signer.account_id,
            "callerId": signer.access_key,
            "cognitoIdentity": None,
            "principalOrgId": None,
            "userArn": signer.user_arn,
            "userId": signer.account_id,
        }
    }
