"""Create/Get/Update/Delete/ListEventSourceMappings through boto3: botocore's shapes, AWS's
defaults and validation per source, the states and their transitions, tags and paging."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from lambdaport.testing.server import Server
from tests.esm.conftest import MakeMapping, MakeQueue, wait_settled
from tests.helpers import (
    ACCOUNT,
    REGION,
    client_error,
    client_options,
    wait_for,
)

if TYPE_CHECKING:
    from mypy_boto3_kinesis import KinesisClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_sqs import SQSClient

    from tests.conftest import MakeFunction

# Marks its start, then runs until the release file exists (60 s at most).
HELD = """
import os, time

def handler(event, context):
    open(os.environ["STARTED"], "w").close()
    deadline = time.monotonic() + 60
    while not os.path.exists(os.environ["RELEASE"]) and time.monotonic() < deadline:
        time.sleep(0.01)
"""
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@pytest.fixture(scope="module")
def unchecked(server: Server) -> LambdaClient:
    """A client that sends what it is given (no botocore validation), to see the server's."""
    return boto3.client("lambda", **client_options(server.endpoint, parameter_validation=False))


@pytest.fixture(scope="module")
def kinesis(server: Server) -> KinesisClient:
    return boto3.client("kinesis", **client_options(server.endpoint))


def _invalid(call: Any, **params: Any) -> str:
    code, message, status = client_error(call, **params)
    assert (code, status) == ("InvalidParameterValueException", 400), message
    return message


def test_create_answers_creating_then_enabled_with_sqs_defaults(
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    make_queue: MakeQueue,
    make_mapping: MakeMapping,
) -> None:
    name = make_function()
    _, arn = make_queue()
    created = make_mapping(EventSourceArn=arn, FunctionName=name)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert UUID.match(created["UUID"])
    assert created["State"] == "Creating"
    assert created["StateTransitionReason"] == "USER_INITIATED"
    assert created["BatchSize"] == 10
    assert created["MaximumBatchingWindowInSeconds"] == 0
    assert created["FunctionResponseTypes"] == []
    assert created["EventSourceArn"] == arn
    assert created["FunctionArn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    assert created["EventSourceMappingArn"] == (
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:event-source-mapping:{created['UUID']}"
    )
    for member in ("StartingPosition", "ParallelizationFactor", "ScalingConfig", "FilterCriteria"):
        assert member not in created
    settled = wait_settled(lambda_client, created["UUID"])
    assert settled["State"] == "Enabled"
    assert settled["LastModified"] == created["LastModified"]


def test_create_disabled_and_enable_later(
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    make_queue: MakeQueue,
    make_mapping: MakeMapping,
) -> None:
    _, arn = make_queue()
    created = make_mapping(EventSourceArn=arn, FunctionName=make_function(), Enabled=False)
    assert wait_settled(lambda_client, created["UUID"])["State"] == "Disabled"
    enabling = lambda_client.update_event_source_mapping(UUID=created["UUID"], Enabled=True)
    assert enabling["State"] == "Enabling"
    assert wait_settled(lambda_client, created["UUID"])["State"] == "Enabled"
    disabling = lambda_client.update_event_source_mapping(UUID=created["UUID"], Enabled=False)
    assert disabling["State"] == "Disabling"
    assert wait_settled(lambda_client, created["UUID"])["State"] == "Disabled"


def test_qualified_function_and_every_sqs_parameter(
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    make_queue: MakeQueue,
    make_mapping: MakeMapping,
) -> None:
    name = make_function()
    version = lambda_client.publish_version(FunctionName=name)["Version"]
    lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    _, arn = make_queue()
    pattern = '{"body": {"kind": ["order"]}}'
    created = make_mapping(
        EventSourceArn=arn,
        FunctionName=f"{name}:live",
        BatchSize=100,
        MaximumBatchingWindowInSeconds=2,
        FilterCriteria={"Filters": [{"Pattern": pattern}]},
        FunctionResponseTypes=["ReportBatchItemFailures"],
        ScalingConfig={"MaximumConcurrency": 7},
    )
    got = lambda_client.get_event_source_mapping(UUID=created["UUID"])
    assert got["FunctionArn"].endswith(f":function:{name}:live")
    assert (got["BatchSize"], got["MaximumBatchingWindowInSeconds"]) == (100, 2)
    assert got["FilterCriteria"] == {"Filters": [{"Pattern": pattern}]}
    assert got["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert got["ScalingConfig"] == {"MaximumConcurrency": 7}
    missing = _invalid(
        lambda_client.create_event_source_mapping, EventSourceArn=arn, FunctionName=f"{name}:9"
    )
    assert missing == "Function does not exist"


def test_sqs_validation(
    lambda_client: LambdaClient,
    unchecked: LambdaClient,
    make_function: MakeFunction,
    make_queue: MakeQueue,
) -> None:
    name = make_function()
    _, arn = make_queue()
    create = lambda_client.create_event_source_mapping
    window = _invalid(create, EventSourceArn=arn, FunctionName=name, BatchSize=11)
    assert window == (
        "Maximum batch window in seconds must be greater than 0 if maximum batch size is "
        "greater than 10"
    )
    for member, value in (
        ("StartingPosition", "LATEST"),
        ("ParallelizationFactor", 2),
        ("MaximumRetryAttempts", 3),
        ("MaximumRecordAgeInSeconds", 60),
        ("BisectBatchOnFunctionError", True),
        ("TumblingWindowInSeconds", 10),
        ("DestinationConfig", {"OnFailure": {"Destination": arn}}),
        ("Topics", ["topic"]),
    ):
        message = _invalid(create, EventSourceArn=arn, FunctionName=name, **{member: value})
        assert message == f"Unsupported {member} parameter for given event source mapping type."
    bad_filter = {"Filters": [{"Pattern": "not json"}]}
    message = _invalid(create, EventSourceArn=arn, FunctionName=name, FilterCriteria=bad_filter)
    assert message == "Invalid filter pattern definition."
    gone = f"arn:aws:sqs:{REGION}:{ACCOUNT}:no-such-queue-{uuid.uuid4().hex[:6]}"
    assert "AWS.SimpleQueueService.NonExistentQueue" in _invalid(
        create, EventSourceArn=gone, FunctionName=name
    )
    assert _invalid(create, EventSourceArn=arn, FunctionName="nobody") == "Function does not exist"
    # The model's ranges, checked by the server for a client that does not check them.
    for params in (
        {"BatchSize": 10001, "MaximumBatchingWindowInSeconds": 1},
        {"BatchSize": 0},
        {"MaximumBatchingWindowInSeconds": 301},
        {"ScalingConfig": {"MaximumConcurrency": 1}},
        {"ScalingConfig": {"MaximumConcurrency": 1001}},
        {"FunctionResponseTypes": ["Everything"]},
    ):
        code, message, status = client_error(
            unchecked.create_event_source_mapping, EventSourceArn=arn, FunctionName=name, **params
        )
        assert (code, status) == ("ValidationException", 400), (params, message)


def test_the_queue_s_visibility_timeout_covers_the_function_s_timeout(
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    make_queue: MakeQueue,
    make_mapping: MakeMapping,
) -> None:
    slow, quick = make_function(Timeout=60), make_function(Timeout=20)
    _, arn = make_queue(VisibilityTimeout="30")
    message = _invalid(
        lambda_client.create_event_source_mapping, EventSourceArn=arn, FunctionName=slow
    )
    assert (
        message == "Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds"
    )
    created = make_mapping(EventSourceArn=arn, FunctionName=quick)
    wait_settled(lambda_client, created["UUID"])
    message = _invalid(
        lambda_client.update_event_source_mapping, UUID=created["UUID"], FunctionName=slow
    )
    assert message.startswith("Queue visibility timeout: 30 seconds is less than")


def test_fifo_queues_take_ten_and_no_window(
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    make_queue: MakeQueue,
    make_mapping: MakeMapping,
) -> None:
    name = make_function()
    _, arn = make_queue(fifo=True)
    create = lambda_client.create_event_source_mapping
    assert "FIFO" in _invalid(
        create,
        EventSourceArn=arn,
        FunctionName=name,
        BatchSize=11,
        MaximumBatchingWindowInSeconds=1,
    )
    assert "FIFO" in _invalid(
        create, EventSourceArn=arn, FunctionName=name, MaximumBatchingWindowInSeconds=1
    )
    created = make_mapping(EventSourceArn=arn, FunctionName=name)
    assert created["BatchSize"] == 10
    assert "MaximumBatchingWindowInSeconds" not in created


def test_a_second_mapping_of_the_same_queue_and_function_conflicts(
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    make_queue: MakeQueue,
    make_mapping: MakeMapping,
) -> None:
    name = make_function()
    _, arn = make_queue()
    first = make_mapping(EventSourceArn=arn, FunctionName=name)
    code, message, status = client_error(
        lambda_client.create_event_source_mapping, EventSourceArn=arn, FunctionName=name
    )
    assert (code, status) == ("ResourceConflictException", 409)
    assert first["UUID"] in message and arn in message


def test_stream_parameters_and_defaults(
    lambda_client: LambdaClient,
    kinesis: KinesisClient,
    make_function: MakeFunction,
    make_mapping: MakeMapping,
) -> None:
    name = make_function()
    stream = f"s-{uuid.uuid4().hex[:10]}"
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    try:
        arn = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"][
            "StreamARN"
        ]
        create = lambda_client.create_event_source_mapping
        message = _invalid(create, EventSourceArn=arn, FunctionName=name)
        assert "startingPosition" in message
        at_timestamp = _invalid(
            create, EventSourceArn=arn, FunctionName=name, StartingPosition="AT_TIMESTAMP"
        )
        assert "StartingPositionTimestamp" in at_timestamp
        scaling = _invalid(
            create,
            EventSourceArn=arn,
            FunctionName=name,
            StartingPosition="LATEST",
            ScalingConfig={"MaximumConcurrency": 2},
        )
        assert scaling == "Unsupported ScalingConfig parameter for given event source mapping type."
        created = make_mapping(EventSourceArn=arn, FunctionName=name, StartingPosition="LATEST")
        assert created["StateTransitionReason"] == "User action"
        assert created["BatchSize"] == 100
        assert created["ParallelizationFactor"] == 1
        assert created["MaximumRetryAttempts"] == -1
        assert created["MaximumRecordAgeInSeconds"] == -1
        assert created["BisectBatchOnFunctionError"] is False
        assert created["TumblingWindowInSeconds"] == 0
        assert created["DestinationConfig"] == {"OnFailure": {}}
        assert created["LastProcessingResult"] == "No records processed"
        missing = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/none-{uuid.uuid4().hex[:6]}"
        assert "Stream not found" in _invalid(
            create, EventSourceArn=missing, FunctionName=name, StartingPosition="LATEST"
        )
        ddb = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t/stream/2024-01-01T00:00:00.000"
        assert "Unsupported starting position" in _invalid(
            create,
            EventSourceArn=ddb,
            FunctionName=name,
            StartingPosition="AT_TIMESTAMP",
            StartingPositionTimestamp=1,
        )
    finally:
        kinesis.delete_stream(StreamName=stream)


def test_sources_lambdaport_does_not_poll_are_501(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    code, message, status = client_error(
        lambda_client.create_event_source_mapping,
        EventSourceArn=f"arn:aws:mq:{REGION}:{ACCOUNT}:broker:b:b-1234",
        FunctionName=make_function(),
        Queues=["q"],
    )
    assert (code, status) == ("NotImplementedException", 501)
    assert "mq" in message


def test_update_changes_settings_and_filters(
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    make_queue: MakeQueue,
    make_mapping: MakeMapping,
) -> None:
    first, second = make_function(), make_function()
    _, arn = make_queue()
    created = make_mapping(
        EventSourceArn=arn,
        FunctionName=first,
        FilterCriteria={"Filters": [{"Pattern": '{"body": ["x"]}'}]},
    )
    wait_settled(lambda_client, created["UUID"])
    update = lambda_client.update_event_source_mapping
    window = _invalid(update, UUID=created["UUID"], BatchSize=50)
    assert window.startswith("Maximum batch window in seconds must be greater than 0")
    _invalid(update, UUID=created["UUID"], MaximumRetryAttempts=1)
    updated = update(
        UUID=created["UUID"],
        FunctionName=second,
        BatchSize=50,
        MaximumBatchingWindowInSeconds=3,
        FilterCriteria={},
        ScalingConfig={"MaximumConcurrency": 3},
    )
    assert updated["State"] == "Updating"
    assert updated["FunctionArn"].endswith(f":function:{second}")
    assert "FilterCriteria" not in updated
    settled = wait_settled(lambda_client, created["UUID"])
    assert settled["State"] == "Enabled"
    assert (settled["BatchSize"], settled["MaximumBatchingWindowInSeconds"]) == (50, 3)
    assert settled["ScalingConfig"] == {"MaximumConcurrency": 3}
    assert settled["LastModified"] > created["LastModified"]


def test_get_update_delete_of_an_unknown_mapping_are_404(lambda_client: LambdaClient) -> None:
    unknown = str(uuid.uuid4())
    for call, params in (
        (lambda_client.get_event_source_mapping, {}),
        (lambda_client.delete_event_source_mapping, {}),
        (lambda_client.update_event_source_mapping, {"BatchSize": 5}),
    ):
        code, message, status = client_error(call, UUID=unknown, **params)
        assert (code, message, status) == (
            "ResourceNotFoundException",
            "The resource you requested does not exist.",
            404,
        )


def test_a_change_while_a_transition_runs_is_resource_in_use(
    lambda_client: LambdaClient,
    sqs: SQSClient,
    make_function: MakeFunction,
    make_queue: MakeQueue,
    make_mapping: MakeMapping,
    tmp_path: Path,
) -> None:
    """An update waits for the batch being invoked; meanwhile the mapping is Updating and
    another update or a delete is refused."""
    started, release = tmp_path / "started", tmp_path / "release"
    name = make_function(
        HELD,
        Timeout=60,
        Environment={"Variables": {"STARTED": str(started), "RELEASE": str(release)}},
    )
    url, arn = make_queue(VisibilityTimeout="120")
    created = make_mapping(EventSourceArn=arn, FunctionName=name)
    wait_settled(lambda_client, created["UUID"])
    sqs.send_message(QueueUrl=url, MessageBody="hold")
    wait_for(started.exists, 30, "the batch's invocation started")
    try:
        updating = lambda_client.update_event_source_mapping(UUID=created["UUID"], BatchSize=5)
        assert updating["State"] == "Updating"
        for call, params in (
            (lambda_client.update_event_source_mapping, {"BatchSize": 6}),
            (lambda_client.delete_event_source_mapping, {}),
        ):
            code, message, status = client_error(call, UUID=created["UUID"], **params)
            assert (code, status) == ("ResourceInUseException", 400), message
        got = lambda_client.get_event_source_mapping(UUID=created["UUID"])
        assert got["State"] == "Updating"
    finally:
        release.touch()
    settled = wait_settled(lambda_client, created["UUID"])
    assert (settled["State"], settled["BatchSize"]) == ("Enabled", 5)


def test_delete_answers_deleting_then_it_is_gone(
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    make_queue: MakeQueue,
) -> None:
    _, arn = make_queue()
    created = lambda_client.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=make_function()
    )
    wait_settled(lambda_client, created["UUID"])
    deleting = lambda_client.delete_event_source_mapping(UUID=created["UUID"])
    assert deleting["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert deleting["State"] == "Deleting"

    def gone() -> bool:
        try:
            lambda_client.get_event_source_mapping(UUID=created["UUID"])
        except lambda_client.exceptions.ResourceNotFoundException:
            return True
        return False

    wait_for(gone, 30, "the mapping deleted")


def test_list_filters_and_pages(
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    make_queue: MakeQueue,
    make_mapping: MakeMapping,
) -> None:
    first, second = make_function(), make_function()
    queues = [make_queue()[1] for _ in range(3)]
    made = {make_mapping(EventSourceArn=arn, FunctionName=first)["UUID"] for arn in queues}
    other = make_mapping(EventSourceArn=queues[0], FunctionName=second)["UUID"]
    listed = lambda_client.list_event_source_mappings(FunctionName=first)["EventSourceMappings"]
    assert {m["UUID"] for m in listed} == made
    by_queue = lambda_client.list_event_source_mappings(EventSourceArn=queues[0])
    assert {m["UUID"] for m in by_queue["EventSourceMappings"]} >= {other}
    assert all(m["EventSourceArn"] == queues[0] for m in by_queue["EventSourceMappings"])
    both = lambda_client.list_event_source_mappings(EventSourceArn=queues[0], FunctionName=second)
    assert [m["UUID"] for m in both["EventSourceMappings"]] == [other]
    seen: list[str] = []
    marker: str | None = None
    while True:
        extra = {} if marker is None else {"Marker": marker}
        page = lambda_client.list_event_source_mappings(FunctionName=first, MaxItems=1, **extra)
        assert len(page["EventSourceMappings"]) == 1
        seen.extend(m["UUID"] for m in page["EventSourceMappings"])
        marker = page.get("NextMarker")
        if marker is None:
            break
    assert sorted(seen) == sorted(made)
    paginator = lambda_client.get_paginator("list_event_source_mappings")
    pages = paginator.paginate(FunctionName=first, PaginationConfig={"PageSize": 2})
    assert sorted(m["UUID"] for p in pages for m in p["EventSourceMappings"]) == sorted(made)


def test_tags_on_mappings(
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    make_queue: MakeQueue,
    make_mapping: MakeMapping,
) -> None:
    _, arn = make_queue()
    created = make_mapping(EventSourceArn=arn, FunctionName=make_function(), Tags={"team": "a"})
    resource = created["EventSourceMappingArn"]
    assert lambda_client.list_tags(Resource=resource)["Tags"] == {"team": "a"}
    lambda_client.tag_resource(Resource=resource, Tags={"stage": "dev", "team": "b"})
    assert lambda_client.list_tags(Resource=resource)["Tags"] == {"team": "b", "stage": "dev"}
    lambda_client.untag_resource(Resource=resource, TagKeys=["team"])
    assert lambda_client.list_tags(Resource=resource)["Tags"] == {"stage": "dev"}
    unknown = resource.rsplit(":", 1)[0] + f":{uuid.uuid4()}"
    code, _, status = client_error(lambda_client.list_tags, Resource=unknown)
    assert (code, status) == ("ResourceNotFoundException", 404)
