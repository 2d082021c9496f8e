"""WebSocket APIs (apigatewayv2 ``ProtocolType`` WEBSOCKET, moto's control plane) answering
real WebSocket clients (the ``websockets`` library): ``$connect`` accepting and refusing,
messages to routes chosen by ``RouteSelectionExpression`` and ``$default``, two-way routes,
``$disconnect``, the events checked against powertools' ``APIGatewayWebSocket*`` models, the
``@connections`` API from inside a function, the addresses, the index, API Gateway's
permission, and the browser checks."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import orjson
import pytest
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayWebSocketConnectEventModel,
    APIGatewayWebSocketDisconnectEventModel,
    APIGatewayWebSocketMessageEventModel,
)
from websockets.exceptions import ConnectionClosed, InvalidStatus

from lambdaport.testing.aws import client_options
from lambdaport.testing.inprocess import InProcessServer
from lambdaport.testing.server import Server
from tests.conftest import MakeFunction
from tests.helpers import client_for, create_function, wait_for
from tests.http_fronts.apis import allow_api, apigw
from tests.http_fronts.conftest import call
from tests.http_fronts.websocket_apis import WsApi, open_ws, websocket_api

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

# Records every event (one JSON line each) and answers as each route's test asks.
HANDLER = """
import base64, json, os
import boto3

def handler(event, context):
    with open(os.environ["OUT"], "a") as out:
        out.write(json.dumps(event) + "\\n")
    ctx = event["requestContext"]
    if ctx["eventType"] == "CONNECT":
        query = event.get("queryStringParameters") or {}
        if "reject" in query:
            return {"statusCode": int(query["reject"]), "body": "not you"}
        if "fail" in query:
            raise RuntimeError("asked to fail")
        if "protocol" in query:
            return {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": query["protocol"]}}
        return {"statusCode": 200}
    if ctx["eventType"] == "DISCONNECT":
        return {"statusCode": 200}
    try:
        message = json.loads(event["body"])
    except ValueError:
        message = {}
    do = message.get("do", "echo") if isinstance(message, dict) else "echo"
    if do == "fail":
        raise RuntimeError("asked to fail")
    if do == "binary":
        return {"statusCode": 200, "body": base64.b64encode(bytes(range(8))).decode(),
                "isBase64Encoded": True}
    if do in ("post", "get", "delete", "gone"):
        api = boto3.client("apigatewaymanagementapi")  # AWS_ENDPOINT_URL: lambdaport
        target = message.get("to", ctx["connectionId"])
        try:
            if do == "post":
                api.post_to_connection(ConnectionId=target, Data=message["data"].encode())
                return {"statusCode": 200, "body": "posted"}
            if do == "get":
                found = api.get_connection(ConnectionId=target)
                return {"statusCode": 200, "body": json.dumps({
                    "connectedAt": found["ConnectedAt"].isoformat(),
                    "lastActiveAt": found["LastActiveAt"].isoformat(),
                    "identity": found["Identity"]})}
            if do == "gone":
                api.post_to_connection(ConnectionId=target, Data=b"x")
                return {"statusCode": 200, "body": "not gone"}
            api.delete_connection(ConnectionId=target)
            return {"statusCode": 200}
        except api.exceptions.GoneException as gone:
            status = gone.response["ResponseMetadata"]["HTTPStatusCode"]
            return {"statusCode": 200, "body": "gone " + str(status)}
    return {"statusCode": 200, "body": json.dumps(event)}
"""


def read_events(out: Path) -> list[dict[str, Any]]:
    if not out.exists():
        return []
    return [json.loads(line) for line in out.read_text().splitlines() if line.strip()]


def events_of(out: Path, kind: str, count: int = 1) -> list[dict[str, Any]]:
    def found() -> list[dict[str, Any]] | None:
        events = [e for e in read_events(out) if e["requestContext"]["eventType"] == kind]
        return events if len(events) >= count else None

    return wait_for(found, 60, f"{count} {kind} event(s)")


@pytest.fixture
def ws(
    server: Server, lambda_client: LambdaClient, make_function: MakeFunction, tmp_path: Path
) -> tuple[WsApi, Path, str]:
    """A WebSocket API with $connect, $disconnect, $default (two-way) and a custom route
    ``shout`` (one-way) to the recording function, allowed to call it."""
    out = tmp_path / "events.jsonl"
    name = make_function(HANDLER, Environment={"Variables": {"OUT": str(out)}})
    api = websocket_api(
        server.endpoint,
        server.port,
        name,
        ("$connect", "$disconnect", "$default", "shout", "ask"),
        two_way=("$default", "ask"),
    )
    allow_api(lambda_client, name, api.api_id)
    return api, out, name


def test_connect_message_disconnect_and_their_events(ws: tuple[WsApi, Path, str]) -> None:
    api, out, _ = ws
    with open_ws(
        api.url(query="a=1&a=2&b=x"), api.port, {"User-Agent": "tests", "X-Custom": "c"}
    ) as client:
        client.send(json.dumps({"do": "echo", "n": 1}))
        message = json.loads(client.recv(timeout=60))
    APIGatewayWebSocketMessageEventModel.model_validate(message)
    context = message["requestContext"]
    assert context["routeKey"] == "$default"
    assert context["eventType"] == "MESSAGE"
    assert context["apiId"] == api.api_id
    assert context["stage"] == "prod"
    assert context["domainName"] == f"{api.api_id}.execute-api.localhost"
    assert context["messageDirection"] == "IN"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert json.loads(message["body"]) == {"do": "echo", "n": 1}
    assert message["isBase64Encoded"] is False

    connect = events_of(out, "CONNECT")[0]
    APIGatewayWebSocketConnectEventModel.model_validate(connect)
    assert connect["requestContext"]["connectionId"] == context["connectionId"]
    assert connect["requestContext"]["connectedAt"] == context["connectedAt"]
    assert connect["requestContext"]["identity"]["userAgent"] == "tests"
    assert connect["headers"]["x-custom"] == "c"
    assert connect["headers"]["sec-websocket-version"] == "13"
    assert connect["queryStringParameters"] == {"a": "2", "b": "x"}
    assert connect["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x"]}
    assert "messageId" not in connect["requestContext"]
    assert context["messageId"] and context["requestId"] != connect["requestContext"]["requestId"]
    assert context["requestTimeEpoch"] >= context["connectedAt"]

    disconnect = events_of(out, "DISCONNECT")[0]
    APIGatewayWebSocketDisconnectEventModel.model_validate(disconnect)
    assert disconnect["requestContext"]["connectionId"] == context["connectionId"]
    assert disconnect["requestContext"]["routeKey"] == "$disconnect"
    assert disconnect["requestContext"]["disconnectStatusCode"] == 1000


def test_route_selection_and_one_way_routes(ws: tuple[WsApi, Path, str]) -> None:
    api, out, _ = ws
    with open_ws(api.url(), api.port) as client:
        # "shout" has no route response: its function runs, nothing comes back; "ask" does.
        client.send(json.dumps({"action": "shout", "n": 1}))
        client.send(json.dumps({"action": "ask", "n": 2}))
        asked = json.loads(client.recv(timeout=60))
        assert asked["requestContext"]["routeKey"] == "ask"
        shouted = wait_for(
            lambda: [e for e in events_of(out, "MESSAGE") if '"n": 1' in e["body"]] or None,
            60,
            "the one-way message's event",
        )
        assert shouted[0]["requestContext"]["routeKey"] == "shout"
        # An action with no route, and a body that is not JSON: $default.
        client.send(json.dumps({"action": "nothing-here"}))
        assert json.loads(client.recv(timeout=60))["requestContext"]["routeKey"] == "$default"
        client.send("plain words")
        plain = json.loads(client.recv(timeout=60))
        assert plain["body"] == "plain words"
        # A binary frame: base64 with isBase64Encoded; a binary answer is a binary frame.
        client.send(b"\x00\x01\xff")
        binary = json.loads(client.recv(timeout=60))
        assert binary["isBase64Encoded"] is True and binary["body"] == "AAH/"
        client.send(json.dumps({"do": "binary"}))
        assert client.recv(timeout=60) == bytes(range(8))


def test_errors_are_told_to_the_client(
    server: Server, lambda_client: LambdaClient, make_function: MakeFunction, tmp_path: Path
) -> None:
    out = tmp_path / "events.jsonl"
    name = make_function(HANDLER, Environment={"Variables": {"OUT": str(out)}})
    # No $default route: a message no route takes is Forbidden.
    api = websocket_api(server.endpoint, server.port, name, ("ask",), two_way=("ask",))
    allow_api(lambda_client, name, api.api_id)
    with open_ws(api.url(), api.port) as client:
        client.send(json.dumps({"action": "other"}))
        forbidden = json.loads(client.recv(timeout=60))
        assert forbidden["message"] == "Forbidden"
        assert forbidden["connectionId"] and forbidden["requestId"]
        client.send(json.dumps({"action": "ask", "do": "fail"}))
        failed = json.loads(client.recv(timeout=60))
        assert failed["message"] == "Internal server error"
        assert failed["connectionId"] == forbidden["connectionId"]
        # The connection is still open after both.
        client.send(json.dumps({"action": "ask"}))
        assert json.loads(client.recv(timeout=60))["requestContext"]["routeKey"] == "ask"


def test_connect_refuses_with_the_functions_status(ws: tuple[WsApi, Path, str]) -> None:
    api, out, _ = ws
    with pytest.raises(InvalidStatus) as refused:
        open_ws(api.url(query="reject=401"), api.port)
    assert refused.value.response.status_code == 401
    assert refused.value.response.body == b"not you"
    with pytest.raises(InvalidStatus) as failed:
        open_ws(api.url(query="fail=1"), api.port)
    assert failed.value.response.status_code == 500
    assert orjson.loads(failed.value.response.body) == {"message": "Internal server error"}
    # The function chose the subprotocol.
    with open_ws(api.url(query="protocol=chat"), api.port, subprotocols=["chat"]) as client:
        assert client.subprotocol == "chat"
    # No $disconnect for connections that never opened: just the one that did.
    events_of(out, "DISCONNECT")
    connects = events_of(out, "CONNECT", 3)
    assert len(connects) == 3


def test_every_address_form(ws: tuple[WsApi, Path, str]) -> None:
    api, _, _ = ws
    for form in ("localhost", "localstack", "amazonaws", "path"):
        with open_ws(api.url(form), api.port) as client:
            client.send("hi")
            event = json.loads(client.recv(timeout=60))
            assert event["requestContext"]["apiId"] == api.api_id, form
            assert event["requestContext"]["stage"] == "prod", form


def test_unknown_stage_and_api_are_refused(ws: tuple[WsApi, Path, str]) -> None:
    api, _, _ = ws
    for url in (
        f"ws://{api.api_id}.execute-api.localhost:{api.port}/nostage",
        f"ws://{api.api_id}.execute-api.localhost:{api.port}/",
        f"ws://zz9nothere.execute-api.localhost:{api.port}/prod",
    ):
        with pytest.raises(InvalidStatus) as refused:
            open_ws(url, api.port)
        assert refused.value.response.status_code == 403, url


def test_connections_api_from_inside_the_function(ws: tuple[WsApi, Path, str]) -> None:
    api, out, _ = ws
    with (
        open_ws(api.url(), api.port, {"User-Agent": "me"}) as first,
        open_ws(api.url(), api.port) as second,
    ):
        first.send(json.dumps({"do": "echo"}))
        first_id = json.loads(first.recv(timeout=60))["requestContext"]["connectionId"]
        # The second client's function posts to the first client.
        second.send(json.dumps({"do": "post", "to": first_id, "data": "hello from 2"}))
        assert second.recv(timeout=60) == "posted"
        assert first.recv(timeout=60) == "hello from 2"
        second.send(json.dumps({"do": "get", "to": first_id}))
        found = json.loads(second.recv(timeout=60))
        assert found["identity"] == {"SourceIp": "127.0.0.1", "UserAgent": "me"}
        assert found["connectedAt"] <= found["lastActiveAt"]
        second.send(json.dumps({"do": "delete", "to": first_id}))
        with pytest.raises(ConnectionClosed):
            first.recv(timeout=60)
        assert first.close_code == 1000
        # The closed connection is gone for the function's boto3 client: 410.
        second.send(json.dumps({"do": "gone", "to": first_id}))
        assert second.recv(timeout=60) == "gone 410"
    disconnects = events_of(out, "DISCONNECT", 2)
    codes = {e["requestContext"]["connectionId"]: e for e in disconnects}
    assert codes[first_id]["requestContext"]["disconnectStatusCode"] == 1000


def test_connections_api_at_every_address(ws: tuple[WsApi, Path, str], server: Server) -> None:
    api, _, _ = ws
    with open_ws(api.url(), api.port) as client:
        client.send(json.dumps({"do": "echo"}))
        connection_id = json.loads(client.recv(timeout=60))["requestContext"]["connectionId"]
        quoted = connection_id.replace("=", "%3D")
        # AWS's host forms below the stage (plain HTTP: *.localhost names need no resolver).
        for host in (
            f"{api.api_id}.execute-api.localhost:{api.port}",
            f"{api.api_id}.execute-api.us-east-1.amazonaws.com:{api.port}",
        ):
            posted = call(f"http://{host}/prod/@connections/{quoted}", "POST", host.encode())
            assert posted.status == 200, posted.body
            assert client.recv(timeout=60) == host
            got = call(f"http://{host}/prod/@connections/{quoted}")
            assert got.json()["identity"]["sourceIp"] == "127.0.0.1"
        # boto3 at the path form and at lambdaport's own address.
        for endpoint in (
            f"http://127.0.0.1:{api.port}/_aws/execute-api/{api.api_id}/prod",
            server.endpoint,
        ):
            management = boto3.client("apigatewaymanagementapi", **client_options(endpoint))
            management.post_to_connection(ConnectionId=connection_id, Data=endpoint.encode())
            assert client.recv(timeout=60) == endpoint
            found = management.get_connection(ConnectionId=connection_id)
            assert found["Identity"]["SourceIp"] == "127.0.0.1"
            assert found["ConnectedAt"] <= found["LastActiveAt"]
        too_big = b"x" * (128 * 1024 + 1)
        with pytest.raises(management.exceptions.PayloadTooLargeException):
            management.post_to_connection(ConnectionId=connection_id, Data=too_big)
    with pytest.raises(management.exceptions.GoneException):
        management.post_to_connection(ConnectionId=connection_id, Data=b"late")
    with pytest.raises(management.exceptions.GoneException):
        management.get_connection(ConnectionId=f"never{uuid.uuid4().hex[:8]}=")
    with pytest.raises(management.exceptions.GoneException):
        management.delete_connection(ConnectionId=connection_id)
    gone = call(f"http://{api.api_id}.execute-api.localhost:{api.port}/prod/@connections/{quoted}")
    assert gone.status == 410
    assert gone.header("x-amzn-errortype") == "GoneException"


def test_no_permission_refuses_the_connection(
    server: Server, make_function: MakeFunction, tmp_path: Path
) -> None:
    out = tmp_path / "events.jsonl"
    name = make_function(HANDLER, Environment={"Variables": {"OUT": str(out)}})
    api = websocket_api(server.endpoint, server.port, name)  # no allow_api
    with pytest.raises(InvalidStatus) as refused:
        open_ws(api.url(), api.port)
    assert refused.value.response.status_code == 500
    assert orjson.loads(refused.value.response.body) == {"message": "Internal server error"}
    assert read_events(out) == []  # the function never ran


def test_without_connect_route_every_client_is_accepted(
    server: Server, lambda_client: LambdaClient, make_function: MakeFunction, tmp_path: Path
) -> None:
    out = tmp_path / "events.jsonl"
    name = make_function(HANDLER, Environment={"Variables": {"OUT": str(out)}})
    api = websocket_api(server.endpoint, server.port, name, ("$default",), selection="\\$default")
    allow_api(lambda_client, name, api.api_id)
    with open_ws(api.url(), api.port) as client:
        client.send(json.dumps({"action": "anything"}))
        assert json.loads(client.recv(timeout=60))["requestContext"]["routeKey"] == "$default"
    assert [e["requestContext"]["eventType"] for e in read_events(out)] == ["MESSAGE"]


def test_browser_checks_apply_to_websockets(ws: tuple[WsApi, Path, str]) -> None:
    api, out, _ = ws
    with pytest.raises(InvalidStatus) as foreign:
        open_ws(api.url(), api.port, origin="http://evil.example")
    assert foreign.value.response.status_code == 403
    with pytest.raises(InvalidStatus) as rebound:
        open_ws(f"ws://rebound.example:{api.port}/_aws/execute-api/{api.api_id}/prod", api.port)
    assert rebound.value.response.status_code == 403
    # localhost's own pages may.
    with open_ws(api.url(), api.port, origin="http://localhost:3000") as client:
        client.send("hi")
        assert json.loads(client.recv(timeout=60))["body"] == "hi"
    # Neither refused handshake reached the function.
    assert len(events_of(out, "CONNECT")) == 1


def test_the_index_lists_websocket_apis(ws: tuple[WsApi, Path, str], server: Server) -> None:
    api, _, _ = ws
    answer = call(f"{server.endpoint}/_lambdaport/http")
    assert answer.status == 200
    listed = {entry["apiId"]: entry for entry in answer.json()["webSocketApis"]}
    entry = listed[api.api_id]
    assert entry["protocolType"] == "WEBSOCKET"
    assert entry["routeSelectionExpression"] == "$request.body.action"
    stage = entry["stages"][0]
    assert stage["url"] == api.url()
    assert stage["pathUrl"] == api.url("path")
    assert "ask" in entry["routes"]
    # The HTTP APIs' list does not name it.
    assert api.api_id not in {e["apiId"] for e in answer.json()["httpApis"]}


def test_plain_http_to_a_websocket_api(ws: tuple[WsApi, Path, str]) -> None:
    api, _, _ = ws
    answer = call(f"http://{api.api_id}.execute-api.localhost:{api.port}/prod")
    assert answer.status == 426


def test_a_websocket_api_is_described_as_created(server: Server) -> None:
    client = apigw(server.endpoint)
    api = client.create_api(
        Name="described", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.x"
    )
    got = client.get_api(ApiId=api["ApiId"])
    assert got["ProtocolType"] == "WEBSOCKET"
    assert got["RouteSelectionExpression"] == "$request.body.x"
    client.delete_api(ApiId=api["ApiId"])


@pytest.fixture(scope="module")
def scaled_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose WebSocket timeouts are AWS's x 0.002: idle 1.2 s, at most 14.4 s."""
    data = tmp_path_factory.mktemp("ws-timeouts") / "data"
    with InProcessServer(data, extra_args=("--websocket-timeout-scale", "0.002")) as running:
        yield running


def test_idle_and_maximum_duration_timeouts(scaled_server: Server, tmp_path: Path) -> None:
    client = client_for(scaled_server.endpoint)
    out = tmp_path / "events.jsonl"
    name = create_function(client, HANDLER, Environment={"Variables": {"OUT": str(out)}})
    api = websocket_api(
        scaled_server.endpoint, scaled_server.port, name, ("$disconnect", "$default"), two_way=()
    )
    allow_api(client, name, api.api_id)
    # Idle: nothing either way for 10 minutes (1.2 s here) closes with 1001.
    started = time.monotonic()
    with open_ws(api.url(), api.port) as idle:
        with pytest.raises(ConnectionClosed):
            idle.recv(timeout=60)
        assert idle.close_code == 1001
    assert time.monotonic() - started >= 1.2
    gone = events_of(out, "DISCONNECT")[0]["requestContext"]
    assert (gone["disconnectStatusCode"], gone["disconnectReason"]) == (1001, "Going away")
    # Busy: messages keep it open past the idle timeout until the 2 hours (14.4 s) are up.
    started = time.monotonic()
    with open_ws(api.url(), api.port) as busy:
        with pytest.raises(ConnectionClosed):
            while time.monotonic() - started < 60:
                busy.send(json.dumps({"action": "keep", "do": "nothing"}))
                with contextlib.suppress(TimeoutError):
                    busy.recv(timeout=0.1)
        assert busy.close_code == 1001
    assert time.monotonic() - started >= 14.4
    assert len(events_of(out, "MESSAGE", 20)) >= 20
