"""How the CLI reaches a running server: boto3 for the AWS API, urllib for lambdaport's own."""

from __future__ import annotations

import os
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Any

import boto3
import orjson
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

DEFAULT_ENDPOINT = "http://127.0.0.1:4566"


def lambda_client(endpoint: str) -> LambdaClient:
    return boto3.client(
        "lambda",
        endpoint_url=endpoint,
        region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
        config=Config(read_timeout=960, retries={"max_attempts": 0}),
    )


def get_json(endpoint: str, path: str, query: dict[str, str] | None = None) -> Any:
    url = endpoint.rstrip("/") + path
    if query:
        url += "?" + urllib.parse.urlencode(query)
    with urllib.request.urlopen(url, timeout=60) as response:
        return orjson.loads(response.read())
