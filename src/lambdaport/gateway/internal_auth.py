"""Who may read lambdaport's own endpoints, and GetFunction's presigned ``Code.Location``.

With ``--strict-auth`` the endpoints that reveal data (``/_lambdaport/logs``,
``/_lambdaport/code/...``) answer only a request that carries the data directory's token
(header ``x-lambdaport-token``; the CLI reads ``<data dir>/auth-token``) or a valid SigV4
signature. ``Code.Location`` is a URL presigned S3's way for 10 minutes, as AWS's is, by
lambdaport itself: access key ``lambdaport``, the token as its secret, so nobody else can
mint one and it opens that one package only. Health stays open, and so does the drain
(``/_lambdaport/drain``: the same counts), as do SNS's endpoints (certificate, SubscribeURL
and UnsubscribeURL are public on AWS too).
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

import orjson

from lambdaport.protocol import sigv4
from lambdaport.protocol.base import HttpRequest, HttpResponse
from lambdaport.protocol.signing import (
    MissingAuthentication,
    SignatureError,
    secret_for,
    service_error,
)

TOKEN_FILE = "auth-token"
TOKEN_HEADER = "x-lambdaport-token"
CODE_LOCATION_EXPIRES = 600  # seconds, as AWS's Code.Location
PRESIGNING_KEY = "lambdaport"  # the access key lambdaport signs its own URLs with


def load_token(data_dir: Path) -> str:
    """The data directory's token, created (mode 0600) when it has none."""
    path = data_dir / TOKEN_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        os.chmod(path, 0o600)
        token = path.read_text().strip()
        if token:
            return token
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    token = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w") as file:
        file.write(token + "\n")
    return token


def _denied(code: str, message: str) -> HttpResponse:
    return HttpResponse(
        403,
        [("content-type", "application/json"), ("x-amzn-errortype", code)],
        orjson.dumps({"__type": code, "message": message}),
    )


class InternalAuth:
    def __init__(self, token: str, *, strict: bool, region: str) -> None:
        self._token = token
        self._strict = strict
        self._region = region

    def code_location(self, endpoint: str, name: str) -> str:
        """The presigned URL of the code package ``name`` (``<sha256 hex>.zip``)."""
        path = f"/_lambdaport/code/{name}"
        host = endpoint.split("://", 1)[-1]
        request = HttpRequest("GET", path, "", {"host": host}, b"", host)
        scope = (self._region, "lambda")
        query = sigv4.presign(request, PRESIGNING_KEY, self._token, scope, CODE_LOCATION_EXPIRES)
        return f"{endpoint}{path}?{query}"

    def _secret(self, access_key: str) -> str:
        return self._token if access_key == PRESIGNING_KEY else secret_for(access_key)

    def refusal(self, request: HttpRequest) -> HttpResponse | None:
        """None when the request may read a guarded endpoint, else the 403 to send."""
        if not self._strict:
            return None
        sent = request.headers.get(TOKEN_HEADER)
        if sent is not None and hmac.compare_digest(sent.encode(), self._token.encode()):
            return None
        try:
            sigv4.verify_request(request, sigv4.S3, secrets=self._secret)
        except SignatureError as failure:
            error = service_error(failure, query_style=False)
            if sent is not None or isinstance(failure, MissingAuthentication):
                return _denied(
                    "AccessDeniedException",
                    f"lambdaport's {request.path} needs the {TOKEN_HEADER} header (the "
                    f"{TOKEN_FILE} file of the server's data directory) or a SigV4 signature.",
                )
            return _denied(error.code, error.message)
        return None
