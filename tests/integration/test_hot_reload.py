"""Hot reload: a function whose code is a local directory runs edits on the next invoke."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from tests.helpers import ROLE, wait_active, wait_for

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient


def test_edits_are_picked_up(lambda_client: LambdaClient, tmp_path: Path) -> None:
    code = tmp_path / "src"
    code.mkdir()
    (code / "app.py").write_text("def handler(e, c):\n    return 'before'\n")
    lambda_client.create_function(
        FunctionName="hot-fn",
        Runtime="python3.11",
        Role=ROLE,
        Handler="app.handler",
        Code={"S3Bucket": "hot-reload", "S3Key": str(code)},
    )
    try:
        wait_active(lambda_client, "hot-fn")
        first = lambda_client.invoke(FunctionName="hot-fn")["Payload"].read()
        assert json.loads(first) == "before"
        (code / "app.py").write_text("def handler(e, c):\n    return 'after'\n")
        wait_for(
            lambda: (
                json.loads(lambda_client.invoke(FunctionName="hot-fn")["Payload"].read()) == "after"
            ),
            10,
            "the edited code to run",
        )
    finally:
        lambda_client.delete_function(FunctionName="hot-fn")
