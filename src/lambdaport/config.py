"""Frozen server settings, from CLI flags, ``LAMBDAPORT_*`` variables and ``lambdaport.toml``.

Precedence: a flag given on the command line, then the environment, then the TOML file
(``./lambdaport.toml`` or ``--config``), then the defaults below.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_PORT = 4566


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    data_dir: Path = Path(".lambdaport")
    ephemeral: bool = False
    strict_auth: bool = False
    default_region: str = "us-east-1"
    account_concurrency_limit: int = 1000
    keep_alive_seconds: float = 600.0
    cache_dir: Path = Path.home() / ".cache" / "lambdaport"
    log_level: str = "info"
    # Multiplies every asynchronous-invocation delay (retry delays, throttle backoff and the
    # maximum event age): 0.01 makes the 1-minute retry 0.6 s for local development and tests.
    async_delay_scale: float = 1.0
    # Browser origins allowed besides localhost's own (comma-separated; "*" allows every
    # origin) and Host names allowed besides loopback, localhost and the hosts lambdaport
    # routes itself: see gateway/browsers.py for why the others are refused.
    allowed_origins: str = ""
    allowed_hosts: str = ""
    # Seconds a request body may stall (announced and not sent) before the request is
    # answered with RequestTimeout and the connection closed; about AWS's own idle timeout.
    request_idle_timeout: float = 20.0
    # Where functions see their code, layers and /tmp: "directories" (the data dir's), or
    # "aws" (/var/task, /opt and a private /tmp, through a mount namespace where the kernel
    # allows it: runtime/paths.py).
    function_paths: str = "directories"
    # Python workers forked ahead of need per interpreter in use, so a cold start is an
    # assignment and an import, not a fork (runtime/standbys.py); 0: every cold start forks.
    python_standbys: int = 1
    # Multiplies WebSocket APIs' idle (10 min) and maximum-duration (2 h) timeouts; tests
    # use a small one.
    websocket_timeout_scale: float = 1.0

    @property
    def endpoint_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"


_ENV_NAMES = {
    "host": "LAMBDAPORT_HOST",
    "port": "LAMBDAPORT_PORT",
    "data_dir": "LAMBDAPORT_DATA_DIR",
    "ephemeral": "LAMBDAPORT_EPHEMERAL",
    "strict_auth": "LAMBDAPORT_STRICT_AUTH",
    "default_region": "LAMBDAPORT_DEFAULT_REGION",
    "account_concurrency_limit": "LAMBDAPORT_ACCOUNT_CONCURRENCY_LIMIT",
    "keep_alive_seconds": "LAMBDAPORT_KEEP_ALIVE_SECONDS",
    "cache_dir": "LAMBDAPORT_CACHE_DIR",
    "log_level": "LAMBDAPORT_LOG_LEVEL",
    "async_delay_scale": "LAMBDAPORT_ASYNC_DELAY_SCALE",
    "allowed_origins": "LAMBDAPORT_ALLOWED_ORIGINS",
    "allowed_hosts": "LAMBDAPORT_ALLOWED_HOSTS",
    "request_idle_timeout": "LAMBDAPORT_REQUEST_IDLE_TIMEOUT",
    "function_paths": "LAMBDAPORT_FUNCTION_PATHS",
    "python_standbys": "LAMBDAPORT_PYTHON_STANDBYS",
    "websocket_timeout_scale": "LAMBDAPORT_WEBSOCKET_TIMEOUT_SCALE",
}


def _coerce(name: str, value: Any) -> Any:
    default = getattr(Settings(), name)
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(value)
    if isinstance(default, float):
        return float(value)
    if isinstance(default, Path):
        return Path(str(value)).expanduser()
    if isinstance(value, list):  # a TOML list for a comma-separated setting
        return ",".join(str(item) for item in value)
    return str(value)


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Build Settings; ``overrides`` are flags the user gave (None values are ignored)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = config_file or Path("lambdaport.toml")
    if path.is_file():
        with path.open("rb") as fh:
            values.update(tomllib.load(fh))
    known = {f.name for f in fields(Settings)}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"unknown settings in {path}: {', '.join(sorted(unknown))}")
    for name, var in _ENV_NAMES.items():
        if var in env:
            values[name] = env[var]
    for name, value in (overrides or {}).items():
        if value is not None:
            values[name] = value
    return replace(Settings(), **{k: _coerce(k, v) for k, v in values.items()})
