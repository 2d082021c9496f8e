"""The floor on this machine: what a bare HTTP server and a bare pipe round trip cost.

- `measure_bare_http` runs `floor_app.py` (uvicorn + httptools + uvloop, a raw ASGI callable
  answering lambdaport's silent-handler response bytes) and times it with the same raw
  keep-alive client the servers are timed with, and with boto3, which shows what boto3
  itself costs per call: no server can be faster through boto3 than that.
- `measure_pipe` starts `floor_worker.py` as a warm child process and times, in this process,
  one length-prefixed frame out through a pipe and one back.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import orjson
from clients import RawInvoker, RawResponse, lambda_client
from load import LoadSummary, measure_load
from measure import Budget, Summary, measure
from mypy_boto3_lambda import LambdaClient
from servers import HOST, LOG_DIR, ServerSpec, free_port, running, stop

BENCH_DIR = Path(__file__).resolve().parent
_LENGTH = struct.Struct(">I")


@dataclass(frozen=True)
class FixedResponse:
    """An HTTP response as bytes on the wire: status, headers in order, body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    source: str

    @classmethod
    def captured(cls, response: RawResponse, source: str) -> FixedResponse:
        return cls(response.status, response.headers, response.body, source)

    def to_json(self) -> str:
        return json.dumps(
            {
                "status": self.status,
                "headers": [list(pair) for pair in self.headers],
                "body_b64": base64.b64encode(self.body).decode(),
                "source": self.source,
            }
        )


# Used when lambdaport did not run in this invocation of the benchmark: the shape its sync
# Invoke answer has for the silent handler (``../shared/docs/AWS-SEMANTICS.md`` A.1),
# orjson-encoded.
DEFAULT_RESPONSE = FixedResponse(
    status=200,
    headers=(
        ("content-type", "application/json"),
        ("x-amz-executed-version", "$LATEST"),
        ("x-amzn-requestid", "00000000-0000-0000-0000-000000000000"),
    ),
    body=b'{"ok":true}',
    source="default (lambdaport not run)",
)


@dataclass(frozen=True)
class Floor:
    """The floor figures of one run and which response bytes the bare server answered."""

    bare_http: Summary
    bare_http_boto3: Summary
    pipe: Summary
    pipe_same_cpu: Summary
    response_source: str
    # The saturation series against the bare server (``load.py``), as lambdaport's.
    load: tuple[LoadSummary, ...] = ()


def bare_http_spec(work_dir: Path, response: FixedResponse) -> ServerSpec:
    response_file = work_dir / "floor-response.json"
    response_file.write_text(response.to_json())
    port = free_port()
    argv = (
        sys.executable,
        str(BENCH_DIR / "floor_app.py"),
        "--port",
        str(port),
        "--response-file",
        str(response_file),
    )
    return ServerSpec(
        name="bare uvicorn",
        argv=argv,
        port=port,
        health_path="/health",
        log_path=LOG_DIR / "floor-uvicorn.log",
        start_timeout=30.0,
    )


def _invoke_boto3(client: LambdaClient) -> bytes:
    body: bytes = client.invoke(FunctionName="floor", Payload=b"{}")["Payload"].read()
    return body


def measure_bare_http(
    work_dir: Path, response: FixedResponse, budget: Budget, load_seconds: float | None = None
) -> tuple[Summary, Summary, tuple[LoadSummary, ...]]:
    """The bare server timed with the raw client, then with boto3 (what the client costs),
    then (``load_seconds``) under the saturation series."""
    with (
        running(bare_http_spec(work_dir, response)) as server,
        RawInvoker(HOST, server.port) as raw,
    ):
        first = raw.invoke("floor")
        if first.body != response.body or first.status != response.status:
            raise RuntimeError(f"bare floor answered {first.status} {first.body!r}")
        raw_summary = measure(lambda: raw.invoke("floor"), budget)
        client = lambda_client(server.endpoint_url)
        if _invoke_boto3(client) != response.body:
            raise RuntimeError("boto3 did not read the bare floor's body")
        boto3_summary = measure(lambda: _invoke_boto3(client), budget)
        client.close()
        load: tuple[LoadSummary, ...] = ()
        if load_seconds is not None:
            url = f"{server.endpoint_url}/2015-03-31/functions/floor/invocations"
            load = measure_load(url, load_seconds)
        return raw_summary, boto3_summary, load


class PipeWorker:
    """A warm child process spoken to with length-prefixed JSON frames over two pipes."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, str(BENCH_DIR / "floor_worker.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
            start_new_session=True,
        )
        assert self._process.stdin is not None and self._process.stdout is not None
        self._write_fd = self._process.stdin.fileno()
        self._read_fd = self._process.stdout.fileno()

    @property
    def pid(self) -> int:
        return self._process.pid

    def _read_exactly(self, size: int) -> bytes:
        chunks: list[bytes] = []
        remaining = size
        while remaining:
            chunk = os.read(self._read_fd, remaining)
            if not chunk:
                raise EOFError("pipe worker closed its stdout")
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def round_trip(self, payload: bytes) -> bytes:
        frame = orjson.dumps({"request_id": str(uuid.uuid4()), "payload": orjson.Fragment(payload)})
        os.write(self._write_fd, _LENGTH.pack(len(frame)) + frame)
        (size,) = _LENGTH.unpack(self._read_exactly(_LENGTH.size))
        return self._read_exactly(size)

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            stop(self._process)
        if self._process.stdout is not None:
            self._process.stdout.close()


def measure_pipe(budget: Budget, same_cpu: bool = False) -> Summary:
    """Time pipe round trips to a warm worker; with `same_cpu`, both ends pinned to one CPU.

    On a VM a wake-up on the other (idle) vCPU is expensive, so the two figures differ by
    the cross-CPU wake-up cost; the unpinned one is what the scheduler gives a server.
    """
    original = os.sched_getaffinity(0)
    worker = PipeWorker()
    try:
        if same_cpu:
            cpu = min(original)
            os.sched_setaffinity(0, {cpu})
            os.sched_setaffinity(worker.pid, {cpu})
        answer = orjson.loads(worker.round_trip(b"{}"))
        if answer.get("result") != {"ok": True}:
            raise RuntimeError(f"pipe worker answered {answer!r}")
        return measure(lambda: orjson.loads(worker.round_trip(b"{}")), budget)
    finally:
        os.sched_setaffinity(0, original)
        worker.close()


def measure_floor(
    work_dir: Path, response: FixedResponse, budget: Budget, load_seconds: float | None = None
) -> Floor:
    bare_http, bare_http_boto3, load = measure_bare_http(work_dir, response, budget, load_seconds)
    return Floor(
        bare_http=bare_http,
        bare_http_boto3=bare_http_boto3,
        pipe=measure_pipe(budget),
        pipe_same_cpu=measure_pipe(budget, same_cpu=True),
        response_source=response.source,
        load=load,
    )
