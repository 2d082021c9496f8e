"""No web page drives lambdaport unless allowed, through real servers: a foreign Origin's
``text/plain`` POST (no preflight needed) creates and runs nothing, a foreign Host
(DNS rebinding) is refused, a cross-site request without Origin only reads S3; localhost's
pages work and get CORS answers; ``allowed_origins``/``allowed_hosts`` (flags, the
environment, lambdaport.toml) add to the defaults and ``*`` opens them; S3 buckets with a
CORS configuration answer preflights from it, behind the gateway's allowlist."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from lambdaport.testing.inprocess import InProcessServer
from lambdaport.testing.server import Server, ServerProcess, zip_files
from tests.gateway.wire import Reply, send
from tests.helpers import ECHO, ROLE, Recorders, client_for, client_options

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CORSRuleTypeDef

FOREIGN = "https://evil.example"


def _create_function_body(name: str) -> bytes:
    return json.dumps(
        {
            "FunctionName": name,
            "Runtime": "python3.12",
            "Role": ROLE,
            "Handler": "app.handler",
            "Code": {"ZipFile": base64.b64encode(zip_files({"app.py": ECHO})).decode()},
        }
    ).encode()


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Origins added in lambdaport.toml (a list), hosts by the --allowed-hosts flag."""
    root = tmp_path_factory.mktemp("configured")
    config = root / "lambdaport.toml"
    config.write_text('allowed_origins = ["https://app.example.test", "https://*.preview.test"]\n')
    args = ("--config", str(config), "--allowed-hosts", "lambdaport.test,*.dev.test")
    with InProcessServer(root / "data", extra_args=args) as in_process:
        yield in_process


@pytest.fixture(scope="module")
def wide_open(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Every origin allowed, by the environment."""
    data_dir = tmp_path_factory.mktemp("open") / "data"
    with ServerProcess(data_dir, env={"LAMBDAPORT_ALLOWED_ORIGINS": "*"}) as process:
        yield process


def _refused(reply: Reply, code: str = "AccessDeniedException") -> None:
    """403 with the code in the service's format (JSON's header, XML's element)."""
    assert reply.status == 403, reply.body
    assert reply.closed or reply.headers.get("connection") == "close"
    in_xml = f"<Code>{code}</Code>".encode() in reply.body
    assert reply.headers.get("x-amzn-errortype") == code or in_xml, reply.body


def test_foreign_origin_text_plain_post_creates_nothing(
    server: Server, lambda_client: LambdaClient
) -> None:
    name = f"csrf-{uuid.uuid4().hex[:10]}"
    headers = {"Origin": FOREIGN, "Content-Type": "text/plain"}
    reply = send(server.port, "POST", "/2015-03-31/functions", headers, _create_function_body(name))
    _refused(reply)
    assert b"allowed_origins" in reply.body
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_function(FunctionName=name)


def test_foreign_origin_runs_nothing(server: Server, recorders: Recorders) -> None:
    recorder = recorders()
    path = f"/2015-03-31/functions/{recorder.name}/invocations"
    for origin in (FOREIGN, "null", "http://localhost.evil.example", "file://"):
        headers = {"Origin": origin, "Content-Type": "text/plain"}
        _refused(send(server.port, "POST", path, headers, b'{"from": "a web page"}'))
    recorder.client.invoke(FunctionName=recorder.name, Payload=b'{"from": "the sdk"}')
    assert recorder.events() == [{"from": "the sdk"}]


SNS_SIGNED = (
    "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sns/aws4_request, "
    "SignedHeaders=host, Signature=0"
)


@pytest.mark.parametrize(
    ("path", "headers", "body", "expected"),
    [
        ("/2015-03-31/functions", {}, b"", b'"message":'),
        (
            "/",
            {"X-Amz-Target": "AmazonSQS.ListQueues", "Content-Type": "application/x-amz-json-1.0"},
            b"{}",
            b'"__type":"AccessDeniedException"',
        ),
        (
            "/000000000000/q",
            {"Content-Type": "application/x-www-form-urlencoded"},
            b"Action=ListQueues",
            b"<Code>AccessDeniedException</Code>",
        ),
        (
            "/",
            {"Authorization": SNS_SIGNED, "Content-Type": "application/x-www-form-urlencoded"},
            b"Action=ListTopics",
            b"<Code>AccessDeniedException</Code>",
        ),
        ("/some-bucket", {}, b"", b"<Code>AccessDenied</Code>"),
        ("/_lambdaport/health", {}, b"", b'"__type":"AccessDeniedException"'),
    ],
    ids=["lambda", "sqs-json", "sqs-query", "sns", "s3", "internal"],
)
def test_refusals_speak_the_service_format(
    server: Server, path: str, headers: dict[str, str], body: bytes, expected: bytes
) -> None:
    reply = send(server.port, "POST", path, {**headers, "Origin": FOREIGN}, body)
    assert reply.status == 403
    assert expected in reply.body


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:4566", "rebind.attacker.test.", "localhost.evil.example"]
)
def test_foreign_host_is_refused(server: Server, host: str) -> None:
    _refused(send(server.port, "GET", "/_lambdaport/health", {"Host": host}))
    _refused(send(server.port, "GET", "/2015-03-31/functions", {"Host": host}))
    _refused(send(server.port, "GET", "/", {"Host": host}), "AccessDenied")  # S3


@pytest.mark.parametrize(
    "host",
    [
        "localhost:{port}",
        "127.0.0.1:{port}",
        "[::1]:{port}",
        "127.0.0.2",
        "lambda.us-east-1.amazonaws.com",
        "lambda.localhost.localstack.cloud:{port}",
    ],
)
def test_local_and_aws_hosts_are_answered(server: Server, host: str) -> None:
    reply = send(
        server.port, "GET", "/2015-03-31/functions", {"Host": host.format(port=server.port)}
    )
    assert reply.status == 200 and b'"Functions"' in reply.body


@pytest.mark.parametrize(
    "origin",
    [
        "http://localhost:3000",
        "https://localhost",
        "http://127.0.0.1:8080",
        "http://[::1]:5173",
        "http://app.localhost:3000",
        "http://site.s3.localhost.localstack.cloud:4566",
    ],
)
def test_localhost_origins_work_with_cors_headers(server: Server, origin: str) -> None:
    reply = send(server.port, "GET", "/2015-03-31/functions", {"Origin": origin})
    assert reply.status == 200
    assert reply.headers["access-control-allow-origin"] == origin
    assert reply.headers["vary"] == "Origin"
    assert "x-amzn-requestid" in reply.headers["access-control-expose-headers"]


def test_preflight_is_answered_for_allowed_origins(server: Server) -> None:
    origin = "http://localhost:3000"
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,x-amz-date,x-amz-target",
    }
    reply = send(server.port, "OPTIONS", "/2015-03-31/functions", headers)
    assert reply.status == 200 and reply.body == b""
    assert reply.headers["access-control-allow-origin"] == origin
    assert "POST" in reply.headers["access-control-allow-methods"]
    assert (
        reply.headers["access-control-allow-headers"] == headers["Access-Control-Request-Headers"]
    )
    assert "x-amz-request-id" in reply.headers["access-control-expose-headers"]
    assert int(reply.headers["access-control-max-age"]) > 0
    assert "Origin" in reply.headers["vary"]
    _refused(send(server.port, "OPTIONS", "/2015-03-31/functions", {**headers, "Origin": FOREIGN}))


def test_cross_site_request_without_origin_only_reads_s3(
    server: Server, s3: S3Client, bucket: str
) -> None:
    sns: Any = boto3.client("sns", **client_options(server.endpoint))
    topic = f"img-{uuid.uuid4().hex[:10]}"
    # What an <img src> on any page could request: a query-protocol action on a GET.
    scope = "test/20260101/us-east-1/sns/aws4_request"
    path = f"/?Action=CreateTopic&Name={topic}&X-Amz-Credential={scope}"
    _refused(send(server.port, "GET", path, {"Sec-Fetch-Site": "cross-site"}))
    topics = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    assert not any(arn.endswith(f":{topic}") for arn in topics)
    s3.put_object(Bucket=bucket, Key="cat.png", Body=b"png")
    reply = send(server.port, "GET", f"/{bucket}/cat.png", {"Sec-Fetch-Site": "cross-site"})
    assert (reply.status, reply.body) == (200, b"png")


def test_s3_virtual_hosts_still_work(server: Server, s3: S3Client, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k.txt", Body=b"hosted")
    for host in (
        f"{bucket}.s3.localhost:{server.port}",
        f"{bucket}.s3.localhost.localstack.cloud:{server.port}",
        f"{bucket}.s3.amazonaws.com",
        f"{bucket}.s3.us-east-1.amazonaws.com",
    ):
        headers = {"Host": host, "Origin": "http://localhost:3000"}
        reply = send(server.port, "GET", "/k.txt", headers)
        assert (reply.status, reply.body) == (200, b"hosted"), host
        assert reply.headers["access-control-allow-origin"] == "http://localhost:3000"
        assert "x-amz-request-id" in reply.headers["access-control-expose-headers"]


def test_bucket_cors_configuration_answers_preflights(
    server: Server, s3: S3Client, bucket: str
) -> None:
    origin = "http://localhost:3000"
    rule: CORSRuleTypeDef = {
        "AllowedOrigins": [origin],
        "AllowedMethods": ["PUT", "GET"],
        "AllowedHeaders": ["content-*", "x-amz-*"],
        "ExposeHeaders": ["ETag", "x-amz-version-id"],
        "MaxAgeSeconds": 30,
    }
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [rule]})
    preflight = {
        "Origin": origin,
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "Content-Type, X-Amz-Date",
    }
    reply = send(server.port, "OPTIONS", f"/{bucket}/upload.bin", preflight)
    assert reply.status == 200
    assert reply.headers["access-control-allow-origin"] == origin
    assert reply.headers["access-control-allow-methods"] == "PUT, GET"
    assert reply.headers["access-control-allow-headers"] == "content-type, x-amz-date"
    assert reply.headers["access-control-expose-headers"] == "ETag, x-amz-version-id"
    assert reply.headers["access-control-max-age"] == "30"
    # The same from the bucket's virtual host.
    virtual = {**preflight, "Host": f"{bucket}.s3.localhost:{server.port}"}
    assert send(server.port, "OPTIONS", "/upload.bin", virtual).status == 200
    for refused in (
        {**preflight, "Access-Control-Request-Method": "DELETE"},
        {**preflight, "Access-Control-Request-Headers": "x-custom"},
        {**preflight, "Origin": "http://localhost:4000"},
    ):
        reply = send(server.port, "OPTIONS", f"/{bucket}/upload.bin", refused)
        assert reply.status == 403
        assert b"<Code>AccessForbidden</Code>" in reply.body
        assert b"CORSResponse: This CORS request is not allowed." in reply.body
        assert b"<ResourceType>OBJECT</ResourceType>" in reply.body
    # An actual request: the matching rule's headers; none when no rule matches.
    put = send(server.port, "PUT", f"/{bucket}/a.txt", {"Origin": origin}, b"a")
    assert put.status == 200 and put.headers["access-control-allow-origin"] == origin
    assert put.headers["access-control-expose-headers"] == "ETag, x-amz-version-id"
    other = send(server.port, "GET", f"/{bucket}/a.txt", {"Origin": "http://localhost:4000"})
    assert other.status == 200 and "access-control-allow-origin" not in other.headers
    # The gateway's allowlist comes first, whatever the bucket allows.
    s3.put_bucket_cors(
        Bucket=bucket,
        CORSConfiguration={"CORSRules": [{**rule, "AllowedOrigins": ["*"]}]},
    )
    _refused(
        send(server.port, "OPTIONS", f"/{bucket}/a.txt", {**preflight, "Origin": FOREIGN}),
        "AccessDenied",
    )
    star = send(server.port, "OPTIONS", f"/{bucket}/a.txt", preflight)
    assert star.headers["access-control-allow-origin"] == "*"


def test_allowed_origins_and_hosts_add_to_the_defaults(configured: Server) -> None:
    port = configured.port
    for origin in ("https://app.example.test", "https://pr-12.preview.test", "http://localhost:1"):
        reply = send(port, "GET", "/2015-03-31/functions", {"Origin": origin})
        assert reply.status == 200, origin
        assert reply.headers["access-control-allow-origin"] == origin
    for origin in ("https://other.example.test", "http://app.example.test", FOREIGN):
        _refused(send(port, "GET", "/2015-03-31/functions", {"Origin": origin}))
    for host in ("lambdaport.test", "lambdaport.test:4566", "api.dev.test", "localhost"):
        assert send(port, "GET", "/_lambdaport/health", {"Host": host}).status == 200, host
    for host in ("other.test", "dev.test.evil.example"):
        _refused(send(port, "GET", "/_lambdaport/health", {"Host": host}))


def test_star_allows_every_origin(wide_open: ServerProcess, tmp_path: Path) -> None:
    client = client_for(wide_open.endpoint)
    name = f"open-{uuid.uuid4().hex[:10]}"
    headers = {"Origin": FOREIGN, "Content-Type": "text/plain"}
    reply = send(
        wide_open.port, "POST", "/2015-03-31/functions", headers, _create_function_body(name)
    )
    assert reply.status == 201
    assert reply.headers["access-control-allow-origin"] == FOREIGN
    assert client.get_function(FunctionName=name)["Configuration"]["FunctionName"] == name
    # Hosts are still checked: '*' opens origins, not DNS rebinding.
    _refused(send(wide_open.port, "GET", "/_lambdaport/health", {"Host": "evil.example"}))
