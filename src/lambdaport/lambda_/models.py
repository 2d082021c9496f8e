"""The Lambda control plane's records: function versions and aliases.

A function is its ``$LATEST`` version plus function-level settings (tags, reserved
concurrency); published versions are frozen copies of ``$LATEST``'s configuration.
Configuration members the runtime does not act on (VpcConfig, Layers, KMSKeyArn, ...) are
kept verbatim in ``extra`` so GetFunctionConfiguration returns what was set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
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
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return function_arn(self.region, self.account_id, self.name)

    @property
    def qualified_arn(self) -> str:
        return function_arn(self.region, self.account_id, self.name, self.version)

    @property
    def log_group(self) -> str:
        logging_config = self.extra.get("LoggingConfig") or {}
        return str(logging_config.get("LogGroup") or f"/aws/lambda/{self.name}")

    def configuration(self) -> dict[str, Any]:
        """The FunctionConfiguration shape the Lambda API returns."""
        config: dict[str, Any] = {
            "FunctionName": self.name,
            "FunctionArn": self.arn if self.version == LATEST else self.qualified_arn,
            "Runtime": self.runtime,
            "Role": self.role,
            "Handler": self.handler,
            "CodeSize": self.code.size,
            "Description": self.description,
            "Timeout": self.timeout,
            "MemorySize": self.memory_size,
            "LastModified": self.last_modified,
            "CodeSha256": self.code.sha256,
            "Version": self.version,
            "TracingConfig": {"Mode": "PassThrough"},
            "RevisionId": self.revision_id,
            "State": self.state,
            "LastUpdateStatus": self.last_update_status,
            "PackageType": self.package_type,
            "Architectures": ["x86_64"],
            "EphemeralStorage": {"Size": 512},
            "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
            "LoggingConfig": self.logging_config(),
        }
        if self.environment:
            config["Environment"] = {"Variables": dict(self.environment)}
        if self.state != "Active":
            config["StateReason"] = self.state_reason
            config["StateReasonCode"] = self.state_reason_code
        if self.last_update_status == "InProgress":  # AWS's words for an update under way
            config["LastUpdateStatusReason"] = "The function is being created."
            config["LastUpdateStatusReasonCode"] = "Creating"
        config.update((k, v) for k, v in self.extra.items() if k != "LoggingConfig")
        return config

    def logging_config(self) -> dict[str, Any]:
        """LoggingConfig as AWS reports it: the log group always; JSON logs have levels."""
        given = self.extra.get("LoggingConfig") or {}
        log_format = str(given.get("LogFormat", "Text"))
        config: dict[str, Any] = {"LogFormat": log_format, "LogGroup": self.log_group}
        if log_format == "JSON":
            config["ApplicationLogLevel"] = given.get("ApplicationLogLevel", "INFO")
            config["SystemLogLevel"] = given.get("SystemLogLevel", "INFO")
        return config

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> FunctionVersion:
        values = dict(record)
        values["code"] = Code(**values["code"])
        return cls(**values)


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

    def configuration(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "AliasArn": self.arn,
            "Name": self.name,
            "FunctionVersion": self.function_version,
            "Description": self.description,
            "RevisionId": self.revision_id,
        }
        if self.routing_weights:
            config["RoutingConfig"] = {"AdditionalVersionWeights": dict(self.routing_weights)}
        return config

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

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> FunctionSettings:
        return cls(**record)
