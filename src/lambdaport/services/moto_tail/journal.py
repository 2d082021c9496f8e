"""The journal of moto's state: every call that may have changed it, in the order moto ran them.

Layout, in ``DATA_DIR/moto/journal/``: segment files named by the sequence number of their
first entry (``00000000000000000001.log``), appended to in order; a new segment starts at
each snapshot (``durability``), and the segments a snapshot covers are deleted. A segment is
a run of records, each ``length (4 bytes, big-endian) | CRC-32 of the payload (4 bytes) |
payload`` (an entry as JSON, the request body base64). A record the process died while
writing is detected by its length or checksum and cut off at the next start: its call was
never answered.

An entry is written (``write(2)``, unbuffered) by moto's worker thread under the tail's lock,
right after moto ran the call and before its response goes back, so the file's order is
moto's order and an answered call is in the file. Like the SQLite store
(``synchronous=NORMAL``), that survives the death of lambdaport (``kill -9``); segments are
fsynced when a snapshot closes them and at shutdown, not after every entry (measured in
``docs/benchmarks.md``).

Which calls are journaled (``is_read_only``): every call whose operation is not known to be
read-only. An operation is read-only when its name starts with ``Get``, ``List``,
``Describe``, ``BatchGet``, ``Head``, ``Query``, ``Scan``, ``Search`` or ``Lookup``, unless
it is one of the few that change state all the same (``STATEFUL_READS``: Cognito Identity's
``GetId``, which creates the identity). A skipped read can only lose what a read changes in
moto (Secrets Manager's ``LastAccessedDate``); anything else costs a journal entry, never
correctness. The tail also journals a read during which moto created a backend (its
default resources, EC2's default VPC, get their ids then). A call in ``UNREPEATABLE`` is
journaled and then snapshotted at once (``durability``): what it made cannot be replayed.
"""

from __future__ import annotations

import base64
import logging
import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from lambdaport.services.moto_tail.wsgi import WsgiRequest

logger = logging.getLogger("lambdaport.moto_tail")

READ_ONLY_PREFIXES = (
    "Get",
    "List",
    "Describe",
    "BatchGet",
    "Head",
    "Query",
    "Scan",
    "Search",
    "Lookup",
)
# (client, operation): named like reads, but moto (as AWS) changes state.
STATEFUL_READS = frozenset(
    {
        ("cognito-identity", "GetId"),
        ("cognito-identity", "GetOpenIdTokenForDeveloperIdentity"),
    }
)
# (client, operation): calls whose effect moto draws from the OS's randomness, not from its
# seedable source (key material, key pairs, certificates): a replay could not repeat them,
# so the tail snapshots moto's state right after one, before it is answered.
UNREPEATABLE = frozenset(
    {
        # lambdaport deletes the domain's API mappings first (apigatewayv2's hooks: moto
        # fails deleting them itself), which a replay of the call alone would not do.
        ("apigatewayv2", "DeleteDomainName"),
        ("kms", "CreateKey"),
        ("kms", "ReplicateKey"),
        ("ec2", "CreateKeyPair"),
        ("acm", "RequestCertificate"),
        ("acm-pca", "CreateCertificateAuthority"),
        ("acm-pca", "IssueCertificate"),
        ("iot", "CreateKeysAndCertificate"),
        ("iot", "CreateProvisioningClaim"),
        ("iam", "CreateVirtualMFADevice"),
    }
)
_HEADER = struct.Struct(">II")
_SUFFIX = ".log"


def is_read_only(service: str, operation: str) -> bool:
    """Whether ``operation`` of the client ``service`` is known not to change moto's state."""
    if (service, operation) in STATEFUL_READS:
        return False
    return operation.startswith(READ_ONLY_PREFIXES)


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One call as moto ran it: ``at`` the clock then (seconds since the epoch), ``seed``
    what moto's random source was seeded with, ``extra`` the headers the tail set (the
    account, the region of an unsigned call); the request is the bytes moto was handed."""

    seq: int
    at: float
    seed: int
    service: str
    operation: str
    request: WsgiRequest
    extra: tuple[tuple[str, str], ...]

    def encode(self) -> bytes:
        request = self.request
        payload = orjson.dumps(
            {
                "seq": self.seq,
                "at": self.at,
                "seed": self.seed,
                "service": self.service,
                "operation": self.operation,
                "method": request.method,
                "path": request.raw_path,
                "query": request.query,
                "headers": request.headers,
                "body": base64.b64encode(request.body).decode("ascii"),
                "host": request.host,
                "port": request.port,
                "extra": self.extra,
            }
        )
        return _HEADER.pack(len(payload), zlib.crc32(payload)) + payload

    @classmethod
    def decode(cls, payload: bytes) -> JournalEntry:
        fields: dict[str, Any] = orjson.loads(payload)
        request = WsgiRequest(
            method=fields["method"],
            raw_path=fields["path"],
            query=fields["query"],
            headers=tuple((str(k), str(v)) for k, v in fields["headers"]),
            body=base64.b64decode(fields["body"]),
            host=fields["host"],
            port=fields["port"],
        )
        return cls(
            seq=int(fields["seq"]),
            at=float(fields["at"]),
            seed=int(fields["seed"]),
            service=fields["service"],
            operation=fields["operation"],
            request=request,
            extra=tuple((str(k), str(v)) for k, v in fields["extra"]),
        )


class Journal:
    """The segment files of one directory (see the module docstring). Not thread-safe: the
    tail's worker thread is its only user."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._file: BinaryIO | None = None
        self._valid_end: tuple[Path, int] | None = None  # the last segment's good length

    def segments(self) -> list[tuple[int, Path]]:
        found = [
            (int(path.stem), path)
            for path in self.directory.iterdir()
            if path.suffix == _SUFFIX and path.stem.isdigit()
        ]
        return sorted(found)

    def entries(self) -> Iterator[JournalEntry]:
        """Every whole entry, in order; a torn record at the end is left out (and cut off
        by :meth:`open`)."""
        segments = self.segments()
        for index, (_, path) in enumerate(segments):
            data = path.read_bytes()
            offset = 0
            while offset < len(data):
                payload = _record_at(data, offset)
                if payload is None:
                    if index != len(segments) - 1:
                        logger.error("moto journal %s is damaged at byte %d", path, offset)
                    break
                yield JournalEntry.decode(payload)
                offset += _HEADER.size + len(payload)
            if index == len(segments) - 1:
                self._valid_end = (path, offset)

    def open(self, next_seq: int) -> None:
        """Append from now on: to the last segment (cut to its last whole record) or, when
        there is none, to a new one starting at ``next_seq``."""
        segments = self.segments()
        if not segments:
            self._start(next_seq)
            return
        path = segments[-1][1]
        if self._valid_end is None or self._valid_end[0] != path:
            for _ in self.entries():
                pass
        assert self._valid_end is not None
        end = self._valid_end[1]
        if path.stat().st_size != end:
            logger.warning("moto journal %s: an unfinished record cut off at byte %d", path, end)
            os.truncate(path, end)
        self._file = path.open("ab", buffering=0)

    def append(self, entry: JournalEntry) -> None:
        file = self._file
        if file is None:
            raise RuntimeError("the moto journal is not open")
        file.write(entry.encode())

    def rotate(self, next_seq: int) -> None:
        """Close the current segment (fsynced) and start one at ``next_seq``."""
        self.close()
        self._start(next_seq)

    def drop_before(self, first_kept: int) -> None:
        """Delete the segments whose entries all come before ``first_kept``."""
        for first, path in self.segments():
            if first < first_kept:
                path.unlink()
        _sync_directory(self.directory)

    def close(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            os.fsync(file.fileno())
            file.close()

    def _start(self, first_seq: int) -> None:
        path = self.directory / f"{first_seq:020d}{_SUFFIX}"
        self._file = path.open("ab", buffering=0)
        _sync_directory(self.directory)


def _record_at(data: bytes, offset: int) -> bytes | None:
    if offset + _HEADER.size > len(data):
        return None
    length, checksum = _HEADER.unpack_from(data, offset)
    start = offset + _HEADER.size
    payload = data[start : start + length]
    if len(payload) != length or zlib.crc32(payload) != checksum:
        return None
    return payload


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
