"""``PendingWork``, the server's side of a drain: it returns once every counter is zero (and
not on a single zero read taken across an await), awaits the counters that are coroutines,
and gives up at its deadline with what is left."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from lambdaport.pending import PendingWork


def test_nothing_pending_returns_at_once() -> None:
    pending = PendingWork({"a": lambda: 0, "b": lambda: 0})
    assert asyncio.run(pending.drain(0)) == {"a": 0, "b": 0}


def test_waits_until_the_work_is_done() -> None:
    work = {"left": 3}

    async def scenario() -> dict[str, int]:
        pending = PendingWork({"work": lambda: work["left"]})

        async def do_the_work() -> None:
            while work["left"]:
                await asyncio.sleep(0.01)
                work["left"] -= 1

        worker = asyncio.create_task(do_the_work())
        counts = await pending.drain(60)
        assert worker.done()  # drained means done, not just "seen zero once"
        return counts

    assert asyncio.run(scenario()) == {"work": 0}


def test_gives_up_at_the_deadline_with_what_is_left() -> None:
    async def scenario() -> tuple[dict[str, int], float]:
        pending = PendingWork({"held": lambda: 1, "idle": lambda: 0})
        loop = asyncio.get_running_loop()
        started = loop.time()
        counts = await pending.drain(0.2)
        return counts, loop.time() - started

    counts, waited = asyncio.run(scenario())
    assert counts == {"held": 1, "idle": 0}
    assert waited >= 0.2


def test_awaits_counters_that_are_coroutines() -> None:
    reads: Iterator[int] = iter([2, 1, 0, 0])

    async def stored() -> int:
        await asyncio.sleep(0)
        return next(reads)

    assert asyncio.run(PendingWork({"stored": stored}).drain(60)) == {"stored": 0}


def test_one_zero_read_is_not_drained() -> None:
    """Work seen nowhere in one read (it moved between counters across an await) and found
    again in the next is still pending: it takes two reads in a row at zero."""
    reads = iter([0, 1, 0, 0])
    calls: list[int] = []

    def moving() -> int:
        calls.append(1)
        return next(reads)

    assert asyncio.run(PendingWork({"moving": moving}).drain(60)) == {"moving": 0}
    assert len(calls) == 4
