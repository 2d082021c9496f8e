"""The journal and snapshot together (``moto_tail/durability.py``): a snapshot every N entries
drops the segments it covers, a start loads it and replays only what came after, and a state
that does not pickle keeps the whole journal. moto's state is this process's (the session's
in-process tail), so the snapshot is taken and loaded here; the entries are the tests' own."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambdaport.services.moto_tail import MotoTail, snapshot
from lambdaport.services.moto_tail.durability import MotoDurability
from lambdaport.services.moto_tail.journal import Journal, JournalEntry
from tests.services.moto_tail.test_journal import entry


def record(durability: MotoDurability, count: int) -> None:
    for _ in range(count):
        durability.record(entry)


def test_a_snapshot_every_n_entries_and_a_start_replays_what_came_after(
    tail: MotoTail, tmp_path: Path
) -> None:
    directory = tmp_path / "moto"
    durability = MotoDurability(directory, snapshot_every=3)
    assert durability.recover(lambda _: pytest.fail("nothing to replay")) == 0
    record(durability, 2)
    assert not durability.compaction_due()
    record(durability, 1)
    assert durability.compaction_due()
    assert durability.compact()
    record(durability, 2)  # entries 4 and 5, after the snapshot; then the process dies
    durability.close(snapshot=False)
    assert [e.seq for e in Journal(directory / "journal").entries()] == [4, 5]

    replayed: list[JournalEntry] = []
    after_crash = MotoDurability(directory, snapshot_every=3)
    assert after_crash.has_state
    assert after_crash.recover(replayed.append) == 2
    assert [e.seq for e in replayed] == [4, 5]
    # Recovery snapshotted again: the next start replays nothing; numbering goes on.
    assert list(Journal(directory / "journal").entries()) == []
    record(after_crash, 1)
    after_crash.close()
    assert (directory / "snapshot").read_bytes().startswith(b'{"seq":6,')
    again = MotoDurability(directory)
    assert again.recover(lambda _: pytest.fail("the clean stop left nothing")) == 0
    again.close()


def test_a_state_that_does_not_pickle_keeps_the_journal(
    tail: MotoTail, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.secretsmanager.models import secretsmanager_backends

    backend = secretsmanager_backends["777700007777"]["us-east-1"]
    monkeypatch.setattr(backend, "cursor", (n for n in range(3)), raising=False)  # a generator
    with pytest.raises(TypeError):
        snapshot.take()
    directory = tmp_path / "moto"
    durability = MotoDurability(directory, snapshot_every=2)
    durability.recover(lambda _: None)
    record(durability, 2)
    assert durability.compaction_due() and not durability.compact()
    assert not durability.compaction_due()  # tried again after another 2 entries
    record(durability, 2)
    assert durability.compaction_due()
    durability.close()
    assert not (directory / "snapshot").exists()
    replayed: list[int] = []
    reopened = MotoDurability(directory)
    reopened.recover(lambda e: replayed.append(e.seq))
    reopened.close(snapshot=False)
    assert replayed == [1, 2, 3, 4]


def test_a_start_that_wrote_nothing_leaves_nothing_to_bring_back(
    tail: MotoTail, tmp_path: Path
) -> None:
    directory = tmp_path / "moto"
    durability = MotoDurability(directory)
    durability.recover(lambda _: None)
    durability.close()
    assert not MotoDurability(directory).has_state  # app.py need not wait for moto
    durability = MotoDurability(directory)
    durability.recover(lambda _: None)
    record(durability, 1)
    durability.close(snapshot=False)
    assert MotoDurability(directory).has_state
