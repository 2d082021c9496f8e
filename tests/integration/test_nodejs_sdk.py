"""The AWS SDK for JavaScript v3 inside Node.js functions: importable as on AWS's runtimes
(CommonJS and ES modules), talking to lambdaport through AWS_ENDPOINT_URL."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import boto3
import pytest

from lambdaport.testing.aws import client_options
from lambdaport.testing.server import Server
from tests.conftest import MakeFunction

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_s3 import S3Client

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")

ESM_PUT = """
import { S3Client, PutObjectCommand } from '@aws-sdk/client-s3';
const s3 = new S3Client({});
export const handler = async (event) => {
  const put = await s3.send(new PutObjectCommand({
    Bucket: event.bucket, Key: event.key, Body: JSON.stringify({ from: 'esm' }),
    ContentType: 'application/json',
  }));
  return { etag: put.ETag };
};
"""

CJS_PUT = """
const { S3Client, PutObjectCommand, GetObjectCommand } = require('@aws-sdk/client-s3');
const s3 = new S3Client({});
exports.handler = async (event) => {
  await s3.send(new PutObjectCommand({ Bucket: event.bucket, Key: event.key, Body: 'from cjs' }));
  const got = await s3.send(new GetObjectCommand({ Bucket: event.bucket, Key: event.key }));
  return { body: await got.Body.transformToString(), sdk: require.resolve('@aws-sdk/client-s3') };
};
"""


@pytest.fixture
def s3(server: Server) -> S3Client:
    return boto3.client("s3", **client_options(server.endpoint, s3={"addressing_style": "path"}))


@pytest.fixture
def bucket(s3: S3Client) -> Iterator[str]:
    name = f"node-sdk-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    yield name
    for item in s3.list_objects_v2(Bucket=name).get("Contents", []):
        s3.delete_object(Bucket=name, Key=item["Key"])
    s3.delete_bucket(Bucket=name)


@pytest.mark.parametrize(
    ("files", "expected"),
    [({"index.mjs": ESM_PUT}, {"from": "esm"}), ({"index.js": CJS_PUT}, None)],
    ids=["esm", "cjs"],
)
def test_sdk_v3_puts_an_object_into_lambdaports_s3(
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    s3: S3Client,
    bucket: str,
    files: dict[str, str],
    expected: dict[str, str] | None,
) -> None:
    name = make_function(files, handler="index.handler", runtime="nodejs20.x", Timeout=30)
    event = {"bucket": bucket, "key": "written-by-node.json"}
    response = lambda_client.invoke(FunctionName=name, Payload=json.dumps(event).encode())
    body = json.loads(response["Payload"].read())
    assert response.get("FunctionError") is None, body
    stored = s3.get_object(Bucket=bucket, Key="written-by-node.json")
    content = stored["Body"].read()
    if expected is None:
        assert content == b"from cjs" and body["body"] == "from cjs"
        assert "/nodejs/aws-sdk-v3/node_modules/@aws-sdk/client-s3/" in body["sdk"]
    else:
        assert json.loads(content) == expected
        assert body["etag"] == stored["ETag"]
