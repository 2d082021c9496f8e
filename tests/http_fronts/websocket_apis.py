"""Building WebSocket APIs for the tests with boto3's apigatewayv2 client (moto's control
plane), and connecting to them with the ``websockets`` library as any client does: the
``*.localhost`` host name in the URI (and so in ``Host``), the socket opened to 127.0.0.1."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from websockets.sync.client import ClientConnection, connect

from tests.http_fronts.apis import apigw, function_arn


@dataclass(frozen=True)
class WsApi:
    api_id: str
    stage: str
    port: int

    def url(self, form: str = "localhost", query: str = "") -> str:
        tail = f"?{query}" if query else ""
        if form == "path":
            return f"ws://127.0.0.1:{self.port}/_aws/execute-api/{self.api_id}/{self.stage}{tail}"
        hosts = {
            "localhost": f"{self.api_id}.execute-api.localhost",
            "localstack": f"{self.api_id}.execute-api.localhost.localstack.cloud",
            "amazonaws": f"{self.api_id}.execute-api.us-east-1.amazonaws.com",
        }
        return f"ws://{hosts[form]}:{self.port}/{self.stage}{tail}"


def websocket_api(
    endpoint: str,
    port: int,
    function: str,
    routes: Sequence[str] = ("$connect", "$disconnect", "$default"),
    *,
    two_way: Sequence[str] = ("$default",),
    selection: str = "$request.body.action",
    stage: str = "prod",
) -> WsApi:
    """A WebSocket API whose ``routes`` all go to ``function`` (Lambda proxy), those in
    ``two_way`` with a ``$default`` route response; one auto-deployed stage."""
    client = apigw(endpoint)
    api_id = client.create_api(
        Name=f"ws-{uuid.uuid4().hex[:6]}",
        ProtocolType="WEBSOCKET",
        RouteSelectionExpression=selection,
    )["ApiId"]
    integration = client.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=function_arn(function)
    )["IntegrationId"]
    for key in routes:
        route = client.create_route(
            ApiId=api_id, RouteKey=key, Target=f"integrations/{integration}"
        )["RouteId"]
        if key in two_way:
            client.create_route_response(ApiId=api_id, RouteId=route, RouteResponseKey="$default")
    client.create_stage(ApiId=api_id, StageName=stage, AutoDeploy=True)
    return WsApi(api_id, stage, port)


def open_ws(
    url: str,
    port: int,
    headers: Mapping[str, str] | None = None,
    **options: Any,
) -> ClientConnection:
    """A WebSocket connection to ``url`` over a socket to 127.0.0.1:``port``."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    connection: ClientConnection = connect(
        url,
        sock=sock,
        additional_headers=dict(headers or {}),
        open_timeout=60,
        close_timeout=10,
        **options,
    )
    return connection
