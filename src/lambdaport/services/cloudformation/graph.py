"""The dependency graph of a template's resources (``Ref``, ``Fn::GetAtt``, ``Fn::Sub`` and
``DependsOn``), run so that independent resources are provisioned at once and each waits for
what it depends on; deletion runs the graph reversed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from lambdaport.services.cloudformation.intrinsics import references
from lambdaport.services.cloudformation.templates import format_error, validation_error

Graph = dict[str, set[str]]


def depends_on(definition: Mapping[str, Any]) -> list[str]:
    value = definition.get("DependsOn")
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(item) for item in value]


def dependencies(
    resources: Mapping[str, Mapping[str, Any]],
    active: set[str],
    declared: set[str],
    known: set[str],
) -> Graph:
    """Each active resource's dependencies among the active ones. ``known``: the names a
    reference may also be (parameters, pseudo parameters)."""
    graph: Graph = {}
    for name in active:
        definition = resources[name]
        named = references(definition.get("Properties", {}))
        unresolved = sorted(n for n in named if n not in declared and n not in known)
        if unresolved:
            raise _unresolved(unresolved)
        explicit = depends_on(definition)
        missing = [n for n in explicit if n not in declared]
        if missing:
            raise _unresolved(missing)
        graph[name] = {n for n in named | set(explicit) if n in active and n != name}
    _check_cycles(graph)
    return graph


def _unresolved(names: list[str]) -> Exception:
    return format_error(
        f"Unresolved resource dependencies [{', '.join(names)}] in the Resources block of "
        "the template"
    )


def _check_cycles(graph: Graph) -> None:
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, path: list[str]) -> bool:
        state[node] = 1
        for child in sorted(graph[node]):
            if state.get(child) == 1:
                cycle.extend(path[path.index(child) :] if child in path else [child, node])
                return True
            if state.get(child) is None and visit(child, [*path, child]):
                return True
        state[node] = 2
        return False

    for node in sorted(graph):
        if state.get(node) is None and visit(node, [node]):
            raise validation_error(
                f"Circular dependency between resources: [{', '.join(sorted(set(cycle)))}]"
            )


def reversed_graph(graph: Graph) -> Graph:
    result: Graph = {name: set() for name in graph}
    for name, needs in graph.items():
        for need in needs:
            result.setdefault(need, set()).add(name)
    return result


async def run(
    graph: Graph, work: Callable[[str], Coroutine[Any, Any, bool]]
) -> tuple[set[str], set[str]]:
    """Run ``work`` for every node once its dependencies succeeded, independent nodes at once.
    After a failure nothing new starts; what runs finishes. Answers (succeeded, failed)."""
    pending = {name: set(needs) for name, needs in graph.items()}
    running: dict[asyncio.Task[bool], str] = {}
    done: set[str] = set()
    failed: set[str] = set()
    while pending or running:
        if not failed:
            for name in sorted(n for n, needs in pending.items() if needs <= done):
                del pending[name]
                running[asyncio.create_task(work(name))] = name
        if not running:
            break
        finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
        for task in finished:
            name = running.pop(task)
            if task.result():
                done.add(name)
            else:
                failed.add(name)
    return done, failed
