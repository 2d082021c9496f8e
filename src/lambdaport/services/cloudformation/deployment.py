"""Stack operations: create, update and delete a stack's resources along its dependency
graph, with AWS's status sequence and events, and rollback on failure
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-describing-stacks.html).

create:  CREATE_IN_PROGRESS → CREATE_COMPLETE | ROLLBACK_IN_PROGRESS → ROLLBACK_COMPLETE
         (ROLLBACK_FAILED; CREATE_FAILED with DisableRollback)
update:  UPDATE_IN_PROGRESS → UPDATE_COMPLETE_CLEANUP_IN_PROGRESS → UPDATE_COMPLETE |
         UPDATE_ROLLBACK_IN_PROGRESS → UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS →
         UPDATE_ROLLBACK_COMPLETE (UPDATE_ROLLBACK_FAILED)
delete:  DELETE_IN_PROGRESS → DELETE_COMPLETE | DELETE_FAILED
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from lambdaport.errors import AwsError
from lambdaport.services.cloudformation import graph
from lambdaport.services.cloudformation.intrinsics import (
    Evaluator,
    NotReady,
    Provisioned,
    Scope,
    pseudo_parameters,
)
from lambdaport.services.cloudformation.models import Event, Output, Resource, Stack, now
from lambdaport.services.cloudformation.parameters import parameter_values
from lambdaport.services.cloudformation.providers import Providers
from lambdaport.services.cloudformation.providers.base import (
    Created,
    ProviderFailed,
    ResourceRequest,
    StackContext,
    failure_reason,
)
from lambdaport.services.cloudformation.stacks import Stacks

logger = logging.getLogger("lambdaport.cloudformation")

STACK_TYPE = "AWS::CloudFormation::Stack"


@dataclass
class _Journal:
    """What an update did, in order, to undo it."""

    created: list[str] = field(default_factory=list)
    changed: list[tuple[str, Resource]] = field(default_factory=list)  # the old record
    replaced: list[tuple[str, Resource]] = field(default_factory=list)  # the old record


class Deployment:
    """One operation on one stack."""

    def __init__(self, stacks: Stacks, providers: Providers, stack: Stack) -> None:
        self.stacks = stacks
        self.providers = providers
        self.stack = stack
        self.context = StackContext(stack.stack_id, stack.name, stack.account, stack.region)

    # -- events ----------------------------------------------------------------------------

    async def event(
        self,
        logical_id: str,
        physical_id: str,
        resource_type: str,
        status: str,
        reason: str | None = None,
        properties: Any = None,
    ) -> None:
        stack = self.stack
        event = Event(
            stack.stack_id,
            stack.name,
            str(uuid.uuid4()) if logical_id != stack.name else f"{uuid.uuid4()}",
            logical_id,
            physical_id,
            resource_type,
            status,
            now(),
            reason,
            None if properties is None else json.dumps(properties, separators=(",", ":")),
        )
        await self.stacks.save(stack, [event])

    async def stack_status(self, status: str, reason: str | None = None) -> None:
        self.stack.status = status
        self.stack.status_reason = reason
        if status.startswith("UPDATE") or status.startswith("ROLLBACK"):
            self.stack.updated = now()
        await self.event(self.stack.name, self.stack.stack_id, STACK_TYPE, status, reason)

    # -- scope -----------------------------------------------------------------------------

    async def scope(self, template: Mapping[str, Any], parameters: Any) -> Scope:
        stack = self.stack
        exports = await self.stacks.exports(stack.account, stack.region)

        def imports(name: str) -> str:
            found = exports.get(name)
            if found is None:
                raise AwsError(
                    "ValidationError",
                    f"No export named {name} found. Rollback requested by user.",
                    400,
                )
            return str(found["value"])

        return Scope(
            parameters=parameter_values(template.get("Parameters") or {}, parameters),
            pseudo=pseudo_parameters(
                stack.account, stack.region, stack.stack_id, stack.name, stack.notification_arns
            ),
            mappings=template.get("Mappings") or {},
            condition_definitions=template.get("Conditions") or {},
            resources={},
            declared=frozenset(template.get("Resources") or {}),
            region=stack.region,
            imports=imports,
        )

    @staticmethod
    def active(template: Mapping[str, Any], scope: Scope) -> set[str]:
        resources = template.get("Resources") or {}
        return {
            name
            for name, definition in resources.items()
            if "Condition" not in definition or scope.condition(str(definition["Condition"]))
        }

    def plan(self, template: Mapping[str, Any], scope: Scope) -> graph.Graph:
        known = set(scope.parameters) | set(scope.pseudo)
        resources = template.get("Resources") or {}
        return graph.dependencies(resources, self.active(template, scope), set(resources), known)

    # -- one resource ----------------------------------------------------------------------

    def _request(
        self, record: Resource, properties: Mapping[str, Any], **extra: Any
    ) -> ResourceRequest:
        return ResourceRequest(self.context, record.logical_id, record.type, properties, **extra)

    async def create_resource(
        self, name: str, template: Mapping[str, Any], scope: Scope, status_prefix: str = "CREATE"
    ) -> bool:
        definition = template["Resources"][name]
        record = Resource(
            name, str(definition["Type"]), "CREATE_IN_PROGRESS", metadata=definition.get("Metadata")
        )
        self.stack.resources[name] = record
        try:
            properties = Evaluator(scope).resolve(definition.get("Properties") or {})
        except NotReady as missing:  # the graph orders every reference; a fault if not
            return await self._failed(record, f"{missing} is not ready", "CREATE_FAILED")
        except AwsError as error:
            await self.event(name, "", record.type, "CREATE_IN_PROGRESS")
            return await self._failed(record, error.message, "CREATE_FAILED")
        record.properties = properties
        await self.event(name, "", record.type, "CREATE_IN_PROGRESS", properties=properties)
        provider = self.providers.get(record.type)
        if provider is None:
            return await self._failed(record, self.providers.unknown(record.type), "CREATE_FAILED")
        try:
            created = await provider.create(self._request(record, properties))
        except Exception as error:  # every failure becomes the resource's reason
            if not isinstance(error, ClientError | AwsError | ProviderFailed):
                logger.exception("provider %s failed", record.type)
            physical = error.physical_id if isinstance(error, ProviderFailed) else ""
            record.physical_id = physical or ""
            return await self._failed(record, failure_reason(error), "CREATE_FAILED")
        self._provisioned(record, created, scope)
        await self.event(
            name,
            record.physical_id,
            record.type,
            "CREATE_IN_PROGRESS",
            "Resource creation Initiated",
            properties,
        )
        record.status = "CREATE_COMPLETE"
        record.updated = now()
        await self.event(name, record.physical_id, record.type, "CREATE_COMPLETE")
        return True

    def _provisioned(self, record: Resource, created: Created, scope: Scope) -> None:
        record.physical_id = created.physical_id
        record.ref = created.ref_value
        record.attributes = dict(created.attributes)
        record.reason = None
        scope.resources[record.logical_id] = Provisioned(record.ref, record.attributes)

    async def _failed(self, record: Resource, reason: str, status: str) -> bool:
        record.status = status
        record.reason = reason
        record.updated = now()
        await self.event(record.logical_id, record.physical_id, record.type, status, reason)
        return False

    async def delete_resource(
        self, record: Resource, *, policy: str | None, replaced: bool = False
    ) -> bool:
        name = record.logical_id
        if policy in ("Retain", "RetainExceptOnCreate"):
            record.status = "DELETE_SKIPPED"
            await self.event(name, record.physical_id, record.type, "DELETE_SKIPPED")
            return True
        if not record.physical_id:
            record.status = "DELETE_COMPLETE"
            await self.event(name, record.physical_id, record.type, "DELETE_COMPLETE")
            return True
        record.status = "DELETE_IN_PROGRESS"
        await self.event(name, record.physical_id, record.type, "DELETE_IN_PROGRESS")
        provider = self.providers.get(record.type)
        try:
            if provider is not None:
                await provider.delete(
                    self._request(
                        record,
                        record.properties,
                        physical_id=record.physical_id,
                        attributes=record.attributes,
                        request_type="Delete",
                    )
                )
        except Exception as error:
            if not isinstance(error, ClientError | AwsError | ProviderFailed):
                logger.exception("provider %s failed to delete", record.type)
            return await self._failed(record, failure_reason(error), "DELETE_FAILED")
        record.status = "DELETE_COMPLETE"
        record.updated = now()
        await self.event(name, record.physical_id, record.type, "DELETE_COMPLETE")
        return True

    # -- outputs ---------------------------------------------------------------------------

    async def outputs(self, template: Mapping[str, Any], scope: Scope) -> None:
        evaluator = Evaluator(scope)
        outputs: list[Output] = []
        exports: dict[str, str] = {}
        for key, output in (template.get("Outputs") or {}).items():
            if "Condition" in output and not scope.condition(str(output["Condition"])):
                continue
            value = evaluator.resolve(output["Value"])
            text = ",".join(str(v) for v in value) if isinstance(value, list) else str(value)
            export = output.get("Export")
            export_name = (
                str(evaluator.resolve(export["Name"])) if isinstance(export, dict) else None
            )
            description = output.get("Description")
            outputs.append(
                Output(key, text, None if description is None else str(description), export_name)
            )
            if export_name is not None:
                exports[export_name] = text
        current = await self.stacks.exports(self.stack.account, self.stack.region)
        for name in exports:
            owner = current.get(name)
            if owner is not None and owner["stack_id"] != self.stack.stack_id:
                raise AwsError(
                    "ValidationError",
                    f"Export with name {name} is already exported by stack "
                    f"{owner['stack_id'].split('/')[1]}",
                    400,
                )
        self.stack.outputs = outputs
        await self.stacks.set_exports(self.stack, exports)

    async def imported_by(self, names: set[str]) -> dict[str, str]:
        """Which other stacks import these exports (a stack in use cannot drop them)."""
        users: dict[str, str] = {}
        if not names:
            return users
        for other in await self.stacks.all(self.stack.account, self.stack.region):
            if other.stack_id == self.stack.stack_id or other.status == "DELETE_COMPLETE":
                continue
            for name in _imports(other.template):
                if name in names:
                    users[name] = other.name
        return users

    # -- create ----------------------------------------------------------------------------

    async def create(self) -> None:
        stack = self.stack
        template = stack.template
        await self.stack_status("CREATE_IN_PROGRESS", "User Initiated")
        try:
            scope = await self.scope(template, stack.parameters)
            plan = self.plan(template, scope)
        except AwsError as error:
            await self._rollback_create(error.message, set())
            return
        _, failed = await graph.run(plan, lambda name: self.create_resource(name, template, scope))
        if not failed:
            try:
                await self.outputs(template, scope)
            except (AwsError, NotReady) as error:
                await self._rollback_create(
                    failure_reason(error) if isinstance(error, AwsError) else str(error),
                    plan.keys(),
                )
                return
            await self.stack_status("CREATE_COMPLETE")
            return
        reason = f"The following resource(s) failed to create: [{', '.join(sorted(failed))}]. "
        await self._rollback_create(reason, plan.keys())

    async def _rollback_create(self, reason: str, names: Any) -> None:
        stack = self.stack
        if stack.disable_rollback:
            await self.stack_status("CREATE_FAILED", reason)
            return
        await self.stack_status("ROLLBACK_IN_PROGRESS", f"{reason}Rollback requested by user.")
        ok = await self._delete_all(rollback=True)
        await self.stack_status("ROLLBACK_COMPLETE" if ok else "ROLLBACK_FAILED")

    async def _delete_all(self, *, rollback: bool) -> bool:
        """Delete every resource the stack holds, dependents first."""
        stack = self.stack
        resources = stack.template.get("Resources") or {}
        live = {
            name
            for name, record in stack.resources.items()
            if record.status not in ("DELETE_COMPLETE", "DELETE_SKIPPED")
        }
        order = {name: {d for d in _deps(resources.get(name, {})) if d in live} for name in live}
        reverse = graph.reversed_graph(order)

        async def work(name: str) -> bool:
            record = stack.resources[name]
            policy = (resources.get(name) or {}).get("DeletionPolicy")
            if rollback:
                policy = "Delete" if policy == "RetainExceptOnCreate" else policy
                if record.status == "CREATE_FAILED" and not record.physical_id:
                    record.status = "DELETE_COMPLETE"
                    await self.event(name, "", record.type, "DELETE_COMPLETE")
                    return True
            return await self.delete_resource(record, policy=policy)

        _, failed = await _run_all(reverse, work)
        return not failed

    # -- delete ----------------------------------------------------------------------------

    async def delete(self) -> None:
        stack = self.stack
        await self.stack_status("DELETE_IN_PROGRESS", "User Initiated")
        exported = {o.export_name for o in stack.outputs if o.export_name}
        users = await self.imported_by(exported)
        if users:
            name, user = next(iter(sorted(users.items())))
            await self.stack_status(
                "DELETE_FAILED", f"Export {name} cannot be deleted as it is in use by {user}"
            )
            return
        ok = await self._delete_all(rollback=False)
        if not ok:
            failed = sorted(n for n, r in stack.resources.items() if r.status == "DELETE_FAILED")
            await self.stack_status(
                "DELETE_FAILED",
                f"The following resource(s) failed to delete: [{', '.join(failed)}]. ",
            )
            return
        await self.stacks.set_exports(stack, {})
        stack.deleted = now()
        await self.stack_status("DELETE_COMPLETE")
        await self.stacks.delete_change_sets(stack)

    # -- update ----------------------------------------------------------------------------

    async def update(self, template: dict[str, Any], body: str, parameters: list[Any]) -> None:
        stack = self.stack
        old_template, old_body, old_parameters = (
            stack.template,
            stack.template_body,
            stack.parameters,
        )
        old_outputs = list(stack.outputs)
        old_records = {name: _copy(record) for name, record in stack.resources.items()}
        await self.stack_status("UPDATE_IN_PROGRESS", "User Initiated")
        journal = _Journal()
        failed: set[str] = set()
        reason = ""
        try:
            scope = await self.scope(template, parameters)
            plan = self.plan(template, scope)
        except AwsError as error:
            reason, plan, scope = error.message, {}, None
        if scope is not None:
            for name, record in stack.resources.items():
                if record.status not in ("DELETE_COMPLETE", "DELETE_SKIPPED", "CREATE_FAILED"):
                    scope.resources[name] = Provisioned(record.ref, record.attributes)
            stack.template, stack.template_body, stack.parameters = template, body, parameters
            _, failed = await graph.run(
                plan, lambda name: self._update_resource(name, template, scope, journal)
            )
            if not failed:
                try:
                    await self.outputs(template, scope)
                except AwsError as error:
                    reason = error.message
            else:
                kind = (
                    "create"
                    if all(n in journal.created or n not in old_records for n in failed)
                    else "update"
                )
                reason = (
                    f"The following resource(s) failed to {kind}: [{', '.join(sorted(failed))}]. "
                )
        if not reason:
            await self.stack_status("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
            removed = {
                n: r
                for n, r in old_records.items()
                if n not in plan and r.status not in ("DELETE_COMPLETE", "DELETE_SKIPPED")
            }
            await self._cleanup(
                old_template, removed, journal.replaced, policy_key="DeletionPolicy"
            )
            await self.stack_status("UPDATE_COMPLETE")
            return
        await self.stack_status("UPDATE_ROLLBACK_IN_PROGRESS", reason)
        ok = await self._undo(journal, old_records)
        stack.template, stack.template_body, stack.parameters = (
            old_template,
            old_body,
            old_parameters,
        )
        stack.outputs = old_outputs
        await self.stacks.set_exports(
            stack, {o.export_name: o.value for o in old_outputs if o.export_name}
        )
        if not ok:
            await self.stack_status("UPDATE_ROLLBACK_FAILED")
            return
        await self.stack_status("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
        # The resources made by replacements are deleted now; the old ones are kept.
        for name, old in journal.replaced:
            new_record = stack.resources.get(name)
            if new_record is not None and new_record.physical_id != old.physical_id:
                await self.delete_resource(new_record, policy=None, replaced=True)
            stack.resources[name] = _copy(old_records[name])
        for name in journal.created:
            stack.resources.pop(name, None)
        await self.stack_status("UPDATE_ROLLBACK_COMPLETE")

    async def _update_resource(
        self, name: str, template: Mapping[str, Any], scope: Scope, journal: _Journal
    ) -> bool:
        stack = self.stack
        definition = template["Resources"][name]
        existing = stack.resources.get(name)
        if existing is None or existing.status in (
            "DELETE_COMPLETE",
            "DELETE_SKIPPED",
            "CREATE_FAILED",
        ):
            ok = await self.create_resource(name, template, scope)
            journal.created.append(name)
            return ok
        try:
            properties = Evaluator(scope).resolve(definition.get("Properties") or {})
        except AwsError as error:
            return await self._failed(existing, error.message, "UPDATE_FAILED")
        kind = str(definition["Type"])
        if (
            kind == existing.type
            and properties == existing.properties
            and definition.get("Metadata") == existing.metadata
        ):
            return True
        provider = self.providers.get(kind)
        if provider is None:
            return await self._failed(existing, self.providers.unknown(kind), "UPDATE_FAILED")
        old = _copy(existing)
        if kind != existing.type or provider.replaces(existing.properties, properties):
            existing.status = "UPDATE_IN_PROGRESS"
            await self.event(
                name, existing.physical_id, kind, "UPDATE_IN_PROGRESS", properties=properties
            )
            await self.event(
                name,
                existing.physical_id,
                kind,
                "UPDATE_IN_PROGRESS",
                "Requested update requires the creation of a new physical resource; hence "
                "creating one.",
                properties,
            )
            record = Resource(name, kind, "UPDATE_IN_PROGRESS", metadata=definition.get("Metadata"))
            try:
                created = await provider.create(
                    self._request(record, properties, request_type="Create")
                )
            except Exception as error:
                if not isinstance(error, ClientError | AwsError | ProviderFailed):
                    logger.exception("provider %s failed", kind)
                existing.status = "UPDATE_FAILED"
                existing.reason = failure_reason(error)
                await self.event(name, existing.physical_id, kind, "UPDATE_FAILED", existing.reason)
                existing.status = old.status
                return False
            record.properties = properties
            stack.resources[name] = record
            self._provisioned(record, created, scope)
            record.status = "UPDATE_COMPLETE"
            record.updated = now()
            journal.replaced.append((name, old))
            await self.event(
                name, record.physical_id, kind, "UPDATE_IN_PROGRESS", "Resource creation Initiated"
            )
            await self.event(name, record.physical_id, kind, "UPDATE_COMPLETE")
            return True
        existing.status = "UPDATE_IN_PROGRESS"
        await self.event(
            name, existing.physical_id, kind, "UPDATE_IN_PROGRESS", properties=properties
        )
        try:
            created = await provider.update(
                self._request(
                    existing,
                    properties,
                    physical_id=existing.physical_id,
                    previous=old.properties,
                    attributes=old.attributes,
                    request_type="Update",
                )
            )
        except Exception as error:
            if not isinstance(error, ClientError | AwsError | ProviderFailed):
                logger.exception("provider %s failed to update", kind)
            return await self._failed(existing, failure_reason(error), "UPDATE_FAILED")
        journal.changed.append((name, old))
        existing.properties = properties
        existing.metadata = definition.get("Metadata")
        if created.physical_id != existing.physical_id:  # a custom resource's new id: replaced
            journal.replaced.append((name, old))
        self._provisioned(existing, created, scope)
        existing.status = "UPDATE_COMPLETE"
        existing.updated = now()
        await self.event(name, existing.physical_id, kind, "UPDATE_COMPLETE")
        return True

    async def _cleanup(
        self,
        old_template: Mapping[str, Any],
        removed: Mapping[str, Resource],
        replaced: list[tuple[str, Resource]],
        policy_key: str,
    ) -> None:
        resources = old_template.get("Resources") or {}
        for name, old in replaced:
            policy = (self.stack.template.get("Resources", {}).get(name) or {}).get(
                "UpdateReplacePolicy"
            )
            await self.delete_resource(_copy(old), policy=policy, replaced=True)
        order = {
            name: {d for d in _deps(resources.get(name, {})) if d in removed} for name in removed
        }

        async def work(name: str) -> bool:
            record = self.stack.resources[name]
            ok = await self.delete_resource(
                record, policy=(resources.get(name) or {}).get(policy_key)
            )
            if ok:
                self.stack.resources.pop(name, None)
            return ok

        await _run_all(graph.reversed_graph(order), work)

    async def _undo(self, journal: _Journal, old_records: Mapping[str, Resource]) -> bool:
        ok = True
        stack = self.stack
        for name in reversed(journal.created):
            record = stack.resources.get(name)
            if record is not None and record.physical_id:
                ok = await self.delete_resource(record, policy=None) and ok
        for name, old in reversed(journal.changed):
            record = stack.resources[name]
            provider = self.providers.get(old.type)
            if provider is None:
                continue
            record.status = "UPDATE_IN_PROGRESS"
            await self.event(
                name, record.physical_id, old.type, "UPDATE_IN_PROGRESS", properties=old.properties
            )
            try:
                await provider.update(
                    self._request(
                        old,
                        old.properties,
                        physical_id=record.physical_id,
                        previous=record.properties,
                        attributes=record.attributes,
                        request_type="Update",
                    )
                )
            except Exception as error:
                ok = await self._failed(record, failure_reason(error), "UPDATE_FAILED") and ok
                continue
            stack.resources[name] = _copy(old)
            stack.resources[name].status = "UPDATE_COMPLETE"
            await self.event(name, old.physical_id, old.type, "UPDATE_COMPLETE")
        for name, record in stack.resources.items():
            if record.status == "UPDATE_FAILED" and name in old_records:
                stack.resources[name] = _copy(old_records[name])
        return ok


def _copy(record: Resource) -> Resource:
    return Resource(
        **{
            **record.__dict__,
            "properties": dict(record.properties),
            "attributes": dict(record.attributes),
        }
    )


def _deps(definition: Mapping[str, Any]) -> set[str]:
    from lambdaport.services.cloudformation.intrinsics import references

    return references(definition.get("Properties", {})) | set(graph.depends_on(definition))


def _imports(template: Mapping[str, Any]) -> set[str]:
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if (
                len(value) == 1
                and "Fn::ImportValue" in value
                and isinstance(value["Fn::ImportValue"], str)
            ):
                found.add(value["Fn::ImportValue"])
            for member in value.values():
                walk(member)
        elif isinstance(value, list):
            for member in value:
                walk(member)

    walk(template.get("Resources", {}))
    walk(template.get("Outputs", {}))
    return found


async def _run_all(order: graph.Graph, work: Any) -> tuple[set[str], set[str]]:
    """Like ``graph.run`` but going on after a failure (deletion tries everything it can)."""
    import asyncio

    pending = {name: set(needs) for name, needs in order.items()}
    running: dict[asyncio.Task[bool], str] = {}
    done: set[str] = set()
    failed: set[str] = set()
    while pending or running:
        for name in sorted(n for n, needs in pending.items() if needs <= done | failed):
            del pending[name]
            running[asyncio.create_task(work(name))] = name
        if not running:
            break
        finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
        for task in finished:
            name = running.pop(task)
            (done if task.result() else failed).add(name)
    return done, failed
