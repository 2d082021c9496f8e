"""Reserved concurrency (Put/Get/DeleteFunctionConcurrency), tags and GetAccountSettings."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from lambdaport.errors import invalid_parameter, resource_not_found
from lambdaport.lambda_.functions import ref_of
from lambdaport.lambda_.names import LATEST, parse_function_ref
from lambdaport.lambda_.registry import FunctionEntry, FunctionRegistry, not_found
from lambdaport.lambda_.validation import check_tag_count
from lambdaport.request import RequestContext

MIN_UNRESERVED = 100
_FUNCTION_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:")


class AccountService:
    def __init__(self, registry: FunctionRegistry, account_limit: int) -> None:
        self._registry = registry
        self.account_limit = account_limit

    # -- concurrency --------------------------------------------------------------------

    def _function(
        self, ctx: RequestContext, params: Mapping[str, Any], missing: str | None = None
    ) -> FunctionEntry:
        """Reserved concurrency is function-level: a qualified name is refused. ``missing``
        is the qualifier a 404 names (PutFunctionConcurrency's says ``$LATEST``)."""
        ref = ref_of(ctx, params)
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

    def put_function_concurrency(
        self, ctx: RequestContext, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        entry = self._function(ctx, params, missing=LATEST)
        reserved = int(params["ReservedConcurrentExecutions"])
        others = self._registry.reserved_total(entry.latest.account_id, entry.latest.region) - (
            entry.settings.reserved_concurrency or 0
        )
        if others + reserved > self.account_limit - MIN_UNRESERVED:
            raise invalid_parameter(
                "Specified ReservedConcurrentExecutions for function decreases account's "
                f"UnreservedConcurrentExecution below its minimum value of [{MIN_UNRESERVED}]."
            )
        self._registry.set_settings(entry, replace(entry.settings, reserved_concurrency=reserved))
        return {"ReservedConcurrentExecutions": reserved}

    def get_function_concurrency(
        self, ctx: RequestContext, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        entry = self._function(ctx, params)
        reserved = entry.settings.reserved_concurrency
        return {} if reserved is None else {"ReservedConcurrentExecutions": reserved}

    def delete_function_concurrency(
        self, ctx: RequestContext, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        entry = self._function(ctx, params)
        self._registry.set_settings(entry, replace(entry.settings, reserved_concurrency=None))
        return {}

    def get_account_settings(
        self, ctx: RequestContext, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        entries = list(self._registry.functions(ctx.account_id, ctx.region))
        reserved = self._registry.reserved_total(ctx.account_id, ctx.region)
        return {
            "AccountLimit": {
                "TotalCodeSize": 80530636800,
                "CodeSizeUnzipped": 262144000,
                "CodeSizeZipped": 52428800,
                "ConcurrentExecutions": self.account_limit,
                "UnreservedConcurrentExecutions": self.account_limit - reserved,
            },
            "AccountUsage": {
                "TotalCodeSize": sum(e.latest.code.size for e in entries)
                + sum(v.code.size for e in entries for v in e.versions.values()),
                "FunctionCount": len(entries),
            },
        }

    # -- tags ---------------------------------------------------------------------------

    def _tagged(self, ctx: RequestContext, params: Mapping[str, Any]) -> FunctionEntry:
        resource = str(params["Resource"])
        if not _FUNCTION_ARN.match(resource):
            raise invalid_parameter(f"Resource {resource} is not a valid function ARN.")
        ref = parse_function_ref(resource, ctx.account_id, ctx.region)
        if ref.qualifier is not None:
            raise invalid_parameter(
                "Tags on function aliases and versions are not supported. Please specify a "
                "function ARN."
            )
        entry = self._registry.find(ref)
        if entry is None:
            raise resource_not_found(f"Function not found: {resource}")
        return entry

    def tag_resource(self, ctx: RequestContext, params: Mapping[str, Any]) -> dict[str, Any]:
        given = dict(params["Tags"])
        if not given:
            raise invalid_parameter("An error occurred and the request cannot be processed.")
        entry = self._tagged(ctx, params)
        tags = {**entry.settings.tags, **given}
        check_tag_count(len(tags))
        self._registry.set_settings(entry, replace(entry.settings, tags=tags))
        return {}

    def untag_resource(self, ctx: RequestContext, params: Mapping[str, Any]) -> dict[str, Any]:
        entry = self._tagged(ctx, params)
        removed = set(params["TagKeys"])
        tags = {k: v for k, v in entry.settings.tags.items() if k not in removed}
        self._registry.set_settings(entry, replace(entry.settings, tags=tags))
        return {}

    def list_tags(self, ctx: RequestContext, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"Tags": dict(self._tagged(ctx, params).settings.tags)}
