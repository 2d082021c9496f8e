"""``--strict-auth`` beyond S3: unsigned query and JSON requests get their own service's 403,
a signature dated more than 15 minutes off is refused in AWS's words, lambdaport's own
endpoints need the data directory's token or a signature, and GetFunction's
``Code.Location`` is a URL presigned for 10 minutes that opens its package only."""

from __future__ import annotations

import io
import json
import os
import re
import stat
import subprocess
import sys
import urllib.parse
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree import ElementTree

import boto3
import pytest

from lambdaport.testing.server import Server
from tests.helpers import (
    aws_json,
    client_for,
    client_options,
    create_function,
    http_call,
    send_aws,
    signed_at,
)
from tests.integration.test_cli import one_line, run_cli

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


@pytest.fixture(scope="module")
def lambda_client(strict_server: Server) -> LambdaClient:
    return client_for(strict_server.endpoint)


def query_error(body: bytes) -> tuple[str, str, str]:
    """(namespace, code, message) of a query service's ErrorResponse."""
    root = ElementTree.fromstring(body)
    namespace = root.tag.partition("}")[0].lstrip("{")
    error = root.find("{*}Error")
    assert error is not None
    return namespace, error.findtext("{*}Code") or "", error.findtext("{*}Message") or ""


@pytest.mark.parametrize(
    ("form", "namespace"),
    [
        (
            "Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3At&Message=hi"
            "&Version=2010-03-31",
            "http://sns.amazonaws.com/doc/2010-03-31/",
        ),
        ("Action=ListTopics", "http://sns.amazonaws.com/doc/2010-03-31/"),
        (
            "Action=GetCallerIdentity&Version=2011-06-15",
            "https://sts.amazonaws.com/doc/2011-06-15/",
        ),
        ("Action=ListUsers&Version=2010-05-08", "https://iam.amazonaws.com/doc/2010-05-08/"),
    ],
)
def test_unsigned_query_requests_get_their_services_403(
    strict_server: Server, form: str, namespace: str
) -> None:
    status, _, body = http_call("POST", strict_server.endpoint + "/", form.encode(), FORM)
    assert status == 403, body
    assert query_error(body) == (
        namespace,
        "MissingAuthenticationToken",
        "Request is missing Authentication Token",
    )
    status, _, body = http_call("GET", f"{strict_server.endpoint}/?{form}")
    assert (status, query_error(body)[1]) == (403, "MissingAuthenticationToken")


def test_unsigned_json_requests_and_unsigned_operations(strict_server: Server) -> None:
    headers = {"Content-Type": "application/x-amz-json-1.1"}
    status, _, body = http_call(
        "POST",
        strict_server.endpoint + "/",
        b"{}",
        {**headers, "X-Amz-Target": "Logs_20140328.DescribeLogGroups"},
    )
    assert status == 403
    assert json.loads(body)["__type"] == "MissingAuthenticationTokenException"
    status, _, body = http_call(  # a moto-served JSON service
        "POST",
        strict_server.endpoint + "/",
        b"{}",
        {
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "DynamoDB_20120810.ListTables",
        },
    )
    assert (status, json.loads(body)["__type"]) == (403, "MissingAuthenticationTokenException")
    status, _, body = http_call("GET", strict_server.endpoint + "/2015-03-31/functions/")
    assert (status, json.loads(body)["message"]) == (403, "Missing Authentication Token")
    # STS serves AssumeRoleWithWebIdentity unsigned: it reaches STS and is answered there
    form = (
        "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleSessionName=session"
        "&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fr&WebIdentityToken=token"
    )
    status, _, body = http_call("POST", strict_server.endpoint + "/", form.encode(), FORM)
    assert status == 200, body
    assert b"AssumeRoleWithWebIdentityResult" in body


def test_signatures_dated_more_than_15_minutes_off_are_refused(
    strict_server: Server,
) -> None:
    now = datetime.now(UTC)
    stamp = r"(\d{8}T\d{6}Z)"
    for when, wording in (
        (now - timedelta(hours=1), "Signature expired: {} is now earlier than {} ({} - 15 min.)"),
        (
            now + timedelta(hours=1),
            "Signature not yet current: {} is still later than {} ({} + 15 min.)",
        ),
    ):
        sns = signed_at(
            when,
            "POST",
            strict_server.endpoint + "/",
            "sns",
            b"Action=ListTopics&Version=2010-03-31",
            FORM,
        )
        status, _, body = send_aws(sns)
        _, code, message = query_error(body)
        assert (status, code) == (403, "SignatureDoesNotMatch")
        lam = signed_at(when, "GET", strict_server.endpoint + "/2015-03-31/functions/", "lambda")
        status, headers, body = send_aws(lam)
        assert (status, headers["x-amzn-errortype"]) == (403, "InvalidSignatureException")
        assert json.loads(body)["message"] == message  # one wording for every protocol
        signed = when.strftime("%Y%m%dT%H%M%SZ")
        pattern = re.escape(wording).replace(r"\{\}", "{}").format(signed, stamp, stamp)
        match = re.fullmatch(pattern, message)
        assert match is not None, message
        bound, server = (
            datetime.strptime(t, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC) for t in match.groups()
        )
        assert abs((server - bound).total_seconds()) == 900
    fresh = signed_at(now, "GET", strict_server.endpoint + "/2015-03-31/functions/", "lambda")
    assert send_aws(fresh)[0] == 200


def test_presigned_sts_urls_are_verified(strict_server: Server) -> None:
    """The presigned GetCallerIdentity URL EKS tokens are made of."""
    sts = boto3.client("sts", **client_options(strict_server.endpoint))
    url = sts.generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    status, _, body = http_call("GET", url)
    assert status == 200 and b"<Account>000000000000</Account>" in body
    status, _, body = http_call(
        "GET", url.replace("Action=GetCallerIdentity", "Action=GetSessionToken")
    )
    assert (status, query_error(body)[1]) == (403, "SignatureDoesNotMatch")


def test_internal_endpoints_need_the_token_or_a_signature(strict_server: Server) -> None:
    token_file = strict_server.data_dir / "auth-token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    token = token_file.read_text().strip()
    logs = strict_server.endpoint + "/_lambdaport/logs?function=nobody"
    status, _, body = http_call("GET", logs)
    assert (status, json.loads(body)["__type"]) == (403, "AccessDeniedException")
    assert http_call("GET", logs, headers={"x-lambdaport-token": "wrong"})[0] == 403
    status, _, body = http_call("GET", logs, headers={"x-lambdaport-token": token})
    assert (status, json.loads(body)["events"]) == (200, [])
    signed = signed_at(datetime.now(UTC), "GET", logs, "lambda")
    assert send_aws(signed)[0] == 200
    for open_path in ("/_lambdaport/health", "/_localstack/health"):
        assert http_call("GET", strict_server.endpoint + open_path)[0] == 200


def test_cli_reads_the_token_of_its_data_dir(
    strict_server: Server, lambda_client: LambdaClient, tmp_path: Path
) -> None:
    name = create_function(lambda_client, "def handler(e, c):\n    print('strict-line')\n")
    lambda_client.invoke(FunctionName=name)
    by_option = run_cli(
        strict_server.endpoint, "logs", name, "--data-dir", str(strict_server.data_dir)
    )
    assert by_option.returncode == 0, by_option.stderr
    assert "strict-line" in by_option.stdout
    by_env = subprocess.run(
        [sys.executable, "-m", "lambdaport", "logs", name],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "LAMBDAPORT_ENDPOINT": strict_server.endpoint,
            "LAMBDAPORT_DATA_DIR": str(strict_server.data_dir),
        },
        timeout=120,
        check=False,
    )
    assert by_env.returncode == 0 and "strict-line" in by_env.stdout, by_env.stderr
    elsewhere = run_cli(strict_server.endpoint, "logs", name, "--data-dir", str(tmp_path))
    assert elsewhere.returncode == 1 and "strict-line" not in elsewhere.stdout
    assert "answered 403" in one_line(elsewhere) and "x-lambdaport-token" in elsewhere.stderr
    lambda_client.delete_function(FunctionName=name)


def _replace_query(url: str, name: str, value: str) -> str:
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query)
    changed = [(k, value if k == name else v) for k, v in query]
    return parts._replace(query=urllib.parse.urlencode(changed)).geturl()


def test_code_location_is_presigned_for_ten_minutes(
    strict_server: Server, lambda_client: LambdaClient
) -> None:
    name = create_function(lambda_client, "def handler(e, c):\n    return 1\n")
    other = create_function(lambda_client, "def handler(e, c):\n    return 2\n")
    try:
        location = aws_json(
            strict_server.endpoint, "lambda", "get-function", "--function-name", name
        )["Code"]["Location"]
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
        assert query["X-Amz-Expires"] == "600"
        assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
        status, _, body = http_call("GET", location)
        assert status == 200
        assert (
            zipfile.ZipFile(io.BytesIO(body)).read("app.py")
            == b"def handler(e, c):\n    return 1\n"
        )

        assert http_call("GET", location.split("?", 1)[0])[0] == 403
        tampered = _replace_query(location, "X-Amz-Signature", "0" * 64)
        assert http_call("GET", tampered)[0] == 403
        older = _replace_query(location, "X-Amz-Date", "20200101T000000Z")
        assert http_call("GET", older)[0] == 403
        other_location = lambda_client.get_function(FunctionName=other)["Code"]["Location"]
        other_path = urllib.parse.urlsplit(other_location).path
        swapped = urllib.parse.urlsplit(location)._replace(path=other_path).geturl()
        status, _, body = http_call("GET", swapped)
        assert (status, json.loads(body)["__type"]) == (403, "InvalidSignatureException")
        logs = urllib.parse.urlsplit(location)._replace(path="/_lambdaport/logs").geturl()
        assert http_call("GET", logs)[0] == 403
    finally:
        lambda_client.delete_function(FunctionName=name)
        lambda_client.delete_function(FunctionName=other)
