"""Routing precedence: literal query requirements, literal segments, labels, greedy labels."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from lambdaport.errors import AwsError
from lambdaport.protocol import RestJsonProtocol, RestXmlProtocol, load_service_model
from lambdaport.protocol.base import HttpRequest
from lambdaport.protocol.routing import Route, Router


@pytest.fixture(scope="module")
def lam() -> RestJsonProtocol:
    return RestJsonProtocol(load_service_model("lambda"))


@pytest.fixture(scope="module")
def s3() -> RestXmlProtocol:
    return RestXmlProtocol(load_service_model("s3"))


@pytest.fixture(scope="module")
def appconfig() -> RestJsonProtocol:
    return RestJsonProtocol(load_service_model("appconfig"))


def _get(path: str, query: str = "", headers: dict[str, str] | None = None) -> HttpRequest:
    return HttpRequest("GET", path, query, headers or {}, b"")


def test_literal_query_requirement_wins(lam: RestJsonProtocol) -> None:
    path = "/2019-09-30/functions/f/provisioned-concurrency"

    assert lam.parse(_get(path, "List=ALL"))[0] == "ListProvisionedConcurrencyConfigs"
    assert lam.parse(_get(path, "Qualifier=live")) == (
        "GetProvisionedConcurrencyConfig",
        {"FunctionName": "f", "Qualifier": "live"},
    )


def test_literal_query_value_must_match(lam: RestJsonProtocol) -> None:
    arn = "arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Alayer%3Ax%3A1"

    assert lam.parse(_get("/2018-10-31/layers", f"find=LayerVersion&Arn={arn}")) == (
        "GetLayerVersionByArn",
        {"Arn": "arn:aws:lambda:us-east-1:123456789012:layer:x:1"},
    )
    assert lam.parse(_get("/2018-10-31/layers", "find=Other"))[0] == "ListLayers"


def test_literal_segment_beats_label(lam: RestJsonProtocol) -> None:
    # ".../event-invoke-config/list" is literal; ".../aliases/{Name}" is a label.
    assert lam.parse(_get("/2019-09-25/functions/f/event-invoke-config/list"))[0] == (
        "ListFunctionEventInvokeConfigs"
    )
    assert lam.parse(_get("/2015-03-31/functions/f/aliases/list")) == (
        "GetAlias",
        {"FunctionName": "f", "Name": "list"},
    )


def test_labels_are_percent_decoded_and_trailing_slash_ignored(lam: RestJsonProtocol) -> None:
    arn = "arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af"

    assert lam.parse(_get(f"/2015-03-31/functions/{arn}")) == (
        "GetFunction",
        {"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:f"},
    )
    assert lam.parse(_get("/2015-03-31/functions/"))[0] == "ListFunctions"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/2015-03-31/nothing-here"),
        ("PATCH", "/2015-03-31/functions/f"),
        ("GET", "/2015-03-31/functions/f/invocations/extra"),
    ],
)
def test_unknown_route_is_unknown_operation(lam: RestJsonProtocol, method: str, path: str) -> None:
    with pytest.raises(AwsError) as caught:
        lam.parse(HttpRequest(method, path, "", {}, b""))

    assert caught.value.code == "UnknownOperationException"
    assert caught.value.status == 404


def test_s3_required_header_and_query_tell_twins_apart(s3: RestXmlProtocol) -> None:
    def put(query: str, headers: dict[str, str]) -> str:
        return s3.parse(HttpRequest("PUT", "/bucket/a/b.txt", query, headers, b"x"))[0]

    copy = {"x-amz-copy-source": "src/key"}
    assert put("", {}) == "PutObject"
    assert put("", copy) == "CopyObject"
    assert put("partNumber=1&uploadId=u", {}) == "UploadPart"
    assert put("partNumber=1&uploadId=u", copy) == "UploadPartCopy"


def test_s3_greedy_key_keeps_slashes(s3: RestXmlProtocol) -> None:
    assert s3.parse(_get("/bucket/dir/sub/file%20name.txt")) == (
        "GetObject",
        {"Bucket": "bucket", "Key": "dir/sub/file name.txt"},
    )
    assert s3.parse(_get("/bucket/folder/"))[1]["Key"] == "folder/"
    assert s3.parse(_get("/bucket", "list-type=2"))[0] == "ListObjectsV2"
    assert s3.parse(_get("/bucket"))[0] == "ListObjects"
    assert s3.parse(_get("/bucket/k", "uploadId=u"))[0] == "ListParts"


def test_s3_deprecated_operation_yields_to_successor(s3: RestXmlProtocol) -> None:
    assert s3.parse(_get("/bucket", "lifecycle"))[0] == "GetBucketLifecycleConfiguration"


def test_router_orders_literal_mixed_label_greedy() -> None:
    router = Router(
        [
            Route("Greedy", "GET", "/files/{Path+}"),
            Route("GreedyWithSuffix", "GET", "/files/{Path+}/meta"),
            Route("Label", "GET", "/files/{Name}"),
            Route("Mixed", "GET", "/files/{Name}.json"),
            Route("Literal", "GET", "/files/index.json"),
        ]
    )

    def op(path: str) -> tuple[str, Mapping[str, str]] | None:
        found = router.match("GET", path, {}, {})
        return (found.route.operation, found.labels) if found else None

    assert op("/files/index.json") == ("Literal", {})
    assert op("/files/report.json") == ("Mixed", {"Name": "report"})
    assert op("/files/report") == ("Label", {"Name": "report"})
    assert op("/files/a/b") == ("Greedy", {"Path": "a/b"})
    assert op("/files/a/b/meta") == ("GreedyWithSuffix", {"Path": "a/b"})
    assert op("/other") is None


def test_routes_sharing_a_label_read_it_by_their_own_name() -> None:
    # AppConfig: /applications/{ApplicationId}/... and /applications/{Application}/... share
    # the trie node of the first label; each route binds the label its template names.
    router = Router(
        [
            Route("GetApplication", "GET", "/applications/{ApplicationId}"),
            Route("GetConfiguration", "GET", "/applications/{Application}/configurations/{Id}"),
            Route("GetObject", "GET", "/applications/{ApplicationId}/objects/{Key+}"),
        ]
    )

    configuration = router.match("GET", "/applications/app/configurations/c", {}, {})
    key = router.match("GET", "/applications/app/objects/a/b", {}, {})

    assert configuration is not None and key is not None
    assert dict(configuration.labels) == {"Application": "app", "Id": "c"}
    assert dict(key.labels) == {"ApplicationId": "app", "Key": "a/b"}


def test_appconfig_get_configuration_binds_its_application(
    appconfig: RestJsonProtocol,
) -> None:
    name, params = appconfig.parse(
        _get("/applications/app/environments/env/configurations/conf", "client_id=c")
    )
    assert (name, params["Application"], params["Environment"]) == (
        "GetConfiguration",
        "app",
        "env",
    )
