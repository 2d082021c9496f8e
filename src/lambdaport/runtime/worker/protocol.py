"""The framed pipe protocol between the server and a worker (worker side, stdlib only).

Runs inside the function's interpreter (Python 3.9 to 3.13), so it uses nothing beyond the
standard library.

Three pipes join a worker to the server:

* the request pipe (server -> worker) carries one frame per invocation;
* the response pipe (worker -> server) carries the init frame, then one frame per invocation;
* the log pipe is the worker's fd 1 and fd 2: raw bytes, everything the function prints.

A frame is ``>II`` (header length, body length), a JSON header, then the body as raw bytes, so
a 6 MB payload is never escaped into JSON. The worker flushes stdout and stderr before it
writes a response frame: when the server has read the frame, every log byte of that
invocation is already in the log pipe and can be drained without waiting.

Request header: ``{"id", "arn", "deadline_ms", "client_context", "cognito_identity",
"trace_id"}``; body: the event payload.
Init header: ``{"kind": "init", "pid", "error"}`` where ``error`` is an AWS error object or
null; no body.
Response header: ``{"kind": "response", "error_type", "max_rss_kb"}`` where ``error_type`` is
null on success; body: the result payload or the error object.
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any

FRAME_PREFIX = struct.Struct(">II")

# AWS's cap on a synchronous response (RIE: 6 MiB + 100 bytes).
MAX_RESPONSE_BYTES = 6291556

# Pipe buffer size asked for with F_SETPIPE_SZ (fewer wake-ups for large payloads).
PIPE_SIZE = 1 << 20
# The smallest read: below glibc's default mmap threshold (128 KiB), so served from the heap.
READ_SIZE = 1 << 16
F_SETPIPE_SZ = 1031


# One compact encoder for every frame header (``json.dumps`` with options builds a new
# encoder per call).
_HEADER_ENCODER = json.JSONEncoder(separators=(",", ":"))


def encode_frame(header: dict[str, Any], body: bytes = b"") -> bytes:
    head = _HEADER_ENCODER.encode(header).encode()
    return FRAME_PREFIX.pack(len(head), len(body)) + head + body


def response_frame(error_type: str | None, max_rss_kb: int, body: bytes) -> bytes:
    """The response frame, its header formatted directly (the JSON encoder's per-call setup
    costs more than the whole header, on a path taken once per invocation)."""
    kind = "null" if error_type is None else json.dumps(error_type)
    head = f'{{"kind":"response","error_type":{kind},"max_rss_kb":{int(max_rss_kb)}}}'.encode()
    return FRAME_PREFIX.pack(len(head), len(body)) + head + body


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class FrameReader:
    """Reads frames from a blocking file descriptor."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = bytearray()

    def _fill(self, size: int) -> bool:
        while len(self._buffer) < size:
            # At least READ_SIZE, else what the frame still needs: a read of a megabyte
            # "just in case" is a malloc above glibc's mmap threshold, i.e. an mmap, an
            # mremap, a munmap and two page faults per invocation.
            chunk = os.read(self._fd, max(READ_SIZE, size - len(self._buffer)))
            if not chunk:
                return False
            self._buffer += chunk
        return True

    def read_frame(self) -> tuple[dict[str, Any], bytes] | None:
        """The next frame, or None at end of file."""
        if not self._buffer:
            # The usual case: one read brings exactly one whole frame; no buffer copies.
            chunk = os.read(self._fd, READ_SIZE)
            if not chunk:
                return None
            if len(chunk) >= FRAME_PREFIX.size:
                head_len, body_len = FRAME_PREFIX.unpack_from(chunk)
                start = FRAME_PREFIX.size
                if start + head_len + body_len == len(chunk):
                    header = json.loads(chunk[start : start + head_len].decode())
                    return header, chunk[start + head_len :]
            self._buffer += chunk
        if not self._fill(FRAME_PREFIX.size):
            return None
        head_len, body_len = FRAME_PREFIX.unpack_from(self._buffer)
        total = FRAME_PREFIX.size + head_len + body_len
        if not self._fill(total):
            return None
        start = FRAME_PREFIX.size
        header = json.loads(self._buffer[start : start + head_len].decode())
        body = bytes(self._buffer[start + head_len : total])
        del self._buffer[:total]
        return header, body
