"""Small builders shared by the protocol unit tests."""

from __future__ import annotations

from typing import Any

import orjson

from lambdaport.protocol.base import HttpRequest


def lambda_request(
    method: str,
    path: str,
    body: Any = None,
    *,
    query: str = "",
    headers: dict[str, str] | None = None,
) -> HttpRequest:
    raw = body if isinstance(body, bytes) else (orjson.dumps(body) if body is not None else b"")
    return HttpRequest(method, path, query, headers or {}, raw)


def create_function_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "FunctionName": "my-function",
        "Role": "arn:aws:iam::123456789012:role/lambda-role",
        "Code": {"ZipFile": "UEsDBA=="},
        "Runtime": "python3.12",
        "Handler": "app.handler",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}
