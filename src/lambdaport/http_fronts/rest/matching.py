"""Which resource and method of a REST API a request path reaches.

Resources form a tree of path parts: a literal (``items``), a path parameter (``{id}``, one
segment) or a greedy one (``{proxy+}``, one or more segments, only last). A request path is
matched segment by segment, literals before parameters before greedy parameters, backing up
when a more specific branch leads nowhere
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-settings-method-request.html).
The method is the request's verb, else ``ANY``. Path parameters are URL-decoded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote

from lambdaport.services.interfaces import RestMethod, RestResource


@dataclass
class _Node:
    resource: RestResource | None = None
    literals: dict[str, _Node] = field(default_factory=dict)
    parameter: tuple[str, _Node] | None = None
    greedy: tuple[str, RestResource] | None = None


@dataclass(frozen=True, slots=True)
class Match:
    resource: RestResource
    method: RestMethod | None
    path_parameters: dict[str, str]


class ResourceTree:
    """A REST API's resources, ready to match request paths."""

    def __init__(self, resources: Iterable[RestResource]) -> None:
        self._root = _Node()
        for resource in resources:
            self._add(resource)

    def _add(self, resource: RestResource) -> None:
        node = self._root
        parts = [part for part in resource.path.split("/") if part]
        for index, part in enumerate(parts):
            if part.startswith("{") and part.endswith("+}"):
                if index == len(parts) - 1:
                    node.greedy = (part[1:-2], resource)
                return
            if part.startswith("{") and part.endswith("}"):
                if node.parameter is None:
                    node.parameter = (part[1:-1], _Node())
                node = node.parameter[1]
            else:
                node = node.literals.setdefault(part, _Node())
        node.resource = resource

    def match(self, path: str, verb: str) -> Match | None:
        """The resource ``path`` (after the stage) reaches and its method for ``verb``."""
        segments = [segment for segment in path.split("/") if segment]
        found = _walk(self._root, segments, 0, {})
        if found is None:
            return None
        resource, parameters = found
        method = resource.methods.get(verb) or resource.methods.get("ANY")
        return Match(resource, method, parameters)


def _walk(
    node: _Node, segments: list[str], at: int, bound: dict[str, str]
) -> tuple[RestResource, dict[str, str]] | None:
    if at == len(segments):
        return None if node.resource is None else (node.resource, bound)
    segment = segments[at]
    literal = node.literals.get(unquote(segment)) or node.literals.get(segment)
    if literal is not None:
        found = _walk(literal, segments, at + 1, bound)
        if found is not None:
            return found
    if node.parameter is not None:
        name, child = node.parameter
        found = _walk(child, segments, at + 1, {**bound, name: unquote(segment)})
        if found is not None:
            return found
    if node.greedy is not None:
        name, resource = node.greedy
        rest = "/".join(unquote(s) for s in segments[at:])
        return resource, {**bound, name: rest}
    return None
