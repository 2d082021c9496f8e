"""CreateFunction and UpdateFunctionCode with code from S3 (``S3Bucket``/``S3Key``/
``S3ObjectVersion``), and Lambda's error when the object is missing."""

from __future__ import annotations

import json
import re
import uuid
from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from lambdaport.testing.server import zip_files
from tests.conftest import MakeFunction
from tests.helpers import ROLE, wait_active, wait_for
from tests.services.s3.conftest import MakeBucket

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_s3 import S3Client


def _package(answer: str) -> bytes:
    return zip_files({"app.py": f"def handler(event, context):\n    return {answer!r}\n"})


def _invoke(lambda_client: LambdaClient, name: str) -> object:
    return json.loads(lambda_client.invoke(FunctionName=name)["Payload"].read())


def test_code_from_s3(s3: S3Client, lambda_client: LambdaClient, make_bucket: MakeBucket) -> None:
    bucket = make_bucket(versioned=True)
    first = s3.put_object(Bucket=bucket, Key="fn.zip", Body=_package("first"))["VersionId"]
    s3.put_object(Bucket=bucket, Key="fn.zip", Body=_package("second"))
    name = f"from-s3-{uuid.uuid4().hex[:8]}"
    lambda_client.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=ROLE,
        Handler="app.handler",
        Code={"S3Bucket": bucket, "S3Key": "fn.zip", "S3ObjectVersion": first},
    )
    try:
        wait_active(lambda_client, name)
        assert _invoke(lambda_client, name) == "first"
        lambda_client.update_function_code(FunctionName=name, S3Bucket=bucket, S3Key="fn.zip")
        lambda_client.get_waiter("function_updated_v2").wait(
            FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
        )
        assert _invoke(lambda_client, name) == "second"
        with pytest.raises(ClientError) as missing:
            lambda_client.update_function_code(
                FunctionName=name, S3Bucket=bucket, S3Key="no-such.zip"
            )
        error = missing.value.response["Error"]
        assert error["Code"] == "InvalidParameterValueException"
        assert error["Message"] == (
            "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: "
            "The specified key does not exist."
        )
    finally:
        lambda_client.delete_function(FunctionName=name)


def test_bucket_as_on_failure_destination(
    s3: S3Client, lambda_client: LambdaClient, make_bucket: MakeBucket, make_function: MakeFunction
) -> None:
    bucket = make_bucket()
    name = make_function("def handler(event, context):\n    raise ValueError('no')\n")
    lambda_client.put_function_event_invoke_config(
        FunctionName=name,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": f"arn:aws:s3:::{bucket}"}},
    )
    lambda_client.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"n": 1}')
    contents = wait_for(
        lambda: s3.list_objects_v2(Bucket=bucket, Prefix="aws/lambda/async/").get("Contents"),
        30,
        "an invocation record in the bucket",
    )
    key = contents[0]["Key"]
    assert re.fullmatch(
        rf"aws/lambda/async/{name}/\d{{4}}/\d\d/\d\d/\d{{4}}-\d\d-\d\dT\d\d\.\d\d\.\d\d-[0-9a-f-]{{36}}",
        key,
    )
    got = s3.get_object(Bucket=bucket, Key=key)
    record = json.loads(got["Body"].read())
    assert got["ContentType"] == "application/json"
    assert record["requestPayload"] == {"n": 1}
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["responseContext"]["functionError"] == "Unhandled"
