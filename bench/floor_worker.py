"""The pipe floor's warm worker: read a length-prefixed frame on stdin, answer one on stdout.

Each frame is a 4-byte big-endian length and that many bytes of JSON. The worker decodes the
invocation, calls a silent handler with its payload, and writes the encoded result, which is
the least a warm execution environment does per invocation.
"""

from __future__ import annotations

import os
import struct
from typing import Any

import orjson

_LENGTH = struct.Struct(">I")


def _read_exactly(fd: int, size: int) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = os.read(fd, remaining)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def handler(event: Any, context: Any) -> dict[str, bool]:
    return {"ok": True}


def serve(read_fd: int, write_fd: int) -> None:
    while True:
        try:
            (size,) = _LENGTH.unpack(_read_exactly(read_fd, _LENGTH.size))
            invocation = orjson.loads(_read_exactly(read_fd, size))
        except EOFError:
            return
        result = handler(invocation["payload"], None)
        answer = orjson.dumps({"request_id": invocation["request_id"], "result": result})
        os.write(write_fd, _LENGTH.pack(len(answer)) + answer)


if __name__ == "__main__":
    serve(0, 1)
