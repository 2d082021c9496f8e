"""The MD5 digests SQS returns, computed as AWS computes them (SDKs verify them).

``MD5OfMessageBody`` is the MD5 of the body's UTF-8 bytes. ``MD5OfMessageAttributes`` (and
``MD5OfMessageSystemAttributes``) is the MD5 of the attributes sorted by name, each encoded
as: name (4-byte big-endian length + UTF-8), data type (same), one transport byte (1 string,
2 binary, 3 string list, 4 binary list) and the value(s), each length-prefixed.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping

from lambdaport.services.sqs.models import AttributeValue

_STRING, _BINARY, _STRING_LIST, _BINARY_LIST = 1, 2, 3, 4


def md5_of_body(body: str) -> str:
    return hashlib.md5(body.encode(), usedforsecurity=False).hexdigest()


def _chunk(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _encoded_value(value: AttributeValue) -> bytes:
    if value.string_value is not None:
        return bytes([_STRING]) + _chunk(value.string_value.encode())
    if value.binary_value is not None:
        return bytes([_BINARY]) + _chunk(value.binary_value)
    if value.string_list_values:
        return bytes([_STRING_LIST]) + b"".join(
            _chunk(item.encode()) for item in value.string_list_values
        )
    return bytes([_BINARY_LIST]) + b"".join(_chunk(item) for item in value.binary_list_values)


def md5_of_attributes(attributes: Mapping[str, AttributeValue]) -> str | None:
    """None when there are no attributes (AWS then leaves the member out)."""
    if not attributes:
        return None
    digest = hashlib.md5(usedforsecurity=False)
    for name in sorted(attributes):
        value = attributes[name]
        digest.update(_chunk(name.encode()))
        digest.update(_chunk(value.data_type.encode()))
        digest.update(_encoded_value(value))
    return digest.hexdigest()
