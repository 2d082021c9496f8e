"""The Lambda API's operations: thin handlers over the control plane and the invoker.

Every handler takes the request context and the parameters the protocol parsed (keys as in
botocore's model) and returns the output shape's members.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from lambdaport.errors import AwsError
from lambdaport.invoke import Invoker, InvokeRequest
from lambdaport.lambda_.access import FunctionAccess
from lambdaport.lambda_.account import AccountService
from lambdaport.lambda_.event_invoke_config import EventInvokeConfigService
from lambdaport.lambda_.functions import FunctionService
from lambdaport.lambda_.policy import PolicyService
from lambdaport.lambda_.versions import VersionService
from lambdaport.request import RequestContext

Result = dict[str, Any]
INVOKE_ASYNC_LIMIT = 256 * 1024
Handler = Callable[[RequestContext, Mapping[str, Any]], Result | Awaitable[Result]]


def not_implemented(operation: str) -> AwsError:
    return AwsError(
        "NotImplementedException",
        f"lambdaport does not implement the Lambda operation {operation} yet.",
        501,
        sender_fault=False,
        fields={"Type": "Service"},
    )


class LambdaApi:
    service_name = "lambda"

    def __init__(
        self,
        functions: FunctionService,
        versions: VersionService,
        policies: PolicyService,
        account: AccountService,
        invoker: Invoker,
        event_invoke_configs: EventInvokeConfigService,
        access: FunctionAccess,
    ) -> None:
        self._invoker = invoker
        self._access = access
        self.handlers: dict[str, Handler] = {
            "CreateFunction": functions.create_function,
            "GetFunction": functions.get_function,
            "GetFunctionConfiguration": functions.get_function_configuration,
            "UpdateFunctionCode": functions.update_function_code,
            "UpdateFunctionConfiguration": functions.update_function_configuration,
            "DeleteFunction": functions.delete_function,
            "ListFunctions": functions.list_functions,
            "PublishVersion": versions.publish_version,
            "ListVersionsByFunction": versions.list_versions_by_function,
            "CreateAlias": versions.create_alias,
            "GetAlias": versions.get_alias,
            "UpdateAlias": versions.update_alias,
            "DeleteAlias": versions.delete_alias,
            "ListAliases": versions.list_aliases,
            "AddPermission": policies.add_permission,
            "RemovePermission": policies.remove_permission,
            "GetPolicy": policies.get_policy,
            "PutFunctionConcurrency": account.put_function_concurrency,
            "GetFunctionConcurrency": account.get_function_concurrency,
            "DeleteFunctionConcurrency": account.delete_function_concurrency,
            "GetAccountSettings": account.get_account_settings,
            "TagResource": account.tag_resource,
            "UntagResource": account.untag_resource,
            "ListTags": account.list_tags,
            "Invoke": self.invoke,
            "InvokeAsync": self.invoke_async,
        }
        configs = event_invoke_configs
        self.handlers["PutFunctionEventInvokeConfig"] = configs.put_function_event_invoke_config
        self.handlers["UpdateFunctionEventInvokeConfig"] = (
            configs.update_function_event_invoke_config
        )
        self.handlers["GetFunctionEventInvokeConfig"] = configs.get_function_event_invoke_config
        self.handlers["DeleteFunctionEventInvokeConfig"] = (
            configs.delete_function_event_invoke_config
        )
        self.handlers["ListFunctionEventInvokeConfigs"] = configs.list_function_event_invoke_configs

    async def dispatch(
        self, ctx: RequestContext, operation: str, params: Mapping[str, Any]
    ) -> Result:
        handler = self.handlers.get(operation)
        if handler is None:
            raise not_implemented(operation)
        self._access.check(ctx, operation, params)
        result = handler(ctx, params)
        if inspect.isawaitable(result):
            return await result
        return result

    async def invoke(self, ctx: RequestContext, params: Mapping[str, Any]) -> Result:
        response = await self._invoker.invoke(
            InvokeRequest(
                account_id=ctx.account_id,
                region=ctx.region,
                function_name=str(params["FunctionName"]),
                qualifier=params.get("Qualifier"),
                payload=bytes(params.get("Payload") or b""),
                invocation_type=params.get("InvocationType") or "RequestResponse",
                log_type=params.get("LogType") or "None",
                client_context=params.get("ClientContext"),
                request_id=ctx.request_id,
            )
        )
        result: Result = {"StatusCode": response.status_code}
        if response.status_code == 200:  # Event (202) and DryRun (204) name no version
            result["ExecutedVersion"] = response.executed_version
            result["Payload"] = response.payload
        if response.function_error is not None:
            result["FunctionError"] = response.function_error
        if response.log_result is not None:
            result["LogResult"] = response.log_result
        return result

    async def invoke_async(self, ctx: RequestContext, params: Mapping[str, Any]) -> Result:
        args = bytes(params.get("InvokeArgs") or b"")
        if len(args) > INVOKE_ASYNC_LIMIT:
            raise AwsError(
                "RequestTooLargeException",
                f"Request must be smaller than {INVOKE_ASYNC_LIMIT} bytes for the InvokeAsync "
                "operation",
                413,
                fields={"Type": "User"},
            )
        await self._invoker.invoke(
            InvokeRequest(
                account_id=ctx.account_id,
                region=ctx.region,
                function_name=str(params["FunctionName"]),
                payload=args,
                invocation_type="Event",
                request_id=ctx.request_id,
            )
        )
        return {"Status": 202}
