"""JSON web tokens of a Cognito user pool, verified as a COGNITO_USER_POOLS authorizer
does: RS256 signature by one of the pool's keys, ``exp`` not passed, ``iss`` the pool's
issuer (https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-tokens-verifying-a-jwt.html)."""

from __future__ import annotations

import base64
import time
from collections.abc import Sequence
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from lambdaport.services.interfaces import UserPoolKey


class InvalidToken(Exception):
    pass


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def claims_of(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of a token, unverified (``InvalidToken`` when malformed)."""
    try:
        header, claims, _ = token.split(".")
        decoded = orjson.loads(_b64(header)), orjson.loads(_b64(claims))
    except (ValueError, orjson.JSONDecodeError) as error:
        raise InvalidToken("malformed token") from error
    if not isinstance(decoded[0], dict) or not isinstance(decoded[1], dict):
        raise InvalidToken("malformed token")
    return decoded[0], decoded[1]


def verify(token: str, keys: Sequence[UserPoolKey], issuer: str) -> dict[str, Any]:
    """The token's claims once its signature, expiry and issuer hold."""
    header, claims = claims_of(token)
    if header.get("alg") != "RS256":
        raise InvalidToken("not an RS256 token")
    signing_input, _, signature = token.rpartition(".")
    for key in keys:
        if header.get("kid") not in (None, key.kid):
            continue
        public = rsa.RSAPublicNumbers(
            int.from_bytes(_b64(key.e), "big"), int.from_bytes(_b64(key.n), "big")
        ).public_key()
        try:
            public.verify(
                _b64(signature), signing_input.encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature:
            continue
        break
    else:
        raise InvalidToken("signature does not verify")
    if float(claims.get("exp", 0)) < time.time():
        raise InvalidToken("token expired")
    if claims.get("iss") != issuer:
        raise InvalidToken("issuer does not match")
    return claims
