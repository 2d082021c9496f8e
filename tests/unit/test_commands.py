"""The control plane's typed seam: requests read into commands (a member not given is None,
so an update keeps it), records stored before typed members existed, and records rendered
to the API's shapes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson

from lambdaport.lambda_ import rendering, requests
from lambdaport.lambda_.commands import DestinationConfig, UpdateFunctionConfiguration
from lambdaport.lambda_.models import Code, FunctionConfiguration, FunctionVersion, LoggingConfig
from lambdaport.lambda_.names import FunctionRef
from lambdaport.request import RequestContext

CTX = RequestContext(
    account_id="000000000000",
    region="us-east-1",
    request_id="r",
    endpoint="http://127.0.0.1:4566",
)
ROLE = "arn:aws:iam::000000000000:role/r"


def version(**changes: Any) -> FunctionVersion:
    base = FunctionVersion(
        account_id="000000000000",
        region="us-east-1",
        name="fn",
        version="$LATEST",
        runtime="python3.12",
        role=ROLE,
        handler="app.handler",
        code=Code(sha256="c2hh", size=3, zip_hex="ab"),
        revision_id="rev",
        state="Active",
    )
    return replace(base, **changes)


def test_an_update_names_only_what_it_was_given() -> None:
    command = requests.update_function_configuration(
        CTX, {"FunctionName": "fn", "Timeout": 9, "LoggingConfig": {"LogFormat": "JSON"}}
    )
    assert command == UpdateFunctionConfiguration(
        function=FunctionRef("000000000000", "us-east-1", "fn", None),
        timeout=9,
        logging_config=LoggingConfig(log_format="JSON"),
    )
    cleared = requests.update_function_configuration(
        CTX, {"FunctionName": "fn", "Environment": {}, "Layers": [], "KMSKeyArn": "k"}
    )
    assert (cleared.environment, cleared.layers, cleared.extra) == ({}, (), {"KMSKeyArn": "k"})
    assert cleared.runtime is None and cleared.memory_size is None


def test_destination_members_given_empty_clear_and_absent_ones_keep() -> None:
    command = requests.update_function_event_invoke_config(
        CTX, {"FunctionName": "fn:live", "DestinationConfig": {"OnFailure": {}}}
    )
    assert command.function.qualifier == "live"
    assert command.destination_config is not None
    assert command.destination_config.on_success is None  # not given: kept
    assert command.destination_config.on_failure is not None
    assert command.destination_config.on_failure.destination is None  # given empty: cleared
    assert (
        requests.put_function_event_invoke_config(
            CTX, {"FunctionName": "fn", "DestinationConfig": {}}
        ).destination_config
        == DestinationConfig()
    )


def test_logging_config_updates_merge_and_text_drops_the_levels() -> None:
    json_logs = LoggingConfig().updated(LoggingConfig(log_format="JSON"))
    debug = json_logs.updated(LoggingConfig(application_log_level="DEBUG"))
    assert debug == LoggingConfig(log_format="JSON", application_log_level="DEBUG")
    text = debug.updated(LoggingConfig(log_format="Text", log_group="shared"))
    assert text == LoggingConfig(log_format="Text", log_group="shared")


def test_records_round_trip_through_the_stores_json() -> None:
    record = version(
        architectures=("arm64",),
        logging_config=LoggingConfig(log_format="JSON", system_log_level="WARN"),
        layers=(),
        environment={"A": "1"},
        extra={"KMSKeyArn": "k"},
    )
    stored = orjson.loads(orjson.dumps(record.to_record()))
    assert FunctionVersion.from_record(stored) == record


def test_records_of_earlier_versions_keep_what_was_set() -> None:
    """Before Architectures, LoggingConfig and Layers had fields, ``extra`` held them in the
    API's shapes (and VpcConfig with its VpcId): such records load and answer as before."""
    old = orjson.loads(orjson.dumps(version().to_record()))
    for member in ("architectures", "logging_config", "layers"):
        del old[member]
    old["extra"] = {
        "Architectures": ["arm64"],
        "LoggingConfig": {"LogFormat": "JSON", "ApplicationLogLevel": "DEBUG"},
        "Layers": [],
        "VpcConfig": {"VpcId": "", "SubnetIds": ["s"], "SecurityGroupIds": []},
        "DeadLetterConfig": {"TargetArn": "arn:aws:sqs:us-east-1:000000000000:dlq"},
    }
    loaded = FunctionVersion.from_record(old)
    assert loaded.architectures == ("arm64",)
    assert loaded.logging_config == LoggingConfig("JSON", "DEBUG")
    assert loaded.dead_letter_arn == "arn:aws:sqs:us-east-1:000000000000:dlq"
    config = rendering.function_configuration(FunctionConfiguration.of(loaded))
    assert config["Architectures"] == ["arm64"]
    assert config["Layers"] == []
    assert config["LoggingConfig"] == {
        "LogFormat": "JSON",
        "LogGroup": "/aws/lambda/fn",
        "ApplicationLogLevel": "DEBUG",
        "SystemLogLevel": "INFO",
    }
    assert config["VpcConfig"] == {"VpcId": "", "SubnetIds": ["s"], "SecurityGroupIds": []}
    assert config["DeadLetterConfig"] == old["extra"]["DeadLetterConfig"]


def test_a_configuration_names_the_arn_as_referenced() -> None:
    latest = version()
    assert rendering.function_configuration(FunctionConfiguration.of(latest))["FunctionArn"] == (
        "arn:aws:lambda:us-east-1:000000000000:function:fn"
    )
    published = rendering.function_configuration(FunctionConfiguration.of(version(version="3")))
    assert published["FunctionArn"].endswith(":function:fn:3")
    creating = replace(FunctionConfiguration.of(latest), creating=True, version="1")
    answer = rendering.function_configuration(creating)
    assert "LastUpdateStatus" not in answer
    assert answer["Version"] == "1"
