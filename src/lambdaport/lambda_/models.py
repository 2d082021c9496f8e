"""The Lambda control plane's records: function versions, aliases and what the operations
answer (rendered to the API's shapes by ``lambda_.rendering``).

A function is its ``$LATEST`` version plus function-level settings (tags, reserved
concurrency); published versions are frozen copies of ``$LATEST``'s configuration.
Configuration members lambdaport does not act on (VpcConfig, DeadLetterConfig, KMSKeyArn,
TracingConfig, FileSystemConfigs, ImageConfig) are kept as given, in the API's shapes, in
``extra``, so GetFunctionConfiguration returns what was set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from lambdaport.lambda_.names import LATEST, function_arn


def now_timestamp() -> str:
    """Lambda's LastModified format: ``2024-01-31T12:00:00.000+0000``."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}+0000"


@dataclass(frozen=True, slots=True)
class Code:
    """Where a version's code is: an uploaded zip (content-addressed) or a local directory
    mounted for hot reload."""

    sha256: str  # base64 of the package's SHA-256, as AWS reports CodeSha256
    size: int
    zip_hex: str = ""  # hex SHA-256: the blob's file name in the store
    hot_reload_dir: str = ""
    unzipped_size: int = 0  # the extracted files' bytes (0: recorded before it was kept)


@dataclass(frozen=True, slots=True)
class FunctionLayer:
    """A layer version a function version uses, as resolved when it was configured: its
    ARN and its package (kept with the function, so a deleted layer version goes on working
    for the functions that use it, as on AWS)."""

    arn: str
    code: Code

    @classmethod
    def from_record(cls, record: Mapping[str, Any] | str) -> FunctionLayer:
        if isinstance(record, str):  # never written with a package (layers were refused)
            return cls(record, Code(sha256="", size=0))
        return cls(str(record["arn"]), Code(**record["code"]))


@dataclass(frozen=True, slots=True)
class LoggingConfig:
    """LoggingConfig as set (None: not given); AWS's defaults are the reader's."""

    log_format: str | None = None
    application_log_level: str | None = None
    system_log_level: str | None = None
    log_group: str | None = None

    def updated(self, given: LoggingConfig) -> LoggingConfig:
        """An update changes what it names; back to Text, the log levels go."""
        merged = LoggingConfig(
            _either(given.log_format, self.log_format),
            _either(given.application_log_level, self.application_log_level),
            _either(given.system_log_level, self.system_log_level),
            _either(given.log_group, self.log_group),
        )
        if (merged.log_format or "Text") == "Text":
            return replace(merged, application_log_level=None, system_log_level=None)
        return merged


@dataclass(frozen=True, slots=True)
class RuntimeManagementConfig:
    """How a version's runtime is updated (PutRuntimeManagementConfig): ``Auto``,
    ``FunctionUpdate``, or ``Manual`` with the runtime version it stays on."""

    update_runtime_on: str = "Auto"
    runtime_version_arn: str | None = None


def _either(given: str | None, current: str | None) -> str | None:
    return current if given is None else given


@dataclass(frozen=True, slots=True)
class FunctionVersion:
    account_id: str
    region: str
    name: str
    version: str  # "$LATEST" or "1", "2", ...
    runtime: str
    role: str
    handler: str
    code: Code
    description: str = ""
    timeout: int = 3
    memory_size: int = 128
    environment: Mapping[str, str] = field(default_factory=dict)
    last_modified: str = field(default_factory=now_timestamp)
    revision_id: str = ""
    state: str = "Pending"
    state_reason: str = "The function is being created."
    state_reason_code: str = "Creating"
    last_update_status: str = "Successful"
    package_type: str = "Zip"
    architectures: tuple[str, ...] = ("x86_64",)
    logging_config: LoggingConfig = LoggingConfig()
    layers: tuple[FunctionLayer, ...] | None = None  # None: never set
    ephemeral_storage: int = 512  # MB of /tmp (EphemeralStorage.Size)
    runtime_management: RuntimeManagementConfig = RuntimeManagementConfig()
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return function_arn(self.region, self.account_id, self.name)

    @property
    def qualified_arn(self) -> str:
        return function_arn(self.region, self.account_id, self.name, self.version)

    @property
    def log_group(self) -> str:
        return self.logging_config.log_group or f"/aws/lambda/{self.name}"

    @property
    def dead_letter_arn(self) -> str | None:
        """DeadLetterConfig's TargetArn, when one is set."""
        config = self.extra.get("DeadLetterConfig") or {}
        target = config.get("TargetArn") if isinstance(config, Mapping) else None
        return str(target) if target else None

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> FunctionVersion:
        values = dict(record)
        values["code"] = Code(**values["code"])
        extra = dict(values.get("extra") or {})
        _lift_extra(values, extra)
        values["extra"] = extra
        if "architectures" in values:
            values["architectures"] = tuple(values["architectures"])
        if isinstance(values.get("logging_config"), Mapping):
            values["logging_config"] = LoggingConfig(**values["logging_config"])
        if values.get("layers") is not None:
            values["layers"] = tuple(FunctionLayer.from_record(x) for x in values["layers"])
        if isinstance(values.get("runtime_management"), Mapping):
            values["runtime_management"] = RuntimeManagementConfig(**values["runtime_management"])
        return cls(**values)


def _lift_extra(values: dict[str, Any], extra: dict[str, Any]) -> None:
    """Records written before Architectures, LoggingConfig, Layers and EphemeralStorage had
    fields of their own kept them in ``extra``, in the API's shapes."""
    if "Architectures" in extra:
        values["architectures"] = extra.pop("Architectures")
    if "LoggingConfig" in extra:
        given = extra.pop("LoggingConfig") or {}
        values["logging_config"] = LoggingConfig(
            given.get("LogFormat"),
            given.get("ApplicationLogLevel"),
            given.get("SystemLogLevel"),
            given.get("LogGroup"),
        )
    if "Layers" in extra:
        values["layers"] = [layer["Arn"] for layer in extra.pop("Layers") or ()]
    if "EphemeralStorage" in extra:
        values["ephemeral_storage"] = int((extra.pop("EphemeralStorage") or {}).get("Size", 512))


@dataclass(frozen=True, slots=True)
class Alias:
    account_id: str
    region: str
    function_name: str
    name: str
    function_version: str
    description: str = ""
    routing_weights: Mapping[str, float] = field(default_factory=dict)
    revision_id: str = ""

    @property
    def arn(self) -> str:
        return function_arn(self.region, self.account_id, self.function_name, self.name)

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Alias:
        return cls(**record)


@dataclass(frozen=True, slots=True)
class FunctionSettings:
    """Function-level (not per-version) settings."""

    tags: Mapping[str, str] = field(default_factory=dict)
    reserved_concurrency: int | None = None
    recursive_loop: str = "Terminate"  # PutFunctionRecursionConfig: Allow | Terminate
    code_signing_config_arn: str | None = None  # PutFunctionCodeSigningConfig

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> FunctionSettings:
        return cls(**record)


@dataclass(frozen=True, slots=True)
class LayerVersion:
    """One published version of a layer (``PublishLayerVersion``), its package and its
    resource-based policy (``AddLayerVersionPermission``: statements in IAM's policy
    language, and the policy's RevisionId)."""

    account_id: str
    region: str
    name: str
    version: int
    code: Code
    created_date: str
    description: str = ""
    compatible_runtimes: tuple[str, ...] = ()
    compatible_architectures: tuple[str, ...] = ()
    license_info: str | None = None
    statements: tuple[Mapping[str, Any], ...] = ()
    policy_revision_id: str = ""

    @property
    def layer_arn(self) -> str:
        return layer_arn(self.region, self.account_id, self.name)

    @property
    def arn(self) -> str:
        return f"{self.layer_arn}:{self.version}"

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> LayerVersion:
        values = dict(record)
        values["code"] = Code(**values["code"])
        for member in ("compatible_runtimes", "compatible_architectures", "statements"):
            values[member] = tuple(values.get(member) or ())
        return cls(**values)


def layer_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:lambda:{region}:{account_id}:layer:{name}"


@dataclass(frozen=True, slots=True)
class LayerVersionPolicy:
    """GetLayerVersionPolicy's answer (and AddLayerVersionPermission's, with one statement)."""

    statements: tuple[Mapping[str, Any], ...]
    revision_id: str


@dataclass(frozen=True, slots=True)
class LayerSummary:
    """ListLayers' item: a layer and its newest version matching the filters."""

    name: str
    layer_arn: str
    latest: LayerVersion


@dataclass(frozen=True, slots=True)
class ProvisionedSetting:
    """A version's or alias's provisioned concurrency as configured."""

    requested: int
    last_modified: str = field(default_factory=now_timestamp)

    def to_record(self) -> dict[str, Any]:
        return asdict(self)


# -- what the operations answer ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FunctionConfiguration:
    """A version's configuration as an answer reports it."""

    record: FunctionVersion
    function_arn: str  # as referenced: unqualified, :$LATEST, :version or the alias's
    version: str  # the version's own, or the one CreateFunction's Publish=True published
    creating: bool = False  # CreateFunction's answer: no LastUpdateStatus yet

    @classmethod
    def of(cls, record: FunctionVersion, function_arn: str | None = None) -> FunctionConfiguration:
        """``$LATEST`` by its unqualified ARN, a version by its qualified one, unless the
        answer names the ARN as it was referenced."""
        own = record.arn if record.version == LATEST else record.qualified_arn
        return cls(record, function_arn or own, record.version)


@dataclass(frozen=True, slots=True)
class FunctionDetails:
    """GetFunction's answer."""

    configuration: FunctionConfiguration
    code: Code
    tags: Mapping[str, str]
    reserved_concurrency: int | None


@dataclass(frozen=True, slots=True)
class Concurrency:
    reserved_concurrent_executions: int | None


@dataclass(frozen=True, slots=True)
class AccountLimit:
    total_code_size: int
    code_size_unzipped: int
    code_size_zipped: int
    concurrent_executions: int
    unreserved_concurrent_executions: int


@dataclass(frozen=True, slots=True)
class AccountUsage:
    total_code_size: int
    function_count: int


@dataclass(frozen=True, slots=True)
class AccountSettings:
    account_limit: AccountLimit
    account_usage: AccountUsage


@dataclass(frozen=True, slots=True)
class PolicyStatement:
    """One statement of a function's resource-based policy, as AddPermission writes it."""

    sid: str
    principal: str | Mapping[str, str]  # "*", {"AWS": arn} or {"Service": principal}
    action: str
    resource: str
    condition: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    effect: str = "Allow"

    def document(self) -> dict[str, Any]:
        """The statement in IAM's policy language (what the store keeps and the invoker
        evaluates)."""
        statement: dict[str, Any] = {
            "Sid": self.sid,
            "Effect": self.effect,
            "Principal": self.principal,
            "Action": self.action,
            "Resource": self.resource,
        }
        if self.condition:
            statement["Condition"] = {k: dict(v) for k, v in self.condition.items()}
        return statement


def policy_document(statements: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A resource-based policy in IAM's policy language."""
    return {"Version": "2012-10-17", "Id": "default", "Statement": list(statements)}


@dataclass(frozen=True, slots=True)
class FunctionPolicy:
    """GetPolicy's answer: the statements of IAM's policy document, and the RevisionId of
    the policy's resource."""

    statements: tuple[Mapping[str, Any], ...]
    revision_id: str


@dataclass(frozen=True, slots=True)
class FunctionEventInvokeConfig:
    """How asynchronous invocations of a function, version or alias are handled, as set
    (None: not set; the invoker's defaults apply)."""

    function_arn: str
    last_modified: float
    maximum_retry_attempts: int | None = None
    maximum_event_age_in_seconds: int | None = None
    on_success: str | None = None
    on_failure: str | None = None


@dataclass(frozen=True, slots=True)
class UrlCors:
    """A function URL's CORS settings (the API's ``Cors``); a member not set is None."""

    allow_credentials: bool | None = None
    allow_headers: tuple[str, ...] | None = None
    allow_methods: tuple[str, ...] | None = None
    allow_origins: tuple[str, ...] | None = None
    expose_headers: tuple[str, ...] | None = None
    max_age: int | None = None


@dataclass(frozen=True, slots=True)
class FunctionUrlConfig:
    """A function URL (``CreateFunctionUrlConfig``) on ``$LATEST`` or an alias: ``url_id``
    is the host's first label (``{url_id}.lambda-url.{region}.localhost``)."""

    url_id: str
    account_id: str
    region: str
    function_name: str
    qualifier: str  # $LATEST or an alias
    auth_type: str  # NONE | AWS_IAM
    invoke_mode: str  # BUFFERED | RESPONSE_STREAM
    cors: UrlCors | None
    creation_time: str
    last_modified_time: str

    @property
    def function_arn(self) -> str:
        """As the API answers it: qualified by the alias, unqualified for $LATEST."""
        arn = f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function_name}"
        return arn if self.qualifier == "$LATEST" else f"{arn}:{self.qualifier}"


@dataclass(frozen=True, slots=True)
class RuntimeManagement:
    """Get/PutRuntimeManagementConfig's answer."""

    function_arn: str
    config: RuntimeManagementConfig


@dataclass(frozen=True, slots=True)
class CodeSigningConfig:
    """A code signing configuration (CreateCodeSigningConfig): which signing profile versions
    may sign a function's code, and what a deployment that fails the check does."""

    account_id: str
    region: str
    config_id: str  # csc- and 17 characters
    signing_profile_version_arns: tuple[str, ...]
    untrusted_artifact_on_deployment: str = "Warn"  # Warn | Enforce
    description: str = ""
    last_modified: str = field(default_factory=now_timestamp)
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return (
            f"arn:aws:lambda:{self.region}:{self.account_id}:code-signing-config:{self.config_id}"
        )

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> CodeSigningConfig:
        values = dict(record)
        values["signing_profile_version_arns"] = tuple(values["signing_profile_version_arns"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class FunctionCodeSigning:
    """Get/PutFunctionCodeSigningConfig's answer."""

    function_name: str
    code_signing_config_arn: str


@dataclass(frozen=True, slots=True)
class ProvisionedConcurrencyConfig:
    """A version's or alias's provisioned concurrency as configured and as allocated now."""

    function_arn: str  # qualified
    requested: int
    allocated: int
    available: int
    status: str  # IN_PROGRESS | READY | FAILED
    last_modified: str
    status_reason: str | None = None
