"""Provisioned concurrency through boto3 against a real server: Put/Get/Delete/List
ProvisionedConcurrencyConfig(s) on versions and aliases, IN_PROGRESS → READY, environments
initialized ahead (``AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency``, no Init Duration
on their first invocation), spill-over to on-demand, AWS's limits, and a restart."""

from __future__ import annotations

import base64
import json
import shutil
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from lambdaport.testing.server import ServerProcess
from tests.conftest import MakeFunction
from tests.helpers import BARRIER, client_error, client_for, create_function, wait_for

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

# Says which kind of environment ran it; with "dir", after meeting the others (BARRIER).
WHO = (
    "import os\n"
    "def handler(event, context):\n"
    "    answer = barrier(event, context) if 'dir' in event else {}\n"
    "    return {**answer, 'type': os.environ['AWS_LAMBDA_INITIALIZATION_TYPE']}\n"
)
SOURCE = WHO + BARRIER.replace("def handler(", "def barrier(")


def _ready(lam: LambdaClient, name: str, qualifier: str) -> dict[str, Any] | None:
    config = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=qualifier)
    return dict(config) if config["Status"] == "READY" else None


def _invoke(lam: LambdaClient, name: str, qualifier: str, event: Any) -> tuple[Any, str]:
    response = lam.invoke(
        FunctionName=name, Qualifier=qualifier, Payload=json.dumps(event), LogType="Tail"
    )
    return json.loads(response["Payload"].read()), base64.b64decode(response["LogResult"]).decode()


def test_provisioned_environments_are_ready_and_initialized_ahead(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    lam = lambda_client
    name = make_function(SOURCE)
    version = lam.publish_version(FunctionName=name)["Version"]
    put = lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=2
    )
    assert put["RequestedProvisionedConcurrentExecutions"] == 2
    assert put["Status"] in ("IN_PROGRESS", "READY")
    assert put["LastModified"]
    ready = wait_for(lambda: _ready(lam, name, version), 60, "provisioned concurrency READY")
    assert ready["AllocatedProvisionedConcurrentExecutions"] == 2
    assert ready["AvailableProvisionedConcurrentExecutions"] == 2
    assert "StatusReason" not in ready
    listed = lam.list_provisioned_concurrency_configs(FunctionName=name)
    [config] = listed["ProvisionedConcurrencyConfigs"]
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    assert config["FunctionArn"] == f"{arn}:{version}"
    assert config["Status"] == "READY"
    # The first invocation of a provisioned environment: initialized before, no Init Duration.
    payload, log = _invoke(lam, name, version, {})
    assert payload["type"] == "provisioned-concurrency"
    assert "REPORT RequestId" in log and "Init Duration" not in log
    # $LATEST is on demand: initialized when asked for, and says so.
    payload, log = _invoke(lam, name, "$LATEST", {})
    assert payload["type"] == "on-demand"
    assert "Init Duration" in log


def _settled(lam: LambdaClient, name: str, qualifier: str) -> dict[str, Any] | None:
    config = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=qualifier)
    return dict(config) if config["Status"] != "IN_PROGRESS" else None


@pytest.mark.parametrize(
    ("source", "config"),
    [
        ("raise RuntimeError('no config at import')\n", {}),
        (
            {"index.js": "throw new Error('no config at import');\n"},
            {"runtime": "nodejs20.x", "handler": "index.handler"},
        ),
    ],
    ids=["python", "nodejs"],
)
def test_environments_that_cannot_initialise_fail_the_allocation(
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    source: str | dict[str, str],
    config: dict[str, str],
) -> None:
    if config.get("runtime", "").startswith("nodejs") and shutil.which("node") is None:
        pytest.skip("Node.js is not installed")
    lam = lambda_client
    name = make_function(source, **config)
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=2
    )
    failed = wait_for(lambda: _settled(lam, name, version), 60, "the allocation settled")
    assert failed["Status"] == "FAILED"
    assert failed["StatusReason"] == "FUNCTION_ERROR_INIT_FAILURE"
    assert failed["AllocatedProvisionedConcurrentExecutions"] == 0
    assert failed["AvailableProvisionedConcurrentExecutions"] == 0
    [listed] = lam.list_provisioned_concurrency_configs(FunctionName=name)[
        "ProvisionedConcurrencyConfigs"
    ]
    assert (listed["Status"], listed["StatusReason"]) == ("FAILED", "FUNCTION_ERROR_INIT_FAILURE")
    # Invocations run on demand and answer the init error, as on AWS.
    answer = lam.invoke(FunctionName=name, Qualifier=version, Payload=b"{}")
    assert answer["FunctionError"] == "Unhandled"
    assert "no config at import" in json.loads(answer["Payload"].read())["errorMessage"]


def test_invocations_beyond_provisioned_spill_to_on_demand(
    lambda_client: LambdaClient, make_function: MakeFunction, tmp_path: Path
) -> None:
    lam = lambda_client
    name = make_function(SOURCE, Timeout=60)
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=1
    )
    wait_for(lambda: _ready(lam, name, version), 60, "provisioned concurrency READY")
    event = {"dir": str(tmp_path), "count": 2}
    results: list[dict[str, Any]] = []

    def run() -> None:
        response = lam.invoke(FunctionName=name, Qualifier=version, Payload=json.dumps(event))
        results.append(json.loads(response["Payload"].read()))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Both ran at one moment (each saw the other arrive), in two environments.
    assert [result["arrived"] for result in results] == [2, 2]
    assert len({result["pid"] for result in results}) == 2
    # One ran on the provisioned environment, the other spilled over to an on-demand one.
    assert sorted(result["type"] for result in results) == ["on-demand", "provisioned-concurrency"]
    # Back to one at a time: the provisioned environment serves it.
    assert _invoke(lam, name, version, {})[0]["type"] == "provisioned-concurrency"


def test_provisioned_concurrency_on_an_alias(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    lam = lambda_client
    name = make_function(SOURCE)
    one = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=one)
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=1
    )
    wait_for(lambda: _ready(lam, name, "live"), 60, "provisioned concurrency READY")
    assert _invoke(lam, name, "live", {})[0]["type"] == "provisioned-concurrency"
    # Its version cannot be provisioned as well.
    code, message, status = client_error(
        lam.put_provisioned_concurrency_config,
        FunctionName=name,
        Qualifier=one,
        ProvisionedConcurrentExecutions=1,
    )
    assert (code, status) == ("ResourceConflictException", 409)
    assert "Provisioned Concurrency alias" in message
    lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    code, message, status = client_error(
        lam.get_provisioned_concurrency_config, FunctionName=name, Qualifier="live"
    )
    assert (code, status) == ("ProvisionedConcurrencyConfigNotFoundException", 404)
    assert message == "No Provisioned Concurrency Config found for this function"
    assert _invoke(lam, name, "live", {})[0]["type"] == "on-demand"
    assert (
        lam.list_provisioned_concurrency_configs(FunctionName=name)["ProvisionedConcurrencyConfigs"]
        == []
    )


def test_provisioned_concurrency_refusals(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    lam = lambda_client
    name = make_function()
    code, message, status = client_error(
        lam.put_provisioned_concurrency_config,
        FunctionName=name,
        Qualifier="$LATEST",
        ProvisionedConcurrentExecutions=1,
    )
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert message == (
        "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
    )
    code, message, status = client_error(
        lam.put_provisioned_concurrency_config,
        FunctionName=name,
        Qualifier="9",
        ProvisionedConcurrentExecutions=1,
    )
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert message.endswith(f":{name}:9")
    version = lam.publish_version(FunctionName=name)["Version"]
    code, _, status = client_error(
        lam.get_provisioned_concurrency_config, FunctionName=name, Qualifier=version
    )
    assert (code, status) == ("ProvisionedConcurrencyConfigNotFoundException", 404)
    # Reserved concurrency holds the provisioned: more than it is refused.
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    code, message, status = client_error(
        lam.put_provisioned_concurrency_config,
        FunctionName=name,
        Qualifier=version,
        ProvisionedConcurrentExecutions=2,
    )
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert "reservedConcurrentExecution" in message
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=1
    )
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    lam.delete_function_concurrency(FunctionName=name)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    code, message, status = client_error(
        lam.put_function_concurrency, FunctionName=name, ReservedConcurrentExecutions=0
    )
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert "provisioned concurrency" in message


def test_provisioned_concurrency_counts_against_the_account_and_survives_a_restart(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    limit = {"LAMBDAPORT_ACCOUNT_CONCURRENCY_LIMIT": "103"}  # 3 above the unreserved minimum
    with ServerProcess(data_dir, env=limit) as first:
        lam = client_for(first.endpoint)
        name = create_function(lam, SOURCE, name="provisioned")
        version = lam.publish_version(FunctionName=name)["Version"]
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=2
        )
        wait_for(lambda: _ready(lam, name, version), 60, "provisioned concurrency READY")
        settings = lam.get_account_settings()["AccountLimit"]
        assert settings["UnreservedConcurrentExecutions"] == 101
        other = create_function(lam, SOURCE, name="other")
        other_version = lam.publish_version(FunctionName=other)["Version"]
        code, message, status = client_error(
            lam.put_provisioned_concurrency_config,
            FunctionName=other,
            Qualifier=other_version,
            ProvisionedConcurrentExecutions=2,
        )
        assert (code, status) == ("InvalidParameterValueException", 400)
        assert "unreserved concurrency [101]" in message
        code, _, _ = client_error(
            lam.put_function_concurrency, FunctionName=other, ReservedConcurrentExecutions=2
        )
        assert code == "InvalidParameterValueException"
    with ServerProcess(data_dir, env=limit) as second:
        lam = client_for(second.endpoint)
        ready = wait_for(lambda: _ready(lam, name, version), 60, "READY after the restart")
        assert ready["AllocatedProvisionedConcurrentExecutions"] == 2
        payload, log = _invoke(lam, name, version, {})
        assert payload["type"] == "provisioned-concurrency"
        assert "Init Duration" not in log
