from __future__ import annotations

from typing import Any

import pytest

from lambdaport.protocol.base import ServiceProtocol
from tests.protocol.wire import build_protocol, load_model


class ModelCache:
    """Service models and our protocols, built once per test session."""

    def __init__(self) -> None:
        self._models: dict[tuple[str, str], Any] = {}
        self._protocols: dict[tuple[str, str], ServiceProtocol] = {}

    def model(self, service: str, protocol: str) -> Any:
        key = (service, protocol)
        if key not in self._models:
            self._models[key] = load_model(service, protocol)
        return self._models[key]

    def protocol(self, service: str, protocol: str) -> ServiceProtocol:
        key = (service, protocol)
        if key not in self._protocols:
            self._protocols[key] = build_protocol(self.model(service, protocol), protocol)
        return self._protocols[key]


@pytest.fixture(scope="session")
def models() -> ModelCache:
    return ModelCache()
