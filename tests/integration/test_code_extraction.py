"""A deployment package's file modes as the function sees them after extraction."""

from __future__ import annotations

import json
import stat
from typing import TYPE_CHECKING

from lambdaport.testing.server import zip_files
from tests.helpers import ROLE, wait_active

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

    from tests.conftest import MakeFunction

MODES = """
import os

def handler(event, context):
    return {name: os.stat(name).st_mode for name in ("setuid-tool", "setgid-tool", "sticky")}
"""


def test_setuid_setgid_and_sticky_bits_are_dropped_executable_bits_kept(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function("def handler(e, c):\n    return None\n")  # registered for cleanup
    files = {"app.py": MODES, "setuid-tool": "#!/bin/sh\n", "setgid-tool": "#!/bin/sh\n"}
    files["sticky"] = "data"
    modes = {"setuid-tool": 0o4755, "setgid-tool": 0o2750, "sticky": 0o1644}
    lambda_client.update_function_code(FunctionName=name, ZipFile=zip_files(files, modes))
    wait_active(lambda_client, name)
    found = json.loads(lambda_client.invoke(FunctionName=name)["Payload"].read())
    assert {key: stat.S_IMODE(mode) for key, mode in found.items()} == {
        "setuid-tool": 0o755,
        "setgid-tool": 0o754,  # group and world get read access, as every extracted file does
        "sticky": 0o644,
    }


def test_a_setuid_bootstrap_still_runs(lambda_client: LambdaClient) -> None:
    bootstrap = """#!/bin/sh
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation"
HEADERS=$(mktemp)
curl -sS -D "$HEADERS" "$API/next" >/dev/null
ID=$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$HEADERS" | tr -d '\\r' | cut -d' ' -f2)
MODE=$(stat -c %a "$0")
curl -sS -X POST "$API/$ID/response" -d "\\"$MODE\\"" >/dev/null
"""
    lambda_client.create_function(
        FunctionName="setuid-bootstrap",
        Runtime="provided.al2023",
        Role=ROLE,
        Handler="none",
        Code={"ZipFile": zip_files({"bootstrap": bootstrap}, {"bootstrap": 0o4755})},
    )
    try:
        wait_active(lambda_client, "setuid-bootstrap")
        response = lambda_client.invoke(FunctionName="setuid-bootstrap")
        assert "FunctionError" not in response
        assert json.loads(response["Payload"].read()) == "755"
    finally:
        lambda_client.delete_function(FunctionName="setuid-bootstrap")
