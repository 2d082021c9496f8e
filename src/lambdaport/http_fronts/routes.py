"""HTTP API route selection
(https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html):
the stage named by the path's first segment (else the ``$default`` stage, the whole path),
then the most specific route — a full literal match before path variables, variables
before a greedy ``{proxy+}``, more literal segments first, the request's method before
``ANY`` — and ``$default`` when nothing else matches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lambdaport.http_fronts.api_model import HttpApi, HttpRoute, HttpStage

DEFAULT_ROUTE = "$default"
DEFAULT_STAGE = "$default"


@dataclass(frozen=True, slots=True)
class StagePath:
    stage: HttpStage
    path: str  # below the stage ("/" at least), decoded
    raw_path: str  # as the event names it: with the stage's segment


def stage_of(api: HttpApi, path: str) -> StagePath | None:
    """The stage a (decoded) path below the API's address names, if any."""
    segments = path.split("/", 2)
    first = segments[1] if len(segments) > 1 else ""
    if first and first != DEFAULT_STAGE and first in api.stages:
        rest = "/" + (segments[2] if len(segments) > 2 else "")
        return StagePath(api.stages[first], rest, path)
    default = api.stages.get(DEFAULT_STAGE)
    if default is None:
        return None
    return StagePath(default, path or "/", path or "/")


@dataclass(frozen=True, slots=True)
class RouteMatch:
    route: HttpRoute
    path_parameters: Mapping[str, str]
    resource: str  # the route's path ("/items/{id}"), or "$default"


def _match_path(pattern: str, path: str) -> tuple[dict[str, str], tuple[int, ...]] | None:
    """The path variables and the match's rank (lower is more specific), or None."""
    want = [s for s in pattern.split("/")[1:]]
    have = path.split("/")[1:]
    parameters: dict[str, str] = {}
    literal = 0
    for index, segment in enumerate(want):
        if segment.startswith("{") and segment.endswith("+}"):
            rest = "/".join(have[index:])
            if not rest:
                return None
            parameters[segment[1:-2]] = rest
            return parameters, (2, -literal, -len(want))
        if index >= len(have):
            return None
        if segment.startswith("{") and segment.endswith("}"):
            if have[index] == "":
                return None
            parameters[segment[1:-1]] = have[index]
        elif segment != have[index]:
            return None
        else:
            literal += 1
    if len(have) != len(want):
        return None
    return parameters, (0 if literal == len(want) else 1, -literal, -len(want))


def select_route(routes: Sequence[HttpRoute], method: str, path: str) -> RouteMatch | None:
    best: tuple[tuple[int, ...], RouteMatch] | None = None
    default: HttpRoute | None = None
    for route in routes:
        if route.route_key == DEFAULT_ROUTE:
            default = route
            continue
        route_method, _, pattern = route.route_key.partition(" ")
        if route_method not in (method, "ANY") or not pattern.startswith("/"):
            continue
        matched = _match_path(pattern, path)
        if matched is None:
            continue
        parameters, rank = matched
        key = (*rank, 0 if route_method == method else 1)
        if best is None or key < best[0]:
            best = (key, RouteMatch(route, parameters, pattern))
    if best is not None:
        return best[1]
    if default is not None:
        return RouteMatch(default, {}, DEFAULT_ROUTE)
    return None
