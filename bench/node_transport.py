"""Which transport a Node.js runtime should use with lambdaport, measured: lambdaport's framed
pipes (a ``nodejs20.x`` function, runtime/node/index.js) against AWS's Runtime API over HTTP
(a ``provided.al2023`` function whose ``bootstrap`` is a minimal Node.js Runtime API loop with
a keep-alive agent, the least an HTTP runtime interface client can do), on one lambdaport.

    python bench/node_transport.py [--requests N] [--warmup N]

Both functions return ``{"ok": true}``; each is invoked warm through the raw keep-alive client
(bench/clients.py), one call at a time. Prints p50/p99 per transport and the difference.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from functools import partial
from pathlib import Path

from clients import ROLE, RawInvoker, lambda_client, wait_active
from measure import Budget, measure
from servers import HOST, running
from systems import lambdaport_spec

from lambdaport.testing.server import zip_files

BENCH_DIR = Path(__file__).resolve().parent
NODE_HANDLER = "exports.handler = async () => ({ ok: true });\n"
# The Runtime API loop of an HTTP runtime interface client, nothing more.
HTTP_BOOTSTRAP = """#!/usr/bin/env node
const http = require('http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const base = '/2018-06-01/runtime/invocation/';
function next() {
  http.get({ host, port, path: base + 'next', agent }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => {
      const id = res.headers['lambda-runtime-aws-request-id'];
      JSON.parse(Buffer.concat(chunks).toString() || '{}');
      const body = JSON.stringify({ ok: true });
      const req = http.request({ host, port, method: 'POST', path: base + id + '/response',
        agent, headers: { 'content-length': Buffer.byteLength(body) } }, (r) => {
        r.resume();
        r.on('end', next);
      });
      req.end(body);
    });
  });
}
next();
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--max-seconds", type=float, default=12.0)
    args = parser.parse_args(argv)
    if shutil.which("node") is None:
        print("Node.js is not installed", file=sys.stderr)
        return 1
    budget = Budget(warmup=args.warmup, requests=args.requests, max_seconds=args.max_seconds)
    command = f"{Path(sys.executable).parent / 'lambdaport'} up"
    work = BENCH_DIR / ".work"
    work.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(dir=work, prefix="transport-") as scratch,
        running(lambdaport_spec(command, Path(scratch))) as server,
    ):
        client = lambda_client(server.endpoint_url)
        client.create_function(
            FunctionName="pipes",
            Runtime="nodejs20.x",
            Role=ROLE,
            Handler="index.handler",
            Code={"ZipFile": zip_files({"index.js": NODE_HANDLER})},
        )
        client.create_function(
            FunctionName="http",
            Runtime="provided.al2023",
            Role=ROLE,
            Handler="unused",
            Code={"ZipFile": zip_files({"bootstrap": HTTP_BOOTSTRAP}, {"bootstrap": 0o755})},
        )
        figures = {}
        with RawInvoker(HOST, server.port) as raw:
            for name in ("pipes", "http"):
                wait_active(client, name)
                answer = raw.invoke(name)
                if answer.status != 200 or b'"ok":true' not in answer.body:
                    raise RuntimeError(f"{name} answered {answer.status} {answer.body!r}")
                figures[name] = measure(partial(raw.invoke, name), budget)
        client.close()
    for name, summary in figures.items():
        print(
            f"{name:6} p50 {summary.p50_ms:.3f} ms  p99 {summary.p99_ms:.3f} ms  n {summary.count}"
        )
    difference = figures["http"].p50_ms - figures["pipes"].p50_ms
    print(f"Runtime API over HTTP costs {difference:.3f} ms more per invocation (p50)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
