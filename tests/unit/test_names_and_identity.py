from __future__ import annotations

import pytest

from lambdaport.errors import AwsError
from lambdaport.gateway.identity import identify
from lambdaport.lambda_.names import parse_function_ref


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("fn", ("000000000000", "us-east-1", "fn", None)),
        ("fn:live", ("000000000000", "us-east-1", "fn", "live")),
        ("111122223333:function:fn", ("111122223333", "us-east-1", "fn", None)),
        (
            "arn:aws:lambda:eu-west-1:111122223333:function:fn:$LATEST",
            ("111122223333", "eu-west-1", "fn", "$LATEST"),
        ),
    ],
)
def test_function_references(value: str, expected: tuple[str, str, str, str | None]) -> None:
    ref = parse_function_ref(value, "000000000000", "us-east-1")
    assert (ref.account_id, ref.region, ref.name, ref.qualifier) == expected


def test_bad_reference_is_a_validation_error() -> None:
    with pytest.raises(AwsError) as excinfo:
        parse_function_ref("bad name!", "000000000000", "us-east-1")
    assert excinfo.value.code == "ValidationException"


def test_conflicting_qualifiers() -> None:
    with pytest.raises(AwsError) as excinfo:
        parse_function_ref("fn:1", "000000000000", "us-east-1", "2")
    assert excinfo.value.code == "InvalidParameterValueException"


def test_identity_from_sigv4_scope() -> None:
    headers = {
        "authorization": "AWS4-HMAC-SHA256 Credential=111122223333/20240101/eu-central-1/"
        "lambda/aws4_request, SignedHeaders=host, Signature=abc"
    }
    identity = identify("/2015-03-31/functions", "", headers, "us-east-1")
    assert identity.service == "lambda"
    assert identity.account_id == "111122223333"
    assert identity.region == "eu-central-1"


def test_identity_defaults() -> None:
    headers = {
        "authorization": "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20240101/us-west-2/"
        "sqs/aws4_request, SignedHeaders=host, Signature=abc"
    }
    identity = identify("/", "", headers, "us-east-1")
    assert (identity.service, identity.account_id, identity.region) == (
        "sqs",
        "000000000000",
        "us-west-2",
    )
    unsigned = identify("/2015-03-31/functions/", "", {}, "us-east-1")
    assert unsigned.service == "lambda" and unsigned.region == "us-east-1"
    presigned = identify(
        "/x", "X-Amz-Credential=test%2F20240101%2Fap-south-1%2Fs3%2Faws4_request", {}, "us-east-1"
    )
    assert (presigned.service, presigned.region) == ("s3", "ap-south-1")
    targeted = identify("/", "", {"x-amz-target": "DynamoDB_20120810.ListTables"}, "us-east-1")
    assert targeted.service == "dynamodb"  # the target prefix names the client


def test_unsigned_query_post_to_a_queue_url_is_sqs() -> None:
    form = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}
    assert identify("/000000000000/orders", "", form, "us-east-1").service == "sqs"
    assert identify("/000000000000/orders.fifo", "", form, "us-east-1").service == "sqs"
    # Without the form body it stays S3's (a bucket named with 12 digits, say).
    assert identify("/000000000000/orders", "", {}, "us-east-1").service == "s3"
