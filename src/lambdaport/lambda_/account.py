"""Reserved concurrency (Put/Get/DeleteFunctionConcurrency), tags and GetAccountSettings."""

from __future__ import annotations

import re
from dataclasses import replace

from lambdaport.errors import invalid_parameter, resource_not_found
from lambdaport.lambda_.commands import (
    DeleteFunctionConcurrency,
    GetAccountSettings,
    GetFunctionConcurrency,
    ListTags,
    PutFunctionConcurrency,
    TagResource,
    UntagResource,
)
from lambdaport.lambda_.models import AccountLimit, AccountSettings, AccountUsage, Concurrency
from lambdaport.lambda_.names import LATEST, FunctionRef, parse_function_arn
from lambdaport.lambda_.registry import FunctionEntry, FunctionRegistry, not_found
from lambdaport.lambda_.validation import check_tag_count

MIN_UNRESERVED = 100
_FUNCTION_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:")


class AccountService:
    def __init__(self, registry: FunctionRegistry, account_limit: int) -> None:
        self._registry = registry
        self.account_limit = account_limit

    # -- concurrency --------------------------------------------------------------------

    def _function(self, ref: FunctionRef, missing: str | None = None) -> FunctionEntry:
        """Reserved concurrency is function-level: a qualified name is refused. ``missing``
        is the qualifier a 404 names (PutFunctionConcurrency's says ``$LATEST``)."""
        if ref.qualifier is not None:
            raise invalid_parameter(
                "This operation is permitted on Lambda functions only. Aliases and versions do "
                "not support this operation. Please specify either a function name or an "
                "unqualified function ARN."
            )
        entry = self._registry.find(ref)
        if entry is None:
            raise not_found(ref, missing)
        return entry

    async def put_function_concurrency(self, command: PutFunctionConcurrency) -> Concurrency:
        entry = self._function(command.function, missing=LATEST)
        reserved = command.reserved_concurrent_executions
        account = (entry.latest.account_id, entry.latest.region)
        others = self._registry.reserved_total(*account) - (
            entry.settings.reserved_concurrency or 0
        )
        # Provisioned concurrency of the unreserved functions (this one's moves in).
        provisioned = self._registry.provisioned_unreserved_total(*account)
        if entry.settings.reserved_concurrency is None:
            provisioned -= entry.provisioned_total
        if reserved < entry.provisioned_total:
            raise invalid_parameter(
                f"Specified ReservedConcurrentExecutions for function is less than the "
                f"function's provisioned concurrency [{entry.provisioned_total}]."
            )
        if others + provisioned + reserved > self.account_limit - MIN_UNRESERVED:
            raise invalid_parameter(
                "Specified ReservedConcurrentExecutions for function decreases account's "
                f"UnreservedConcurrentExecution below its minimum value of [{MIN_UNRESERVED}]."
            )
        await self._registry.set_settings(
            entry, replace(entry.settings, reserved_concurrency=reserved)
        )
        return Concurrency(reserved)

    def get_function_concurrency(self, command: GetFunctionConcurrency) -> Concurrency:
        entry = self._function(command.function)
        return Concurrency(entry.settings.reserved_concurrency)

    async def delete_function_concurrency(self, command: DeleteFunctionConcurrency) -> None:
        entry = self._function(command.function)
        await self._registry.set_settings(entry, replace(entry.settings, reserved_concurrency=None))

    def get_account_settings(self, command: GetAccountSettings) -> AccountSettings:
        entries = list(self._registry.functions(command.account_id, command.region))
        reserved = self._registry.reserved_total(command.account_id, command.region)
        reserved += self._registry.provisioned_unreserved_total(command.account_id, command.region)
        return AccountSettings(
            AccountLimit(
                total_code_size=80530636800,
                code_size_unzipped=262144000,
                code_size_zipped=52428800,
                concurrent_executions=self.account_limit,
                unreserved_concurrent_executions=self.account_limit - reserved,
            ),
            AccountUsage(
                total_code_size=sum(e.latest.code.size for e in entries)
                + sum(v.code.size for e in entries for v in e.versions.values()),
                function_count=len(entries),
            ),
        )

    # -- tags ---------------------------------------------------------------------------

    def _tagged(self, resource: str) -> FunctionEntry:
        if not _FUNCTION_ARN.match(resource):
            raise invalid_parameter(f"Resource {resource} is not a valid function ARN.")
        ref = parse_function_arn(resource)
        if ref.qualifier is not None:
            raise invalid_parameter(
                "Tags on function aliases and versions are not supported. Please specify a "
                "function ARN."
            )
        entry = self._registry.find(ref)
        if entry is None:
            raise resource_not_found(f"Function not found: {resource}")
        return entry

    async def tag_resource(self, command: TagResource) -> None:
        if not command.tags:
            raise invalid_parameter("An error occurred and the request cannot be processed.")
        entry = self._tagged(command.resource)
        tags = {**entry.settings.tags, **command.tags}
        check_tag_count(len(tags))
        await self._registry.set_settings(entry, replace(entry.settings, tags=tags))

    async def untag_resource(self, command: UntagResource) -> None:
        entry = self._tagged(command.resource)
        removed = set(command.tag_keys)
        tags = {k: v for k, v in entry.settings.tags.items() if k not in removed}
        await self._registry.set_settings(entry, replace(entry.settings, tags=tags))

    def list_tags(self, command: ListTags) -> dict[str, str]:
        return dict(self._tagged(command.resource).settings.tags)
