"""The control plane's records in the Lambda API's shapes (botocore's output members).

Every answer the Lambda API gives is built here, from the typed records the domain returns;
the protocol layer serialises the result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import orjson

from lambdaport.esm.model import EventSourceMapping
from lambdaport.invoke import InvokeResponse
from lambdaport.lambda_.models import (
    AccountSettings,
    Alias,
    CodeSigningConfig,
    Concurrency,
    FunctionCodeSigning,
    FunctionConfiguration,
    FunctionDetails,
    FunctionEventInvokeConfig,
    FunctionPolicy,
    FunctionUrlConfig,
    FunctionVersion,
    LayerSummary,
    LayerVersion,
    LayerVersionPolicy,
    PolicyStatement,
    ProvisionedConcurrencyConfig,
    RuntimeManagement,
    policy_document,
)
from lambdaport.lambda_.paging import Page

Result = dict[str, Any]
T = TypeVar("T")


def empty(_: object) -> Result:
    """Operations that answer nothing but their status."""
    return {}


def deleted_function(_: None) -> Result:
    return {"StatusCode": 204}


def _page(member: str, page: Page[T], render: Callable[[T], Result]) -> Result:
    result: Result = {member: [render(item) for item in page.items]}
    if page.next_marker:
        result["NextMarker"] = page.next_marker
    return result


# -- functions ------------------------------------------------------------------------------


def logging_config(version: FunctionVersion) -> Result:
    """LoggingConfig as AWS reports it: the log group always; JSON logs have levels."""
    given = version.logging_config
    log_format = given.log_format or "Text"
    config: Result = {"LogFormat": log_format, "LogGroup": version.log_group}
    if log_format == "JSON":
        config["ApplicationLogLevel"] = given.application_log_level or "INFO"
        config["SystemLogLevel"] = given.system_log_level or "INFO"
    return config


def _extra(name: str, value: Any) -> Any:
    """A member kept as given; VpcConfig is reported with the VpcId of its subnets."""
    return {"VpcId": "", **value} if name == "VpcConfig" else value


def function_configuration(answer: FunctionConfiguration) -> Result:
    """The FunctionConfiguration shape."""
    version = answer.record
    config: Result = {
        "FunctionName": version.name,
        "FunctionArn": answer.function_arn,
        "Runtime": version.runtime,
        "Role": version.role,
        "Handler": version.handler,
        "CodeSize": version.code.size,
        "Description": version.description,
        "Timeout": version.timeout,
        "MemorySize": version.memory_size,
        "LastModified": version.last_modified,
        "CodeSha256": version.code.sha256,
        "Version": answer.version,
        "TracingConfig": {"Mode": "PassThrough"},
        "RevisionId": version.revision_id,
        "State": version.state,
        "PackageType": version.package_type,
        "Architectures": list(version.architectures),
        "EphemeralStorage": {"Size": version.ephemeral_storage},
        "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
        "LoggingConfig": logging_config(version),
    }
    if not answer.creating:  # not before the function is created
        config["LastUpdateStatus"] = version.last_update_status
    if version.environment:
        config["Environment"] = {"Variables": dict(version.environment)}
    if version.state != "Active":
        config["StateReason"] = version.state_reason
        config["StateReasonCode"] = version.state_reason_code
    if version.last_update_status == "InProgress":  # AWS's words for an update under way
        config["LastUpdateStatusReason"] = "The function is being created."
        config["LastUpdateStatusReasonCode"] = "Creating"
    if version.layers is not None:
        config["Layers"] = [
            {"Arn": layer.arn, "CodeSize": layer.code.size} for layer in version.layers
        ]
    if version.runtime_management.runtime_version_arn is not None:
        config["RuntimeVersionConfig"] = {
            "RuntimeVersionArn": version.runtime_management.runtime_version_arn
        }
    config.update((name, _extra(name, value)) for name, value in version.extra.items())
    return config


def get_function(details: FunctionDetails, location: Callable[[str], str]) -> Result:
    """GetFunction: the configuration, where to download the code (``location``: package
    name -> a presigned URL), tags and concurrency."""
    code: Result = {"RepositoryType": "S3"}
    if details.code.zip_hex:  # a hot-reload directory has no package to download
        code["Location"] = location(f"{details.code.zip_hex}.zip")
    result: Result = {
        "Configuration": function_configuration(details.configuration),
        "Code": code,
    }
    if details.tags:
        result["Tags"] = dict(details.tags)
    if details.reserved_concurrency is not None:
        result["Concurrency"] = {"ReservedConcurrentExecutions": details.reserved_concurrency}
    return result


def functions(page: Page[FunctionConfiguration]) -> Result:
    return _page("Functions", page, function_configuration)


def versions(page: Page[FunctionConfiguration]) -> Result:
    return _page("Versions", page, function_configuration)


# -- aliases --------------------------------------------------------------------------------


def alias_configuration(alias: Alias) -> Result:
    config: Result = {
        "AliasArn": alias.arn,
        "Name": alias.name,
        "FunctionVersion": alias.function_version,
        "Description": alias.description,
        "RevisionId": alias.revision_id,
    }
    if alias.routing_weights:
        config["RoutingConfig"] = {"AdditionalVersionWeights": dict(alias.routing_weights)}
    return config


def aliases(page: Page[Alias]) -> Result:
    return _page("Aliases", page, alias_configuration)


# -- policy, concurrency, account, tags -----------------------------------------------------


def added_permission(statement: PolicyStatement) -> Result:
    return {"Statement": orjson.dumps(statement.document()).decode()}


def policy(answer: FunctionPolicy) -> Result:
    return {
        "Policy": orjson.dumps(policy_document(answer.statements)).decode(),
        "RevisionId": answer.revision_id,
    }


def concurrency(answer: Concurrency) -> Result:
    reserved = answer.reserved_concurrent_executions
    return {} if reserved is None else {"ReservedConcurrentExecutions": reserved}


def account_settings(settings: AccountSettings) -> Result:
    limit, usage = settings.account_limit, settings.account_usage
    return {
        "AccountLimit": {
            "TotalCodeSize": limit.total_code_size,
            "CodeSizeUnzipped": limit.code_size_unzipped,
            "CodeSizeZipped": limit.code_size_zipped,
            "ConcurrentExecutions": limit.concurrent_executions,
            "UnreservedConcurrentExecutions": limit.unreserved_concurrent_executions,
        },
        "AccountUsage": {
            "TotalCodeSize": usage.total_code_size,
            "FunctionCount": usage.function_count,
        },
    }


def tags(tags: Mapping[str, str]) -> Result:
    return {"Tags": dict(tags)}


# -- event invoke configs -------------------------------------------------------------------


def event_invoke_config(config: FunctionEventInvokeConfig) -> Result:
    result: Result = {"LastModified": config.last_modified, "FunctionArn": config.function_arn}
    if config.maximum_retry_attempts is not None:
        result["MaximumRetryAttempts"] = config.maximum_retry_attempts
    if config.maximum_event_age_in_seconds is not None:
        result["MaximumEventAgeInSeconds"] = config.maximum_event_age_in_seconds
    result["DestinationConfig"] = {
        "OnSuccess": {"Destination": config.on_success} if config.on_success else {},
        "OnFailure": {"Destination": config.on_failure} if config.on_failure else {},
    }
    return result


def event_invoke_configs(page: Page[FunctionEventInvokeConfig]) -> Result:
    return _page("FunctionEventInvokeConfigs", page, event_invoke_config)


# -- function URLs ----------------------------------------------------------------------------


def _url_cors(config: FunctionUrlConfig) -> Result | None:
    cors = config.cors
    if cors is None:
        return None
    members = {
        "AllowCredentials": cors.allow_credentials,
        "AllowHeaders": None if cors.allow_headers is None else list(cors.allow_headers),
        "AllowMethods": None if cors.allow_methods is None else list(cors.allow_methods),
        "AllowOrigins": None if cors.allow_origins is None else list(cors.allow_origins),
        "ExposeHeaders": None if cors.expose_headers is None else list(cors.expose_headers),
        "MaxAge": cors.max_age,
    }
    return {name: value for name, value in members.items() if value is not None}


def function_url_config(
    config: FunctionUrlConfig, address: str, *, created: bool = False
) -> Result:
    """Create's answer has no LastModifiedTime; Get's, Update's and List's members do."""
    result: Result = {
        "FunctionUrl": address,
        "FunctionArn": config.function_arn,
        "AuthType": config.auth_type,
        "CreationTime": config.creation_time,
        "InvokeMode": config.invoke_mode,
    }
    if not created:
        result["LastModifiedTime"] = config.last_modified_time
    cors = _url_cors(config)
    if cors is not None:
        result["Cors"] = cors
    return result


def function_url_configs(
    page: Page[FunctionUrlConfig], address: Callable[[FunctionUrlConfig], str]
) -> Result:
    return _page("FunctionUrlConfigs", page, lambda c: function_url_config(c, address(c)))


# -- recursion, runtime management, code signing --------------------------------------------


def recursion_config(recursive_loop: str) -> Result:
    return {"RecursiveLoop": recursive_loop}


def runtime_management_config(answer: RuntimeManagement) -> Result:
    result: Result = {
        "UpdateRuntimeOn": answer.config.update_runtime_on,
        "FunctionArn": answer.function_arn,
    }
    if answer.config.runtime_version_arn is not None:
        result["RuntimeVersionArn"] = answer.config.runtime_version_arn
    return result


def _code_signing_config(config: CodeSigningConfig) -> Result:
    return {
        "CodeSigningConfigId": config.config_id,
        "CodeSigningConfigArn": config.arn,
        "Description": config.description,
        "AllowedPublishers": {
            "SigningProfileVersionArns": list(config.signing_profile_version_arns)
        },
        "CodeSigningPolicies": {
            "UntrustedArtifactOnDeployment": config.untrusted_artifact_on_deployment
        },
        "LastModified": config.last_modified,
    }


def code_signing_config(config: CodeSigningConfig) -> Result:
    return {"CodeSigningConfig": _code_signing_config(config)}


def code_signing_configs(page: Page[CodeSigningConfig]) -> Result:
    return _page("CodeSigningConfigs", page, _code_signing_config)


def function_arns(page: Page[str]) -> Result:
    result: Result = {"FunctionArns": list(page.items)}
    if page.next_marker:
        result["NextMarker"] = page.next_marker
    return result


def function_code_signing_config(answer: FunctionCodeSigning) -> Result:
    return {
        "CodeSigningConfigArn": answer.code_signing_config_arn,
        "FunctionName": answer.function_name,
    }


# -- provisioned concurrency ----------------------------------------------------------------


def _provisioned(config: ProvisionedConcurrencyConfig) -> Result:
    result: Result = {
        "RequestedProvisionedConcurrentExecutions": config.requested,
        "AvailableProvisionedConcurrentExecutions": config.available,
        "AllocatedProvisionedConcurrentExecutions": config.allocated,
        "Status": config.status,
        "LastModified": config.last_modified,
    }
    if config.status_reason is not None:
        result["StatusReason"] = config.status_reason
    return result


def provisioned_concurrency_config(config: ProvisionedConcurrencyConfig) -> Result:
    return _provisioned(config)


def provisioned_concurrency_configs(page: Page[ProvisionedConcurrencyConfig]) -> Result:
    return _page(
        "ProvisionedConcurrencyConfigs",
        page,
        lambda config: {"FunctionArn": config.function_arn, **_provisioned(config)},
    )


# -- invocations ----------------------------------------------------------------------------


def invoked(response: InvokeResponse) -> Result:
    result: Result = {"StatusCode": response.status_code}
    if response.status_code == 200:  # Event (202) and DryRun (204) name no version
        result["ExecutedVersion"] = response.executed_version
        result["Payload"] = response.payload
    if response.function_error is not None:
        result["FunctionError"] = response.function_error
    if response.log_result is not None:
        result["LogResult"] = response.log_result
    return result


def invoked_async(_: InvokeResponse) -> Result:
    return {"Status": 202}


# -- layers ---------------------------------------------------------------------------------


def layer_version_item(version: LayerVersion) -> Result:
    """The LayerVersionsListItem shape (and the members GetLayerVersion shares with it)."""
    item: Result = {
        "LayerVersionArn": version.arn,
        "Version": version.version,
        "Description": version.description,
        "CreatedDate": version.created_date,
    }
    if version.compatible_runtimes:
        item["CompatibleRuntimes"] = list(version.compatible_runtimes)
    if version.compatible_architectures:
        item["CompatibleArchitectures"] = list(version.compatible_architectures)
    if version.license_info is not None:
        item["LicenseInfo"] = version.license_info
    return item


def layer_version(version: LayerVersion, location: Callable[[str], str]) -> Result:
    """PublishLayerVersion's and GetLayerVersion's answer; ``location``: package name -> a
    presigned URL of the archive."""
    return {
        "Content": {
            "Location": location(f"{version.code.zip_hex}.zip"),
            "CodeSha256": version.code.sha256,
            "CodeSize": version.code.size,
        },
        "LayerArn": version.layer_arn,
        **layer_version_item(version),
    }


def layer_versions(page: Page[LayerVersion]) -> Result:
    return _page("LayerVersions", page, layer_version_item)


def layers(page: Page[LayerSummary]) -> Result:
    return _page(
        "Layers",
        page,
        lambda summary: {
            "LayerName": summary.name,
            "LayerArn": summary.layer_arn,
            "LatestMatchingVersion": layer_version_item(summary.latest),
        },
    )


def layer_permission(answer: LayerVersionPolicy) -> Result:
    return {
        "Statement": orjson.dumps(answer.statements[0]).decode(),
        "RevisionId": answer.revision_id,
    }


def layer_policy(answer: LayerVersionPolicy) -> Result:
    return {
        "Policy": orjson.dumps(policy_document(answer.statements)).decode(),
        "RevisionId": answer.revision_id,
    }


# -- event source mappings --------------------------------------------------------------------


def event_source_mapping(mapping: EventSourceMapping) -> Result:
    """EventSourceMappingConfiguration: every configured parameter with its effective
    default, the streams' members only for streams."""
    result: Result = {
        "UUID": mapping.uuid,
        "BatchSize": mapping.batch_size,
        "EventSourceArn": mapping.event_source_arn,
        "FunctionArn": mapping.function_arn,
        "LastModified": mapping.last_modified,
        "LastProcessingResult": mapping.last_processing_result,
        "State": mapping.state,
        "StateTransitionReason": mapping.state_transition_reason,
        "FunctionResponseTypes": list(mapping.function_response_types),
        "EventSourceMappingArn": mapping.arn,
    }
    if mapping.maximum_batching_window_in_seconds is not None:
        result["MaximumBatchingWindowInSeconds"] = mapping.maximum_batching_window_in_seconds
    if mapping.filters is not None:
        result["FilterCriteria"] = {"Filters": [{"Pattern": p} for p in mapping.filters]}
    if mapping.maximum_concurrency is not None:
        result["ScalingConfig"] = {"MaximumConcurrency": mapping.maximum_concurrency}
    if mapping.starting_position is not None:
        result["StartingPosition"] = mapping.starting_position
        if mapping.starting_position_timestamp is not None:
            result["StartingPositionTimestamp"] = mapping.starting_position_timestamp
        result["ParallelizationFactor"] = mapping.parallelization_factor
        result["MaximumRecordAgeInSeconds"] = mapping.maximum_record_age_in_seconds
        result["BisectBatchOnFunctionError"] = mapping.bisect_batch_on_function_error
        result["MaximumRetryAttempts"] = mapping.maximum_retry_attempts
        result["TumblingWindowInSeconds"] = mapping.tumbling_window_in_seconds
        on_failure = {"Destination": mapping.on_failure} if mapping.on_failure else {}
        result["DestinationConfig"] = {"OnFailure": on_failure}
    result.update(mapping.extra)
    return result


def event_source_mappings(page: Page[EventSourceMapping]) -> Result:
    return _page("EventSourceMappings", page, event_source_mapping)
