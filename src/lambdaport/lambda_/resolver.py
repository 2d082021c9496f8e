"""The invoker's view of functions: a reference resolved to the version that will run."""

from __future__ import annotations

import random
from collections import OrderedDict
from typing import Protocol

from lambdaport.invoke.model import (
    DEFAULT_EVENT_INVOKE_CONFIG,
    EventInvokeConfig,
    ResolvedFunction,
)
from lambdaport.lambda_.code import CodeStore
from lambdaport.lambda_.models import FunctionVersion
from lambdaport.lambda_.names import LATEST, FunctionRef, parse_function_ref
from lambdaport.lambda_.registry import FunctionEntry, FunctionRegistry, not_found
from lambdaport.runtime.spec import FunctionSpec

# Parsed references kept per resolver (parsing is pure; the invoke path repeats the same few).
_REF_CACHE_SIZE = 4096
# Specs of versions recently invoked: one per (function, version, revision), so every update
# of a function would add one; the least recently used go past this many.
SPEC_CACHE_SIZE = 1024

RefKey = tuple[str, str, str, str | None]


class EventInvokeConfigLookup(Protocol):
    def __call__(
        self, account_id: str, region: str, name: str, qualifier: str
    ) -> EventInvokeConfig | None: ...


class Resolver:
    def __init__(
        self,
        registry: FunctionRegistry,
        code: CodeStore,
        event_invoke_configs: EventInvokeConfigLookup,
    ) -> None:
        self._registry = registry
        self._code = code
        self._event_invoke_configs = event_invoke_configs
        self._specs: OrderedDict[tuple[str, str, str], FunctionSpec] = OrderedDict()
        self._refs: dict[RefKey, tuple[FunctionRef, str]] = {}

    def spec(self, version: FunctionVersion) -> FunctionSpec:
        """The spec an environment of ``version`` runs (cached)."""
        return self._spec(version)

    def _spec(self, version: FunctionVersion) -> FunctionSpec:
        key = (version.arn, version.version, version.revision_id)
        specs = self._specs
        spec = specs.get(key)
        if spec is not None:
            specs.move_to_end(key)
        else:
            logs = version.logging_config
            spec = FunctionSpec(
                function_name=version.name,
                function_arn=version.arn,
                version=version.version,
                runtime=version.runtime,
                handler=version.handler,
                code_dir=str(self._code.code_dir(version.code)),
                revision_id=version.revision_id,
                memory_size=version.memory_size,
                timeout=version.timeout,
                region=version.region,
                account_id=version.account_id,
                log_group=version.log_group,
                environment=dict(version.environment),
                opt_dir=self._opt_dir(version),
                ephemeral_storage=version.ephemeral_storage,
                log_format=logs.log_format or "Text",
                application_log_level=logs.application_log_level or "INFO",
                system_log_level=logs.system_log_level or "INFO",
            )
            specs[key] = spec
            if len(specs) > SPEC_CACHE_SIZE:
                specs.popitem(last=False)
        return spec

    def _opt_dir(self, version: FunctionVersion) -> str | None:
        """The merged layers (made when the function was configured; again here if the
        data dir lost them)."""
        if not version.layers:
            return None
        return str(self._code.merged_layers([layer.code for layer in version.layers]))

    @staticmethod
    def _route(entry: FunctionEntry, alias_name: str) -> str:
        alias = entry.aliases[alias_name]
        for version, weight in alias.routing_weights.items():
            if random.random() < weight:
                return version
        return alias.function_version

    def _parse(
        self, account_id: str, region: str, function_name: str, qualifier: str | None
    ) -> tuple[FunctionRef, str]:
        """The parsed reference and its ARN as invoked, memoised (parsing is pure)."""
        key = (account_id, region, function_name, qualifier)
        found = self._refs.get(key)
        if found is None:
            ref = parse_function_ref(function_name, account_id, region, qualifier)
            if len(self._refs) >= _REF_CACHE_SIZE:
                self._refs.clear()
            found = self._refs[key] = (ref, ref.qualified_arn)
        return found

    def resolve(
        self, account_id: str, region: str, function_name: str, qualifier: str | None
    ) -> ResolvedFunction:
        ref, invoked_arn = self._parse(account_id, region, function_name, qualifier)
        name = ref.qualifier
        entry = self._registry.find(ref)
        if entry is None:
            raise not_found(ref, name or LATEST)  # AWS's Invoke names $LATEST
        if name is None or name == LATEST:
            version = entry.latest
        elif name in entry.aliases:
            version = self._registry.version(entry, ref, self._route(entry, name))
        else:
            version = self._registry.version(entry, ref, name)
        policy = entry.policy_for(name)
        provisioned = entry.provisioned.get(name) if name is not None else None
        return ResolvedFunction(
            spec=self._spec(version),
            invoked_arn=invoked_arn,
            state=entry.latest.state if version.version == LATEST else version.state,
            reserved_concurrency=entry.settings.reserved_concurrency,
            policy_statements=tuple(policy.statements) if policy else (),
            event_invoke_config=self._event_invoke_config(
                ref.account_id, ref.region, ref.name, name
            ),
            # DeadLetterConfig is function-level: versions follow $LATEST's
            # (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
            dead_letter_arn=entry.latest.dead_letter_arn,
            provisioned_key=None if provisioned is None else invoked_arn,
            provisioned_concurrency=0 if provisioned is None else provisioned.requested,
            provisioned_unreserved_total=self._registry.provisioned_unreserved_total(
                ref.account_id, ref.region
            ),
            recursive_loop=entry.settings.recursive_loop,
        )

    def _event_invoke_config(
        self, account_id: str, region: str, name: str, qualifier: str | None
    ) -> EventInvokeConfig:
        found = self._event_invoke_configs(account_id, region, name, qualifier or LATEST)
        return found or DEFAULT_EVENT_INVOKE_CONFIG

    def reserved_concurrency_total(self, account_id: str, region: str) -> int:
        return self._registry.reserved_total(account_id, region)
