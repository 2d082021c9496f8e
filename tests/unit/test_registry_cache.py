"""FunctionRegistry as a node-local cache of the store's documents: another writer's change
is seen through the documents' revisions (the seam a second node would use)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lambdaport.lambda_.models import Code, FunctionVersion
from lambdaport.lambda_.names import FunctionRef
from lambdaport.lambda_.registry import FunctionEntry, FunctionRegistry
from lambdaport.store.sqlite import SqliteStore


def test_a_registry_reloads_when_another_writer_changed_the_documents(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "data")
    ref = FunctionRef("000000000000", "us-east-1", "f", None)

    async def scenario() -> None:
        here, there = FunctionRegistry(store.documents), FunctionRegistry(store.documents)
        await here.load()
        await there.load()
        latest = FunctionVersion(
            "000000000000", "us-east-1", "f", "$LATEST", "python3.11", "role", "app.handler",
            Code("sha", 1, "ab"),
        )  # fmt: skip
        await there.save_function(FunctionEntry(latest=latest))
        assert here.find(ref) is None  # a cache: it does not see the other writer yet
        assert not await there.refresh()  # its own write: nothing to reload
        assert await here.refresh()
        assert here.find(ref) is not None
        assert not await here.refresh()

    try:
        asyncio.run(scenario())
    finally:
        store.close()
