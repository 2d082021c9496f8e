"""One HTTP request to a REST API's stage, as the data plane sees it, and the facts every
part of its way reads (ids, time, headers and query string parsed once)."""

from __future__ import annotations

import base64
import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import parse_qsl, unquote

from lambdaport.http_fronts.payloads import request_time


@dataclass(frozen=True, slots=True)
class RestRequest:
    """``path`` is what follows the stage (raw, percent-encoded: ``/items/42``);
    ``stage_path`` what ``$context.path`` shows (``/dev/items/42``; on a custom domain the
    base path in place of the stage); ``headers`` as sent, names in their case."""

    api_id: str
    stage: str
    method: str
    path: str
    stage_path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    source_ip: str
    domain_name: str
    protocol: str = "HTTP/1.1"
    raw_path: str = ""  # the whole path as sent (what a SigV4 signature signed)


@dataclass
class RequestFacts:
    """What is computed once per request: its ids and time, and its parsed parameters."""

    request: RestRequest
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    extended_request_id: str = field(
        default_factory=lambda: base64.b64encode(secrets.token_bytes(11)).decode()
    )
    epoch_ms: int = field(default_factory=lambda: int(time.time() * 1000))

    @property
    def request_time(self) -> str:
        """``$context.requestTime``: ``03/Dec/2026:11:46:55 +0000``."""
        return request_time(self.epoch_ms)

    @cached_property
    def multi_headers(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for name, value in self.request.headers:
            for known in found:
                if known.lower() == name.lower():
                    found[known].append(value)
                    break
            else:
                found[name] = [value]
        return found

    @cached_property
    def headers(self) -> dict[str, str]:
        """Last value wins, as in the 1.0 event's ``headers``."""
        return {name: values[-1] for name, values in self.multi_headers.items()}

    @cached_property
    def lower_headers(self) -> dict[str, str]:
        return {name.lower(): value for name, value in self.headers.items()}

    def header(self, name: str) -> str | None:
        return self.lower_headers.get(name.lower())

    @cached_property
    def multi_query(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for name, value in parse_qsl(self.request.query, keep_blank_values=True):
            found.setdefault(name, []).append(value)
        return found

    @cached_property
    def query(self) -> dict[str, str]:
        return {name: values[-1] for name, values in self.multi_query.items()}

    @property
    def ids(self) -> tuple[tuple[str, str], ...]:
        """The headers every answer carries."""
        return (
            ("x-amzn-RequestId", self.request_id),
            ("x-amz-apigw-id", self.extended_request_id),
        )

    @cached_property
    def decoded_path(self) -> str:
        return unquote(self.request.path) or "/"


def parameter_sources(
    facts: RequestFacts, path_parameters: Mapping[str, str]
) -> dict[str, Mapping[str, str]]:
    """``method.request.{path,querystring,header}.NAME``'s three maps (header names lower)."""
    return {
        "path": path_parameters,
        "querystring": facts.query,
        "header": facts.lower_headers,
    }
