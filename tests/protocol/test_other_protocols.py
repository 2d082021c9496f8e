"""json (SQS, Logs), query (SNS, SQS legacy) and rest-xml (S3) specifics."""

from __future__ import annotations

from xml.etree import ElementTree

import orjson
import pytest

from lambdaport.errors import AwsError
from lambdaport.protocol import (
    JsonProtocol,
    QueryProtocol,
    RestXmlProtocol,
    load_protocol,
    load_service_model,
)
from lambdaport.protocol.base import HttpRequest

QUEUE_URL = "http://127.0.0.1:4566/000000000000/q"


@pytest.fixture(scope="module")
def sqs_json() -> JsonProtocol:
    return JsonProtocol(load_service_model("sqs"))


@pytest.fixture(scope="module")
def sqs_query() -> QueryProtocol:
    return QueryProtocol(load_service_model("sqs"))


@pytest.fixture(scope="module")
def sns() -> QueryProtocol:
    return QueryProtocol(load_service_model("sns"))


def _json_request(target: str, body: bytes) -> HttpRequest:
    return HttpRequest("POST", "/", "", {"x-amz-target": target}, body)


def test_load_protocol_defaults_to_the_models_protocol() -> None:
    assert isinstance(load_protocol("sqs"), JsonProtocol)
    assert isinstance(load_protocol("sqs", "query"), QueryProtocol)
    assert isinstance(load_protocol("s3"), RestXmlProtocol)
    with pytest.raises(ValueError, match="does not speak 'query'"):
        load_protocol("lambda", "query")


def test_json_target_dispatch(sqs_json: JsonProtocol) -> None:
    body = orjson.dumps({"QueueUrl": QUEUE_URL, "MessageBody": "hi", "DelaySeconds": 0})

    assert sqs_json.parse(_json_request("AmazonSQS.SendMessage", body)) == (
        "SendMessage",
        {"QueueUrl": QUEUE_URL, "MessageBody": "hi", "DelaySeconds": 0},
    )


@pytest.mark.parametrize("target", ["", "AmazonSQS.Nope", "Other.SendMessage"])
def test_json_unknown_target(sqs_json: JsonProtocol, target: str) -> None:
    with pytest.raises(AwsError) as caught:
        sqs_json.parse(_json_request(target, b"{}"))

    assert caught.value.code == "UnknownOperationException"


def test_json_malformed_body(sqs_json: JsonProtocol) -> None:
    with pytest.raises(AwsError) as caught:
        sqs_json.parse(_json_request("AmazonSQS.ListQueues", b"[oops"))

    assert caught.value.code == "SerializationException"
    assert caught.value.status == 400


def test_json_query_compatible_error(sqs_json: JsonProtocol) -> None:
    response = sqs_json.serialize_error(
        "GetQueueUrl", AwsError("QueueDoesNotExist", "The specified queue does not exist.")
    )

    assert response.status == 400
    assert ("Content-Type", "application/x-amz-json-1.0") in response.headers
    assert ("x-amzn-query-error", "QueueDoesNotExist;Sender") in response.headers
    assert orjson.loads(response.body) == {
        "__type": "QueueDoesNotExist",
        "message": "The specified queue does not exist.",
    }


def test_legacy_query_error_codes_can_be_supplied() -> None:
    codes = {"QueueDoesNotExist": "AWS.SimpleQueueService.NonExistentQueue"}
    sqs_json = JsonProtocol(load_service_model("sqs"), query_error_codes=codes)
    sqs_query = QueryProtocol(load_service_model("sqs"), query_error_codes=codes)
    error = AwsError("QueueDoesNotExist", "The specified queue does not exist.")

    response = sqs_json.serialize_error(
        "GetQueueUrl", AwsError("QueueDoesNotExist", "The specified queue does not exist.")
    )

    assert response.status == 400
    assert ("Content-Type", "application/x-amz-json-1.0") in response.headers
    assert ("x-amzn-query-error", "AWS.SimpleQueueService.NonExistentQueue;Sender") in (
        response.headers
    )
    assert b"<Code>AWS.SimpleQueueService.NonExistentQueue</Code>" in (
        sqs_query.serialize_error(None, error).body
    )


def test_logs_timestamps_are_epoch_numbers() -> None:
    logs = load_protocol("logs")
    body = orjson.dumps({"logGroupName": "g", "creationTimePrefix": None})
    name, _ = logs.parse(_json_request("Logs_20140328.DescribeLogGroups", body))
    response = logs.serialize(
        "DescribeLogGroups", {"logGroups": [{"logGroupName": "g", "creationTime": 1700000000000}]}
    )

    assert name == "DescribeLogGroups"
    assert orjson.loads(response.body) == {
        "logGroups": [{"logGroupName": "g", "creationTime": 1700000000000}]
    }
    assert ("Content-Type", "application/x-amz-json-1.1") in response.headers


def test_query_form_parsing_with_lists_and_maps(sns: QueryProtocol) -> None:
    form = (
        "Action=CreateTopic&Version=2010-03-31&Name=orders"
        "&Attributes.entry.1.key=DisplayName&Attributes.entry.1.value=Orders"
        "&Tags.member.1.Key=team&Tags.member.1.Value=core"
    )
    request = HttpRequest("POST", "/", "", {}, form.encode())

    assert sns.parse(request) == (
        "CreateTopic",
        {
            "Name": "orders",
            "Attributes": {"DisplayName": "Orders"},
            "Tags": [{"Key": "team", "Value": "core"}],
        },
    )


def test_query_result_document(sns: QueryProtocol) -> None:
    response = sns.serialize("Publish", {"MessageId": "m-1"}, request_id="req-1")

    root = ElementTree.fromstring(response.body)
    ns = "{http://sns.amazonaws.com/doc/2010-03-31/}"
    assert root.tag == f"{ns}PublishResponse"
    assert root.findtext(f"{ns}PublishResult/{ns}MessageId") == "m-1"
    assert root.findtext(f"{ns}ResponseMetadata/{ns}RequestId") == "req-1"
    assert ("Content-Type", "text/xml") in response.headers


def test_query_error_document(sns: QueryProtocol) -> None:
    response = sns.serialize_error(
        "Publish", AwsError("NotFoundException", "Topic does not exist", 404), request_id="r"
    )

    root = ElementTree.fromstring(response.body)
    ns = "{http://sns.amazonaws.com/doc/2010-03-31/}"
    assert response.status == 404
    assert root.findtext(f"{ns}Error/{ns}Type") == "Sender"
    assert root.findtext(f"{ns}Error/{ns}Code") == "NotFound"
    assert root.findtext(f"{ns}Error/{ns}Message") == "Topic does not exist"
    assert root.findtext(f"{ns}RequestId") == "r"


def test_query_unknown_action(sqs_query: QueryProtocol) -> None:
    with pytest.raises(AwsError) as caught:
        sqs_query.parse(HttpRequest("POST", "/", "", {}, b"Action=Teleport"))

    assert caught.value.code == "InvalidAction"
    assert caught.value.status == 400


def test_sqs_query_mode_wraps_results(sqs_query: QueryProtocol) -> None:
    response = sqs_query.serialize("GetQueueUrl", {"QueueUrl": QUEUE_URL}, request_id="r")

    assert b"<GetQueueUrlResponse" in response.body
    assert f"<GetQueueUrlResult><QueueUrl>{QUEUE_URL}</QueueUrl></GetQueueUrlResult>".encode() in (
        response.body
    )


def test_s3_error_document() -> None:
    s3 = RestXmlProtocol(load_service_model("s3"))

    response = s3.serialize_error(
        "GetObject",
        AwsError("NoSuchKey", "The specified key does not exist.", 404, fields={"Key": "a/b"}),
        request_id="rid",
    )

    root = ElementTree.fromstring(response.body)
    assert root.tag == "Error"
    assert [(child.tag, child.text) for child in root] == [
        ("Code", "NoSuchKey"),
        ("Message", "The specified key does not exist."),
        ("Key", "a/b"),
        ("RequestId", "rid"),
    ]


def test_s3_streaming_bodies_are_raw_and_metadata_headers_are_mapped() -> None:
    s3 = RestXmlProtocol(load_service_model("s3"))
    request = HttpRequest(
        "PUT", "/bucket/k", "", {"x-amz-meta-owner": "me", "content-type": "text/plain"}, b"\x00raw"
    )

    name, params = s3.parse(request)
    response = s3.serialize(
        "GetObject", {"Body": b"\x00raw", "Metadata": {"owner": "me"}, "ContentType": "text/plain"}
    )

    assert (name, params["Body"], params["Metadata"]) == ("PutObject", b"\x00raw", {"owner": "me"})
    assert response.body == b"\x00raw"
    assert ("x-amz-meta-owner", "me") in response.headers
    assert ("Content-Type", "text/plain") in response.headers


def test_s3_malformed_xml() -> None:
    s3 = RestXmlProtocol(load_service_model("s3"))

    with pytest.raises(AwsError) as caught:
        s3.parse(HttpRequest("PUT", "/bucket", "tagging", {}, b"<Tagging><TagSet>"))

    assert caught.value.code == "MalformedXML"
