"""The Lambda API's requests as commands: the parameters the protocol parsed (keys as in
botocore's model, already checked against it) read into the control plane's records.

The checks made here are those whose answer names the request as it was written: the
FunctionName as given, a body's size. Everything else is the domain's to check.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from lambdaport.errors import AwsError, invalid_parameter, resource_not_found
from lambdaport.invoke import InvokeRequest
from lambdaport.lambda_ import commands as c
from lambdaport.lambda_.models import LoggingConfig, UrlCors
from lambdaport.lambda_.names import FunctionRef, ref_of
from lambdaport.lambda_.paging import Paging
from lambdaport.lambda_.validation import check_function_name
from lambdaport.request import RequestContext

Params = Mapping[str, Any]
T = TypeVar("T")
INVOKE_ASYNC_LIMIT = 256 * 1024
# Configuration members kept and reported as given (lambdaport does not act on them).
KEPT = (
    "VpcConfig",
    "DeadLetterConfig",
    "KMSKeyArn",
    "TracingConfig",
    "FileSystemConfigs",
    "ImageConfig",
)


def _function(ctx: RequestContext, params: Params) -> FunctionRef:
    return ref_of(ctx, str(params["FunctionName"]), params.get("Qualifier"))


def _paging(params: Params) -> Paging:
    return Paging(params.get("Marker"), params.get("MaxItems"))


def _optional_str(params: Params, member: str) -> str | None:
    value = params.get(member)
    return None if value is None else str(value)


def _optional_int(params: Params, member: str) -> int | None:
    value = params.get(member)
    return None if value is None else int(value)


def _strings(params: Params, member: str) -> tuple[str, ...] | None:
    return None if member not in params else tuple(str(v) for v in params[member] or ())


# -- functions ------------------------------------------------------------------------------


def _code(given: Params) -> c.FunctionCode:
    zip_file = given.get("ZipFile")
    return c.FunctionCode(
        zip_file=None if zip_file is None else bytes(zip_file),
        s3_bucket=_optional_str(given, "S3Bucket"),
        s3_key=_optional_str(given, "S3Key"),
        s3_object_version=_optional_str(given, "S3ObjectVersion"),
        image_uri=_optional_str(given, "ImageUri"),
    )


def _environment(params: Params) -> Mapping[str, str] | None:
    if "Environment" not in params:
        return None
    variables = (params["Environment"] or {}).get("Variables") or {}
    return {str(k): str(v) for k, v in variables.items()}


def _logging_config(params: Params) -> LoggingConfig | None:
    given = params.get("LoggingConfig")
    if given is None:
        return None
    return LoggingConfig(
        log_format=given.get("LogFormat"),
        application_log_level=given.get("ApplicationLogLevel"),
        system_log_level=given.get("SystemLogLevel"),
        log_group=given.get("LogGroup"),
    )


def _ephemeral_storage(params: Params) -> int | None:
    given = params.get("EphemeralStorage")
    return None if given is None else int(given["Size"])


def _kept(params: Params) -> dict[str, Any]:
    return {member: params[member] for member in KEPT if member in params}


def create_function(ctx: RequestContext, params: Params) -> c.CreateFunction:
    ref = _function(ctx, params)
    if ref.qualifier is not None:
        raise invalid_parameter("Function name cannot contain a qualifier on create.")
    check_function_name(str(params["FunctionName"]), ref.name)
    return c.CreateFunction(
        function=ref,
        role=str(params["Role"]),
        code=_code(params.get("Code") or {}),
        runtime=_optional_str(params, "Runtime"),
        handler=_optional_str(params, "Handler"),
        description=str(params.get("Description", "")),
        timeout=int(params.get("Timeout", 3)),
        memory_size=int(params.get("MemorySize", 128)),
        publish=bool(params.get("Publish")),
        package_type=str(params.get("PackageType", "Zip")),
        environment=_environment(params),
        tags=dict(params.get("Tags") or {}),
        layers=_strings(params, "Layers"),
        architectures=_strings(params, "Architectures"),
        logging_config=_logging_config(params),
        ephemeral_storage=_ephemeral_storage(params),
        code_signing_config_arn=_optional_str(params, "CodeSigningConfigArn"),
        extra=_kept(params),
    )


def get_function(ctx: RequestContext, params: Params) -> c.GetFunction:
    return c.GetFunction(_function(ctx, params))


def get_function_configuration(ctx: RequestContext, params: Params) -> c.GetFunctionConfiguration:
    return c.GetFunctionConfiguration(_function(ctx, params))


def update_function_code(ctx: RequestContext, params: Params) -> c.UpdateFunctionCode:
    return c.UpdateFunctionCode(
        function=_function(ctx, params),
        code=_code(params),
        architectures=_strings(params, "Architectures"),
        publish=bool(params.get("Publish")),
        dry_run=bool(params.get("DryRun")),
        revision_id=_optional_str(params, "RevisionId"),
    )


def update_function_configuration(
    ctx: RequestContext, params: Params
) -> c.UpdateFunctionConfiguration:
    return c.UpdateFunctionConfiguration(
        function=_function(ctx, params),
        runtime=_optional_str(params, "Runtime"),
        role=_optional_str(params, "Role"),
        handler=_optional_str(params, "Handler"),
        description=_optional_str(params, "Description"),
        timeout=_optional_int(params, "Timeout"),
        memory_size=_optional_int(params, "MemorySize"),
        environment=_environment(params),
        layers=_strings(params, "Layers"),
        logging_config=_logging_config(params),
        ephemeral_storage=_ephemeral_storage(params),
        revision_id=_optional_str(params, "RevisionId"),
        extra=_kept(params),
    )


def delete_function(ctx: RequestContext, params: Params) -> c.DeleteFunction:
    return c.DeleteFunction(_function(ctx, params))


def list_functions(ctx: RequestContext, params: Params) -> c.ListFunctions:
    return c.ListFunctions(
        account_id=ctx.account_id,
        region=ctx.region,
        function_version=_optional_str(params, "FunctionVersion"),
        paging=_paging(params),
    )


# -- versions and aliases -------------------------------------------------------------------


def publish_version(ctx: RequestContext, params: Params) -> c.PublishVersion:
    return c.PublishVersion(
        function=_function(ctx, params),
        code_sha256=_optional_str(params, "CodeSha256"),
        description=str(params.get("Description", "")),
        revision_id=_optional_str(params, "RevisionId"),
    )


def list_versions_by_function(ctx: RequestContext, params: Params) -> c.ListVersionsByFunction:
    return c.ListVersionsByFunction(_function(ctx, params), _paging(params))


def _routing(params: Params) -> c.AliasRoutingConfiguration | None:
    if "RoutingConfig" not in params:
        return None
    weights = (params["RoutingConfig"] or {}).get("AdditionalVersionWeights") or {}
    return c.AliasRoutingConfiguration({str(k): float(v) for k, v in weights.items()})


def create_alias(ctx: RequestContext, params: Params) -> c.CreateAlias:
    return c.CreateAlias(
        function=_function(ctx, params),
        name=str(params["Name"]),
        function_version=str(params["FunctionVersion"]),
        description=str(params.get("Description", "")),
        routing_config=_routing(params),
    )


def get_alias(ctx: RequestContext, params: Params) -> c.GetAlias:
    return c.GetAlias(_function(ctx, params), str(params["Name"]))


def update_alias(ctx: RequestContext, params: Params) -> c.UpdateAlias:
    return c.UpdateAlias(
        function=_function(ctx, params),
        name=str(params["Name"]),
        function_version=_optional_str(params, "FunctionVersion"),
        description=_optional_str(params, "Description"),
        routing_config=_routing(params),
        revision_id=_optional_str(params, "RevisionId"),
    )


def delete_alias(ctx: RequestContext, params: Params) -> c.DeleteAlias:
    return c.DeleteAlias(_function(ctx, params), str(params["Name"]))


def list_aliases(ctx: RequestContext, params: Params) -> c.ListAliases:
    return c.ListAliases(
        _function(ctx, params), _optional_str(params, "FunctionVersion"), _paging(params)
    )


# -- policy ---------------------------------------------------------------------------------


def add_permission(ctx: RequestContext, params: Params) -> c.AddPermission:
    invoked_via_url = params.get("InvokedViaFunctionUrl")
    return c.AddPermission(
        function=_function(ctx, params),
        statement_id=str(params["StatementId"]),
        action=str(params["Action"]),
        principal=str(params["Principal"]),
        source_arn=_optional_str(params, "SourceArn"),
        source_account=_optional_str(params, "SourceAccount"),
        event_source_token=_optional_str(params, "EventSourceToken"),
        principal_org_id=_optional_str(params, "PrincipalOrgID"),
        function_url_auth_type=_optional_str(params, "FunctionUrlAuthType"),
        invoked_via_function_url=None if invoked_via_url is None else bool(invoked_via_url),
        revision_id=_optional_str(params, "RevisionId"),
    )


def remove_permission(ctx: RequestContext, params: Params) -> c.RemovePermission:
    return c.RemovePermission(
        _function(ctx, params), str(params["StatementId"]), _optional_str(params, "RevisionId")
    )


def get_policy(ctx: RequestContext, params: Params) -> c.GetPolicy:
    return c.GetPolicy(_function(ctx, params))


# -- concurrency, account, tags ---------------------------------------------------------------


def put_function_concurrency(ctx: RequestContext, params: Params) -> c.PutFunctionConcurrency:
    reserved = int(params["ReservedConcurrentExecutions"])
    return c.PutFunctionConcurrency(_function(ctx, params), reserved)


def get_function_concurrency(ctx: RequestContext, params: Params) -> c.GetFunctionConcurrency:
    return c.GetFunctionConcurrency(_function(ctx, params))


def delete_function_concurrency(ctx: RequestContext, params: Params) -> c.DeleteFunctionConcurrency:
    return c.DeleteFunctionConcurrency(_function(ctx, params))


def get_account_settings(ctx: RequestContext, params: Params) -> c.GetAccountSettings:
    return c.GetAccountSettings(ctx.account_id, ctx.region)


def tag_resource(ctx: RequestContext, params: Params) -> c.TagResource:
    tags = {str(k): str(v) for k, v in dict(params["Tags"]).items()}
    return c.TagResource(str(params["Resource"]), tags)


def untag_resource(ctx: RequestContext, params: Params) -> c.UntagResource:
    return c.UntagResource(str(params["Resource"]), tuple(str(k) for k in params["TagKeys"]))


def list_tags(ctx: RequestContext, params: Params) -> c.ListTags:
    return c.ListTags(str(params["Resource"]))


# -- event invoke configs ---------------------------------------------------------------------


def _destination(given: Params, member: str) -> c.Destination | None:
    if member not in given:
        return None
    value = (given[member] or {}).get("Destination")
    return c.Destination(str(value) if value else None)


def _destination_config(params: Params) -> c.DestinationConfig | None:
    given = params.get("DestinationConfig")
    if given is None:
        return None
    return c.DestinationConfig(_destination(given, "OnSuccess"), _destination(given, "OnFailure"))


def _config_command(
    make: Callable[[FunctionRef, int | None, int | None, c.DestinationConfig | None], T],
    ctx: RequestContext,
    params: Params,
) -> T:
    return make(
        _function(ctx, params),
        _optional_int(params, "MaximumRetryAttempts"),
        _optional_int(params, "MaximumEventAgeInSeconds"),
        _destination_config(params),
    )


def put_function_event_invoke_config(
    ctx: RequestContext, params: Params
) -> c.PutFunctionEventInvokeConfig:
    return _config_command(c.PutFunctionEventInvokeConfig, ctx, params)


def update_function_event_invoke_config(
    ctx: RequestContext, params: Params
) -> c.UpdateFunctionEventInvokeConfig:
    return _config_command(c.UpdateFunctionEventInvokeConfig, ctx, params)


def get_function_event_invoke_config(
    ctx: RequestContext, params: Params
) -> c.GetFunctionEventInvokeConfig:
    return c.GetFunctionEventInvokeConfig(_function(ctx, params))


def delete_function_event_invoke_config(
    ctx: RequestContext, params: Params
) -> c.DeleteFunctionEventInvokeConfig:
    return c.DeleteFunctionEventInvokeConfig(_function(ctx, params))


def list_function_event_invoke_configs(
    ctx: RequestContext, params: Params
) -> c.ListFunctionEventInvokeConfigs:
    return c.ListFunctionEventInvokeConfigs(_function(ctx, params), _paging(params))


# -- function URLs ----------------------------------------------------------------------------


def _url_cors(params: Params) -> UrlCors | None:
    given = params.get("Cors")
    if given is None:
        return None
    credentials = given.get("AllowCredentials")
    return UrlCors(
        allow_credentials=None if credentials is None else bool(credentials),
        allow_headers=_strings(given, "AllowHeaders"),
        allow_methods=_strings(given, "AllowMethods"),
        allow_origins=_strings(given, "AllowOrigins"),
        expose_headers=_strings(given, "ExposeHeaders"),
        max_age=_optional_int(given, "MaxAge"),
    )


def create_function_url_config(ctx: RequestContext, params: Params) -> c.CreateFunctionUrlConfig:
    return c.CreateFunctionUrlConfig(
        _function(ctx, params),
        str(params["AuthType"]),
        _url_cors(params),
        _optional_str(params, "InvokeMode"),
    )


def update_function_url_config(ctx: RequestContext, params: Params) -> c.UpdateFunctionUrlConfig:
    return c.UpdateFunctionUrlConfig(
        _function(ctx, params),
        _optional_str(params, "AuthType"),
        _url_cors(params),
        _optional_str(params, "InvokeMode"),
    )


def get_function_url_config(ctx: RequestContext, params: Params) -> c.GetFunctionUrlConfig:
    return c.GetFunctionUrlConfig(_function(ctx, params))


def delete_function_url_config(ctx: RequestContext, params: Params) -> c.DeleteFunctionUrlConfig:
    return c.DeleteFunctionUrlConfig(_function(ctx, params))


def list_function_url_configs(ctx: RequestContext, params: Params) -> c.ListFunctionUrlConfigs:
    return c.ListFunctionUrlConfigs(_function(ctx, params), _paging(params))


# -- recursion, runtime management ------------------------------------------------------------


def put_function_recursion_config(
    ctx: RequestContext, params: Params
) -> c.PutFunctionRecursionConfig:
    return c.PutFunctionRecursionConfig(_function(ctx, params), str(params["RecursiveLoop"]))


def get_function_recursion_config(
    ctx: RequestContext, params: Params
) -> c.GetFunctionRecursionConfig:
    return c.GetFunctionRecursionConfig(_function(ctx, params))


def put_runtime_management_config(
    ctx: RequestContext, params: Params
) -> c.PutRuntimeManagementConfig:
    return c.PutRuntimeManagementConfig(
        _function(ctx, params),
        str(params["UpdateRuntimeOn"]),
        _optional_str(params, "RuntimeVersionArn"),
    )


def get_runtime_management_config(
    ctx: RequestContext, params: Params
) -> c.GetRuntimeManagementConfig:
    return c.GetRuntimeManagementConfig(_function(ctx, params))


# -- code signing ---------------------------------------------------------------------------


def _publishers(params: Params) -> tuple[str, ...] | None:
    given = params.get("AllowedPublishers")
    if given is None:
        return None
    return tuple(str(arn) for arn in given["SigningProfileVersionArns"])


def _untrusted(params: Params) -> str | None:
    policies = params.get("CodeSigningPolicies") or {}
    value = policies.get("UntrustedArtifactOnDeployment")
    return None if value is None else str(value)


def create_code_signing_config(ctx: RequestContext, params: Params) -> c.CreateCodeSigningConfig:
    return c.CreateCodeSigningConfig(
        account_id=ctx.account_id,
        region=ctx.region,
        signing_profile_version_arns=_publishers(params) or (),
        untrusted_artifact_on_deployment=_untrusted(params),
        description=str(params.get("Description", "")),
        tags={str(k): str(v) for k, v in (params.get("Tags") or {}).items()},
    )


def get_code_signing_config(ctx: RequestContext, params: Params) -> c.GetCodeSigningConfig:
    return c.GetCodeSigningConfig(ctx.account_id, ctx.region, str(params["CodeSigningConfigArn"]))


def update_code_signing_config(ctx: RequestContext, params: Params) -> c.UpdateCodeSigningConfig:
    return c.UpdateCodeSigningConfig(
        account_id=ctx.account_id,
        region=ctx.region,
        arn=str(params["CodeSigningConfigArn"]),
        signing_profile_version_arns=_publishers(params),
        untrusted_artifact_on_deployment=_untrusted(params),
        description=_optional_str(params, "Description"),
    )


def delete_code_signing_config(ctx: RequestContext, params: Params) -> c.DeleteCodeSigningConfig:
    return c.DeleteCodeSigningConfig(
        ctx.account_id, ctx.region, str(params["CodeSigningConfigArn"])
    )


def list_code_signing_configs(ctx: RequestContext, params: Params) -> c.ListCodeSigningConfigs:
    return c.ListCodeSigningConfigs(ctx.account_id, ctx.region, _paging(params))


def list_functions_by_code_signing_config(
    ctx: RequestContext, params: Params
) -> c.ListFunctionsByCodeSigningConfig:
    return c.ListFunctionsByCodeSigningConfig(
        ctx.account_id, ctx.region, str(params["CodeSigningConfigArn"]), _paging(params)
    )


def put_function_code_signing_config(
    ctx: RequestContext, params: Params
) -> c.PutFunctionCodeSigningConfig:
    return c.PutFunctionCodeSigningConfig(
        _function(ctx, params), str(params["CodeSigningConfigArn"])
    )


def get_function_code_signing_config(
    ctx: RequestContext, params: Params
) -> c.GetFunctionCodeSigningConfig:
    return c.GetFunctionCodeSigningConfig(_function(ctx, params))


def delete_function_code_signing_config(
    ctx: RequestContext, params: Params
) -> c.DeleteFunctionCodeSigningConfig:
    return c.DeleteFunctionCodeSigningConfig(_function(ctx, params))


# -- provisioned concurrency ----------------------------------------------------------------


def put_provisioned_concurrency_config(
    ctx: RequestContext, params: Params
) -> c.PutProvisionedConcurrencyConfig:
    return c.PutProvisionedConcurrencyConfig(
        _function(ctx, params), int(params["ProvisionedConcurrentExecutions"])
    )


def get_provisioned_concurrency_config(
    ctx: RequestContext, params: Params
) -> c.GetProvisionedConcurrencyConfig:
    return c.GetProvisionedConcurrencyConfig(_function(ctx, params))


def delete_provisioned_concurrency_config(
    ctx: RequestContext, params: Params
) -> c.DeleteProvisionedConcurrencyConfig:
    return c.DeleteProvisionedConcurrencyConfig(_function(ctx, params))


def list_provisioned_concurrency_configs(
    ctx: RequestContext, params: Params
) -> c.ListProvisionedConcurrencyConfigs:
    return c.ListProvisionedConcurrencyConfigs(_function(ctx, params), _paging(params))


# -- invocations ----------------------------------------------------------------------------


def invoke(ctx: RequestContext, params: Params) -> InvokeRequest:
    return InvokeRequest(
        account_id=ctx.account_id,
        region=ctx.region,
        function_name=str(params["FunctionName"]),
        qualifier=params.get("Qualifier"),
        payload=bytes(params.get("Payload") or b""),
        invocation_type=params.get("InvocationType") or "RequestResponse",
        log_type=params.get("LogType") or "None",
        client_context=params.get("ClientContext"),
        trace_header=ctx.trace_header or None,
        request_id=ctx.request_id,
    )


def invoke_async(ctx: RequestContext, params: Params) -> InvokeRequest:
    args = bytes(params.get("InvokeArgs") or b"")
    if len(args) > INVOKE_ASYNC_LIMIT:
        raise AwsError(
            "RequestTooLargeException",
            f"Request must be smaller than {INVOKE_ASYNC_LIMIT} bytes for the InvokeAsync "
            "operation",
            413,
            fields={"Type": "User"},
        )
    return InvokeRequest(
        account_id=ctx.account_id,
        region=ctx.region,
        function_name=str(params["FunctionName"]),
        payload=args,
        invocation_type="Event",
        trace_header=ctx.trace_header or None,
        request_id=ctx.request_id,
    )


# -- layers ---------------------------------------------------------------------------------

_LAYER_ARN = re.compile(
    r"^arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):layer:"
    r"(?P<name>[a-zA-Z0-9-_]+)$"
)


def _layer(ctx: RequestContext, params: Params) -> c.LayerRef:
    """LayerName: a name in the caller's account and region, or a layer ARN (the model
    checked it is one or the other)."""
    given = str(params["LayerName"])
    match = _LAYER_ARN.match(given)
    if match is None:
        return c.LayerRef(ctx.account_id, ctx.region, given, ctx.account_id)
    return c.LayerRef(match["account"], match["region"], match["name"], ctx.account_id)


def _layer_filters(params: Params) -> tuple[str | None, str | None]:
    return (
        _optional_str(params, "CompatibleRuntime"),
        _optional_str(params, "CompatibleArchitecture"),
    )


def publish_layer_version(ctx: RequestContext, params: Params) -> c.PublishLayerVersion:
    return c.PublishLayerVersion(
        layer=_layer(ctx, params),
        content=_code(params.get("Content") or {}),
        description=str(params.get("Description", "")),
        compatible_runtimes=_strings(params, "CompatibleRuntimes") or (),
        compatible_architectures=_strings(params, "CompatibleArchitectures") or (),
        license_info=_optional_str(params, "LicenseInfo"),
    )


def get_layer_version(ctx: RequestContext, params: Params) -> c.GetLayerVersion:
    return c.GetLayerVersion(_layer(ctx, params), int(params["VersionNumber"]))


def get_layer_version_by_arn(ctx: RequestContext, params: Params) -> c.GetLayerVersion:
    """The model checked the ARN's form: ``arn:...:layer:NAME:VERSION``."""
    arn = str(params["Arn"])
    layer, _, number = arn.rpartition(":")
    match = _LAYER_ARN.match(layer)
    if match is None or not number.isdigit():  # an AWS-managed ``awslayer`` ARN
        raise resource_not_found("The resource you requested does not exist.")
    ref = c.LayerRef(match["account"], match["region"], match["name"], ctx.account_id)
    return c.GetLayerVersion(ref, int(number))


def delete_layer_version(ctx: RequestContext, params: Params) -> c.DeleteLayerVersion:
    return c.DeleteLayerVersion(_layer(ctx, params), int(params["VersionNumber"]))


def list_layer_versions(ctx: RequestContext, params: Params) -> c.ListLayerVersions:
    runtime, architecture = _layer_filters(params)
    return c.ListLayerVersions(_layer(ctx, params), runtime, architecture, _paging(params))


def list_layers(ctx: RequestContext, params: Params) -> c.ListLayers:
    runtime, architecture = _layer_filters(params)
    return c.ListLayers(ctx.account_id, ctx.region, runtime, architecture, _paging(params))


def add_layer_version_permission(
    ctx: RequestContext, params: Params
) -> c.AddLayerVersionPermission:
    return c.AddLayerVersionPermission(
        layer=_layer(ctx, params),
        version=int(params["VersionNumber"]),
        statement_id=str(params["StatementId"]),
        action=str(params["Action"]),
        principal=str(params["Principal"]),
        organization_id=_optional_str(params, "OrganizationId"),
        revision_id=_optional_str(params, "RevisionId"),
    )


def remove_layer_version_permission(
    ctx: RequestContext, params: Params
) -> c.RemoveLayerVersionPermission:
    return c.RemoveLayerVersionPermission(
        layer=_layer(ctx, params),
        version=int(params["VersionNumber"]),
        statement_id=str(params["StatementId"]),
        revision_id=_optional_str(params, "RevisionId"),
    )


def get_layer_version_policy(ctx: RequestContext, params: Params) -> c.GetLayerVersionPolicy:
    return c.GetLayerVersionPolicy(_layer(ctx, params), int(params["VersionNumber"]))


# -- event source mappings --------------------------------------------------------------------

# Members of the API lambdaport keeps and reports as given (it does not act on them).
MAPPING_KEPT = ("KMSKeyArn", "MetricsConfig", "LoggingConfig", "ProvisionedPollerConfig")
# Members of sources lambdaport does not poll (Kafka, MQ, DocumentDB).
MAPPING_UNSUPPORTED = (
    "Topics",
    "Queues",
    "SourceAccessConfigurations",
    "SelfManagedEventSource",
    "AmazonManagedKafkaEventSourceConfig",
    "SelfManagedKafkaEventSourceConfig",
    "DocumentDBEventSourceConfig",
)


def _epoch(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value)


def _optional_bool(params: Params, member: str) -> bool | None:
    value = params.get(member)
    return None if value is None else bool(value)


def _mapping_settings(params: Params) -> c.MappingSettings:
    filters = None
    if "FilterCriteria" in params:
        given = (params["FilterCriteria"] or {}).get("Filters") or ()
        filters = tuple(str(f.get("Pattern", "")) for f in given)
    destinations = params.get("DestinationConfig") or {}

    def destination(member: str) -> str | None:
        if member not in destinations:
            return None
        return str((destinations[member] or {}).get("Destination") or "")

    scaling = params.get("ScalingConfig")
    return c.MappingSettings(
        enabled=_optional_bool(params, "Enabled"),
        batch_size=_optional_int(params, "BatchSize"),
        maximum_batching_window_in_seconds=_optional_int(params, "MaximumBatchingWindowInSeconds"),
        filters=filters,
        function_response_types=_strings(params, "FunctionResponseTypes"),
        maximum_concurrency=None if not scaling else _optional_int(scaling, "MaximumConcurrency"),
        scaling_config_given=scaling is not None,
        parallelization_factor=_optional_int(params, "ParallelizationFactor"),
        maximum_record_age_in_seconds=_optional_int(params, "MaximumRecordAgeInSeconds"),
        bisect_batch_on_function_error=_optional_bool(params, "BisectBatchOnFunctionError"),
        maximum_retry_attempts=_optional_int(params, "MaximumRetryAttempts"),
        tumbling_window_in_seconds=_optional_int(params, "TumblingWindowInSeconds"),
        on_success=destination("OnSuccess"),
        on_failure=destination("OnFailure"),
        extra={member: params[member] for member in MAPPING_KEPT if member in params},
        unsupported=tuple(member for member in MAPPING_UNSUPPORTED if member in params),
    )


def create_event_source_mapping(ctx: RequestContext, params: Params) -> c.CreateEventSourceMapping:
    return c.CreateEventSourceMapping(
        function=_function(ctx, params),
        event_source_arn=_optional_str(params, "EventSourceArn"),
        settings=_mapping_settings(params),
        starting_position=_optional_str(params, "StartingPosition"),
        starting_position_timestamp=_epoch(params.get("StartingPositionTimestamp")),
        tags={str(k): str(v) for k, v in dict(params.get("Tags") or {}).items()},
    )


def update_event_source_mapping(ctx: RequestContext, params: Params) -> c.UpdateEventSourceMapping:
    return c.UpdateEventSourceMapping(
        ctx.account_id,
        ctx.region,
        str(params["UUID"]),
        _mapping_settings(params),
        _function(ctx, params) if params.get("FunctionName") else None,
    )


def get_event_source_mapping(ctx: RequestContext, params: Params) -> c.GetEventSourceMapping:
    return c.GetEventSourceMapping(ctx.account_id, ctx.region, str(params["UUID"]))


def delete_event_source_mapping(ctx: RequestContext, params: Params) -> c.DeleteEventSourceMapping:
    return c.DeleteEventSourceMapping(ctx.account_id, ctx.region, str(params["UUID"]))


def list_event_source_mappings(ctx: RequestContext, params: Params) -> c.ListEventSourceMappings:
    return c.ListEventSourceMappings(
        ctx.account_id,
        ctx.region,
        _function(ctx, params) if params.get("FunctionName") else None,
        _optional_str(params, "EventSourceArn"),
        _paging(params),
    )
