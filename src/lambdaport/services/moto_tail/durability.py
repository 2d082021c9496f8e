"""moto's state made durable in the data directory: a journal of the calls that may have
changed it, and a compacting snapshot.

Layout of ``DATA_DIR/moto/``: ``journal/`` (``journal.py``: the calls, in moto's order, each
written before its response is sent) and ``snapshot`` (``snapshot.py``: every backend in use,
pickled, after a header line ``{"seq": N, "moto": VERSION}`` naming the last journal entry it
includes). At start (:meth:`MotoDurability.recover`) the snapshot is loaded into moto and
every later entry replayed; the state is then snapshotted again, so the next start replays
nothing. A snapshot is also taken every ``snapshot_every`` entries and at shutdown: under
the lock, the state is pickled and the journal moves to a new segment; the snapshot is
written to a temporary file, fsynced and renamed over the old one; only then are the
segments it covers deleted. A crash at any point leaves a snapshot and the entries after it.

A state that does not pickle (``snapshot``) is not snapshotted: the journal grows and a
start replays all of it, which is slower but loses nothing; the next attempt waits for
another ``snapshot_every`` entries. A snapshot written by another moto version is loaded all
the same (moto's objects mostly pickle by their attributes); if it no longer loads,
lambdaport refuses to start rather than serve without it, and says which file.

The files are lambdaport's own: a snapshot is a pickle, loaded only from this data directory.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

import orjson

from lambdaport.services.moto_tail import snapshot
from lambdaport.services.moto_tail.journal import Journal, JournalEntry

logger = logging.getLogger("lambdaport.moto_tail")

SNAPSHOT_EVERY = 10_000
_SNAPSHOT = "snapshot"


class SnapshotUnreadable(RuntimeError):
    """The snapshot does not load into this moto: the state it holds cannot be served."""


class MotoDurability:
    """The journal and the snapshot of one data directory (used on the tail's worker thread,
    under its lock)."""

    def __init__(self, directory: Path, *, snapshot_every: int = SNAPSHOT_EVERY) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._journal = Journal(directory / "journal")
        self._snapshot_every = snapshot_every
        self._last_seq = 0
        self._snapshot_seq = 0
        self._next_attempt = snapshot_every
        self._open = False

    @property
    def has_state(self) -> bool:
        """Whether a start has anything to bring back."""
        if (self.directory / _SNAPSHOT).exists():
            return True
        return any(path.stat().st_size for _, path in self._journal.segments())

    def recover(self, replay: Callable[[JournalEntry], None]) -> int:
        """Load the snapshot, replay the entries after it; how many were replayed."""
        started = time.perf_counter()
        seq = self._load_snapshot()
        replayed = 0
        for entry in self._journal.entries():
            if entry.seq <= seq:
                continue
            replay(entry)
            seq = entry.seq
            replayed += 1
        self._last_seq = seq
        self._journal.open(seq + 1)
        self._open = True
        if replayed or seq:
            logger.info(
                "moto state back: %d journal entries replayed after snapshot %d in %.0f ms",
                replayed,
                self._snapshot_seq,
                (time.perf_counter() - started) * 1000,
            )
        if replayed:
            self.compact()
        return replayed

    def record(self, entry: Callable[[int], JournalEntry]) -> None:
        """Append the entry made with the next sequence number."""
        if not self._open:
            raise RuntimeError("the moto journal is written only after recover()")
        self._last_seq += 1
        self._journal.append(entry(self._last_seq))

    def compaction_due(self) -> bool:
        return self._last_seq - self._snapshot_seq >= self._next_attempt

    def compact(self) -> bool:
        """Snapshot moto's state (the lock is held) and drop the entries it covers."""
        seq = self._last_seq
        try:
            state = snapshot.take()
        except Exception as error:
            self._next_attempt = seq - self._snapshot_seq + self._snapshot_every
            logger.warning("moto's state did not pickle, the journal is kept whole: %s", error)
            return False
        self._journal.rotate(seq + 1)
        header = orjson.dumps({"seq": seq, "moto": _moto_version()}) + b"\n"
        path = self.directory / _SNAPSHOT
        temporary = path.with_suffix(".tmp")
        with temporary.open("wb") as file:
            file.write(header)
            file.write(state)
            file.flush()
            os.fsync(file.fileno())
        temporary.replace(path)
        self._journal.drop_before(seq + 1)
        self._snapshot_seq = seq
        self._next_attempt = self._snapshot_every
        return True

    def close(self, *, snapshot: bool = True) -> None:
        """At shutdown: a snapshot when anything changed since the last one (unless
        ``snapshot`` is False: the next start replays the journal, as after a crash)."""
        if snapshot and self._open and self._last_seq > self._snapshot_seq:
            self.compact()
        self._journal.close()
        self._open = False

    def _load_snapshot(self) -> int:
        path = self.directory / _SNAPSHOT
        if not path.exists():
            return 0
        data = path.read_bytes()
        line, _, state = data.partition(b"\n")
        header = orjson.loads(line)
        if header.get("moto") != _moto_version():
            logger.warning(
                "%s was written by moto %s; loading it into moto %s",
                path,
                header.get("moto"),
                _moto_version(),
            )
        try:
            restored = snapshot.restore(state)
        except Exception as error:
            raise SnapshotUnreadable(
                f"{path} (moto's state up to journal entry {header['seq']}) does not load "
                f"into moto {_moto_version()}: {error}"
            ) from error
        logger.debug("moto snapshot %s: %d region backends", path, restored)
        self._snapshot_seq = int(header["seq"])
        return self._snapshot_seq


def _moto_version() -> str:
    import moto

    return str(moto.__version__)
