"""S3 under ``--strict-auth``: every door checks its signature (SigV4 and SigV2 headers,
presigned URLs of both versions, POST policies, signed aws-chunked bodies), a request dated
more than 15 minutes off is refused, and unsigned requests reach only what a bucket policy
or a public ACL opens, as S3 decides."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

import boto3
import pytest
from botocore.exceptions import ClientError

from lambdaport.testing.server import Server
from tests.helpers import REGION, client_options, http_call, send_aws, signed_at
from tests.services.s3.conftest import empty_bucket
from tests.services.s3.forms import multipart_form

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


@pytest.fixture(scope="module")
def signed(strict_server: Server) -> S3Client:
    """SigV4 for requests and presigned URLs alike (boto3 presigns with SigV2 unless told)."""
    options = client_options(strict_server.endpoint, signature_version="s3v4")
    return boto3.client("s3", **options)


@pytest.fixture(scope="module")
def sigv2(strict_server: Server) -> S3Client:
    options = client_options(
        strict_server.endpoint, signature_version="s3", s3={"addressing_style": "path"}
    )
    return boto3.client("s3", **options)


@pytest.fixture
def bucket(signed: S3Client) -> Iterator[str]:
    name = f"strict-{uuid.uuid4().hex[:12]}"
    signed.create_bucket(Bucket=name)
    yield name
    empty_bucket(signed, name)
    signed.delete_bucket(Bucket=name)


def error_of(body: bytes) -> dict[str, str]:
    """S3's error XML as {element: text}."""
    return {child.tag: child.text or "" for child in ElementTree.fromstring(body)}


def block_public_access(s3: S3Client, bucket: str, *, acls: bool, policies: bool) -> None:
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": acls,
            "IgnorePublicAcls": acls,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": policies,
        },
    )


def make_public(s3: S3Client, bucket: str) -> None:
    """What S3 asks of a bucket made since 2023 before ACLs or a public policy count."""
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )
    s3.delete_public_access_block(Bucket=bucket)


def test_unsigned_requests_are_refused_by_default(
    strict_server: Server, signed: S3Client, bucket: str
) -> None:
    signed.put_object(Bucket=bucket, Key="private.txt", Body=b"secret")
    for method, path, body in (
        ("GET", f"/{bucket}/private.txt", b""),
        ("PUT", f"/{bucket}/new.txt", b"data"),
        ("DELETE", f"/{bucket}/private.txt", b""),
        ("GET", f"/{bucket}?list-type=2", b""),
        ("GET", "/", b""),
    ):
        status, _, answer = http_call(method, strict_server.endpoint + path, body)
        assert (status, error_of(answer)["Code"]) == (403, "AccessDenied"), (method, path)
    status, _, answer = http_call("HEAD", f"{strict_server.endpoint}/{bucket}/private.txt")
    assert (status, answer) == (403, b"")
    # a public policy counts only once Block Public Access is off
    everyone = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}
    policy = json.dumps({"Version": "2012-10-17", "Statement": [everyone]})
    signed.put_bucket_policy(Bucket=bucket, Policy=policy)
    assert http_call("GET", f"{strict_server.endpoint}/{bucket}/private.txt")[0] == 403
    assert signed.get_object(Bucket=bucket, Key="private.txt")["Body"].read() == b"secret"
    status, _, answer = http_call("GET", f"{strict_server.endpoint}/no-such-bucket-{bucket}/k")
    assert (status, error_of(answer)["Code"]) == (404, "NoSuchBucket")


def test_public_acls_open_what_they_grant(
    strict_server: Server, signed: S3Client, bucket: str
) -> None:
    make_public(signed, bucket)
    signed.put_object(Bucket=bucket, Key="shared.txt", Body=b"hello", ACL="public-read")
    signed.put_object(Bucket=bucket, Key="private.txt", Body=b"secret")
    everyone = 'uri="http://acs.amazonaws.com/groups/global/AllUsers"'
    signed.put_object(Bucket=bucket, Key="granted.txt", Body=b"granted", GrantRead=everyone)
    assert http_call("GET", f"{strict_server.endpoint}/{bucket}/granted.txt")[::2] == (
        200,
        b"granted",
    )
    assert http_call("GET", f"{strict_server.endpoint}/{bucket}/shared.txt")[::2] == (200, b"hello")
    assert http_call("HEAD", f"{strict_server.endpoint}/{bucket}/shared.txt")[0] == 200
    assert http_call("GET", f"{strict_server.endpoint}/{bucket}/private.txt")[0] == 403
    assert http_call("PUT", f"{strict_server.endpoint}/{bucket}/anon.txt", b"x")[0] == 403
    assert http_call("GET", f"{strict_server.endpoint}/{bucket}?list-type=2")[0] == 403

    signed.put_bucket_acl(Bucket=bucket, ACL="public-read-write")
    assert http_call("PUT", f"{strict_server.endpoint}/{bucket}/anon.txt", b"anonymous")[0] == 200
    status, _, listing = http_call("GET", f"{strict_server.endpoint}/{bucket}?list-type=2")
    assert status == 200 and b"<Key>anon.txt</Key>" in listing
    assert (
        http_call("GET", f"{strict_server.endpoint}/{bucket}/private.txt")[0] == 403
    )  # object ACL
    assert http_call("DELETE", f"{strict_server.endpoint}/{bucket}/anon.txt")[0] == 204

    block_public_access(signed, bucket, acls=True, policies=False)
    assert http_call("GET", f"{strict_server.endpoint}/{bucket}/shared.txt")[0] == 403


def test_bucket_policy_allows_and_explicit_deny_wins(
    strict_server: Server, signed: S3Client, bucket: str
) -> None:
    signed.delete_public_access_block(Bucket=bucket)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["s3:Get*"],
                "Resource": f"arn:aws:s3:::{bucket}/public/*",
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/drop/??.txt",
            },
            {
                "Effect": "Deny",
                "Principal": {"AWS": ["*"]},
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/public/secret*",
            },
            {  # names a principal that is not everyone: says nothing about anonymous calls
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                "Action": "s3:*",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            },
        ],
    }
    signed.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    for key in ("public/a.txt", "public/secret.txt", "private/b.txt"):
        signed.put_object(Bucket=bucket, Key=key, Body=key.encode())
    base = f"{strict_server.endpoint}/{bucket}"
    assert http_call("GET", f"{base}/public/a.txt")[::2] == (200, b"public/a.txt")
    assert http_call("GET", f"{base}/public/secret.txt")[0] == 403
    assert http_call("GET", f"{base}/private/b.txt")[0] == 403
    assert http_call("PUT", f"{base}/public/new.txt", b"x")[0] == 403
    assert http_call("PUT", f"{base}/drop/ab.txt", b"dropped")[0] == 200
    assert http_call("PUT", f"{base}/drop/abc.txt", b"x")[0] == 403
    assert signed.get_object(Bucket=bucket, Key="drop/ab.txt")["Body"].read() == b"dropped"

    block_public_access(signed, bucket, acls=True, policies=True)
    assert http_call("GET", f"{base}/public/a.txt")[0] == 403


def test_sigv4_presigned_urls_are_verified(
    strict_server: Server, signed: S3Client, bucket: str
) -> None:
    signed.put_object(Bucket=bucket, Key="a b/ü.txt", Body=b"A")
    signed.put_object(Bucket=bucket, Key="other.txt", Body=b"B")
    url = signed.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "a b/ü.txt"}, ExpiresIn=300
    )
    assert http_call("GET", url)[::2] == (200, b"A")

    other = url.replace("/a%20b/%C3%BC.txt?", "/other.txt?")
    status, _, body = http_call("GET", other)
    error = error_of(body)
    assert (status, error["Code"]) == (403, "SignatureDoesNotMatch")
    assert error["StringToSign"].startswith("AWS4-HMAC-SHA256\n")
    assert error["SignatureProvided"] == re.findall(r"X-Amz-Signature=(\w+)", url)[0]
    assert error["CanonicalRequest"].startswith(f"GET\n/{bucket}/other.txt\n")
    assert error["AWSAccessKeyId"] == "test"

    status, _, body = http_call("PUT", url, b"overwritten")
    assert (status, error_of(body)["Code"]) == (403, "SignatureDoesNotMatch")
    tampered = url[:-1] + ("0" if url[-1] != "0" else "1")
    assert http_call("GET", tampered)[0] == 403
    assert signed.get_object(Bucket=bucket, Key="a b/ü.txt")["Body"].read() == b"A"

    put_url = signed.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "up.txt"}, ExpiresIn=60
    )
    assert http_call("PUT", put_url, b"uploaded")[0] == 200
    assert signed.get_object(Bucket=bucket, Key="up.txt")["Body"].read() == b"uploaded"

    week = signed.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "other.txt"}, ExpiresIn=604801
    )
    status, _, body = http_call("GET", week)
    assert (status, error_of(body)["Code"]) == (400, "AuthorizationQueryParametersError")
    incomplete = re.sub(r"&X-Amz-SignedHeaders=[^&]*", "", url)
    status, _, body = http_call("GET", incomplete)
    assert (status, error_of(body)["Code"]) == (400, "AuthorizationQueryParametersError")


def test_sigv2_headers_and_presigned_urls_are_verified(
    strict_server: Server, sigv2: S3Client, bucket: str
) -> None:
    sigv2.put_object(Bucket=bucket, Key="v2 key+ü.txt", Body=b"V2", Metadata={"a": "b"})
    assert sigv2.get_object(Bucket=bucket, Key="v2 key+ü.txt")["Body"].read() == b"V2"
    assert sigv2.get_object_tagging(Bucket=bucket, Key="v2 key+ü.txt")["TagSet"] == []
    wrong = boto3.client(
        "s3",
        **{
            **client_options(strict_server.endpoint, signature_version="s3"),
            "aws_secret_access_key": "wrong",
        },
    )
    with pytest.raises(ClientError) as refused:
        wrong.get_object(Bucket=bucket, Key="v2 key+ü.txt")
    assert refused.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403

    url = sigv2.generate_presigned_url(
        "get_object",
        Params={"Bucket": bucket, "Key": "v2 key+ü.txt", "ResponseContentType": "text/plain"},
        ExpiresIn=300,
    )
    status, headers, body = http_call("GET", url)
    assert (status, body, headers["content-type"]) == (200, b"V2", "text/plain")
    sigv2.put_object(Bucket=bucket, Key="other.txt", Body=b"other")
    status, _, body = http_call("GET", url.replace("/v2%20key%2B%C3%BC.txt?", "/other.txt?"))
    error = error_of(body)
    assert (status, error["Code"]) == (403, "SignatureDoesNotMatch")
    assert error["StringToSign"].endswith(f"/{bucket}/other.txt?response-content-type=text/plain")
    assert http_call("PUT", url, b"overwritten")[0] == 403
    status, _, body = http_call("GET", re.sub(r"Signature=[^&]+", "Signature=AAAA", url))
    assert (status, error_of(body)["Code"]) == (403, "SignatureDoesNotMatch")

    put_url = sigv2.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "v2-up.txt"}, ExpiresIn=60
    )
    assert http_call("PUT", put_url, b"v2 upload")[0] == 200
    expired = sigv2.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "other.txt"}, ExpiresIn=-60
    )
    status, _, body = http_call("GET", expired)
    assert (status, error_of(body)["Message"]) == (403, "Request has expired")


def test_sigv2_virtual_host_signs_the_bucket_path(strict_server: Server, bucket: str) -> None:
    options = client_options(
        f"http://s3.localhost:{strict_server.port}",
        signature_version="s3",
        s3={"addressing_style": "virtual"},
    )
    virtual = boto3.client("s3", **options)

    def to_loopback(request: Any, **_: Any) -> None:
        host = request.url.split("/")[2]
        request.headers["Host"] = host
        request.url = request.url.replace(host, f"127.0.0.1:{strict_server.port}", 1)

    virtual.meta.events.register("before-send.s3.*", to_loopback)
    virtual.put_object(Bucket=bucket, Key="vh.txt", Body=b"virtual")
    assert virtual.get_object(Bucket=bucket, Key="vh.txt")["Body"].read() == b"virtual"
    assert [o["Key"] for o in virtual.list_objects(Bucket=bucket)["Contents"]] == ["vh.txt"]


def test_request_dated_more_than_15_minutes_off_is_too_skewed(
    strict_server: Server, bucket: str
) -> None:
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    request = signed_at(
        hour_ago,
        "GET",
        f"{strict_server.endpoint}/{bucket}?list-type=2",
        "s3",
        headers={"X-Amz-Content-SHA256": EMPTY_SHA256},
    )
    status, _, body = send_aws(request)
    error = error_of(body)
    assert (status, error["Code"]) == (403, "RequestTimeTooSkewed")
    assert error["RequestTime"] == hour_ago.strftime("%Y%m%dT%H%M%SZ")
    assert error["MaxAllowedSkewMilliseconds"] == "900000"
    server_time = datetime.strptime(error["ServerTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert server_time - hour_ago > timedelta(minutes=15)
    # SigV2: the Date header, echoed as sent
    date = format_datetime(hour_ago, usegmt=True)
    to_sign = f"GET\n\n\n{date}\n/{bucket}"
    signature = base64.b64encode(hmac.digest(b"test", to_sign.encode(), "sha1")).decode()
    status, _, body = http_call(
        "GET",
        f"{strict_server.endpoint}/{bucket}",
        headers={"Date": date, "Authorization": f"AWS test:{signature}"},
    )
    assert (status, error_of(body)["Code"], error_of(body)["RequestTime"]) == (
        403,
        "RequestTimeTooSkewed",
        date,
    )
    fresh = signed_at(
        datetime.now(UTC),
        "GET",
        f"{strict_server.endpoint}/{bucket}?list-type=2",
        "s3",
        headers={"X-Amz-Content-SHA256": EMPTY_SHA256},
    )
    assert send_aws(fresh)[0] == 200


def test_post_policy_signatures_are_verified(
    strict_server: Server, signed: S3Client, sigv2: S3Client, bucket: str
) -> None:
    for client in (signed, sigv2):
        post = client.generate_presigned_post(
            bucket, "posted/${filename}", Conditions=[["starts-with", "$key", "posted/"]]
        )
        form, content_type = multipart_form(post["fields"], b"form body", "f.txt")
        status, _, _ = http_call("POST", post["url"], form, {"Content-Type": content_type})
        assert status == 204
        policy = json.loads(base64.b64decode(post["fields"]["policy"]))
        policy["conditions"].append({"acl": "public-read"})
        forged = {
            **post["fields"],
            "policy": base64.b64encode(json.dumps(policy).encode()).decode(),
        }
        form, content_type = multipart_form(forged, b"forged", "g.txt")
        status, _, body = http_call("POST", post["url"], form, {"Content-Type": content_type})
        error = error_of(body)
        assert (status, error["Code"]) == (403, "SignatureDoesNotMatch")
        assert error["StringToSign"] == forged["policy"]
    assert signed.get_object(Bucket=bucket, Key="posted/f.txt")["Body"].read() == b"form body"
    with pytest.raises(ClientError):
        signed.head_object(Bucket=bucket, Key="posted/g.txt")
    form, content_type = multipart_form({"key": "anonymous.txt"}, b"anon", "a.txt")
    status, _, body = http_call(
        "POST", f"{strict_server.endpoint}/{bucket}", form, {"Content-Type": content_type}
    )
    assert (status, error_of(body)["Code"]) == (403, "AccessDenied")


def _key(secret: str, date: str, service: str) -> bytes:
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (REGION, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _signed_chunks(
    url: str, chunks: list[bytes], tamper: bool = False
) -> tuple[dict[str, str], bytes]:
    """A ``STREAMING-AWS4-HMAC-SHA256-PAYLOAD`` upload, signed as the SigV4 spec says."""
    now = datetime.now(UTC)
    timestamp = now.strftime("%Y%m%dT%H%M%SZ")
    frames = [*chunks, b""]
    length = sum(len(f"{len(c):x};chunk-signature={'0' * 64}\r\n\r\n") + len(c) for c in frames)
    request = signed_at(
        now,
        "PUT",
        url,
        "s3",
        headers={
            "X-Amz-Content-SHA256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            "Content-Encoding": "aws-chunked",
            "X-Amz-Decoded-Content-Length": str(sum(len(c) for c in chunks)),
            "Content-Length": str(length),
        },
    )
    previous = request.headers["Authorization"].rsplit("Signature=", 1)[1]
    key = _key("test", timestamp[:8], "s3")
    scope = f"{timestamp[:8]}/{REGION}/s3/aws4_request"
    body = b""
    for index, chunk in enumerate(frames):
        to_sign = "\n".join(
            (
                "AWS4-HMAC-SHA256-PAYLOAD",
                timestamp,
                scope,
                previous,
                EMPTY_SHA256,
                hashlib.sha256(chunk).hexdigest(),
            )
        )
        previous = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        sent = chunk[::-1] if tamper and index == 1 else chunk
        body += f"{len(sent):x};chunk-signature={previous}\r\n".encode() + sent + b"\r\n"
    headers = {k: v if isinstance(v, str) else v.decode() for k, v in request.headers.items()}
    return headers, body


def test_signed_chunks_are_verified(strict_server: Server, signed: S3Client, bucket: str) -> None:
    url = f"{strict_server.endpoint}/{bucket}/chunked.bin"
    chunks = [b"a" * 8192, b"bcd" * 100, b"tail"]
    headers, body = _signed_chunks(url, chunks)
    status, _, answer = http_call("PUT", url, body, headers)
    assert status == 200, answer
    assert signed.get_object(Bucket=bucket, Key="chunked.bin")["Body"].read() == b"".join(chunks)

    url = f"{strict_server.endpoint}/{bucket}/tampered.bin"
    headers, body = _signed_chunks(url, chunks, tamper=True)
    status, _, answer = http_call("PUT", url, body, headers)
    error = error_of(answer)
    assert (status, error["Code"]) == (403, "SignatureDoesNotMatch")
    assert error["StringToSign"].startswith("AWS4-HMAC-SHA256-PAYLOAD\n")
    with pytest.raises(ClientError) as missing:
        signed.head_object(Bucket=bucket, Key="tampered.bin")
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
