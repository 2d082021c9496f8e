"""Put/Get/Delete/ListProvisionedConcurrencyConfig(s): initialized environments kept ready for
a version or an alias (https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html).

The settings are the registry's (``FunctionEntry.provisioned``, ``provisioned_concurrency``
documents); the environments are the runtime pool's, asked for through :class:`Provisioner`.
A config is ``IN_PROGRESS`` until the pool has that many environments initialized, then
``READY`` (with Allocated = Available = Requested), or ``FAILED`` with AWS's
``StatusReason`` (``FUNCTION_ERROR_INIT_FAILURE``) when an environment's init failed.
Provisioned concurrency counts as AWS counts it: a function's provisioned concurrency (every
version and alias together) fits in
its reserved concurrency when it has one, else it comes out of the account's unreserved
concurrency, of which 100 stay unreserved. At start every config is provisioned again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from lambdaport.errors import AwsError, invalid_parameter, resource_conflict
from lambdaport.lambda_.commands import (
    DeleteProvisionedConcurrencyConfig,
    GetProvisionedConcurrencyConfig,
    ListProvisionedConcurrencyConfigs,
    PutProvisionedConcurrencyConfig,
)
from lambdaport.lambda_.models import (
    FunctionVersion,
    ProvisionedConcurrencyConfig,
    ProvisionedSetting,
)
from lambdaport.lambda_.names import LATEST, FunctionRef, function_arn
from lambdaport.lambda_.paging import Page, paginate
from lambdaport.lambda_.registry import FunctionEntry, FunctionRegistry, not_found
from lambdaport.runtime.spec import FunctionSpec

MIN_UNRESERVED = 100


class Provisioner(Protocol):
    """The runtime pool's side (``runtime.pool.RuntimePool``)."""

    def provision(self, key: str, spec: FunctionSpec, count: int) -> None:
        """Keep ``count`` initialized environments of ``spec`` for ``key``."""
        ...

    def deprovision(self, key: str) -> None:
        """Keep none for ``key`` any more."""
        ...

    def provisioned(self, key: str) -> int:
        """How many of ``key``'s environments are initialized now."""
        ...

    def provisioned_failure(self, key: str) -> str | None:
        """Why ``key``'s environments cannot be initialised, if they cannot."""
        ...


def config_not_found() -> AwsError:
    return AwsError(
        "ProvisionedConcurrencyConfigNotFoundException",
        "No Provisioned Concurrency Config found for this function",
        404,
        fields={"Type": "User"},
    )


def _qualifier(ref: FunctionRef) -> str:
    qualifier = ref.qualifier or LATEST
    if qualifier == LATEST:
        raise invalid_parameter(
            "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
        )
    return qualifier


class ProvisionedConcurrencyService:
    def __init__(
        self,
        registry: FunctionRegistry,
        provisioner: Provisioner,
        spec_of: Callable[[FunctionVersion], FunctionSpec],
        account_limit: int,
    ) -> None:
        self._registry = registry
        self._provisioner = provisioner
        self._spec_of = spec_of
        self.account_limit = account_limit

    # -- the pool ---------------------------------------------------------------------------

    @staticmethod
    def key(entry: FunctionEntry, qualifier: str) -> str:
        """The provisioned environments' key: the version's or alias's ARN."""
        latest = entry.latest
        return function_arn(latest.region, latest.account_id, latest.name, qualifier)

    def _version(self, entry: FunctionEntry, qualifier: str) -> FunctionVersion:
        if qualifier.isdigit():
            return entry.versions[qualifier]
        return entry.versions[entry.aliases[qualifier].function_version]

    def _provision(self, entry: FunctionEntry, qualifier: str, count: int) -> None:
        spec = self._spec_of(self._version(entry, qualifier))
        self._provisioner.provision(self.key(entry, qualifier), spec, count)

    def start(self) -> None:
        """Provision every config again (at start: the environments died with the server)."""
        for entry in self._registry.all_functions():
            for qualifier, setting in entry.provisioned.items():
                self._provision(entry, qualifier, setting.requested)

    def _answer(self, entry: FunctionEntry, qualifier: str) -> ProvisionedConcurrencyConfig:
        setting = entry.provisioned[qualifier]
        # The alias may point elsewhere now: the pool follows (an idempotent request).
        self._provision(entry, qualifier, setting.requested)
        key = self.key(entry, qualifier)
        ready = min(self._provisioner.provisioned(key), setting.requested)
        failure = self._provisioner.provisioned_failure(key)
        status = "READY" if ready >= setting.requested else "IN_PROGRESS"
        return ProvisionedConcurrencyConfig(
            function_arn=key,
            requested=setting.requested,
            allocated=0 if failure else ready,
            available=0 if failure else ready,
            status="FAILED" if failure else status,
            last_modified=setting.last_modified,
            status_reason=failure,
        )

    # -- checks -------------------------------------------------------------------------------

    def _target(self, entry: FunctionEntry, ref: FunctionRef, qualifier: str) -> None:
        """The version or alias exists, and it and its versions are not provisioned twice."""
        if qualifier.isdigit():
            if qualifier not in entry.versions:
                raise not_found(ref, qualifier)
            aliased = [
                name
                for name, alias in entry.aliases.items()
                if alias.function_version == qualifier and name in entry.provisioned
            ]
            if aliased:
                raise resource_conflict("Version is pointed by a Provisioned Concurrency alias")
            return
        alias = entry.aliases.get(qualifier)
        if alias is None:
            raise not_found(ref, qualifier)
        if alias.function_version == LATEST:
            raise invalid_parameter(
                "Provisioned Concurrency Configs cannot be applied to unpublished function "
                "versions."
            )
        if alias.function_version in entry.provisioned:
            raise resource_conflict(
                "Alias can't be used for Provisioned Concurrency configuration on an already "
                "Provisioned version"
            )

    def _check_limits(self, entry: FunctionEntry, qualifier: str, requested: int) -> None:
        others = entry.provisioned_total - (
            entry.provisioned[qualifier].requested if qualifier in entry.provisioned else 0
        )
        reserved = entry.settings.reserved_concurrency
        if reserved is not None:
            if others + requested > reserved:
                raise invalid_parameter(
                    "Requested Provisioned Concurrency should not be greater than the "
                    "reservedConcurrentExecution for function"
                )
            return
        account = (entry.latest.account_id, entry.latest.region)
        unreserved = (
            self.account_limit
            - self._registry.reserved_total(*account)
            - (self._registry.provisioned_unreserved_total(*account) - others)
            - (entry.provisioned[qualifier].requested if qualifier in entry.provisioned else 0)
        )
        if requested > unreserved - MIN_UNRESERVED:
            raise invalid_parameter(
                "Specified ConcurrentExecutions for function is greater than account's "
                f"unreserved concurrency [{unreserved}]."
            )

    # -- operations ---------------------------------------------------------------------------

    async def put_provisioned_concurrency_config(
        self, command: PutProvisionedConcurrencyConfig
    ) -> ProvisionedConcurrencyConfig:
        ref = command.function
        qualifier = _qualifier(ref)
        entry = self._registry.entry(ref)
        self._target(entry, ref, qualifier)
        requested = command.provisioned_concurrent_executions
        self._check_limits(entry, qualifier, requested)
        await self._registry.save_provisioned(entry, qualifier, ProvisionedSetting(requested))
        self._provision(entry, qualifier, requested)
        return self._answer(entry, qualifier)

    def _existing(self, ref: FunctionRef) -> tuple[FunctionEntry, str]:
        qualifier = _qualifier(ref)
        entry = self._registry.entry(ref)
        if qualifier not in entry.provisioned:
            if qualifier not in entry.versions and qualifier not in entry.aliases:
                raise not_found(ref, qualifier)
            raise config_not_found()
        return entry, qualifier

    def get_provisioned_concurrency_config(
        self, command: GetProvisionedConcurrencyConfig
    ) -> ProvisionedConcurrencyConfig:
        return self._answer(*self._existing(command.function))

    async def delete_provisioned_concurrency_config(
        self, command: DeleteProvisionedConcurrencyConfig
    ) -> None:
        entry, qualifier = self._existing(command.function)
        await self._registry.save_provisioned(entry, qualifier, None)
        self._provisioner.deprovision(self.key(entry, qualifier))

    def list_provisioned_concurrency_configs(
        self, command: ListProvisionedConcurrencyConfigs
    ) -> Page[ProvisionedConcurrencyConfig]:
        entry = self._registry.entry(command.function)
        configs = [self._answer(entry, qualifier) for qualifier in sorted(entry.provisioned)]
        return paginate(configs, command.paging)
