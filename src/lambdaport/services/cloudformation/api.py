"""The CloudFormation API (query protocol): thin handlers over the stacks, change sets and
the stack operations, answering in botocore's output shapes."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from lambdaport.errors import AwsError
from lambdaport.request import RequestContext
from lambdaport.services.cloudformation import rendering
from lambdaport.services.cloudformation.calls import ServiceCalls
from lambdaport.services.cloudformation.changes import resource_changes
from lambdaport.services.cloudformation.deployment import Deployment
from lambdaport.services.cloudformation.intrinsics import Scope, pseudo_parameters
from lambdaport.services.cloudformation.models import (
    IN_PROGRESS,
    UPDATABLE,
    ChangeSet,
    Parameter,
    Stack,
    change_set_arn,
    now,
    stack_arn,
)
from lambdaport.services.cloudformation.parameters import parameter_values, resolve_parameters
from lambdaport.services.cloudformation.providers import Providers, is_custom
from lambdaport.services.cloudformation.stacks import Stacks
from lambdaport.services.cloudformation.template_source import TemplateSource
from lambdaport.services.cloudformation.templates import (
    SAM_TRANSFORM,
    check_template,
    format_error,
    parse_template,
    transforms,
    validation_error,
)
from lambdaport.services.cloudformation.transform import expand_sam

logger = logging.getLogger("lambdaport.cloudformation")

Params = Mapping[str, Any]
Handler = Callable[[RequestContext, Params], Awaitable[dict[str, Any]]]
_STACK_NAME = re.compile(r"[a-zA-Z][-a-zA-Z0-9]{0,127}")
_CHANGE_SET_NAME = re.compile(r"[a-zA-Z][-a-zA-Z0-9]{0,127}")
_IAM_TYPES = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::Policy": None,
    "AWS::IAM::AccessKey": None,
    "AWS::IAM::UserToGroupAddition": None,
}
_NO_CHANGES = (
    "The submitted information didn't contain changes. Submit different information to "
    "create a change set."
)


def required_capabilities(template: Mapping[str, Any]) -> tuple[list[str], str]:
    needed: list[str] = []
    reason = ""
    named = False
    iam = False
    for resource in (template.get("Resources") or {}).values():
        kind = resource.get("Type")
        if kind in _IAM_TYPES:
            iam = True
            member = _IAM_TYPES[kind]
            if member is not None and member in (resource.get("Properties") or {}):
                named = True
                reason = f"The following resource(s) require capabilities: [{kind}]"
            reason = reason or f"The following resource(s) require capabilities: [{kind}]"
    if iam:
        needed.append("CAPABILITY_NAMED_IAM" if named else "CAPABILITY_IAM")
    return needed, reason


class CloudFormationApi:
    def __init__(
        self,
        stacks: Stacks,
        providers: Providers,
        calls: ServiceCalls,
        templates: TemplateSource,
        run: Callable[[Awaitable[None]], None],
    ) -> None:
        self._stacks = stacks
        self._providers = providers
        self._calls = calls
        self._templates = templates
        self._run = run  # starts a stack operation in the background
        self._handlers: dict[str, Handler] = {
            "CreateStack": self.create_stack,
            "UpdateStack": self.update_stack,
            "DeleteStack": self.delete_stack,
            "DescribeStacks": self.describe_stacks,
            "DescribeStackEvents": self.describe_stack_events,
            "DescribeStackResource": self.describe_stack_resource,
            "DescribeStackResources": self.describe_stack_resources,
            "ListStacks": self.list_stacks,
            "ListStackResources": self.list_stack_resources,
            "GetTemplate": self.get_template,
            "GetTemplateSummary": self.get_template_summary,
            "ValidateTemplate": self.validate_template,
            "ListExports": self.list_exports,
            "ListImports": self.list_imports,
            "CreateChangeSet": self.create_change_set,
            "DescribeChangeSet": self.describe_change_set,
            "ExecuteChangeSet": self.execute_change_set,
            "DeleteChangeSet": self.delete_change_set,
            "ListChangeSets": self.list_change_sets,
            "UpdateTerminationProtection": self.update_termination_protection,
            "GetStackPolicy": self.get_stack_policy,
            "SetStackPolicy": self.set_stack_policy,
        }

    @property
    def operations(self) -> list[str]:
        return sorted(self._handlers)

    async def dispatch(self, ctx: RequestContext, operation: str, params: Params) -> dict[str, Any]:
        handler = self._handlers.get(operation)
        if handler is None:
            raise AwsError(
                "InvalidAction",
                f"lambdaport does not implement the CloudFormation action {operation} yet.",
                400,
            )
        return await handler(ctx, params)

    # -- templates -------------------------------------------------------------------------

    async def _template(
        self, ctx: RequestContext, params: Params, *, previous: Stack | None = None
    ) -> tuple[str, dict[str, Any]]:
        """The template as given (its text) and as deployed (after its transforms)."""
        body = params.get("TemplateBody")
        url = params.get("TemplateURL")
        if params.get("UsePreviousTemplate"):
            if previous is None:
                raise validation_error("UsePreviousTemplate requires an existing stack")
            body = previous.template_body
        elif body is not None and url is not None:
            raise validation_error("Specify exactly one of TemplateBody or TemplateUrl.")
        elif body is None and url is None:
            raise validation_error("Either Template URL or Template Body must be specified.")
        elif body is None:
            body = await self._templates.read(str(url))
        template = parse_template(str(body))
        template = self._transform(ctx, template, params)  # SAM's sections are its own
        check_template(template)
        self._check_types(template)
        return str(body), template

    def _transform(
        self, ctx: RequestContext, template: dict[str, Any], params: Params
    ) -> dict[str, Any]:
        """Where the transforms a template declares are expanded: the SAM transform through
        aws-sam-translator (``transform``); ``AWS::LanguageExtensions``' functions are the
        engine's own (``Fn::Length``, ``Fn::ToJsonString``, ``DefaultValue``)."""
        declared = transforms(template)
        for name in declared:
            if name not in (SAM_TRANSFORM, "AWS::LanguageExtensions"):
                raise validation_error(f"Template format error: Unsupported transform {name}")
        if SAM_TRANSFORM in declared:
            values = {
                str(p["ParameterKey"]): p["ParameterValue"]
                for p in params.get("Parameters") or []
                if p.get("ParameterValue") is not None
            }
            template = expand_sam(template, values, ctx.region)
            template.pop("Transform", None)
            if "AWS::LanguageExtensions" in declared:
                template["Transform"] = "AWS::LanguageExtensions"
        return template

    def _check_types(self, template: Mapping[str, Any]) -> None:
        unknown = sorted(
            {
                str(r["Type"])
                for r in (template.get("Resources") or {}).values()
                if not self._providers.known(str(r["Type"]))
                and not is_custom(str(r["Type"]))
                and not str(r["Type"]).startswith(("AWS::", "Alexa::"))
            }
        )
        if unknown:
            raise format_error(f"Unrecognized resource types: [{', '.join(unknown)}]")

    def _check_capabilities(self, template: Mapping[str, Any], given: list[str]) -> None:
        needed, _ = required_capabilities(template)
        for capability in needed:
            if capability == "CAPABILITY_IAM" and "CAPABILITY_NAMED_IAM" in given:
                continue
            if capability not in given:
                raise AwsError(
                    "InsufficientCapabilitiesException",
                    f"Requires capabilities : [{capability}]",
                    400,
                )

    async def _parameters(
        self,
        ctx: RequestContext,
        template: Mapping[str, Any],
        params: Params,
        previous: list[Parameter],
    ) -> list[Parameter]:
        async def ssm(name: str) -> str:
            try:
                answer = await self._calls.call(
                    "ssm",
                    "GetParameter",
                    ctx.account_id,
                    ctx.region,
                    Name=name,
                    WithDecryption=True,
                )
            except ClientError:
                raise validation_error(f"Parameters: [ssm:{name}] cannot be found.") from None
            return str(answer["Parameter"]["Value"])

        return await resolve_parameters(
            template.get("Parameters") or {}, list(params.get("Parameters") or []), previous, ssm
        )

    def _check_static(
        self, stack: Stack, template: Mapping[str, Any], parameters: list[Parameter]
    ) -> Scope:
        """Conditions and the dependency graph checked before the call is answered."""
        scope = Scope(
            parameters=parameter_values(template.get("Parameters") or {}, parameters),
            pseudo=pseudo_parameters(
                ctx_account(stack),
                stack.region,
                stack.stack_id,
                stack.name,
                stack.notification_arns,
            ),
            mappings=template.get("Mappings") or {},
            condition_definitions=template.get("Conditions") or {},
            resources={},
            declared=frozenset(template.get("Resources") or {}),
            region=stack.region,
        )
        for name in template.get("Conditions") or {}:
            scope.condition(str(name))
        deployment = Deployment(self._stacks, self._providers, stack)
        deployment.plan(template, scope)
        return scope

    # -- stacks ----------------------------------------------------------------------------

    def _stack_name(self, params: Params) -> str:
        name = str(params.get("StackName", ""))
        if not _STACK_NAME.fullmatch(name):
            raise validation_error(
                f"1 validation error detected: Value '{name}' at 'stackName' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: "
                "[a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/._+]*"
            )
        return name

    def _new_stack(
        self, ctx: RequestContext, name: str, params: Params, body: str, template: dict[str, Any]
    ) -> Stack:
        description = template.get("Description")
        return Stack(
            stack_id=stack_arn(ctx.account_id, ctx.region, name),
            name=name,
            account=ctx.account_id,
            region=ctx.region,
            status="CREATE_IN_PROGRESS",
            created=now(),
            template_body=body,
            template=template,
            description=None if description is None else str(description),
            capabilities=list(params.get("Capabilities") or []),
            notification_arns=list(params.get("NotificationARNs") or []),
            tags=[dict(t) for t in params.get("Tags") or []],
            role_arn=params.get("RoleARN"),
            disable_rollback=bool(params.get("DisableRollback"))
            or params.get("OnFailure") == "DO_NOTHING",
            timeout_minutes=params.get("TimeoutInMinutes"),
            termination_protection=bool(params.get("EnableTerminationProtection")),
        )

    async def create_stack(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        name = self._stack_name(params)
        if await self._stacks.find(ctx.account_id, ctx.region, name) is not None:
            raise AwsError("AlreadyExistsException", f"Stack [{name}] already exists", 400)
        body, template = await self._template(ctx, params)
        self._check_capabilities(template, list(params.get("Capabilities") or []))
        _check_auto_expand(body, list(params.get("Capabilities") or []))
        stack = self._new_stack(ctx, name, params, body, template)
        stack.parameters = await self._parameters(ctx, template, params, [])
        self._check_static(stack, template, stack.parameters)
        await self._stacks.save(stack)
        on_failure_delete = params.get("OnFailure") == "DELETE"
        self._run(self._create(stack, on_failure_delete))
        return {"StackId": stack.stack_id}

    async def _create(self, stack: Stack, delete_on_failure: bool = False) -> None:
        deployment = Deployment(self._stacks, self._providers, stack)
        await deployment.create()
        if delete_on_failure and stack.status == "ROLLBACK_COMPLETE":
            await deployment.delete()

    async def update_stack(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        stack = await self._stacks.get(ctx.account_id, ctx.region, str(params.get("StackName", "")))
        self._updatable(stack)
        body, template = await self._template(ctx, params, previous=stack)
        capabilities = list(params.get("Capabilities") or [])
        self._check_capabilities(template, capabilities)
        _check_auto_expand(body, capabilities)
        parameters = await self._parameters(ctx, template, params, stack.parameters)
        if (
            template == stack.template
            and _same(parameters, stack.parameters)
            and (params.get("Tags") is None or [dict(t) for t in params["Tags"]] == stack.tags)
        ):
            raise validation_error("No updates are to be performed.")
        self._check_static(stack, template, parameters)
        self._prepare_update(stack, params, template)
        await self._stacks.save(stack)
        self._run(
            Deployment(self._stacks, self._providers, stack).update(template, body, parameters)
        )
        return {"StackId": stack.stack_id}

    def _prepare_update(self, stack: Stack, params: Params, template: Mapping[str, Any]) -> None:
        stack.status = "UPDATE_IN_PROGRESS"
        stack.capabilities = list(params.get("Capabilities") or [])
        if params.get("Tags") is not None:
            stack.tags = [dict(t) for t in params["Tags"]]
        if params.get("NotificationARNs") is not None:
            stack.notification_arns = list(params["NotificationARNs"])
        description = template.get("Description")
        stack.description = None if description is None else str(description)
        if "DisableRollback" in params:
            stack.disable_rollback = bool(params["DisableRollback"])

    def _updatable(self, stack: Stack) -> None:
        if stack.status not in UPDATABLE:
            raise validation_error(
                f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated."
            )

    async def delete_stack(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        stack = await self._stacks.find(
            ctx.account_id, ctx.region, str(params.get("StackName", ""))
        )
        if stack is None or stack.status == "DELETE_COMPLETE":
            return {}
        if stack.termination_protection:
            raise validation_error(
                f"Stack [{stack.name}] cannot be deleted while TerminationProtection is enabled"
            )
        if stack.status == "DELETE_IN_PROGRESS":
            return {}
        if stack.status in IN_PROGRESS and stack.status != "REVIEW_IN_PROGRESS":
            raise validation_error(
                f"Stack [{stack.name}] cannot be deleted while in status {stack.status}"
            )
        stack.status = "DELETE_IN_PROGRESS"
        await self._stacks.save(stack)
        self._run(Deployment(self._stacks, self._providers, stack).delete())
        return {}

    async def describe_stacks(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        name = params.get("StackName")
        if name:
            stacks = [await self._stacks.get(ctx.account_id, ctx.region, str(name))]
        else:
            stacks = [
                s
                for s in await self._stacks.all(ctx.account_id, ctx.region)
                if s.status != "DELETE_COMPLETE"
            ]
        return {"Stacks": [rendering.stack(s) for s in stacks]}

    async def describe_stack_events(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        stack = await self._stacks.get(ctx.account_id, ctx.region, str(params.get("StackName", "")))
        return {"StackEvents": [rendering.event(e) for e in await self._stacks.events(stack)]}

    async def _resource_stack(self, ctx: RequestContext, params: Params) -> list[Stack]:
        name = params.get("StackName")
        if name:
            return [await self._stacks.get(ctx.account_id, ctx.region, str(name))]
        physical = params.get("PhysicalResourceId")
        if not physical:
            raise validation_error("Either StackName or PhysicalResourceId must be specified.")
        for stack in await self._stacks.all(ctx.account_id, ctx.region):
            if stack.status != "DELETE_COMPLETE" and any(
                r.physical_id == physical for r in stack.resources.values()
            ):
                return [stack]
        raise validation_error(f"Stack for {physical} does not exist")

    async def describe_stack_resources(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        (stack,) = await self._resource_stack(ctx, params)
        logical = params.get("LogicalResourceId")
        physical = params.get("PhysicalResourceId")
        resources = [
            r
            for r in stack.resources.values()
            if (logical is None or r.logical_id == logical)
            and (physical is None or r.physical_id == physical)
        ]
        return {"StackResources": [rendering.stack_resource(stack, r) for r in resources]}

    async def describe_stack_resource(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        stack = await self._stacks.get(ctx.account_id, ctx.region, str(params.get("StackName", "")))
        logical = str(params.get("LogicalResourceId", ""))
        resource = stack.resources.get(logical)
        if resource is None:
            raise validation_error(f"Resource {logical} does not exist for stack {stack.name}")
        return {"StackResourceDetail": rendering.stack_resource_detail(stack, resource)}

    async def list_stack_resources(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        stack = await self._stacks.get(ctx.account_id, ctx.region, str(params.get("StackName", "")))
        return {
            "StackResourceSummaries": [
                rendering.resource_summary(r) for r in stack.resources.values()
            ]
        }

    async def list_stacks(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        wanted = set(params.get("StackStatusFilter") or [])
        stacks = [
            s
            for s in await self._stacks.all(ctx.account_id, ctx.region)
            if not wanted or s.status in wanted
        ]
        return {"StackSummaries": [rendering.stack_summary(s) for s in stacks]}

    async def get_template(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        stage = params.get("TemplateStage", "Original")
        if params.get("ChangeSetName"):
            change_set = await self._change_set(ctx, params)
            body, template = change_set.template_body, change_set.template
        else:
            stack = await self._stacks.get(
                ctx.account_id, ctx.region, str(params.get("StackName", ""))
            )
            body, template = stack.template_body, stack.template
        text = body if stage == "Original" else json.dumps(template)
        return {"TemplateBody": text, "StagesAvailable": ["Original", "Processed"]}

    async def get_template_summary(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        if params.get("StackName"):
            stack = await self._stacks.get(ctx.account_id, ctx.region, str(params["StackName"]))
            template = stack.template
        else:
            _, template = await self._template(ctx, params)
        summary = rendering.template_parameters(template, summary=True)
        capabilities, reason = required_capabilities(template)
        resources = template.get("Resources") or {}
        by_type: dict[str, list[str]] = {}
        for name, resource in resources.items():
            by_type.setdefault(str(resource["Type"]), []).append(str(name))
        answer: dict[str, Any] = {
            "Parameters": summary,
            "ResourceTypes": sorted(by_type),
            "Version": str(template.get("AWSTemplateFormatVersion", "2010-09-09")),
            "DeclaredTransforms": transforms(template),
            "ResourceIdentifierSummaries": [
                {"ResourceType": kind, "LogicalResourceIds": names}
                for kind, names in sorted(by_type.items())
            ],
        }
        if "Description" in template:
            answer["Description"] = str(template["Description"])
        if capabilities:
            answer["Capabilities"] = capabilities
            answer["CapabilitiesReason"] = reason
        if "Metadata" in template:
            answer["Metadata"] = json.dumps(template["Metadata"])
        return answer

    async def validate_template(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        _, template = await self._template(ctx, params)
        capabilities, reason = required_capabilities(template)
        answer: dict[str, Any] = {
            "Parameters": rendering.template_parameters(template, summary=False),
            "DeclaredTransforms": transforms(template),
        }
        if "Description" in template:
            answer["Description"] = str(template["Description"])
        if capabilities:
            answer["Capabilities"] = capabilities
            answer["CapabilitiesReason"] = reason
        return answer

    async def list_exports(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        exports = await self._stacks.exports(ctx.account_id, ctx.region)
        return {
            "Exports": [
                {"ExportingStackId": body["stack_id"], "Name": name, "Value": body["value"]}
                for name, body in sorted(exports.items())
            ]
        }

    async def list_imports(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        name = str(params.get("ExportName", ""))
        exports = await self._stacks.exports(ctx.account_id, ctx.region)
        if name not in exports:
            raise validation_error(f"Export '{name}' does not exist.")
        owner = await self._stacks.get(ctx.account_id, ctx.region, exports[name]["stack_id"])
        users = await Deployment(self._stacks, self._providers, owner).imported_by({name})
        return {"Imports": sorted(set(users.values()))}

    async def update_termination_protection(
        self, ctx: RequestContext, params: Params
    ) -> dict[str, Any]:
        stack = await self._stacks.get(ctx.account_id, ctx.region, str(params.get("StackName", "")))
        stack.termination_protection = bool(params.get("EnableTerminationProtection"))
        await self._stacks.save(stack)
        return {"StackId": stack.stack_id}

    async def get_stack_policy(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        await self._stacks.get(ctx.account_id, ctx.region, str(params.get("StackName", "")))
        return {}

    async def set_stack_policy(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        await self._stacks.get(ctx.account_id, ctx.region, str(params.get("StackName", "")))
        return {}

    # -- change sets -----------------------------------------------------------------------

    async def create_change_set(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        stack_name = str(params.get("StackName", ""))
        change_set_name = str(params.get("ChangeSetName", ""))
        if not _CHANGE_SET_NAME.fullmatch(change_set_name):
            raise validation_error(
                f"1 validation error detected: Value '{change_set_name}' at 'changeSetName' "
                "failed to satisfy constraint: Member must satisfy regular expression pattern: "
                "[a-zA-Z][-a-zA-Z0-9]*"
            )
        kind = str(params.get("ChangeSetType") or "UPDATE")
        existing = await self._stacks.find(ctx.account_id, ctx.region, stack_name)
        if kind == "CREATE":
            self._stack_name(params)
            if existing is not None and existing.status != "REVIEW_IN_PROGRESS":
                raise AwsError(
                    "AlreadyExistsException", f"Stack [{stack_name}] already exists", 400
                )
        elif kind == "UPDATE":
            if existing is None or existing.status == "REVIEW_IN_PROGRESS":
                raise validation_error(f"Stack [{stack_name}] does not exist")
            self._updatable(existing)
        else:
            raise validation_error(f"ChangeSetType {kind} is not supported")
        body, template = await self._template(ctx, params, previous=existing)
        capabilities = list(params.get("Capabilities") or [])
        self._check_capabilities(template, capabilities)
        if existing is None:
            existing = self._new_stack(ctx, stack_name, params, "", {})
            existing.status = "REVIEW_IN_PROGRESS"
            deployment = Deployment(self._stacks, self._providers, existing)
            await self._stacks.save(existing)
            await deployment.event(
                existing.name,
                existing.stack_id,
                "AWS::CloudFormation::Stack",
                "REVIEW_IN_PROGRESS",
                "User Initiated",
            )
        stack = existing
        previous = stack.parameters if kind == "UPDATE" else []
        parameters = await self._parameters(ctx, template, params, previous)
        new_scope = self._check_static(stack, template, parameters)
        for sibling in await self._stacks.change_sets(stack):
            if sibling.name == change_set_name:
                raise AwsError(
                    "AlreadyExistsException", f"ChangeSet {change_set_name} already exists", 400
                )
        old_scope = None
        if kind == "UPDATE":
            old_scope = self._check_static(stack, stack.template, stack.parameters)
        changes = resource_changes(stack, template, new_scope, old_scope, self._providers)
        change_set = ChangeSet(
            change_set_id=change_set_arn(ctx.account_id, ctx.region, change_set_name),
            name=change_set_name,
            stack_id=stack.stack_id,
            stack_name=stack.name,
            account=ctx.account_id,
            region=ctx.region,
            change_set_type=kind,
            status="CREATE_COMPLETE",
            execution_status="AVAILABLE",
            created=now(),
            template_body=body,
            template=template,
            parameters=parameters,
            capabilities=capabilities,
            notification_arns=list(params.get("NotificationARNs") or []),
            tags=[dict(t) for t in params.get("Tags") or stack.tags],
            role_arn=params.get("RoleARN"),
            description=params.get("Description"),
            changes=changes,
        )
        if (
            kind == "UPDATE"
            and not changes
            and _same(parameters, stack.parameters)
            and template == stack.template
        ):
            change_set.status = "FAILED"
            change_set.execution_status = "UNAVAILABLE"
            change_set.status_reason = _NO_CHANGES
        await self._stacks.save_change_set(change_set)
        return {"Id": change_set.change_set_id, "StackId": stack.stack_id}

    async def _change_set(self, ctx: RequestContext, params: Params) -> ChangeSet:
        name = str(params.get("ChangeSetName", ""))
        stack_name = params.get("StackName")
        if name.startswith("arn:"):
            for owner in await self._stacks.all(ctx.account_id, ctx.region):
                for change_set in await self._stacks.change_sets(owner):
                    if change_set.change_set_id == name:
                        return change_set
            raise AwsError("ChangeSetNotFound", f"ChangeSet [{name}] does not exist", 404)
        if not stack_name:
            raise validation_error(
                "StackName must be specified if ChangeSetName is not specified as an ARN."
            )
        stack = await self._stacks.find(ctx.account_id, ctx.region, str(stack_name))
        if stack is None:
            raise AwsError("ChangeSetNotFound", f"ChangeSet [{name}] does not exist", 404)
        for change_set in await self._stacks.change_sets(stack):
            if change_set.name == name:
                return change_set
        raise AwsError("ChangeSetNotFound", f"ChangeSet [{name}] does not exist", 404)

    async def describe_change_set(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        return rendering.change_set(await self._change_set(ctx, params))

    async def list_change_sets(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        stack = await self._stacks.get(ctx.account_id, ctx.region, str(params.get("StackName", "")))
        return {
            "Summaries": [
                rendering.change_set_summary(c) for c in await self._stacks.change_sets(stack)
            ]
        }

    async def delete_change_set(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        change_set = await self._change_set(ctx, params)
        if change_set.execution_status == "EXECUTE_IN_PROGRESS":
            raise AwsError(
                "InvalidChangeSetStatus",
                f"Cannot delete ChangeSet {change_set.change_set_id} because it is in "
                "EXECUTE_IN_PROGRESS state",
                400,
            )
        await self._stacks.delete_change_set(change_set)
        return {}

    async def execute_change_set(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        change_set = await self._change_set(ctx, params)
        if change_set.execution_status != "AVAILABLE":
            raise AwsError(
                "InvalidChangeSetStatus",
                f"ChangeSet [{change_set.change_set_id}] cannot be executed in its current "
                f"execution status of [{change_set.execution_status}]",
                400,
            )
        stack = await self._stacks.get(ctx.account_id, ctx.region, change_set.stack_id)
        if stack.status not in UPDATABLE and stack.status != "REVIEW_IN_PROGRESS":
            raise validation_error(
                f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated."
            )
        change_set.execution_status = "EXECUTE_IN_PROGRESS"
        await self._stacks.save_change_set(change_set)
        for sibling in await self._stacks.change_sets(stack):
            if sibling.change_set_id != change_set.change_set_id:
                sibling.execution_status = "OBSOLETE"
                await self._stacks.save_change_set(sibling)
        stack.change_set_id = change_set.change_set_id
        stack.capabilities = change_set.capabilities
        stack.tags = change_set.tags
        stack.notification_arns = change_set.notification_arns or stack.notification_arns
        if "DisableRollback" in params:
            stack.disable_rollback = bool(params["DisableRollback"])
        description = change_set.template.get("Description")
        if change_set.change_set_type == "CREATE":
            stack.template_body, stack.template = change_set.template_body, change_set.template
            stack.parameters = change_set.parameters
            stack.description = None if description is None else str(description)
            stack.created = now()
            stack.status = "CREATE_IN_PROGRESS"
            await self._stacks.save(stack)
            self._run(self._executed(change_set, self._create(stack)))
        else:
            stack.description = None if description is None else str(description)
            stack.status = "UPDATE_IN_PROGRESS"
            await self._stacks.save(stack)
            operation = Deployment(self._stacks, self._providers, stack).update(
                change_set.template, change_set.template_body, change_set.parameters
            )
            self._run(self._executed(change_set, operation))
        return {}

    async def _executed(self, change_set: ChangeSet, operation: Awaitable[None]) -> None:
        try:
            await operation
        finally:
            change_set.execution_status = "EXECUTE_COMPLETE"
            await self._stacks.save_change_set(change_set)


def _check_auto_expand(body: str, capabilities: list[str]) -> None:
    """CreateStack and UpdateStack of a template with the SAM transform must acknowledge
    CAPABILITY_AUTO_EXPAND (a change set shows the expanded template instead)."""
    if SAM_TRANSFORM in transforms(parse_template(body)) and (
        "CAPABILITY_AUTO_EXPAND" not in capabilities
    ):
        raise AwsError(
            "InsufficientCapabilitiesException",
            "Requires capabilities : [CAPABILITY_AUTO_EXPAND]",
            400,
        )


def ctx_account(stack: Stack) -> str:
    return stack.account


def _same(new: list[Parameter], old: list[Parameter]) -> bool:
    return sorted((p.key, p.value, p.resolved) for p in new) == sorted(
        (p.key, p.value, p.resolved) for p in old
    )
