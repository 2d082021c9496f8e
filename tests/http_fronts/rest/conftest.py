"""Fixtures of the REST API tests: an API Gateway client on the session's server."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from lambdaport.testing.server import Server
from tests.helpers import client_options


@pytest.fixture(scope="session")
def apigateway(server: Server) -> Any:
    return boto3.client("apigateway", **client_options(server.endpoint))
