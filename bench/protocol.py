"""The protocol layer's share of a warm invoke: parse + serialise of Lambda ``Invoke``.

Run: ``.venv/bin/python bench/protocol.py``. Budget: 15 µs per request (parse with model
validation, then serialise the result).
"""

from __future__ import annotations

import timeit

from lambdaport.protocol import RestJsonProtocol, load_service_model
from lambdaport.protocol.base import HttpRequest

BUDGET_US = 15.0


def main() -> None:
    lam = RestJsonProtocol(load_service_model("lambda"))
    request = HttpRequest(
        "POST",
        "/2015-03-31/functions/my-function/invocations",
        "",
        {
            "host": "127.0.0.1:4566",
            "content-type": "application/json",
            "x-amz-invocation-type": "RequestResponse",
            "x-amz-log-type": "None",
        },
        b'{"key": "value"}',
    )
    result = {"StatusCode": 200, "Payload": b'{"ok": true}', "ExecutedVersion": "$LATEST"}

    def parse() -> None:
        lam.parse(request)

    def round_trip() -> None:
        name, _ = lam.parse(request)
        lam.serialize(name, result)

    number = 20000
    for label, fn in (("parse", parse), ("parse+serialize", round_trip)):
        best = min(timeit.repeat(fn, number=number, repeat=7)) / number * 1e6
        print(f"Invoke {label:16s} {best:6.2f} µs  (budget {BUDGET_US:.0f} µs for both)")


if __name__ == "__main__":
    main()
