"""How the CLI reaches a running server: boto3 for the AWS API, urllib for lambdaport's own
(with the data directory's token, which a server started with ``--strict-auth`` asks for)."""

from __future__ import annotations

import os
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import orjson
from botocore.config import Config

from lambdaport.gateway.internal_auth import TOKEN_FILE, TOKEN_HEADER

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

DEFAULT_ENDPOINT = "http://127.0.0.1:4566"
DEFAULT_DATA_DIR = Path(".lambdaport")


def lambda_client(endpoint: str) -> LambdaClient:
    return boto3.client(
        "lambda",
        endpoint_url=endpoint,
        region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
        config=Config(read_timeout=960, retries={"max_attempts": 0}),
    )


def read_token(data_dir: Path | None) -> str | None:
    """The token of the server whose data directory is ``data_dir`` (default: the
    ``LAMBDAPORT_DATA_DIR`` variable, else ``./.lambdaport``), if it can be read."""
    directory = data_dir or Path(os.environ.get("LAMBDAPORT_DATA_DIR") or DEFAULT_DATA_DIR)
    try:
        return (directory.expanduser() / TOKEN_FILE).read_text().strip() or None
    except OSError:
        return None


def get_json(
    endpoint: str,
    path: str,
    query: dict[str, str] | None = None,
    *,
    data_dir: Path | None = None,
) -> Any:
    url = endpoint.rstrip("/") + path
    if query:
        url += "?" + urllib.parse.urlencode(query)
    token = read_token(data_dir)
    headers = {TOKEN_HEADER: token} if token else {}
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        return orjson.loads(response.read())
