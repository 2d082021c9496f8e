"""``Content-Encoding: aws-chunked`` bodies, decoded as they stream in.

The framing SDKs send for streaming uploads: ``<hex size>[;chunk-signature=...]\\r\\n<data>
\\r\\n`` repeated, a zero-size chunk, then trailer lines (``x-amz-checksum-crc32:...``) and an
empty line. With ``--strict-auth``, the chunk signatures of a
``STREAMING-AWS4-HMAC-SHA256-PAYLOAD`` body are checked as each chunk ends (and the
``x-amz-trailer-signature`` of a ``...-PAYLOAD-TRAILER`` one), before the upload is kept.
"""

from __future__ import annotations

from lambdaport.errors import AwsError
from lambdaport.protocol.signing import SignatureError
from lambdaport.protocol.sigv4 import ChunkSignatures
from lambdaport.services.s3.auth import s3_error

_MAX_LINE = 4096


def _malformed(message: str) -> AwsError:
    return AwsError("IncompleteBody", message, 400)


class ChunkedDecoder:
    """Feed raw body bytes in, get payload bytes out; ``trailers`` once ``done``."""

    def __init__(self, signatures: ChunkSignatures | None = None) -> None:
        self._signatures = signatures
        self._chunk_signature = ""
        self._buffer = bytearray()
        self._remaining = 0  # payload bytes left in the current chunk
        self._state = "size"  # size, data, crlf, trailer, done
        self.trailers: dict[str, str] = {}

    @property
    def done(self) -> bool:
        return self._state == "done"

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        self._buffer += data
        while self._buffer and self._state != "done":
            if self._state == "data":
                take = min(self._remaining, len(self._buffer))
                piece = bytes(self._buffer[:take])
                out += piece
                del self._buffer[:take]
                self._remaining -= take
                if self._signatures is not None:
                    self._signatures.update(piece)
                if self._remaining == 0:
                    self._end_chunk()
                    self._state = "crlf"
                continue
            if self._state == "crlf":
                if len(self._buffer) < 2:
                    break
                if self._buffer[:2] != b"\r\n":
                    raise _malformed("A chunk of the aws-chunked body is not followed by CRLF.")
                del self._buffer[:2]
                self._state = "size"
                continue
            line = self._line()
            if line is None:
                break
            self._on_line(line)
        return bytes(out)

    def _line(self) -> str | None:
        end = self._buffer.find(b"\r\n")
        if end < 0:
            if len(self._buffer) > _MAX_LINE:
                raise _malformed("An aws-chunked framing line is too long.")
            return None
        line = self._buffer[:end].decode("latin-1")
        del self._buffer[: end + 2]
        return line

    def _end_chunk(self) -> None:
        if self._signatures is None:
            return
        try:
            self._signatures.end_chunk(self._chunk_signature)
        except SignatureError as failure:
            raise s3_error(failure) from None

    def _on_line(self, line: str) -> None:
        if self._state == "size":
            size_text, _, extension = line.partition(";")
            try:
                size = int(size_text.strip(), 16)
            except ValueError:
                raise _malformed(f"Invalid aws-chunked chunk size {line[:40]!r}.") from None
            name, _, signature = extension.partition("=")
            self._chunk_signature = signature.strip() if name.strip() == "chunk-signature" else ""
            if size == 0:
                self._end_chunk()
                self._state = "trailer"
            else:
                self._remaining = size
                self._state = "data"
            return
        # trailer lines until the empty line
        if not line:
            self._end_trailer()
            self._state = "done"
            return
        name, _, value = line.partition(":")
        self.trailers[name.strip().lower()] = value.strip()

    def _end_trailer(self) -> None:
        signature = self.trailers.pop("x-amz-trailer-signature", None)
        if self._signatures is None or signature is None:
            return
        try:
            self._signatures.end_trailer(self.trailers, signature)
        except SignatureError as failure:
            raise s3_error(failure) from None

    def finish(self) -> None:
        """The body ended: it must have ended exactly at the end of the framing. A body
        whose last chunk has no trailer section (older SDKs) ends after the zero chunk."""
        if self._state == "trailer" and not self._buffer:
            self._state = "done"
        if self._state != "done":
            raise _malformed("The aws-chunked body ended before its final chunk.")
