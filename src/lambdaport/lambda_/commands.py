"""The Lambda control plane's commands: one frozen record per API operation, in AWS's words.

``lambda_.requests`` builds them from the parameters the protocol parsed; the console and
any other front end build them directly. ``function`` is the FunctionName parameter (with
its Qualifier) already parsed into a :class:`FunctionRef`. An optional member that is
``None`` was not given: an update keeps what is set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lambdaport.lambda_.models import LoggingConfig, UrlCors
from lambdaport.lambda_.names import FunctionRef
from lambdaport.lambda_.paging import Paging

# -- parts ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FunctionCode:
    """Where a function's code comes from: a zip upload, an S3 object, or (refused) an image."""

    zip_file: bytes | None = None
    s3_bucket: str | None = None
    s3_key: str | None = None
    s3_object_version: str | None = None
    image_uri: str | None = None


@dataclass(frozen=True, slots=True)
class AliasRoutingConfiguration:
    additional_version_weights: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Destination:
    """An OnSuccess or OnFailure member as given; ``destination`` None clears it."""

    destination: str | None = None


@dataclass(frozen=True, slots=True)
class DestinationConfig:
    on_success: Destination | None = None
    on_failure: Destination | None = None


# -- functions ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateFunction:
    function: FunctionRef
    role: str
    code: FunctionCode
    runtime: str | None = None
    handler: str | None = None
    description: str = ""
    timeout: int = 3
    memory_size: int = 128
    publish: bool = False
    package_type: str = "Zip"
    environment: Mapping[str, str] | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    layers: tuple[str, ...] | None = None
    architectures: tuple[str, ...] | None = None
    logging_config: LoggingConfig | None = None
    ephemeral_storage: int | None = None  # EphemeralStorage.Size, MB
    code_signing_config_arn: str | None = None
    # Members kept and reported as given, in the API's shapes (VpcConfig, KMSKeyArn, ...).
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GetFunction:
    function: FunctionRef


@dataclass(frozen=True, slots=True)
class GetFunctionConfiguration:
    function: FunctionRef


@dataclass(frozen=True, slots=True)
class UpdateFunctionCode:
    function: FunctionRef
    code: FunctionCode
    architectures: tuple[str, ...] | None = None
    publish: bool = False
    dry_run: bool = False
    revision_id: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateFunctionConfiguration:
    function: FunctionRef
    runtime: str | None = None
    role: str | None = None
    handler: str | None = None
    description: str | None = None
    timeout: int | None = None
    memory_size: int | None = None
    environment: Mapping[str, str] | None = None
    layers: tuple[str, ...] | None = None
    logging_config: LoggingConfig | None = None
    ephemeral_storage: int | None = None
    revision_id: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DeleteFunction:
    function: FunctionRef


@dataclass(frozen=True, slots=True)
class ListFunctions:
    account_id: str
    region: str
    function_version: str | None = None  # "ALL": every published version too
    paging: Paging = field(default_factory=Paging)


# -- versions and aliases -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PublishVersion:
    function: FunctionRef
    code_sha256: str | None = None
    description: str = ""
    revision_id: str | None = None


@dataclass(frozen=True, slots=True)
class ListVersionsByFunction:
    function: FunctionRef
    paging: Paging = field(default_factory=Paging)


@dataclass(frozen=True, slots=True)
class CreateAlias:
    function: FunctionRef
    name: str
    function_version: str
    description: str = ""
    routing_config: AliasRoutingConfiguration | None = None


@dataclass(frozen=True, slots=True)
class GetAlias:
    function: FunctionRef
    name: str


@dataclass(frozen=True, slots=True)
class UpdateAlias:
    function: FunctionRef
    name: str
    function_version: str | None = None
    description: str | None = None
    routing_config: AliasRoutingConfiguration | None = None
    revision_id: str | None = None


@dataclass(frozen=True, slots=True)
class DeleteAlias:
    function: FunctionRef
    name: str


@dataclass(frozen=True, slots=True)
class ListAliases:
    function: FunctionRef
    function_version: str | None = None
    paging: Paging = field(default_factory=Paging)


# -- resource-based policy --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AddPermission:
    function: FunctionRef
    statement_id: str
    action: str
    principal: str
    source_arn: str | None = None
    source_account: str | None = None
    event_source_token: str | None = None
    principal_org_id: str | None = None
    function_url_auth_type: str | None = None
    invoked_via_function_url: bool | None = None
    revision_id: str | None = None


@dataclass(frozen=True, slots=True)
class RemovePermission:
    function: FunctionRef
    statement_id: str
    revision_id: str | None = None


@dataclass(frozen=True, slots=True)
class GetPolicy:
    function: FunctionRef


# -- concurrency, account, tags ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PutFunctionConcurrency:
    function: FunctionRef
    reserved_concurrent_executions: int


@dataclass(frozen=True, slots=True)
class GetFunctionConcurrency:
    function: FunctionRef


@dataclass(frozen=True, slots=True)
class DeleteFunctionConcurrency:
    function: FunctionRef


@dataclass(frozen=True, slots=True)
class GetAccountSettings:
    account_id: str
    region: str


@dataclass(frozen=True, slots=True)
class TagResource:
    resource: str  # the function's ARN, as given
    tags: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class UntagResource:
    resource: str
    tag_keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ListTags:
    resource: str


# -- event invoke configs ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PutFunctionEventInvokeConfig:
    function: FunctionRef
    maximum_retry_attempts: int | None = None
    maximum_event_age_in_seconds: int | None = None
    destination_config: DestinationConfig | None = None


@dataclass(frozen=True, slots=True)
class UpdateFunctionEventInvokeConfig:
    function: FunctionRef
    maximum_retry_attempts: int | None = None
    maximum_event_age_in_seconds: int | None = None
    destination_config: DestinationConfig | None = None


@dataclass(frozen=True, slots=True)
class GetFunctionEventInvokeConfig:
    function: FunctionRef


@dataclass(frozen=True, slots=True)
class DeleteFunctionEventInvokeConfig:
    function: FunctionRef


@dataclass(frozen=True, slots=True)
class ListFunctionEventInvokeConfigs:
    function: FunctionRef
    paging: Paging = field(default_factory=Paging)


# -- layers -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LayerRef:
    """A LayerName parameter (a name, or a layer ARN holding its account and region) read
    for a caller: ``caller`` is the account asking."""

    account_id: str
    region: str
    name: str
    caller: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.account_id, self.region, self.name)


@dataclass(frozen=True, slots=True)
class PublishLayerVersion:
    layer: LayerRef
    content: FunctionCode
    description: str = ""
    compatible_runtimes: tuple[str, ...] = ()
    compatible_architectures: tuple[str, ...] = ()
    license_info: str | None = None


@dataclass(frozen=True, slots=True)
class GetLayerVersion:
    layer: LayerRef
    version: int


@dataclass(frozen=True, slots=True)
class DeleteLayerVersion:
    layer: LayerRef
    version: int


@dataclass(frozen=True, slots=True)
class ListLayerVersions:
    layer: LayerRef
    compatible_runtime: str | None = None
    compatible_architecture: str | None = None
    paging: Paging = field(default_factory=Paging)


@dataclass(frozen=True, slots=True)
class ListLayers:
    account_id: str
    region: str
    compatible_runtime: str | None = None
    compatible_architecture: str | None = None
    paging: Paging = field(default_factory=Paging)


@dataclass(frozen=True, slots=True)
class AddLayerVersionPermission:
    layer: LayerRef
    version: int
    statement_id: str
    action: str
    principal: str
    organization_id: str | None = None
    revision_id: str | None = None


@dataclass(frozen=True, slots=True)
class RemoveLayerVersionPermission:
    layer: LayerRef
    version: int
    statement_id: str
    revision_id: str | None = None


@dataclass(frozen=True, slots=True)
class GetLayerVersionPolicy:
    layer: LayerRef
    version: int


# -- function URLs ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateFunctionUrlConfig:
    function: FunctionRef
    auth_type: str
    cors: UrlCors | None = None
    invoke_mode: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateFunctionUrlConfig:
    function: FunctionRef
    auth_type: str | None = None
    cors: UrlCors | None = None
    invoke_mode: str | None = None


@dataclass(frozen=True, slots=True)
class GetFunctionUrlConfig:
    function: FunctionRef


@dataclass(frozen=True, slots=True)
class DeleteFunctionUrlConfig:
    function: FunctionRef


@dataclass(frozen=True, slots=True)
class ListFunctionUrlConfigs:
    function: FunctionRef
    paging: Paging


# -- event source mappings --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MappingSettings:
    """The settings Create and Update share; a member that is None was not given.
    ``filters`` is FilterCriteria's patterns (an empty tuple: ``{}``, no filters);
    ``on_success``/``on_failure`` DestinationConfig's (``""``: the member given empty)."""

    enabled: bool | None = None
    batch_size: int | None = None
    maximum_batching_window_in_seconds: int | None = None
    filters: tuple[str, ...] | None = None
    function_response_types: tuple[str, ...] | None = None
    maximum_concurrency: int | None = None
    scaling_config_given: bool = False
    parallelization_factor: int | None = None
    maximum_record_age_in_seconds: int | None = None
    bisect_batch_on_function_error: bool | None = None
    maximum_retry_attempts: int | None = None
    tumbling_window_in_seconds: int | None = None
    on_success: str | None = None
    on_failure: str | None = None
    # Members kept and reported as given (KMSKeyArn, MetricsConfig, ...), and the names of
    # the members lambdaport does not take for any source it polls (Kafka's, MQ's, ...).
    extra: Mapping[str, Any] = field(default_factory=dict)
    unsupported: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CreateEventSourceMapping:
    function: FunctionRef
    event_source_arn: str | None
    settings: MappingSettings
    starting_position: str | None = None
    starting_position_timestamp: float | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class UpdateEventSourceMapping:
    account_id: str
    region: str
    uuid: str
    settings: MappingSettings
    function: FunctionRef | None = None


@dataclass(frozen=True, slots=True)
class GetEventSourceMapping:
    account_id: str
    region: str
    uuid: str


@dataclass(frozen=True, slots=True)
class DeleteEventSourceMapping:
    account_id: str
    region: str
    uuid: str


@dataclass(frozen=True, slots=True)
class ListEventSourceMappings:
    account_id: str
    region: str
    function: FunctionRef | None = None
    event_source_arn: str | None = None
    paging: Paging = field(default_factory=Paging)


# -- recursion, runtime management ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PutFunctionRecursionConfig:
    function: FunctionRef
    recursive_loop: str  # Allow | Terminate


@dataclass(frozen=True, slots=True)
class GetFunctionRecursionConfig:
    function: FunctionRef


@dataclass(frozen=True, slots=True)
class PutRuntimeManagementConfig:
    function: FunctionRef  # its qualifier: $LATEST (None) or a version
    update_runtime_on: str  # Auto | FunctionUpdate | Manual
    runtime_version_arn: str | None = None


@dataclass(frozen=True, slots=True)
class GetRuntimeManagementConfig:
    function: FunctionRef


# -- code signing ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateCodeSigningConfig:
    account_id: str
    region: str
    signing_profile_version_arns: tuple[str, ...]
    untrusted_artifact_on_deployment: str | None = None
    description: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GetCodeSigningConfig:
    account_id: str
    region: str
    arn: str


@dataclass(frozen=True, slots=True)
class UpdateCodeSigningConfig:
    account_id: str
    region: str
    arn: str
    signing_profile_version_arns: tuple[str, ...] | None = None
    untrusted_artifact_on_deployment: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class DeleteCodeSigningConfig:
    account_id: str
    region: str
    arn: str


@dataclass(frozen=True, slots=True)
class ListCodeSigningConfigs:
    account_id: str
    region: str
    paging: Paging = field(default_factory=Paging)


@dataclass(frozen=True, slots=True)
class ListFunctionsByCodeSigningConfig:
    account_id: str
    region: str
    arn: str
    paging: Paging = field(default_factory=Paging)


@dataclass(frozen=True, slots=True)
class PutFunctionCodeSigningConfig:
    function: FunctionRef
    code_signing_config_arn: str


@dataclass(frozen=True, slots=True)
class GetFunctionCodeSigningConfig:
    function: FunctionRef


@dataclass(frozen=True, slots=True)
class DeleteFunctionCodeSigningConfig:
    function: FunctionRef


# -- provisioned concurrency ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PutProvisionedConcurrencyConfig:
    function: FunctionRef  # with the Qualifier: a version or an alias
    provisioned_concurrent_executions: int


@dataclass(frozen=True, slots=True)
class GetProvisionedConcurrencyConfig:
    function: FunctionRef


@dataclass(frozen=True, slots=True)
class DeleteProvisionedConcurrencyConfig:
    function: FunctionRef


@dataclass(frozen=True, slots=True)
class ListProvisionedConcurrencyConfigs:
    function: FunctionRef
    paging: Paging = field(default_factory=Paging)
