"""Object bodies as files below the data directory: ``s3/objects/<xx>/<name>``.

A body is written to ``s3/tmp/`` while it streams in and renamed into place when complete, so
a half-received body never has a name. Files are immutable once named: a copy is a hard link,
a replaced or deleted version's file is unlinked after the row that named it is gone.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

READ_CHUNK = 256 * 1024


class BlobWriter:
    """A body being written; ``commit()`` names it, ``discard()`` forgets it."""

    def __init__(self, blobs: BlobStore) -> None:
        self._blobs = blobs
        self.name = uuid.uuid4().hex
        self._temp = blobs.tmp_dir / self.name
        self._file: BinaryIO | None = self._temp.open("wb")

    def write(self, data: bytes) -> None:
        assert self._file is not None
        self._file.write(data)

    def commit(self) -> str:
        assert self._file is not None
        self._file.close()
        self._file = None
        target = self._blobs.path(self.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self._temp, target)
        return self.name

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._temp.unlink(missing_ok=True)


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.objects_dir = root / "objects"
        self.tmp_dir = root / "tmp"
        self.objects_dir.mkdir(parents=True, exist_ok=True)
        # Bodies that were streaming in when the server stopped never got a name.
        shutil.rmtree(self.tmp_dir, ignore_errors=True)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)

    def path(self, name: str) -> Path:
        return self.objects_dir / name[:2] / name

    def writer(self) -> BlobWriter:
        return BlobWriter(self)

    def remove(self, names: Iterable[str]) -> None:
        for name in names:
            if name:
                self.path(name).unlink(missing_ok=True)

    def link(self, name: str) -> str:
        """A new name for the same bytes (a hard link; a copy where links are refused)."""
        new = uuid.uuid4().hex
        target = self.path(new)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(self.path(name), target)
        except OSError:
            shutil.copyfile(self.path(name), target)
        return new

    def concatenate(self, names: Iterable[str]) -> str:
        """One new body made of several (multipart completion); blocking, run in a thread."""
        writer = self.writer()
        try:
            assert writer._file is not None
            for name in names:
                with self.path(name).open("rb") as source:
                    shutil.copyfileobj(source, writer._file, 1024 * 1024)
            return writer.commit()
        except BaseException:
            writer.discard()
            raise

    def read(self, name: str, start: int, length: int) -> Iterator[bytes]:
        """The bytes ``[start, start + length)`` of a body, in chunks."""
        with self.path(name).open("rb") as source:
            source.seek(start)
            left = length
            while left > 0:
                chunk = source.read(min(READ_CHUNK, left))
                if not chunk:
                    return
                left -= len(chunk)
                yield chunk

    def read_all(self, name: str) -> bytes:
        if not name:
            return b""
        return self.path(name).read_bytes()

    def md5_hex(self, name: str) -> str:
        """The MD5 of a whole body (a single-part ETag)."""
        digest = hashlib.md5()
        with self.path(name).open("rb") as source:
            while chunk := source.read(READ_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()
