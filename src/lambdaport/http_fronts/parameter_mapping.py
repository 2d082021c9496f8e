"""HTTP APIs' parameter mapping: an integration's ``requestParameters`` change the request
before it reaches the integration, its ``responseParameters`` (by the integration's status
code) the response before it reaches the client
(https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-parameter-mapping.html).

Keys: ``append|overwrite|remove:header.{name}``, ``append|overwrite|remove:querystring.{name}``
and ``overwrite:path`` for requests; ``append|overwrite|remove:header.{name}`` and
``overwrite:statuscode`` for responses. Values: a static text, one reference
(``$request.header.x``) or references in text (``/items/$request.path.id``,
``${request.path.a}-${request.path.b}``):
``$request.header.{name}`` (repeated headers comma-joined), ``$request.querystring.{name}``
(comma-joined), ``$request.body`` and ``$request.body.{JSONPath}``, ``$request.path`` (below
the stage) and ``$request.path.{parameter}``, ``$context.{variable}``,
``$stageVariables.{name}``; ``$response.header.{name}``, ``$response.body`` and
``$response.body.{JSONPath}``. Every value is read from the request (or response) as it
came, then the changes are made; a single reference that finds nothing sets nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

import orjson

from lambdaport.http_fronts.exchange import FrontRequest, FrontResponse
from lambdaport.http_fronts.rest.vtl import TemplateError, json_path

_REFERENCE = re.compile(
    r"\$\{([^}]*)\}|\$((?:request|response|context|stageVariables)(?:\.[A-Za-z0-9_\-]+)+)"
)


@dataclass(frozen=True, slots=True)
class MappingSources:
    """What values may name: the request (``path`` below the stage), its route's path
    parameters, ``$context`` variables (flat dotted names) and stage variables."""

    request: FrontRequest
    path: str
    path_parameters: Mapping[str, str]
    context: Mapping[str, str]
    stage_variables: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class MappedRequest:
    """The request as the integration gets it: ``path`` the overwritten one (or None)."""

    request: FrontRequest
    path: str | None


def _joined(pairs: list[tuple[str, str]], name: str, *, fold: bool) -> str | None:
    want = name.lower() if fold else name
    found = [value for key, value in pairs if (key.lower() if fold else key) == want]
    return ",".join(found) if found else None


def _body_value(body: bytes, path: str | None) -> str | None:
    text = body.decode("utf-8", "replace")
    if path is None:
        return text
    try:
        value = json_path(orjson.loads(body), "$." + path)
    except (orjson.JSONDecodeError, TemplateError):
        return None
    if value is None:
        return None
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def _reference(name: str, sources: MappingSources, response: FrontResponse | None) -> str | None:
    head, _, rest = name.partition(".")
    if head == "request":
        request = sources.request
        kind, _, key = rest.partition(".")
        if kind == "header":
            return _joined(list(request.headers), key, fold=True)
        if kind == "querystring":
            return _joined(request.query_pairs(), key, fold=False)
        if kind == "body":
            return _body_value(request.body, key or None)
        if kind == "path":
            return sources.path_parameters.get(key) if key else sources.path
        return None
    if head == "response" and response is not None:
        kind, _, key = rest.partition(".")
        if kind == "header":
            return _joined(response.headers, key, fold=True)
        if kind == "body":
            return _body_value(response.body, key or None)
        return None
    if head == "context":
        return sources.context.get(rest)
    if head == "stageVariables":
        return sources.stage_variables.get(rest)
    return None


def _value(
    expression: str, sources: MappingSources, response: FrontResponse | None = None
) -> str | None:
    whole = _REFERENCE.fullmatch(expression)
    if whole is not None:
        return _reference(whole.group(1) or whole.group(2), sources, response)
    return _REFERENCE.sub(
        lambda found: _reference(found.group(1) or found.group(2), sources, response) or "",
        expression,
    )


def _key(key: str) -> tuple[str, str, str] | None:
    """``overwrite:header.x`` → (``overwrite``, ``header``, ``x``)."""
    action, sep, target = key.partition(":")
    if not sep or action not in ("append", "overwrite", "remove"):
        return None
    kind, _, name = target.partition(".")
    return action, kind.lower(), name


def _changed(
    pairs: list[tuple[str, str]], action: str, name: str, value: str | None, *, fold: bool
) -> list[tuple[str, str]]:
    def same(key: str) -> bool:
        return key.lower() == name.lower() if fold else key == name

    if action == "remove":
        return [(k, v) for k, v in pairs if not same(k)]
    if value is None:
        return pairs
    if action == "overwrite":
        kept = [(k, v) for k, v in pairs if not same(k)]
        return [*kept, (name.lower() if fold else name, value)]
    existing = [i for i, (k, _) in enumerate(pairs) if same(k)]
    if fold and existing:  # a header appended to: one comma-joined value
        index = existing[-1]
        updated = list(pairs)
        updated[index] = (pairs[index][0], f"{pairs[index][1]},{value}")
        return updated
    return [*pairs, (name.lower() if fold else name, value)]


def map_request(parameters: Mapping[str, str], sources: MappingSources) -> MappedRequest:
    """The request with the integration's ``requestParameters`` applied."""
    request = sources.request
    if not parameters:
        return MappedRequest(request, None)
    resolved = [
        (parsed, _value(expression, sources))
        for key, expression in parameters.items()
        if (parsed := _key(key)) is not None
    ]
    headers = list(request.headers)
    query = request.query_pairs()
    raw_query = request.raw_query
    path: str | None = None
    for (action, kind, name), value in resolved:
        if kind == "header":
            headers = _changed(headers, action, name, value, fold=True)
        elif kind == "querystring":
            query = _changed(query, action, name, value, fold=False)
            raw_query = urlencode(query)
        elif kind == "path" and action == "overwrite" and value is not None:
            path = value if value.startswith("/") else "/" + value
    mapped = replace(request, headers=tuple(headers), raw_query=raw_query)
    return MappedRequest(mapped, path)


def map_response(
    parameters: Mapping[str, Mapping[str, str]],
    response: FrontResponse,
    sources: MappingSources,
) -> FrontResponse:
    """The response with the ``responseParameters`` of its status code applied."""
    chosen = parameters.get(str(response.status))
    if not chosen:
        return response
    resolved: list[tuple[tuple[str, str, str], str | None]] = []
    for key, expression in chosen.items():
        value = _value(expression, sources, response)
        if key.lower() == "overwrite:statuscode":
            resolved.append((("overwrite", "statuscode", ""), value))
        elif (parsed := _key(key)) is not None:
            resolved.append((parsed, value))
    status, headers = response.status, list(response.headers)
    for (action, kind, name), value in resolved:
        if kind == "statuscode" and value is not None and value.strip().isdigit():
            status = int(value.strip())
        elif kind == "header":
            headers = _changed(headers, action, name, value, fold=True)
    return FrontResponse(status, headers, response.body, response.stream)


def context_variables(
    context: Mapping[str, Any], authorizer: Mapping[str, Any] | None
) -> dict[str, str]:
    """``$context`` variables by name from an event's ``requestContext`` members and the
    authorizer's context (``authorizer.{key}``, ``authorizer.claims.{claim}``)."""
    flat: dict[str, str] = {}

    def put(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                put(f"{prefix}.{key}" if prefix else str(key), inner)
        elif value is not None and not isinstance(value, list):
            flat[prefix] = str(value)

    put("", context)
    for kind, value in (authorizer or {}).items():
        if kind == "jwt" and isinstance(value, Mapping):
            put("authorizer.claims", value.get("claims") or {})
        elif kind == "lambda":
            put("authorizer", value)
        elif kind == "iam":
            put("identity", value)
    return flat
