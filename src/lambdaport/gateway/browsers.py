"""Which web pages and host names may drive lambdaport, and CORS as AWS's services answer it.

Why: lambdaport runs code for whoever asks (CreateFunction, then Invoke), and every web page
the user opens can send requests to ``http://127.0.0.1:4566`` too. A ``text/plain`` POST
needs no CORS preflight, so without a check any page could create a function and run it;
and a page whose own host name is re-pointed at 127.0.0.1 (DNS rebinding) is same-origin
with lambdaport and could read the answers. So the gateway refuses, with 403:

- a request whose ``Origin`` is not allowed. Allowed are localhost's own pages
  (``http(s)://localhost``, ``127.0.0.1``, ``[::1]``, ``*.localhost`` and
  ``*.localhost.localstack.cloud``, on any port) and what ``allowed_origins`` adds
  (``*`` allows every origin). SDKs, the CLI and curl send no ``Origin``: never affected;
- a request whose ``Host`` is not loopback, ``localhost``, the listening address or a host
  lambdaport routes itself (``*.localhost``, ``*.localhost.localstack.cloud``,
  ``*.amazonaws.com`` virtual hosts), nor one ``allowed_hosts`` adds: a rebinding page's
  requests carry the page's own host name;
- a request a browser marks ``Sec-Fetch-Site: cross-site`` that carries no ``Origin`` (an
  ``<img>``/``<script>`` tag or a navigation: GET or HEAD), unless it reads from S3 — a
  query-protocol action (SNS Publish, SQS SendMessage) rides on a GET's query string too.

Allowed origins get CORS answers as AWS's endpoints give them: a preflight (``OPTIONS`` with
``Access-Control-Request-Method``) is answered 200 with the origin echoed, the methods,
the requested headers and a max age; actual responses carry ``Access-Control-Allow-Origin``,
``Vary: Origin`` and ``Access-Control-Expose-Headers`` naming their ``x-amz-*``/``x-amzn-*``
headers. A service may answer for its own resources first (S3: a bucket's CORS
configuration), through the endpoint's ``ServiceCors`` (``lambdaport.endpoint``).
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from fnmatch import fnmatchcase

# Names that resolve to this machine by definition (RFC 6761) or by LocalStack's public DNS.
_LOCAL_NAMES = ("localhost", "localhost.localstack.cloud")
_LOCAL_SUFFIXES = (".localhost", ".localhost.localstack.cloud")
# AWS's own endpoint names, which lambdaport answers as virtual hosts (bucket.s3.amazonaws.com,
# sqs.us-east-1.amazonaws.com, abc123.execute-api.us-east-1.amazonaws.com).
_AWS_SUFFIXES = (".amazonaws.com", ".amazonaws.com.cn")
_WILDCARD_ADDRESSES = ("", "0.0.0.0", "::")
_ORIGIN = re.compile(r"^([a-z][a-z0-9+.-]*)://(\[[0-9a-f:.]+\]|[a-z0-9._~-]+)(:\d{1,5})?$")

PREFLIGHT_MAX_AGE = 7200  # seconds; the most Chromium caches a preflight for
_ALLOWED_METHODS = "GET, HEAD, PUT, POST, DELETE, PATCH"
_PREFLIGHT_VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"
# Headers a preflight announces as readable (actual responses name their own).
_EXPOSED = (
    "x-amzn-requestid, x-amzn-errortype, x-amzn-errormessage, x-amzn-trace-id, "
    "x-amz-request-id, x-amz-id-2, x-amz-version-id, x-amz-delete-marker, "
    "x-amz-executed-version, x-amz-function-error, x-amz-log-result, etag"
)
_EXPOSABLE_PREFIXES = (b"x-amz-", b"x-amzn-")
_EXPOSABLE = frozenset({b"etag", b"content-range", b"location"})


def _split(setting: str) -> tuple[str, ...]:
    return tuple(item.strip().lower() for item in setting.split(",") if item.strip())


def _host_name(host: str) -> str:
    """A Host header's name: lower-case, without port, IPv6 brackets or trailing dot."""
    name = host.strip().lower()
    if name.startswith("["):
        end = name.find("]")
        return name[1:end] if end > 0 else name
    if name.count(":") == 1:
        name = name.split(":", 1)[0]
    return name.rstrip(".")


def _ip_address(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def _is_local(name: str) -> bool:
    """A name or address that always means this machine."""
    if name in _LOCAL_NAMES or name.endswith(_LOCAL_SUFFIXES):
        return True
    address = _ip_address(name)
    return address is not None and address.is_loopback


def request_headers(value: str | None) -> tuple[str, ...]:
    """The names in ``Access-Control-Request-Headers``, lower-case."""
    if not value:
        return ()
    return tuple(name.strip().lower() for name in value.split(",") if name.strip())


class BrowserPolicy:
    """The origin and host allowlists (see the module's documentation)."""

    def __init__(self, allowed_origins: str, allowed_hosts: str, listen_host: str) -> None:
        origins = _split(allowed_origins)
        hosts = _split(allowed_hosts)
        self.any_origin = "*" in origins
        self._origins = tuple(origin.rstrip("/") for origin in origins if origin != "*")
        self._any_host = "*" in hosts
        self._hosts = tuple(_host_name(host) if "*" not in host else host for host in hosts)
        listen = _host_name(listen_host)
        self._listen = listen
        self._any_address = listen in _WILDCARD_ADDRESSES
        # Bounded: a flood of made-up names must not grow the cache.
        self.host_allowed: Callable[[str], bool] = functools.lru_cache(maxsize=512)(
            self._host_allowed
        )
        self.origin_allowed: Callable[[str], bool] = functools.lru_cache(maxsize=512)(
            self._origin_allowed
        )

    def _host_allowed(self, host: str) -> bool:
        if self._any_host or not host:
            return True  # no Host at all: HTTP/1.0, never a browser
        name = _host_name(host)
        if _is_local(name) or name == self._listen or name.endswith(_AWS_SUFFIXES):
            return True
        if self._any_address and _ip_address(name) is not None:
            # Listening on every address: the machine's own addresses reach it, and an
            # address (unlike a name) cannot be re-pointed by a rebinding page.
            return True
        return any(fnmatchcase(name, pattern) for pattern in self._hosts)

    def _origin_allowed(self, origin: str) -> bool:
        if self.any_origin:
            return True
        normal = origin.strip().lower().rstrip("/")
        match = _ORIGIN.match(normal)
        if match is None:
            return False  # "null" (sandboxed frames, file: pages) and anything malformed
        scheme, host = match.group(1), match.group(2).strip("[]")
        if scheme in ("http", "https") and _is_local(host):
            return True
        return any(fnmatchcase(normal, pattern) for pattern in self._origins)

    def refusal(self, headers: Mapping[str, str], service: str | None, method: str) -> str | None:
        """Why the request is refused, or None when it may go on."""
        if not self.host_allowed(headers.get("host", "")):
            return (
                f"lambdaport does not answer requests for the host "
                f"'{headers.get('host', '')}'; add it to allowed_hosts "
                "(--allowed-hosts, LAMBDAPORT_ALLOWED_HOSTS) to allow it."
            )
        origin = headers.get("origin")
        if origin is not None:
            if self.origin_allowed(origin):
                return None
            return (
                f"lambdaport does not answer requests from the origin '{origin}'; add it to "
                "allowed_origins (--allowed-origins, LAMBDAPORT_ALLOWED_ORIGINS) to allow it."
            )
        if (
            not self.any_origin
            and headers.get("sec-fetch-site") == "cross-site"
            and not (service == "s3" and method in ("GET", "HEAD"))
        ):
            return (
                "lambdaport does not answer cross-site browser requests that carry no Origin "
                "(only S3 reads); set allowed_origins to '*' to allow them."
            )
        return None


def is_preflight(method: str, headers: Mapping[str, str]) -> bool:
    return (
        method == "OPTIONS" and "origin" in headers and ("access-control-request-method" in headers)
    )


def preflight_headers(origin: str, headers: Mapping[str, str]) -> list[tuple[str, str]]:
    """The gateway's own answer to an allowed origin's preflight."""
    answer = [
        ("Access-Control-Allow-Origin", origin),
        ("Access-Control-Allow-Methods", _ALLOWED_METHODS),
        ("Access-Control-Expose-Headers", _EXPOSED),
        ("Access-Control-Max-Age", str(PREFLIGHT_MAX_AGE)),
        ("Vary", _PREFLIGHT_VARY),
    ]
    requested = headers.get("access-control-request-headers", "").strip()
    if requested:
        answer.append(("Access-Control-Allow-Headers", requested))
    return answer


def response_headers(origin: str, sent: Sequence[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The CORS headers of an actual response to an allowed origin: the origin, ``Vary`` and
    the response's own ``x-amz-*``/``x-amzn-*`` headers (and ETag) exposed to the page."""
    exposed = sorted(
        {
            name.lower()
            for name, _ in sent
            if name.lower().startswith(_EXPOSABLE_PREFIXES) or name.lower() in _EXPOSABLE
        }
    )
    answer = [(b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin")]
    if exposed:
        answer.append((b"access-control-expose-headers", b", ".join(exposed)))
    return answer
