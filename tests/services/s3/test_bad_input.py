"""Bad input gets AWS's error, never a 500: ListBuckets' max-buckets, paging arguments that are
not integers, XML documents with the wrong root element or none, control characters echoed in
error XML (S3's and the query protocol's of SQS and SNS), and the Content-Type of errors."""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING
from xml.etree import ElementTree

import pytest
from botocore.exceptions import ClientError

from lambdaport.testing.server import Server
from tests.services.s3.conftest import raw_request

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MALFORMED = (
    "The XML you provided was not well-formed or did not validate against our published schema"
)


def form_headers(service: str) -> dict[str, str]:
    """A form POST whose (unchecked) credential scope names ``service``."""
    scope = f"test/20250101/us-east-1/{service}/aws4_request"
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=x",
    }


def error_of(body: bytes) -> dict[str, str]:
    """The children of an ``<Error>`` element (parsing fails on malformed XML)."""
    root = ElementTree.fromstring(body)
    error = root if root.tag == "Error" else root.find("{*}Error")
    assert error is not None
    return {child.tag.rpartition("}")[2]: child.text or "" for child in error}


@pytest.mark.parametrize("value", ["-1", "0", "10001"])
def test_list_buckets_max_buckets_out_of_range(server: Server, value: str) -> None:
    status, headers, body = raw_request(server, "GET", f"/?max-buckets={value}")
    assert status == 400
    assert headers["content-type"] == "application/xml"
    assert error_of(body) | {"RequestId": ""} == {
        "Code": "InvalidArgument",
        "Message": "Argument max-buckets must be an integer between 1 and 10000.",
        "ArgumentName": "max-buckets",
        "ArgumentValue": value,
        "RequestId": "",
    }


@pytest.mark.parametrize(
    ("path", "argument"),
    [
        ("/?max-buckets=lots", "max-buckets"),
        ("/{bucket}?max-keys=ten", "max-keys"),
        ("/{bucket}?list-type=2&max-keys=99999999999", "max-keys"),
        ("/{bucket}?uploads&max-uploads=x", "max-uploads"),
    ],
)
def test_paging_arguments_that_are_not_integers(
    server: Server, bucket: str, path: str, argument: str
) -> None:
    status, _, body = raw_request(server, "GET", path.format(bucket=bucket))
    assert status == 400
    error = error_of(body)
    assert error["Code"] == "InvalidArgument"
    assert error["Message"] == f"Provided {argument} not an integer or within integer range"
    assert error["ArgumentName"] == argument


def test_negative_max_keys(s3: S3Client, bucket: str) -> None:
    with pytest.raises(ClientError) as listing:
        s3.list_objects_v2(Bucket=bucket, MaxKeys=-1)
    assert listing.value.response["Error"]["Message"] == (
        "Argument max-keys must be an integer between 0 and 2147483647"
    )
    with pytest.raises(ClientError) as versions:
        s3.list_object_versions(Bucket=bucket, MaxKeys=-1)
    assert versions.value.response["Error"]["Message"] == "max-keys cannot be negative"


@pytest.mark.parametrize(
    ("path", "method", "document"),
    [
        ("/{bucket}?tagging", "PUT", b"<Wrong><TagSet/></Wrong>"),
        ("/{bucket}?notification", "PUT", b"<Tagging><TagSet/></Tagging>"),
        ("/{new}", "PUT", b"<Tagging><LocationConstraint>eu-west-1</LocationConstraint></Tagging>"),
        ("/{bucket}?versioning", "PUT", b"<Versioning><Status>Enabled</Status></Versioning>"),
        ("/{bucket}?delete", "POST", b"<Remove><Object><Key>k</Key></Object></Remove>"),
        ("/{bucket}?tagging", "PUT", b"not xml at all"),
        ("/{bucket}?tagging", "PUT", b""),
        ("/{bucket}?delete", "POST", b""),
    ],
)
def test_documents_with_the_wrong_root_or_none(
    server: Server, s3: S3Client, bucket: str, path: str, method: str, document: bytes
) -> None:
    new = f"{bucket}-new"
    status, headers, body = raw_request(
        server, method, path.format(bucket=bucket, new=new), document
    )
    assert status == 400
    assert headers["content-type"] == "application/xml"
    error = error_of(body)
    assert (error["Code"], error["Message"]) == ("MalformedXML", MALFORMED)
    with pytest.raises(ClientError):
        s3.head_bucket(Bucket=new)  # nothing was created
    with pytest.raises(ClientError) as tags:
        s3.get_bucket_tagging(Bucket=bucket)  # nor tagged
    assert tags.value.response["Error"]["Code"] == "NoSuchTagSet"


def test_right_root_with_namespace_is_taken(server: Server, s3: S3Client, bucket: str) -> None:
    document = (
        b'<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag>'
        b"<Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>"
    )
    status, _, _ = raw_request(server, "PUT", f"/{bucket}?tagging", document)
    assert status == 204
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "k", "Value": "v"}]


def test_control_characters_are_not_echoed(server: Server, bucket: str) -> None:
    status, headers, body = raw_request(server, "GET", f"/{bucket}/bad%01key%1F")
    assert status == 404
    assert headers["content-type"] == "application/xml"
    error = error_of(body)  # well-formed XML, whatever the key held
    assert (error["Code"], error["Key"]) == ("NoSuchKey", "badkey")
    status, _, body = raw_request(server, "GET", "/no-such-bucket%01/k")
    assert status in (400, 404)
    assert error_of(body)["Code"] in ("NoSuchBucket", "InvalidBucketName")


@pytest.mark.parametrize(
    ("service", "form"),
    [
        ("sqs", {"Action": "GetQueueUrl", "QueueName": "no\x00such\x01queue"}),
        ("sqs", {"Action": "Get\x00Queue\x02Url"}),
        ("sns", {"Action": "GetTopicAttributes", "TopicArn": "arn:aws:sns:us-east-1:0:\x01x"}),
    ],
)
def test_query_protocol_errors_stay_well_formed(
    server: Server, service: str, form: dict[str, str]
) -> None:
    """SQS's and SNS's query protocol echo parameters in their errors: still well-formed."""
    body = urllib.parse.urlencode({**form, "Version": "2012-11-05"}).encode()
    status, headers, answer = raw_request(server, "POST", "/", body, form_headers(service))
    assert 400 <= status < 500
    assert headers["content-type"].startswith("text/xml")
    error = error_of(answer)
    assert error["Code"]
    assert not set("\x00\x01\x02") & set(error["Message"])


def test_head_errors_carry_a_content_type(server: Server, bucket: str) -> None:
    status, headers, body = raw_request(server, "HEAD", f"/{bucket}/missing")
    assert (status, body) == (404, b"")
    assert headers["content-type"] == "application/xml"


def test_unreadable_conditional_date_is_ignored(s3: S3Client, server: Server, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    status, _, body = raw_request(
        server, "GET", f"/{bucket}/k", headers={"If-Modified-Since": "soon"}
    )
    assert (status, body) == (200, b"x")


def test_tagging_header_with_a_duplicate_key(s3: S3Client, bucket: str) -> None:
    with pytest.raises(ClientError) as duplicate:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="a=1&a=2")
    error = duplicate.value.response["Error"]
    assert error["Code"] == "InvalidArgument"
    assert error["Message"] == (
        "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query "
        "parameters without tag name duplicates."
    )
