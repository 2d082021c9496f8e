"""The origin and host allowlists, case by case (the servers' tests cover the wiring)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambdaport.config import load_settings
from lambdaport.gateway.browsers import BrowserPolicy

DEFAULT = BrowserPolicy("", "", "127.0.0.1")


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("http://localhost", True),
        ("http://localhost:3000", True),
        ("HTTPS://LOCALHOST:8443/", True),
        ("http://127.0.0.1:8080", True),
        ("http://127.9.9.9", True),
        ("http://[::1]:5173", True),
        ("http://app.localhost:3000", True),
        ("http://bucket.s3.localhost.localstack.cloud:4566", True),
        ("null", False),
        ("file://", False),
        ("https://evil.example", False),
        ("http://localhost.evil.example", False),
        ("http://evil.example#localhost", False),
        ("http://127.0.0.1.evil.example", False),
        ("ftp://localhost", False),
        ("http://[::ffff:8.8.8.8]", False),
    ],
)
def test_default_origins(origin: str, allowed: bool) -> None:
    assert DEFAULT.origin_allowed(origin) is allowed


def test_added_origins_and_star() -> None:
    policy = BrowserPolicy("https://app.example.test, https://*.preview.test", "", "127.0.0.1")
    assert policy.origin_allowed("https://app.example.test")
    assert policy.origin_allowed("https://pr-1.preview.test")
    assert not policy.origin_allowed("http://app.example.test")  # another scheme
    assert not policy.origin_allowed("https://app.example.test:444")  # another port
    assert not policy.origin_allowed("https://evil.example:1.preview.test")  # not an origin
    assert BrowserPolicy("*", "", "127.0.0.1").origin_allowed("https://anything.example")


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("", True),  # HTTP/1.0 without a Host: never a browser
        ("127.0.0.1:4566", True),
        ("[::1]:4566", True),
        ("localhost:4566", True),
        ("LOCALHOST.", True),
        ("bucket.s3.localhost:4566", True),
        ("sqs.us-east-1.localhost.localstack.cloud:4566", True),
        ("bucket.s3.amazonaws.com", True),
        ("abc123.execute-api.us-east-1.amazonaws.com", True),
        ("192.168.1.20:4566", False),  # not the listening address
        ("evil.example", False),
        ("localhost.evil.example", False),
        ("amazonaws.com.evil.example", False),
    ],
)
def test_default_hosts(host: str, allowed: bool) -> None:
    assert DEFAULT.host_allowed(host) is allowed


def test_listening_address_and_added_hosts() -> None:
    policy = BrowserPolicy("", "lambdaport.test, *.dev.test", "myhost.lan")
    assert policy.host_allowed("myhost.lan:4566")
    assert policy.host_allowed("lambdaport.test")
    assert policy.host_allowed("api.dev.test:80")
    assert not policy.host_allowed("dev.test")
    assert not policy.host_allowed("evil.example")
    everywhere = BrowserPolicy("", "", "0.0.0.0")
    assert everywhere.host_allowed("192.168.1.20:4566")  # an address cannot be re-pointed
    assert not everywhere.host_allowed("rebind.evil.example")
    assert BrowserPolicy("", "*", "127.0.0.1").host_allowed("anything.example")


def test_cross_site_without_origin_reads_only_s3() -> None:
    cross = {"host": "127.0.0.1", "sec-fetch-site": "cross-site"}
    assert DEFAULT.refusal(cross, "s3", "GET") is None
    assert DEFAULT.refusal(cross, "s3", "PUT") is not None
    assert DEFAULT.refusal(cross, "sns", "GET") is not None
    assert DEFAULT.refusal({**cross, "sec-fetch-site": "same-site"}, "sns", "GET") is None
    assert BrowserPolicy("*", "", "127.0.0.1").refusal(cross, "sns", "GET") is None


def test_browser_settings_from_flags_environment_and_toml(tmp_path: Path) -> None:
    config = tmp_path / "lambdaport.toml"
    config.write_text('allowed_origins = ["https://a.test", "https://b.test"]\n')
    settings = load_settings(
        {"allowed_hosts": "lambdaport.test"},
        environ={"LAMBDAPORT_REQUEST_IDLE_TIMEOUT": "2.5"},
        config_file=config,
    )
    assert settings.allowed_origins == "https://a.test,https://b.test"
    assert settings.allowed_hosts == "lambdaport.test"
    assert settings.request_idle_timeout == 2.5
    assert load_settings(environ={}, config_file=tmp_path / "none.toml").request_idle_timeout == 20
