"""What the gateway sends: whole responses, and every error it answers, made in one place
(:func:`error_response`) for buffered and raw endpoints alike.

An error's words are its endpoint's (``endpoint.ErrorProtocol``: the body in the service's
wire format, the headers that carry the request id); an answer to ``HEAD`` is its status and
headers only (``Content-Length: 0``), as S3 answers a HeadObject of a missing key.
Requests for no endpoint are answered in AWS's bare JSON (:data:`BARE_JSON`) or, for a
service AWS does not have, as AWS answers those (:func:`unknown_service`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import orjson

from lambdaport.asgi import Send
from lambdaport.endpoint import ErrorProtocol, service_fault
from lambdaport.errors import AwsError
from lambdaport.gateway.identity import Identity
from lambdaport.protocol.base import HttpRequest, HttpResponse

_AMZ_JSON = "application/x-amz-json-1.1"


def error_response(
    errors: ErrorProtocol, error: AwsError, request_id: str, *, head: bool = False
) -> HttpResponse:
    """``error`` as ``errors`` answer it; without a body when it answers a ``HEAD``."""
    response = errors.error_response(error, request_id)
    if head:
        response.body = b""
    return response


def json_error(status: int, code: str, message: str) -> HttpResponse:
    return HttpResponse(
        status,
        [("content-type", "application/json"), ("x-amzn-errortype", code)],
        orjson.dumps({"__type": code, "message": message}),
    )


@dataclass(frozen=True, slots=True)
class _BareJson:
    """The errors of a request no endpoint takes: AWS's bare JSON error."""

    internal: AwsError = field(default_factory=service_fault)

    def error_response(self, error: AwsError, request_id: str) -> HttpResponse:
        response = json_error(error.status, error.code, error.message)
        response.headers.append(("x-amzn-requestid", request_id))
        return response


BARE_JSON = _BareJson()


def _wire_headers(response: HttpResponse) -> list[tuple[bytes, bytes]]:
    """The response's headers as bytes, with ``Content-Length`` as AWS sends it (without it
    the server would fall back to chunked encoding, which costs every client a parse)."""
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    if (
        response.stream is None
        and response.status not in (204, 304)
        and not any(name.lower() == b"content-length" for name, _ in headers)
    ):
        headers.append((b"content-length", str(len(response.body)).encode()))
    return headers


async def answer(send: Send, response: HttpResponse, *, close: bool = False) -> None:
    """Send a response (a streamed one part by part); ``close`` when the request's body was
    left unread (the rest of it must not be taken for the next request on the
    connection)."""
    headers = _wire_headers(response)
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    if response.stream is not None:  # each part as it comes (chunked encoding)
        async for part in response.stream:
            await send({"type": "http.response.body", "body": part, "more_body": True})
    await send({"type": "http.response.body", "body": response.body})


def unknown_service(request: HttpRequest, identity: Identity, request_id: str) -> HttpResponse:
    """What AWS answers a request no service of its own would take, in the format the
    request speaks: an unknown ``X-Amz-Target`` is 400 ``UnknownOperationException`` (as
    every JSON-protocol endpoint answers one); a signature scoped to a service that does not
    exist is 403 "Credential should be scoped to correct service" (``SignatureDoesNotMatch``
    from query endpoints, ``InvalidSignatureException`` from JSON ones); an unsigned
    query-protocol call is 400 ``InvalidAction``."""
    headers = request.headers
    target = headers.get("x-amz-target")
    if target:
        content_type = headers.get("content-type", "")
        return HttpResponse(
            400,
            [
                ("content-type", content_type if "amz-json" in content_type else _AMZ_JSON),
                ("x-amzn-errortype", "UnknownOperationException"),
            ],
            orjson.dumps(
                {"__type": "UnknownOperationException", "message": f"Unknown operation {target}"}
            ),
        )
    query_style = "Action=" in request.query or headers.get("content-type", "").startswith(
        "application/x-www-form-urlencoded"
    )
    if identity.signed:
        named = (
            f"'{identity.service}' is not an AWS service"
            if identity.service
            else "the credential scope names no service"
        )
        status = 403
        message = f"Credential should be scoped to correct service: {named}."
        code = "SignatureDoesNotMatch" if query_style else "InvalidSignatureException"
    else:
        status = 400
        message = f"'{identity.service}' is not an AWS service."
        code = "InvalidAction" if query_style else "UnknownOperationException"
    if not query_style:
        return json_error(status, code, message)
    body = (
        f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
        f"<Message>{escape(message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    return HttpResponse(status, [("content-type", "text/xml")], body.encode())
