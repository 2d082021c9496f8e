"""The checksums S3 computes over bodies: MD5 (the ETag) and the flexible checksums
(``CRC32``, ``CRC32C``, ``CRC64NVME``, ``SHA1``, ``SHA256``), base64 as S3 writes them.

CRC32 and the SHAs run in C (``zlib``, ``hashlib``); CRC32C and CRC64NVME are table-driven
Python, fast enough for what SDKs send without the AWS CRT (they only send these on request).
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Iterable
from typing import Protocol

ALGORITHMS = ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256")


class Hasher(Protocol):
    def update(self, data: bytes, /) -> None: ...

    def digest(self) -> bytes: ...


def _table(poly: int, width: int) -> tuple[int, ...]:
    mask = (1 << width) - 1
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc & mask)
    return tuple(table)


_CRC32C_TABLE = _table(0x82F63B78, 32)
_CRC64NVME_TABLE = _table(0x9A6C9329AC4BC9B5, 64)


class _Crc32:
    def __init__(self) -> None:
        self._crc = 0

    def update(self, data: bytes, /) -> None:
        self._crc = zlib.crc32(data, self._crc)

    def digest(self) -> bytes:
        return self._crc.to_bytes(4, "big")


class _TableCrc:
    def __init__(self, table: tuple[int, ...], width: int) -> None:
        self._table = table
        self._mask = (1 << width) - 1
        self._width = width
        self._crc = self._mask

    def update(self, data: bytes, /) -> None:
        crc, table = self._crc, self._table
        for byte in data:
            crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
        self._crc = crc

    def digest(self) -> bytes:
        return (self._crc ^ self._mask).to_bytes(self._width // 8, "big")


def new_hasher(algorithm: str) -> Hasher:
    name = algorithm.upper()
    if name == "CRC32":
        return _Crc32()
    if name == "CRC32C":
        return _TableCrc(_CRC32C_TABLE, 32)
    if name == "CRC64NVME":
        return _TableCrc(_CRC64NVME_TABLE, 64)
    if name == "SHA1":
        return hashlib.sha1()
    if name == "SHA256":
        return hashlib.sha256()
    raise ValueError(f"unknown checksum algorithm {algorithm!r}")


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def composite(algorithm: str, part_values: Iterable[str]) -> str:
    """The checksum of a multipart object: the checksum of the parts' binary checksums,
    suffixed with ``-<number of parts>``."""
    hasher = new_hasher(algorithm)
    count = 0
    for value in part_values:
        hasher.update(base64.b64decode(value))
        count += 1
    return f"{b64(hasher.digest())}-{count}"


def multipart_etag(part_etags: Iterable[str]) -> str:
    """``md5(concatenated binary part MD5s)-N``, S3's ETag of a multipart object."""
    md5 = hashlib.md5()
    count = 0
    for etag in part_etags:
        md5.update(bytes.fromhex(etag))
        count += 1
    return f"{md5.hexdigest()}-{count}"


class BodyDigests:
    """Every digest one body needs, fed chunk by chunk."""

    def __init__(self, algorithms: Iterable[str] = (), sha256_hex: bool = False) -> None:
        self.md5 = hashlib.md5()
        self.size = 0
        self.checksums: dict[str, Hasher] = {name: new_hasher(name) for name in algorithms}
        self.content_sha256 = hashlib.sha256() if sha256_hex else None

    def update(self, data: bytes) -> None:
        self.size += len(data)
        self.md5.update(data)
        for hasher in self.checksums.values():
            hasher.update(data)
        if self.content_sha256 is not None:
            self.content_sha256.update(data)

    def checksum_values(self) -> dict[str, str]:
        return {name: b64(hasher.digest()) for name, hasher in self.checksums.items()}
