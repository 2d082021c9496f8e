"""The Runtime API server on its own: routes, status codes, and HTTP/1.1 details."""

from __future__ import annotations

import asyncio
import http.client
import json
from collections.abc import Awaitable, Callable, Iterator

from lambdaport.runtime.runtime_api import (
    RESPONSE_SIZE_LIMIT,
    AnswerKind,
    PendingInvocation,
    RuntimeApi,
)
from tests.runtime_api.helpers import FUNCTION_ARN, make_invocation

BASE = "/2018-06-01/runtime"

Reply = tuple[int, dict[str, str], bytes]


def run_with_api(scenario: Callable[[RuntimeApi], Awaitable[None]]) -> None:
    async def main() -> None:
        api = await RuntimeApi.open()
        try:
            await scenario(api)
        finally:
            await api.close()

    asyncio.run(main())


def run_with_client(scenario: Callable[[RuntimeApi, Client], Awaitable[None]]) -> None:
    """``run_with_api`` with one keep-alive :class:`Client` of the API, closed afterwards."""

    async def with_client(api: RuntimeApi) -> None:
        client = Client(api)
        try:
            await scenario(api, client)
        finally:
            client.close()

    run_with_api(with_client)


class Client:
    """A blocking keep-alive client (``http.client``), used from a worker thread."""

    def __init__(self, api: RuntimeApi) -> None:
        host, port = api.address.split(":")
        self._connection = http.client.HTTPConnection(host, int(port), timeout=10)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | Iterator[bytes] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        self._connection.request(method, BASE + path, body=body, headers=headers or {})
        response = self._connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()

    async def call(
        self,
        method: str,
        path: str,
        body: bytes | Iterator[bytes] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        return await asyncio.to_thread(self.request, method, path, body, headers)

    def close(self) -> None:
        self._connection.close()


async def deliver(api: RuntimeApi, client: Client, payload: bytes = b"{}") -> PendingInvocation:
    pending = api.submit(make_invocation(payload), deadline_ms=1)
    status, headers, body = await client.call("GET", "/invocation/next")
    assert status == 200 and body == payload
    assert headers["Lambda-Runtime-Aws-Request-Id"] == pending.invocation.request_id
    return pending


def test_next_and_response_on_one_keep_alive_connection() -> None:
    async def scenario(api: RuntimeApi, client: Client) -> None:
        for n in range(3):
            pending = await deliver(api, client, f'{{"n": {n}}}'.encode())
            assert pending.delivered.done()
            request_id = pending.invocation.request_id
            status, _, body = await client.call(
                "POST", f"/invocation/{request_id}/response", f"[{n}]".encode()
            )
            assert (status, json.loads(body)) == (202, {"status": "OK"})
            answer = await pending.answer
            assert answer.kind is AnswerKind.RESPONSE and answer.payload == f"[{n}]".encode()
        assert api.ready.done()

    run_with_client(scenario)


def test_next_headers() -> None:
    async def scenario(api: RuntimeApi, client: Client) -> None:
        invocation = make_invocation(
            b"{}", client_context='{"custom":{}}', cognito_identity='{"cognitoIdentityId":"x"}'
        )
        api.submit(invocation, deadline_ms=1234567890123)
        status, headers, _ = await client.call("GET", "/invocation/next")
        assert status == 200
        assert headers["Lambda-Runtime-Deadline-Ms"] == "1234567890123"
        assert headers["Lambda-Runtime-Invoked-Function-Arn"] == FUNCTION_ARN
        assert headers["Lambda-Runtime-Client-Context"] == '{"custom":{}}'
        assert headers["Lambda-Runtime-Cognito-Identity"] == '{"cognitoIdentityId":"x"}'
        assert headers["Lambda-Runtime-Trace-Id"].startswith("Root=1-")
        assert headers["Content-Type"] == "application/json"

    run_with_client(scenario)


def test_unknown_request_id_is_400_and_a_second_answer_is_403() -> None:
    async def scenario(api: RuntimeApi, client: Client) -> None:
        status, _, body = await client.call("POST", "/invocation/nope/response", b"1")
        assert status == 400
        assert json.loads(body) == {
            "errorMessage": "Invalid request ID",
            "errorType": "InvalidRequestID",
        }
        pending = await deliver(api, client)
        request_id = pending.invocation.request_id
        status, _, _ = await client.call("POST", f"/invocation/{request_id}/response", b"1")
        assert status == 202
        for kind in ("response", "error"):
            status, _, body = await client.call("POST", f"/invocation/{request_id}/{kind}", b"2")
            assert status == 403
            assert json.loads(body)["errorType"] == "InvalidStateTransition"
        assert (await pending.answer).payload == b"1"

    run_with_client(scenario)


def test_error_post_carries_the_error_type_header() -> None:
    async def scenario(api: RuntimeApi, client: Client) -> None:
        pending = await deliver(api, client)
        error = b'{"errorMessage":"m","errorType":"Body.Type"}'
        status, _, _ = await client.call(
            "POST",
            f"/invocation/{pending.invocation.request_id}/error",
            error,
            {"Lambda-Runtime-Function-Error-Type": "Header.Type"},
        )
        assert status == 202
        answer = await pending.answer
        assert answer.kind is AnswerKind.ERROR
        assert (answer.payload, answer.error_type) == (error, "Header.Type")
        # Without the header, the body's errorType names the error.
        pending = await deliver(api, client)
        path = f"/invocation/{pending.invocation.request_id}/error"
        assert (await client.call("POST", path, error))[0] == 202
        assert (await pending.answer).error_type == "Body.Type"

    run_with_client(scenario)


def test_oversized_response_is_413_and_the_connection_stays_usable() -> None:
    async def scenario(api: RuntimeApi, client: Client) -> None:
        pending = await deliver(api, client)
        path = f"/invocation/{pending.invocation.request_id}/response"
        status, _, body = await client.call("POST", path, b"x" * (RESPONSE_SIZE_LIMIT + 1))
        assert status == 413
        assert json.loads(body)["errorType"] == "RequestEntityTooLarge"
        answer = await pending.answer
        assert answer.kind is AnswerKind.RESPONSE_TOO_LARGE
        assert json.loads(answer.payload)["errorType"] == "Function.ResponseSizeTooLarge"
        # Exactly at the limit is fine, on the same connection.
        pending = await deliver(api, client)
        path = f"/invocation/{pending.invocation.request_id}/response"
        status, _, _ = await client.call("POST", path, b"y" * RESPONSE_SIZE_LIMIT)
        assert status == 202
        assert len((await pending.answer).payload) == RESPONSE_SIZE_LIMIT

    run_with_client(scenario)


def test_chunked_request_body() -> None:
    async def scenario(api: RuntimeApi, client: Client) -> None:
        pending = await deliver(api, client)
        path = f"/invocation/{pending.invocation.request_id}/response"
        status, _, _ = await client.call("POST", path, iter([b'{"a":', b" 1", b"}"]))
        assert status == 202
        assert (await pending.answer).payload == b'{"a": 1}'

    run_with_client(scenario)


def test_expect_100_continue() -> None:
    async def scenario(api: RuntimeApi) -> None:
        client = Client(api)
        try:
            pending = await deliver(api, client)
        finally:
            client.close()
        host, port = api.address.split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            request_id = pending.invocation.request_id
            writer.write(
                f"POST {BASE}/invocation/{request_id}/response HTTP/1.1\r\n"
                "Host: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n".encode()
            )
            assert await reader.readuntil(b"\r\n\r\n") == b"HTTP/1.1 100 Continue\r\n\r\n"
            writer.write(b"true")
            assert (await reader.readuntil(b"\r\n")).startswith(b"HTTP/1.1 202 ")
            assert (await pending.answer).payload == b"true"
        finally:
            writer.close()
            await writer.wait_closed()

    run_with_api(scenario)


def test_init_error_is_accepted_once_and_only_before_next() -> None:
    async def scenario(api: RuntimeApi, client: Client) -> None:
        body = b'{"errorMessage":"bad","errorType":"Runtime.ImportModuleError"}'
        headers = {"Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError"}
        status, _, reply = await client.call("POST", "/init/error", body, headers)
        assert (status, json.loads(reply)) == (202, {"status": "OK"})
        error = await api.init_error
        assert (error.payload, error.error_type) == (body, "Runtime.ImportModuleError")
        status, _, _ = await client.call("POST", "/init/error", body, headers)
        assert status == 403

    run_with_client(scenario)


def test_unknown_paths_and_methods() -> None:
    async def scenario(api: RuntimeApi, client: Client) -> None:
        assert (await client.call("GET", "/nothing/here"))[0] == 404
        assert (await client.call("POST", "/invocation/next", b""))[0] == 405
        assert (await client.call("GET", "/invocation/abc/response"))[0] == 405

    run_with_client(scenario)


def test_malformed_request_gets_400_and_close() -> None:
    async def scenario(api: RuntimeApi) -> None:
        host, port = api.address.split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            writer.write(b"NONSENSE\r\n\r\n")
            assert (await reader.readuntil(b"\r\n")).startswith(b"HTTP/1.1 400 ")
            await reader.read()  # the server closes the connection
            assert reader.at_eof()
        finally:
            writer.close()
            await writer.wait_closed()

    run_with_api(scenario)


def test_abandoned_invocations_are_skipped_and_late_answers_refused() -> None:
    async def scenario(api: RuntimeApi, client: Client) -> None:
        stale = api.submit(make_invocation(b'"stale"'), deadline_ms=1)
        api.abandon(stale)
        pending = await deliver(api, client, b'"fresh"')
        api.abandon(pending)
        path = f"/invocation/{pending.invocation.request_id}/response"
        assert (await client.call("POST", path, b"late"))[0] == 403

    run_with_client(scenario)


def test_close_ends_a_waiting_next() -> None:
    async def scenario(api: RuntimeApi) -> None:
        host, port = api.address.split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            writer.write(f"GET {BASE}/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            await writer.drain()
            await asyncio.wait_for(api.ready, 5)
            await api.close()
            assert await reader.read() == b""  # closed without an answer
        finally:
            writer.close()
            await writer.wait_closed()

    run_with_api(scenario)
