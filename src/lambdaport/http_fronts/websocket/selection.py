"""A message's route, chosen by the API's ``RouteSelectionExpression``
(https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html):
``$request.body.action`` (or ``${request.body.action}``, a dotted path into a JSON body)
is evaluated against the message; a value naming a route key selects that route, anything
else (a body that is not JSON, a missing member, a key with no route) the ``$default``
route; a literal expression (``\\$default``) selects that key for every message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

DEFAULT_ROUTE = "$default"
_BODY = re.compile(r"^\$\{?request\.body\.([A-Za-z0-9_.\-]+)\}?$")


def _evaluate(expression: str, data: str | bytes) -> str | None:
    match = _BODY.match(expression.strip())
    if match is None:
        literal = expression.strip().replace("\\$", "$")
        return literal or None
    try:
        value: Any = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    for name in match.group(1).split("."):
        if not isinstance(value, dict) or name not in value:
            return None
        value = value[name]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def select_route_key(expression: str, data: str | bytes, routes: Mapping[str, Any]) -> str | None:
    """The key of the route ``data`` goes to, or None when there is none (not even
    ``$default``)."""
    key = _evaluate(expression, data)
    if key is not None and key in routes and not key.startswith("$"):
        return key
    return DEFAULT_ROUTE if DEFAULT_ROUTE in routes else None
