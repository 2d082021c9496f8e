"""Mapping templates: API Gateway's Velocity (VTL) templates, rendered with ``airspeed``
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html).

The variables: ``$input`` (``body``, ``json(path)``, ``path(path)``, ``params()``,
``params(name)``; paths are JSONPath: ``$``, ``$.a.b``, ``$.items[0]``, ``$['a']``),
``$util`` (``escapeJavaScript``, ``parseJson``, ``urlEncode``, ``urlDecode``,
``base64Encode``, ``base64Decode``), ``$context`` and ``$stageVariables``. Maps answer
Velocity's Java methods (``size()``, ``containsKey``, ``keySet()``, ``isEmpty()``).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus, unquote_plus

import airspeed
import orjson


class VtlMap(dict[str, Any]):
    """A dict that answers the Java ``Map`` methods templates call."""

    def size(self) -> int:
        return len(self)

    def containsKey(self, key: str) -> VtlBool:
        return VtlBool(key in self)

    def isEmpty(self) -> VtlBool:
        return VtlBool(not self)

    def keySet(self) -> list[str]:
        return list(self.keys())

    def put(self, key: str, value: Any) -> None:
        self[key] = value


class VtlList(list[Any]):
    def size(self) -> int:
        return len(self)

    def isEmpty(self) -> VtlBool:
        return VtlBool(not self)


class VtlBool:
    """A boolean that renders as Java's (``true``/``false``)."""

    __slots__ = ("value",)

    def __init__(self, value: bool) -> None:
        self.value = value

    def __bool__(self) -> bool:
        return self.value

    def __eq__(self, other: object) -> bool:
        return bool(other) == self.value if isinstance(other, bool | VtlBool) else False

    def __hash__(self) -> int:
        return hash(self.value)

    def __str__(self) -> str:
        return "true" if self.value else "false"


def wrap(value: Any) -> Any:
    """Plain JSON values as template values (maps and lists with Java's methods)."""
    if isinstance(value, bool):
        return VtlBool(value)
    if isinstance(value, dict):
        return VtlMap({str(k): wrap(v) for k, v in value.items()})
    if isinstance(value, list):
        return VtlList(wrap(v) for v in value)
    return value


class TemplateError(Exception):
    pass


_STEP = re.compile(r"\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]|\.\*|\[\*\]")


def json_path(document: Any, path: str) -> Any:
    """The value at a JSONPath of ``document`` (None when a step finds nothing)."""
    path = path.strip()
    if not path.startswith("$"):
        raise TemplateError(f"not a JSONPath: {path}")
    value = document
    rest = path[1:]
    at = 0
    while at < len(rest):
        step = _STEP.match(rest, at)
        if step is None:
            raise TemplateError(f"unsupported JSONPath: {path}")
        at = step.end()
        name, index, quoted, double = step.groups()
        if index is not None:
            found = isinstance(value, list) and int(index) < len(value)
            value = value[int(index)] if found else None
        elif name is not None or quoted is not None or double is not None:
            key = name or quoted or double
            value = value.get(key) if isinstance(value, dict) else None
        else:
            value = list(value.values()) if isinstance(value, dict) else value
        if value is None:
            return None
    return value


class Input:
    """``$input``: the payload (a request's body or an integration's answer)."""

    def __init__(self, body: str, params: Mapping[str, Mapping[str, str]]) -> None:
        self.body = body
        self._params = params
        self._parsed: Any = None
        self._read = False

    def _document(self) -> Any:
        if not self._read:
            self._read = True
            try:
                self._parsed = orjson.loads(self.body) if self.body.strip() else {}
            except orjson.JSONDecodeError:
                self._parsed = None
        return self._parsed

    def json(self, path: str) -> str:
        return orjson.dumps(json_path(self._document(), path)).decode()

    def path(self, path: str) -> Any:
        return wrap(json_path(self._document(), path))

    def params(self, name: str | None = None) -> Any:
        if name is None:
            return VtlMap({kind: VtlMap(values) for kind, values in self._params.items()})
        for kind in ("path", "querystring", "header"):
            values = self._params.get(kind, {})
            found = values.get(name.lower() if kind == "header" else name)
            if found is not None:
                return found
        return ""


class Util:
    """``$util``."""

    def escapeJavaScript(self, text: Any) -> str:
        escaped = orjson.dumps(str(text)).decode()[1:-1]
        return escaped.replace("'", "\\'")

    def parseJson(self, text: str) -> Any:
        return wrap(orjson.loads(text))

    def urlEncode(self, text: str) -> str:
        return quote_plus(str(text))

    def urlDecode(self, text: str) -> str:
        return unquote_plus(str(text))

    def base64Encode(self, text: str) -> str:
        return base64.b64encode(str(text).encode()).decode()

    def base64Decode(self, text: str) -> str:
        return base64.b64decode(str(text)).decode("utf-8", errors="replace")


@lru_cache(maxsize=256)
def _compiled(template: str) -> airspeed.Template:
    return airspeed.Template(template)


def render(
    template: str,
    payload: str,
    params: Mapping[str, Mapping[str, str]],
    context: Mapping[str, Any],
    stage_variables: Mapping[str, str],
) -> str:
    """The template rendered (``TemplateError`` for one that does not parse or run)."""
    namespace = {
        "input": Input(payload, params),
        "util": Util(),
        "context": wrap(dict(context)),
        "stageVariables": VtlMap(stage_variables),
    }
    try:
        return str(_compiled(template).merge(namespace))
    except (airspeed.TemplateError, TemplateError, ValueError, TypeError) as error:
        raise TemplateError(str(error)) from error
