"""Which HTTP front a request is for, and the addresses that reach each one here.

LocalStack's conventions, so existing setups keep working:

- API Gateway: ``{api-id}.execute-api.localhost[:port]``,
  ``{api-id}.execute-api.localhost.localstack.cloud``,
  ``{api-id}.execute-api.{region}.amazonaws.com``
  (the stage is the path's first segment, none for a ``$default`` stage), and the path form
  ``/_aws/execute-api/{api-id}/{stage}/...``;
- function URLs: ``{url-id}.lambda-url.{region}.localhost[:port]``, the
  ``.localhost.localstack.cloud`` form, and the path form ``/_aws/lambda-url/{url-id}/...``.

The gateway asks :func:`front_of` before it identifies a service: a SigV4-signed request to
a function URL (``AWS_IAM``) names ``lambda`` in its scope but is the URL's.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

FrontKind = Literal["execute-api", "lambda-url"]
EXECUTE_API: FrontKind = "execute-api"
LAMBDA_URL: FrontKind = "lambda-url"
PATH_PREFIX = "/_aws/"
_REGION = re.compile(r"^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d$")
_ID = re.compile(r"^[a-z0-9]{1,64}$")
_LOCAL_SUFFIXES = (("localhost",), ("localhost", "localstack", "cloud"))


@dataclass(frozen=True, slots=True)
class FrontAddress:
    """A request's front: its kind, the API or URL id, the region the host names (None:
    the server's default), the path below the address (``/`` at least, still
    percent-encoded) and the host name as addressed (an event's ``domainName``)."""

    kind: FrontKind
    ident: str
    region: str | None
    path: str
    domain: str
    path_form: bool = False
    custom_domain: bool = False  # an API Gateway custom domain name (``ident`` is the name)


# Whether a host name is an API Gateway custom domain name (``CreateDomainName``).
CustomDomains = Callable[[str], bool]


def _host_name(host: str) -> str:
    name = host.strip().lower()
    if name.count(":") == 1:
        name = name.split(":", 1)[0]
    return name.rstrip(".")


@functools.lru_cache(maxsize=1024)
def _front_of_host(host: str) -> tuple[FrontKind, str, str | None] | None:
    labels = _host_name(host).split(".")
    if len(labels) < 3 or not _ID.match(labels[0]):
        return None
    kind, rest = labels[1], tuple(labels[2:])
    if kind == EXECUTE_API:
        if rest in _LOCAL_SUFFIXES:
            return EXECUTE_API, labels[0], None
        if len(rest) == 3 and rest[1:] == ("amazonaws", "com") and _REGION.match(rest[0]):
            return EXECUTE_API, labels[0], rest[0]
        if rest[1:] in _LOCAL_SUFFIXES and _REGION.match(rest[0]):
            return EXECUTE_API, labels[0], rest[0]
        return None
    if kind == LAMBDA_URL:
        if rest[1:] in _LOCAL_SUFFIXES and _REGION.match(rest[0]):
            return LAMBDA_URL, labels[0], rest[0]
        if rest in _LOCAL_SUFFIXES:
            return LAMBDA_URL, labels[0], None
    return None


def front_of(
    host: str, raw_path: str, custom_domains: CustomDomains | None = None
) -> FrontAddress | None:
    """The front ``host`` and ``raw_path`` address, or None (a service's request); a host
    that ``custom_domains`` names is a REST API's custom domain name."""
    found = _front_of_host(host) if host else None
    if found is not None:
        kind, ident, region = found
        return FrontAddress(kind, ident, region, raw_path or "/", _host_name(host))
    if not raw_path.startswith(PATH_PREFIX):
        name = _host_name(host) if host else ""
        if name and custom_domains is not None and custom_domains(name):
            return FrontAddress(EXECUTE_API, name, None, raw_path or "/", name, custom_domain=True)
        return None
    parts = raw_path[len(PATH_PREFIX) :].split("/", 2)
    if len(parts) < 2 or parts[0] not in (EXECUTE_API, LAMBDA_URL) or not _ID.match(parts[1]):
        return None
    named: FrontKind = EXECUTE_API if parts[0] == EXECUTE_API else LAMBDA_URL
    rest = "/" + (parts[2] if len(parts) == 3 else "")
    return FrontAddress(named, parts[1], None, rest, _host_name(host), path_form=True)


@dataclass(frozen=True, slots=True)
class Addresses:
    """The addresses this server answers fronts on (its port; ``localhost`` names, which
    resolve to loopback: curl and browsers do so themselves)."""

    port: int
    base: str  # the server's own address for path forms, http://127.0.0.1:4566

    def _port(self) -> str:
        return "" if self.port == 80 else f":{self.port}"

    def function_url(self, url_id: str, region: str) -> str:
        return f"http://{url_id}.{LAMBDA_URL}.{region}.localhost{self._port()}/"

    def function_url_path(self, url_id: str) -> str:
        return f"{self.base}{PATH_PREFIX}{LAMBDA_URL}/{url_id}/"

    def api_endpoint(self, api_id: str) -> str:
        """An API's ``ApiEndpoint`` here (AWS's form has no trailing slash)."""
        return f"http://{api_id}.{EXECUTE_API}.localhost{self._port()}"

    def api_url(self, api_id: str, stage: str) -> str:
        tail = "" if stage == "$default" else f"{stage}/"
        return f"http://{api_id}.{EXECUTE_API}.localhost{self._port()}/{tail}"

    def api_url_path(self, api_id: str, stage: str) -> str:
        tail = "" if stage == "$default" else f"{stage}/"
        return f"{self.base}{PATH_PREFIX}{EXECUTE_API}/{api_id}/{tail}"

    def websocket_url(self, api_id: str, stage: str) -> str:
        """A WebSocket API stage's address here (AWS's ``wss://`` one, as ``ws://``)."""
        return f"ws://{api_id}.{EXECUTE_API}.localhost{self._port()}/{stage}"

    def websocket_url_path(self, api_id: str, stage: str) -> str:
        base = self.base.replace("http://", "ws://", 1)
        return f"{base}{PATH_PREFIX}{EXECUTE_API}/{api_id}/{stage}"
