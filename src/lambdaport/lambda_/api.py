"""The Lambda API's operations: thin handlers over the control plane and the invoker.

Every operation is three steps: ``requests`` reads the parameters the protocol parsed (keys
as in botocore's model) into a command, one domain call answers it with a typed record, and
``rendering`` turns that record into the output shape's members.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from lambdaport.errors import AwsError
from lambdaport.invoke import Invoker
from lambdaport.lambda_ import rendering, requests
from lambdaport.lambda_.access import FunctionAccess
from lambdaport.lambda_.account import AccountService
from lambdaport.lambda_.commands import GetFunction, ListTags, TagResource, UntagResource
from lambdaport.lambda_.event_invoke_config import EventInvokeConfigService
from lambdaport.lambda_.event_source_mappings import EventSourceMappingService, is_mapping_arn
from lambdaport.lambda_.function_urls import FunctionUrlService
from lambdaport.lambda_.functions import FunctionService
from lambdaport.lambda_.layers import LayerService
from lambdaport.lambda_.models import FunctionDetails, LayerVersion
from lambdaport.lambda_.policy import PolicyService
from lambdaport.lambda_.streaming import invoke_with_response_stream
from lambdaport.lambda_.versions import VersionService
from lambdaport.request import RequestContext

Result = dict[str, Any]
Params = Mapping[str, Any]
C = TypeVar("C")
R = TypeVar("R")


def not_implemented(operation: str) -> AwsError:
    return AwsError(
        "NotImplementedException",
        f"lambdaport does not implement the Lambda operation {operation} yet.",
        501,
        sender_fault=False,
        fields={"Type": "Service"},
    )


@dataclass(frozen=True, slots=True)
class Operation(Generic[C, R]):
    """Parse the request into a command, run it, render the record it answers."""

    parse: Callable[[RequestContext, Params], C]
    run: Callable[[C], R | Awaitable[R]]
    render: Callable[[R], Result]

    async def __call__(self, ctx: RequestContext, params: Params) -> Result:
        answer = self.run(self.parse(ctx, params))
        if inspect.isawaitable(answer):
            answer = await answer
        return self.render(answer)


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
        code_location: Callable[[str, str], str],
        layers: LayerService,
        function_urls: FunctionUrlService,
        mappings: EventSourceMappingService,
        more: Mapping[str, Operation[Any, Any]] | None = None,
    ) -> None:
        """``more``: further operations (``lambda_.setting_operations``), in the same table."""
        self._functions = functions
        self._layers = layers
        self._access = access
        self._code_location = code_location  # (endpoint, package name) -> presigned URL
        r, configs, urls = rendering, event_invoke_configs, function_urls

        # Tags: a function's (AccountService) or an event source mapping's, by the ARN.
        async def tag_resource(command: TagResource) -> None:
            if is_mapping_arn(command.resource):
                await mappings.tag_resource(command)
            else:
                await account.tag_resource(command)

        async def untag_resource(command: UntagResource) -> None:
            if is_mapping_arn(command.resource):
                await mappings.untag_resource(command)
            else:
                await account.untag_resource(command)

        def list_tags(command: ListTags) -> dict[str, str]:
            if is_mapping_arn(command.resource):
                return mappings.list_tags(command)
            return account.list_tags(command)

        operations: dict[str, Operation[Any, Any]] = {
            "CreateFunction": Operation(
                requests.create_function, functions.create_function, r.function_configuration
            ),
            "GetFunctionConfiguration": Operation(
                requests.get_function_configuration,
                functions.get_function_configuration,
                r.function_configuration,
            ),
            "UpdateFunctionCode": Operation(
                requests.update_function_code,
                functions.update_function_code,
                r.function_configuration,
            ),
            "UpdateFunctionConfiguration": Operation(
                requests.update_function_configuration,
                functions.update_function_configuration,
                r.function_configuration,
            ),
            "DeleteFunction": Operation(
                requests.delete_function, functions.delete_function, r.deleted_function
            ),
            "ListFunctions": Operation(
                requests.list_functions, functions.list_functions, r.functions
            ),
            "PublishVersion": Operation(
                requests.publish_version, versions.publish_version, r.function_configuration
            ),
            "ListVersionsByFunction": Operation(
                requests.list_versions_by_function, versions.list_versions_by_function, r.versions
            ),
            "CreateAlias": Operation(
                requests.create_alias, versions.create_alias, r.alias_configuration
            ),
            "GetAlias": Operation(requests.get_alias, versions.get_alias, r.alias_configuration),
            "UpdateAlias": Operation(
                requests.update_alias, versions.update_alias, r.alias_configuration
            ),
            "DeleteAlias": Operation(requests.delete_alias, versions.delete_alias, r.empty),
            "ListAliases": Operation(requests.list_aliases, versions.list_aliases, r.aliases),
            "AddPermission": Operation(
                requests.add_permission, policies.add_permission, r.added_permission
            ),
            "RemovePermission": Operation(
                requests.remove_permission, policies.remove_permission, r.empty
            ),
            "GetPolicy": Operation(requests.get_policy, policies.get_policy, r.policy),
            "PutFunctionConcurrency": Operation(
                requests.put_function_concurrency, account.put_function_concurrency, r.concurrency
            ),
            "GetFunctionConcurrency": Operation(
                requests.get_function_concurrency, account.get_function_concurrency, r.concurrency
            ),
            "DeleteFunctionConcurrency": Operation(
                requests.delete_function_concurrency, account.delete_function_concurrency, r.empty
            ),
            "GetAccountSettings": Operation(
                requests.get_account_settings, account.get_account_settings, r.account_settings
            ),
            "TagResource": Operation(requests.tag_resource, tag_resource, r.empty),
            "UntagResource": Operation(requests.untag_resource, untag_resource, r.empty),
            "ListTags": Operation(requests.list_tags, list_tags, r.tags),
            "CreateEventSourceMapping": Operation(
                requests.create_event_source_mapping,
                mappings.create_event_source_mapping,
                r.event_source_mapping,
            ),
            "GetEventSourceMapping": Operation(
                requests.get_event_source_mapping,
                mappings.get_event_source_mapping,
                r.event_source_mapping,
            ),
            "UpdateEventSourceMapping": Operation(
                requests.update_event_source_mapping,
                mappings.update_event_source_mapping,
                r.event_source_mapping,
            ),
            "DeleteEventSourceMapping": Operation(
                requests.delete_event_source_mapping,
                mappings.delete_event_source_mapping,
                r.event_source_mapping,
            ),
            "ListEventSourceMappings": Operation(
                requests.list_event_source_mappings,
                mappings.list_event_source_mappings,
                r.event_source_mappings,
            ),
            "PutFunctionEventInvokeConfig": Operation(
                requests.put_function_event_invoke_config,
                configs.put_function_event_invoke_config,
                r.event_invoke_config,
            ),
            "UpdateFunctionEventInvokeConfig": Operation(
                requests.update_function_event_invoke_config,
                configs.update_function_event_invoke_config,
                r.event_invoke_config,
            ),
            "GetFunctionEventInvokeConfig": Operation(
                requests.get_function_event_invoke_config,
                configs.get_function_event_invoke_config,
                r.event_invoke_config,
            ),
            "DeleteFunctionEventInvokeConfig": Operation(
                requests.delete_function_event_invoke_config,
                configs.delete_function_event_invoke_config,
                r.empty,
            ),
            "ListFunctionEventInvokeConfigs": Operation(
                requests.list_function_event_invoke_configs,
                configs.list_function_event_invoke_configs,
                r.event_invoke_configs,
            ),
            "DeleteLayerVersion": Operation(
                requests.delete_layer_version, layers.delete_layer_version, r.empty
            ),
            "ListLayerVersions": Operation(
                requests.list_layer_versions, layers.list_layer_versions, r.layer_versions
            ),
            "ListLayers": Operation(requests.list_layers, layers.list_layers, r.layers),
            "AddLayerVersionPermission": Operation(
                requests.add_layer_version_permission,
                layers.add_layer_version_permission,
                r.layer_permission,
            ),
            "RemoveLayerVersionPermission": Operation(
                requests.remove_layer_version_permission,
                layers.remove_layer_version_permission,
                r.empty,
            ),
            "GetLayerVersionPolicy": Operation(
                requests.get_layer_version_policy, layers.get_layer_version_policy, r.layer_policy
            ),
            "CreateFunctionUrlConfig": Operation(
                requests.create_function_url_config,
                urls.create_function_url_config,
                lambda config: r.function_url_config(config, urls.address(config), created=True),
            ),
            "UpdateFunctionUrlConfig": Operation(
                requests.update_function_url_config,
                urls.update_function_url_config,
                lambda config: r.function_url_config(config, urls.address(config)),
            ),
            "GetFunctionUrlConfig": Operation(
                requests.get_function_url_config,
                urls.get_function_url_config,
                lambda config: r.function_url_config(config, urls.address(config)),
            ),
            "DeleteFunctionUrlConfig": Operation(
                requests.delete_function_url_config, urls.delete_function_url_config, r.empty
            ),
            "ListFunctionUrlConfigs": Operation(
                requests.list_function_url_configs,
                urls.list_function_url_configs,
                lambda page: r.function_url_configs(page, urls.address),
            ),
            "Invoke": Operation(requests.invoke, invoker.invoke, r.invoked),
            "InvokeAsync": Operation(requests.invoke_async, invoker.invoke, r.invoked_async),
            **(more or {}),
        }
        self.handlers: dict[str, Callable[[RequestContext, Params], Awaitable[Result]]] = {
            name: operation for name, operation in operations.items()
        }
        self.handlers["GetFunction"] = self.get_function
        self.handlers["PublishLayerVersion"] = self.publish_layer_version
        self.handlers["GetLayerVersion"] = self.get_layer_version
        self.handlers["GetLayerVersionByArn"] = self.get_layer_version_by_arn
        self.handlers["InvokeWithResponseStream"] = self.invoke_with_response_stream
        self._invoker = invoker

    async def dispatch(self, ctx: RequestContext, operation: str, params: Params) -> Result:
        handler = self.handlers.get(operation)
        if handler is None:
            raise not_implemented(operation)
        self._access.check(ctx, operation, params)
        return await handler(ctx, params)

    async def invoke_with_response_stream(self, ctx: RequestContext, params: Params) -> Result:
        """Invoke's parameters; an event stream answer (``streaming``)."""
        return await invoke_with_response_stream(self._invoker, requests.invoke(ctx, params))

    async def get_function(self, ctx: RequestContext, params: Params) -> Result:
        """GetFunction's Code.Location is a presigned URL of this endpoint."""
        command: GetFunction = requests.get_function(ctx, params)
        details: FunctionDetails = self._functions.get_function(command)
        return rendering.get_function(
            details, lambda package: self._code_location(ctx.endpoint, package)
        )

    # Layer versions answer with Content.Location, a presigned URL of this endpoint.

    def _layer_version(self, ctx: RequestContext, version: LayerVersion) -> Result:
        return rendering.layer_version(
            version, lambda package: self._code_location(ctx.endpoint, package)
        )

    async def publish_layer_version(self, ctx: RequestContext, params: Params) -> Result:
        command = requests.publish_layer_version(ctx, params)
        return self._layer_version(ctx, await self._layers.publish_layer_version(command))

    async def get_layer_version(self, ctx: RequestContext, params: Params) -> Result:
        command = requests.get_layer_version(ctx, params)
        return self._layer_version(ctx, self._layers.get_layer_version(command))

    async def get_layer_version_by_arn(self, ctx: RequestContext, params: Params) -> Result:
        command = requests.get_layer_version_by_arn(ctx, params)
        return self._layer_version(ctx, self._layers.get_layer_version(command))
