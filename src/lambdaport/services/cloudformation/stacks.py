"""Where stacks live: every stack, its events, change sets and exports as documents in the
store (``store.documents``), written together so a stack and its events never disagree."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from lambdaport.services.cloudformation.models import (
    CHANGE_SET_KIND,
    EVENT_KIND,
    EXPORT_KIND,
    STACK_KIND,
    ChangeSet,
    Event,
    Stack,
    does_not_exist,
)
from lambdaport.store.documents import Change, Delete, Documents, Put


class Stacks:
    def __init__(self, documents: Documents) -> None:
        self._documents = documents

    # -- stacks ----------------------------------------------------------------------------

    async def all(self, account: str, region: str) -> list[Stack]:
        rows = await self._documents.scan(STACK_KIND, (account, region))
        stacks = [Stack.of(body) for _, body in rows]
        return sorted(stacks, key=lambda stack: stack.created, reverse=True)

    async def everywhere(self) -> list[Stack]:
        return [Stack.of(body) for _, body in await self._documents.scan(STACK_KIND)]

    async def find(self, account: str, region: str, name: str) -> Stack | None:
        """A stack by its name (the live one) or its id (live or deleted)."""
        if name.startswith("arn:"):
            body = await self._documents.get(STACK_KIND, (account, region, name))
            return None if body is None else Stack.of(body)
        live = [
            stack
            for stack in await self.all(account, region)
            if stack.name == name and stack.status != "DELETE_COMPLETE"
        ]
        return live[0] if live else None

    async def get(self, account: str, region: str, name: str) -> Stack:
        stack = await self.find(account, region, name)
        if stack is None:
            raise does_not_exist(name)
        return stack

    async def save(self, stack: Stack, events: Sequence[Event] = ()) -> None:
        changes: list[Change] = [Put(STACK_KIND, stack.key, stack.doc())]
        for event in events:
            stack.events += 1
            changes.append(
                Put(EVENT_KIND, (*stack.key, f"{stack.events:010d}"), dataclasses.asdict(event))
            )
        changes[0] = Put(STACK_KIND, stack.key, stack.doc())  # with the events counted
        await self._documents.write(changes)

    async def events(self, stack: Stack) -> list[Event]:
        rows = await self._documents.scan(EVENT_KIND, stack.key)
        return [Event(**body) for _, body in reversed(rows)]

    # -- change sets -----------------------------------------------------------------------

    async def save_change_set(self, change_set: ChangeSet) -> None:
        key = (change_set.account, change_set.region, change_set.stack_id, change_set.change_set_id)
        await self._documents.write([Put(CHANGE_SET_KIND, key, change_set.doc())])

    async def change_sets(self, stack: Stack) -> list[ChangeSet]:
        rows = await self._documents.scan(CHANGE_SET_KIND, stack.key)
        return sorted((ChangeSet.of(body) for _, body in rows), key=lambda c: c.created)

    async def delete_change_set(self, change_set: ChangeSet) -> None:
        key = (change_set.account, change_set.region, change_set.stack_id, change_set.change_set_id)
        await self._documents.write([Delete(CHANGE_SET_KIND, key)])

    async def delete_change_sets(self, stack: Stack) -> None:
        await self._documents.write([Delete(CHANGE_SET_KIND, stack.key, prefix=True)])

    # -- exports ---------------------------------------------------------------------------

    async def exports(self, account: str, region: str) -> dict[str, dict[str, Any]]:
        rows = await self._documents.scan(EXPORT_KIND, (account, region))
        return {key[2]: body for key, body in rows}

    async def set_exports(self, stack: Stack, exports: dict[str, str]) -> None:
        current = await self.exports(stack.account, stack.region)
        changes: list[Change] = [
            Delete(EXPORT_KIND, (stack.account, stack.region, name))
            for name, body in current.items()
            if body["stack_id"] == stack.stack_id and name not in exports
        ]
        changes += [
            Put(
                EXPORT_KIND,
                (stack.account, stack.region, name),
                {"stack_id": stack.stack_id, "value": value},
            )
            for name, value in exports.items()
        ]
        if changes:
            await self._documents.write(changes)
