"""Routing REST requests to operations from the model's ``http.requestUri`` templates.

Templates compile into a segment trie per HTTP method. A request path is walked with
backtracking in order of specificity: a literal segment beats a label with literal text
around it (``{Name}.json``), which beats a plain label (``{Name}``), which beats a greedy
label (``{Key+}``). Among the operations ending at the same node, those with more literal
query requirements (``?List=ALL``, ``?uploads``) are tried first, and operations that are
only told apart by a required header or query parameter (S3's ``CopyObject`` and
``PutObject``, ``UploadPart`` and ``UploadPartCopy``) are told apart by those; a deprecated
operation yields to its successor on the same route (S3's ``GetBucketLifecycle``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import unquote

_LABEL = re.compile(r"\{([^}]+)\}")


@dataclass(frozen=True, slots=True)
class Route:
    operation: str
    method: str
    request_uri: str
    required_headers: tuple[str, ...] = ()
    required_query: tuple[str, ...] = ()
    deprecated: bool = False
    path: tuple[str, ...] = field(init=False)
    query: tuple[tuple[str, str | None], ...] = field(init=False)
    labels: tuple[str, ...] = field(init=False)  # the template's label names, in order

    def __post_init__(self) -> None:
        path, _, query = self.request_uri.partition("?")
        segments = path.lstrip("/").split("/")
        if segments and segments[-1] == "":
            segments.pop()
        literal_query: list[tuple[str, str | None]] = []
        for part in filter(None, query.split("&")):
            key, eq, value = part.partition("=")
            literal_query.append((unquote(key), unquote(value) if eq else None))
        object.__setattr__(self, "path", tuple(segments))
        object.__setattr__(self, "query", tuple(literal_query))
        names = tuple(name.rstrip("+") for name in _LABEL.findall(path))
        object.__setattr__(self, "labels", names)

    def query_matches(self, query: Mapping[str, list[str]]) -> bool:
        for key, value in self.query:
            values = query.get(key)
            if values is None or (value is not None and value not in values):
                return False
        return True


@dataclass(frozen=True, slots=True)
class RouteMatch:
    route: Route
    labels: Mapping[str, str]  # label name -> percent-decoded value (read-only: shared)


class _Node:
    __slots__ = ("greedy", "label", "literal", "mixed", "routes")

    def __init__(self) -> None:
        self.literal: dict[str, _Node] = {}
        self.mixed: list[tuple[re.Pattern[str], _Node]] = []
        self.label: _Node | None = None  # routes name a label by their own templates
        self.greedy: _Node | None = None
        self.routes: list[Route] = []

    def child(self, segment: str) -> _Node:
        found = _LABEL.fullmatch(segment)
        if found is None and "{" not in segment:
            return self.literal.setdefault(segment, _Node())
        if found is not None:
            if found.group(1).endswith("+"):
                self.greedy = self.greedy or _Node()
                return self.greedy
            self.label = self.label or _Node()
            return self.label
        regex = "".join(
            re.escape(part) if i % 2 == 0 else "(.+?)"
            for i, part in enumerate(_LABEL.split(segment))
        )
        node = _Node()
        self.mixed.append((re.compile(regex), node))
        return node


def _route_rank(route: Route) -> tuple[int, int, bool]:
    return (
        -len(route.query),
        -len(route.required_headers) - len(route.required_query),
        route.deprecated,
    )


# Matches remembered per router (see ``Router.match``); the cache is emptied when full.
_MEMO_SIZE = 4096


class Router:
    """Finds the operation for a method and a raw (percent-encoded) path.

    A request without a query string to a router none of whose routes needs a header is
    matched by its method and path alone, so those matches are remembered (a hot path such
    as Lambda's ``Invoke`` repeats the same few paths).
    """

    def __init__(self, routes: Iterable[Route]) -> None:
        self._roots: dict[str, _Node] = {}
        header_free = True
        for route in routes:
            node = self._roots.setdefault(route.method, _Node())
            for segment in route.path:
                node = node.child(segment)
            node.routes.append(route)
            node.routes.sort(key=_route_rank)
            header_free = header_free and not route.required_headers
        self._memo: dict[tuple[str, str], RouteMatch | None] | None = {} if header_free else None

    def match(
        self, method: str, path: str, query: Mapping[str, list[str]], headers: Mapping[str, str]
    ) -> RouteMatch | None:
        memo = self._memo
        if memo is None or query:
            return self._match(method, path, query, headers)
        key = (method, path)
        if key in memo:
            return memo[key]
        found = self._match(method, path, query, headers)
        if len(memo) >= _MEMO_SIZE:
            memo.clear()
        memo[key] = found
        return found

    def _match(
        self, method: str, path: str, query: Mapping[str, list[str]], headers: Mapping[str, str]
    ) -> RouteMatch | None:
        root = self._roots.get(method)
        if root is None:
            return None
        segments = path[1:].split("/") if path.startswith("/") else path.split("/")
        values: list[str] = []
        route = _walk(root, segments, 0, values, query, headers)
        if route is None:
            return None
        # Routes sharing a trie node may name its label differently ({ApplicationId} and
        # {Application}): the values are read in order and named by the route's template.
        labels = zip(route.labels, map(_decode, values), strict=True)
        return RouteMatch(route, MappingProxyType(dict(labels)))


def _decode(value: str) -> str:
    return unquote(value) if "%" in value else value


def _pick(node: _Node, query: Mapping[str, list[str]], headers: Mapping[str, str]) -> Route | None:
    routes = node.routes
    if len(routes) == 1:
        return routes[0] if routes[0].query_matches(query) else None
    fallback: Route | None = None
    for route in routes:
        if not route.query_matches(query):
            continue
        if all(name in headers for name in route.required_headers) and all(
            name in query for name in route.required_query
        ):
            return route
        fallback = fallback or route
    return fallback


def _walk(
    node: _Node,
    segments: list[str],
    index: int,
    labels: list[str],  # the label values read so far
    query: Mapping[str, list[str]],
    headers: Mapping[str, str],
) -> Route | None:
    remaining = len(segments) - index
    if (remaining == 0 or (remaining == 1 and segments[index] == "")) and node.routes:
        found = _pick(node, query, headers)
        if found is not None:
            return found
    if remaining == 0:
        return None
    segment = segments[index]
    nxt = node.literal.get(segment)
    if nxt is None and "%" in segment:
        nxt = node.literal.get(unquote(segment))
    if nxt is not None:
        found = _walk(nxt, segments, index + 1, labels, query, headers)
        if found is not None:
            return found
    if segment:
        found = _walk_labels(node, segments, index, labels, query, headers)
        if found is not None:
            return found
    return _walk_greedy(node, segments, index, labels, query, headers)


def _walk_labels(
    node: _Node,
    segments: list[str],
    index: int,
    labels: list[str],  # the label values read so far
    query: Mapping[str, list[str]],
    headers: Mapping[str, str],
) -> Route | None:
    segment = segments[index]
    depth = len(labels)
    for regex, child in node.mixed:
        hit = regex.fullmatch(segment)
        if hit is None:
            continue
        labels.extend(hit.groups())
        found = _walk(child, segments, index + 1, labels, query, headers)
        if found is not None:
            return found
        del labels[depth:]
    if node.label is not None:
        labels.append(segment)
        found = _walk(node.label, segments, index + 1, labels, query, headers)
        if found is not None:
            return found
        del labels[depth:]
    return None


def _walk_greedy(
    node: _Node,
    segments: list[str],
    index: int,
    labels: list[str],  # the label values read so far
    query: Mapping[str, list[str]],
    headers: Mapping[str, str],
) -> Route | None:
    if node.greedy is None:
        return None
    child = node.greedy
    depth = len(labels)
    # Consume as little as possible first, so a literal suffix ("{Key+}/meta") can match;
    # a trailing slash belongs to the greedy value ("dir/" is an S3 key).
    last = len(segments)
    for end in range(index + 1, last + 1):
        if end == last - 1 and segments[-1] == "":
            continue
        value = "/".join(segments[index:end])
        if not value:
            continue
        labels.append(value)
        found = _walk(child, segments, end, labels, query, headers)
        if found is not None:
            return found
        del labels[depth:]
    return None
