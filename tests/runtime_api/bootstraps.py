"""Bootstrap executables for the tests: a POSIX shell one using curl, one in Python's stdlib.

Both pick their behaviour from the event text (``"sleep"``, ``"error"``, ...), and fail init
when the function's environment has ``INIT_FAIL=1``.
"""

from __future__ import annotations

import sys

SHELL_BOOTSTRAP = r"""#!/bin/sh
set -u
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
WORK="$LAMBDA_TASK_ROOT/.work"
mkdir -p "$WORK"
if [ "${INIT_FAIL:-}" = "1" ]; then
  echo "init is failing"
  curl -sS -o /dev/null -H "Lambda-Runtime-Function-Error-Type: Custom.InitFailed" \
    --data-binary '{"errorMessage":"no config","errorType":"Custom.InitFailed"}' "$API/init/error"
  exit 1
fi
if [ "${EXIT_AT_INIT:-}" != "" ]; then
  echo "leaving during init"
  exit "$EXIT_AT_INIT"
fi
echo "init done"
HEADERS="$WORK/headers"
header() { grep -i "^$1:" "$HEADERS" | cut -d' ' -f2- | tr -d '\r\n'; }
respond() { curl -sS -o /dev/null --data-binary "$1" "$API/invocation/$ID/response"; }
while true; do
  EVENT="$(curl -sS -D "$HEADERS" "$API/invocation/next")"
  ID="$(header Lambda-Runtime-Aws-Request-Id)"
  echo "handling $ID: $EVENT"
  case "$EVENT" in
    *sleep*)
      sleep 30 &
      echo $! > "$WORK/sleep.pid"
      wait ;;
    *exit*) exit 3 ;;
    *killself*) kill -9 $$ ;;
    *error*)
      curl -sS -o /dev/null -H "Lambda-Runtime-Function-Error-Type: Custom.Failure" \
        --data-binary '{"errorMessage":"it broke","errorType":"Custom.Failure"}' \
        "$API/invocation/$ID/error" ;;
    *context*)
      CC="$(header Lambda-Runtime-Client-Context | grep . || echo null)"
      IDENTITY="$(header Lambda-Runtime-Cognito-Identity | grep . || echo null)"
      {
        printf '{"request_id":"%s","deadline_ms":"%s",' "$ID" "$(header Lambda-Runtime-Deadline-Ms)"
        printf '"arn":"%s",' "$(header Lambda-Runtime-Invoked-Function-Arn)"
        printf '"trace":"%s",' "$(header Lambda-Runtime-Trace-Id)"
        printf '"client_context":%s,"identity":%s,' "$CC" "$IDENTITY"
        printf '"stream":"%s","api":"%s"}' "$AWS_LAMBDA_LOG_STREAM_NAME" "$AWS_LAMBDA_RUNTIME_API"
      } > "$WORK/context.json"
      respond "@$WORK/context.json" ;;
    *chunked*)
      printf '%s' "$EVENT" | curl -sS -o /dev/null -H "Transfer-Encoding: chunked" \
        --data-binary @- "$API/invocation/$ID/response" ;;
    *large*)
      head -c 7000000 /dev/zero | tr '\0' 'a' > "$WORK/big"
      CODE="$(curl -sS -o /dev/null -w '%{http_code}' --data-binary "@$WORK/big" \
        "$API/invocation/$ID/response")"
      echo "large post answered $CODE" ;;
    *orphan*)
      sleep 300 &
      echo $! > "$WORK/orphan.pid"
      echo "started an orphan" >&2
      respond '"orphaned"' ;;
    *) respond "$EVENT" ;;
  esac
done
"""


def python_bootstrap() -> str:
    """A runtime written with ``urllib`` only, run by the test's own interpreter."""
    return f"#!{sys.executable}\n" + _PYTHON_BODY


_PYTHON_BODY = r"""
import json
import os
import sys
import urllib.error
import urllib.request

API = f"http://{os.environ['AWS_LAMBDA_RUNTIME_API']}/2018-06-01/runtime"


def post(path, body, headers=None):
    request = urllib.request.Request(f"{API}/{path}", data=body, headers=headers or {})
    with urllib.request.urlopen(request) as answer:
        return answer.status


if os.environ.get("INIT_FAIL") == "1":
    print("python init is failing", flush=True)
    error = {"errorMessage": "bad init", "errorType": "Custom.PyInit"}
    headers = {"Lambda-Runtime-Function-Error-Type": "Custom.PyInit"}
    post("init/error", json.dumps(error).encode(), headers)
    sys.exit(2)

while True:
    with urllib.request.urlopen(f"{API}/invocation/next") as response:
        event = json.loads(response.read())
        headers = dict(response.headers)
    request_id = headers["Lambda-Runtime-Aws-Request-Id"]
    print(f"python runtime got {event!r}", flush=True)
    if event.get("action") == "error":
        error = {"errorMessage": "python says no", "errorType": "ValueError", "stackTrace": []}
        post(f"invocation/{request_id}/error", json.dumps(error).encode(),
             {"Lambda-Runtime-Function-Error-Type": "ValueError"})
    else:
        result = {"event": event, "headers": {k.lower(): v for k, v in headers.items()}}
        post(f"invocation/{request_id}/response", json.dumps(result).encode())
"""
