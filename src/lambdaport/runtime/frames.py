"""The server's side of the worker frame protocol (see ``worker/protocol.py``), with orjson."""

from __future__ import annotations

from typing import Any

import orjson

from lambdaport.runtime.spec import Invocation
from lambdaport.runtime.worker.protocol import FRAME_PREFIX

_PREFIX_SIZE = FRAME_PREFIX.size

Frame = tuple[dict[str, Any], bytes]


def encode_request(invocation: Invocation, deadline_ms: int) -> bytes:
    header = orjson.dumps(
        {
            "id": invocation.request_id,
            "arn": invocation.invoked_function_arn,
            "deadline_ms": deadline_ms,
            "client_context": invocation.client_context,
            "cognito_identity": invocation.cognito_identity,
            "trace_id": invocation.trace_id,
        }
    )
    payload = invocation.payload
    return FRAME_PREFIX.pack(len(header), len(payload)) + header + payload


class FrameParser:
    """Splits a byte stream into frames; a whole frame in one chunk is parsed without copying."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Frame]:
        if not self._buffer and len(data) >= _PREFIX_SIZE:
            head_len, body_len = FRAME_PREFIX.unpack_from(data)
            end = _PREFIX_SIZE + head_len + body_len
            if end == len(data):
                header = orjson.loads(data[_PREFIX_SIZE : _PREFIX_SIZE + head_len])
                return [(header, data[_PREFIX_SIZE + head_len :])]
        self._buffer += data
        frames: list[Frame] = []
        buffer = self._buffer
        while len(buffer) >= _PREFIX_SIZE:
            head_len, body_len = FRAME_PREFIX.unpack_from(buffer)
            end = _PREFIX_SIZE + head_len + body_len
            if len(buffer) < end:
                break
            header = orjson.loads(buffer[_PREFIX_SIZE : _PREFIX_SIZE + head_len])
            frames.append((header, bytes(buffer[_PREFIX_SIZE + head_len : end])))
            del buffer[:end]
        return frames
