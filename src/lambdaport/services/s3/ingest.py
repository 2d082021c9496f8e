"""Receiving a body: streamed from the ASGI receive loop into a blob file, aws-chunked
framing decoded on the way, every digest the request asks for computed and checked.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field

from lambdaport.errors import AwsError
from lambdaport.protocol.sigv4 import ChunkSignatures
from lambdaport.services.s3.blobs import BlobStore, BlobWriter
from lambdaport.services.s3.call import S3Call
from lambdaport.services.s3.checksums import ALGORITHMS, BodyDigests
from lambdaport.services.s3.chunked import ChunkedDecoder
from lambdaport.services.s3.errors import bad_digest, invalid_request

MAX_OBJECT_SIZE = 5 * 1024**3  # a single PUT: 5 GB
_UNHASHED = ("UNSIGNED-PAYLOAD", "STREAMING-")


@dataclass(frozen=True, slots=True)
class Received:
    blob: str
    size: int
    md5_hex: str
    checksums: Mapping[str, str] = field(default_factory=dict)  # algorithm -> base64


def is_aws_chunked(headers: Mapping[str, str]) -> bool:
    encoding = headers.get("content-encoding", "")
    sha = headers.get("x-amz-content-sha256", "")
    return "aws-chunked" in encoding.lower() or sha.startswith("STREAMING-")


def stored_content_encoding(headers: Mapping[str, str]) -> str | None:
    """The Content-Encoding to keep with the object: without ``aws-chunked``."""
    parts = [p.strip() for p in headers.get("content-encoding", "").split(",")]
    kept = [p for p in parts if p and p.lower() != "aws-chunked"]
    return ",".join(kept) or None


def requested_algorithms(headers: Mapping[str, str], upload_algorithm: str | None) -> set[str]:
    """The flexible checksums this body must get: named by the SDK, sent as a header or
    announced as a trailer, or fixed by the multipart upload."""
    names: set[str] = set()
    for header in ("x-amz-sdk-checksum-algorithm", "x-amz-checksum-algorithm"):
        value = headers.get(header, "").upper()
        if value in ALGORITHMS:
            names.add(value)
    trailer = headers.get("x-amz-trailer", "").lower()
    for name in ALGORITHMS:
        header = f"x-amz-checksum-{name.lower()}"
        if header in headers or trailer == header:
            names.add(name)
    if upload_algorithm:
        names.add(upload_algorithm.upper())
    return names


def entity_too_large(size: int) -> AwsError:
    """A body past S3's 5 GiB for one PUT or POST."""
    return AwsError(
        "EntityTooLarge",
        "Your proposed upload exceeds the maximum allowed size",
        400,
        fields={"ProposedSize": size, "MaxSizeAllowed": MAX_OBJECT_SIZE},
    )


def _expected_length(headers: Mapping[str, str], chunked: bool) -> int | None:
    text = headers.get("x-amz-decoded-content-length") if chunked else None
    text = text or (None if chunked else headers.get("content-length"))
    if text is None:
        return None
    if not text.isdigit():
        raise invalid_request("Invalid content length.")
    length = int(text)
    if length > MAX_OBJECT_SIZE:
        raise entity_too_large(length)
    return length


def _incomplete() -> AwsError:
    return AwsError(
        "IncompleteBody",
        "You did not provide the number of bytes specified by the Content-Length HTTP header",
        400,
    )


async def _pump(
    call: S3Call, writer: BlobWriter, digests: BodyDigests, expected: int | None
) -> dict[str, str]:
    """Stream the body into ``writer``; stop as soon as it passes the announced length (an
    aws-chunked body's decoded length) or, announced by nothing (chunked transfer
    encoding), 5 GiB."""
    limit = MAX_OBJECT_SIZE if expected is None else expected
    decoder = None
    if is_aws_chunked(call.headers):
        seed = call.signed_chunks
        decoder = ChunkedDecoder(None if seed is None else ChunkSignatures(seed))
    more = True
    while more:
        message = await call.receive()
        if message["type"] == "http.disconnect":
            raise AwsError("IncompleteBody", "The client closed the connection.", 400)
        data: bytes = message.get("body", b"")
        more = bool(message.get("more_body", False))
        if decoder is not None:
            data = decoder.feed(data)
        if data:
            size = digests.size + len(data)
            if size > limit:
                raise entity_too_large(size) if expected is None else _incomplete()
            digests.update(data)
            writer.write(data)
    if decoder is None:
        return {}
    decoder.finish()
    return decoder.trailers


def _check(call: S3Call, digests: BodyDigests, trailers: Mapping[str, str]) -> None:
    headers = call.headers
    content_md5 = headers.get("content-md5")
    if content_md5 is not None:
        try:
            expected = base64.b64decode(content_md5, validate=True)
        except (binascii.Error, ValueError):
            raise AwsError(
                "InvalidDigest", "The Content-MD5 you specified was invalid.", 400
            ) from None
        if expected != digests.md5.digest():
            raise AwsError(
                "BadDigest", "The Content-MD5 you specified did not match what we received.", 400
            )
    values = digests.checksum_values()
    for name, value in values.items():
        sent = headers.get(f"x-amz-checksum-{name.lower()}") or trailers.get(
            f"x-amz-checksum-{name.lower()}"
        )
        if sent is not None and sent != value:
            raise bad_digest(name)
    sha = headers.get("x-amz-content-sha256", "")
    if digests.content_sha256 is not None and digests.content_sha256.hexdigest() != sha:
        raise AwsError(
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
            400,
            fields={"ClientComputedContentSHA256": sha},
        )


async def receive_body(
    call: S3Call, blobs: BlobStore, upload_algorithm: str | None = None
) -> Received:
    """Stream the request body into a new blob; check its length and digests."""
    chunked = is_aws_chunked(call.headers)
    expected = _expected_length(call.headers, chunked)
    sha = call.headers.get("x-amz-content-sha256", "")
    digests = BodyDigests(
        requested_algorithms(call.headers, upload_algorithm),
        sha256_hex=bool(sha) and not sha.startswith(_UNHASHED),
    )
    writer = blobs.writer()
    try:
        trailers = await _pump(call, writer, digests, expected)
        if expected is not None and digests.size != expected:
            raise _incomplete()
        _check(call, digests, trailers)
        name = writer.commit()
    except BaseException:
        writer.discard()
        raise
    return Received(name, digests.size, digests.md5.hexdigest(), digests.checksum_values())
