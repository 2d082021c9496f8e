"""provided.al2023 functions through the Lambda API: a shell bootstrap and awslambdaric."""

from __future__ import annotations

import base64
import json
import sys
from typing import TYPE_CHECKING

from lambdaport.testing.server import zip_files
from tests.helpers import ROLE, wait_active

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

SHELL_BOOTSTRAP = """#!/bin/sh
set -eu
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation"
while true; do
  HEADERS=$(mktemp)
  EVENT=$(curl -sS -D "$HEADERS" "$API/next")
  ID=$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$HEADERS" | tr -d '\\r' | cut -d' ' -f2)
  echo "shell got $EVENT"
  case "$EVENT" in
    *fail*) curl -sS -X POST "$API/$ID/error" \\
              -H 'Lambda-Runtime-Function-Error-Type: Custom.Failure' \\
              -d '{"errorMessage":"asked to fail","errorType":"Custom.Failure"}' >/dev/null ;;
    *) BODY="{\\"echo\\": $EVENT, \\"handler\\": \\"$_HANDLER\\"}"
       curl -sS -X POST "$API/$ID/response" -d "$BODY" >/dev/null ;;
  esac
  rm -f "$HEADERS"
done
"""


def create(client: LambdaClient, name: str, files: dict[str, str], handler: str) -> None:
    modes = {"bootstrap": 0o755}
    client.create_function(
        FunctionName=name,
        Runtime="provided.al2023",
        Role=ROLE,
        Handler=handler,
        Code={"ZipFile": zip_files(files, modes)},
    )
    wait_active(client, name)


def test_shell_bootstrap(lambda_client: LambdaClient) -> None:
    create(lambda_client, "shell-fn", {"bootstrap": SHELL_BOOTSTRAP}, "my.handler")
    try:
        response = lambda_client.invoke(
            FunctionName="shell-fn", Payload=b'{"a": 1}', LogType="Tail"
        )
        assert json.loads(response["Payload"].read()) == {"echo": {"a": 1}, "handler": "my.handler"}
        log = base64.b64decode(response["LogResult"]).decode()
        assert 'shell got {"a": 1}' in log and "REPORT RequestId" in log
        failed = lambda_client.invoke(FunctionName="shell-fn", Payload=b'{"fail": 1}')
        assert failed["FunctionError"] == "Unhandled"
        assert json.loads(failed["Payload"].read()) == {
            "errorMessage": "asked to fail",
            "errorType": "Custom.Failure",
        }
    finally:
        lambda_client.delete_function(FunctionName="shell-fn")


def test_awslambdaric_bootstrap(lambda_client: LambdaClient) -> None:
    bootstrap = f"#!/bin/sh\nexec {sys.executable} -m awslambdaric $_HANDLER\n"
    app = (
        "def handler(event, context):\n"
        "    if event.get('fail'):\n"
        "        raise KeyError('missing')\n"
        "    return {'got': event, 'id': context.aws_request_id, 'fn': context.function_name}\n"
    )
    create(lambda_client, "ric-fn", {"bootstrap": bootstrap, "app.py": app}, "app.handler")
    try:
        response = lambda_client.invoke(FunctionName="ric-fn", Payload=b'{"b": 2}')
        out = json.loads(response["Payload"].read())
        assert out == {
            "got": {"b": 2},
            "id": response["ResponseMetadata"]["RequestId"],
            "fn": "ric-fn",
        }
        failed = lambda_client.invoke(FunctionName="ric-fn", Payload=b'{"fail": true}')
        assert failed["FunctionError"] == "Unhandled"
        error = json.loads(failed["Payload"].read())
        assert error["errorType"] == "KeyError"
        assert error["stackTrace"]
    finally:
        lambda_client.delete_function(FunctionName="ric-fn")


def test_custom_runtime_memory_limit(lambda_client: LambdaClient) -> None:
    bootstrap = f"#!/bin/sh\nexec {sys.executable} -m awslambdaric $_HANDLER\n"
    app = "def handler(event, context):\n    return len(bytearray(400 * 1024 * 1024))\n"
    create(lambda_client, "ric-oom", {"bootstrap": bootstrap, "app.py": app}, "app.handler")
    try:
        response = lambda_client.invoke(FunctionName="ric-oom", Payload=b"{}", LogType="Tail")
        assert response["FunctionError"] == "Unhandled"
        error = json.loads(response["Payload"].read())
        assert error["errorType"] == "Runtime.OutOfMemory"
        assert "signal: killed" in error["errorMessage"]
        log = base64.b64decode(response["LogResult"]).decode()
        assert "Error Type: Runtime.OutOfMemory" in log
    finally:
        lambda_client.delete_function(FunctionName="ric-oom")
