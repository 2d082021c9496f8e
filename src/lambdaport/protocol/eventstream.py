"""AWS's event stream framing (``application/vnd.amazon.eventstream``): the binary messages of
an operation whose output is an event stream (Lambda's ``InvokeWithResponseStream``).

A message is its total length and its headers' length (4 bytes each, big-endian), the CRC-32
of those 8 bytes, the headers, the payload and the CRC-32 of everything before it. A header
is its name's length (1 byte), the name, a type (7: string), the value's length (2 bytes) and
the value. An event carries ``:message-type`` ``event``, ``:event-type`` (the member of the
stream's union) and ``:content-type``; botocore checks both CRCs.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

_STRING = 7
_PRELUDE = struct.Struct(">II")
_CRC = struct.Struct(">I")


def _header(name: str, value: str) -> bytes:
    key, text = name.encode(), value.encode()
    return bytes((len(key),)) + key + bytes((_STRING,)) + struct.pack(">H", len(text)) + text


def encode_message(headers: Sequence[tuple[str, str]], payload: bytes) -> bytes:
    """One message with string ``headers`` and ``payload``."""
    head = b"".join(_header(name, value) for name, value in headers)
    prelude = _PRELUDE.pack(
        _PRELUDE.size + _CRC.size + len(head) + len(payload) + _CRC.size, len(head)
    )
    start = prelude + _CRC.pack(zlib.crc32(prelude))
    message = start + head + payload
    return message + _CRC.pack(zlib.crc32(message))


def encode_event(event_type: str, payload: bytes, content_type: str) -> bytes:
    """An event of the stream's member ``event_type``."""
    headers = (
        (":event-type", event_type),
        (":content-type", content_type),
        (":message-type", "event"),
    )
    return encode_message(headers, payload)
