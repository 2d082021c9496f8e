"""A change set's resource-level changes, in AWS's ``ResourceChange`` shape
(https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ResourceChange.html):
``Add`` for a new resource, ``Remove`` for one the new template drops, ``Modify`` with
``Replacement`` ``True``/``False``/``Conditional`` and the ``Details`` of what changed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdaport.services.cloudformation.deployment import Deployment
from lambdaport.services.cloudformation.intrinsics import NO_VALUE, Evaluator, NotReady, Scope
from lambdaport.services.cloudformation.models import Change, Stack
from lambdaport.services.cloudformation.providers import Providers


def _static(value: Any, scope: Scope) -> Any:
    """A value with what is known before provisioning evaluated (references to resources
    stand for themselves)."""
    try:
        return Evaluator(scope).resolve(value)
    except NotReady:
        pass
    except Exception:
        return value
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)).startswith(("Ref", "Fn::")):
            return value
        return {k: _static(v, scope) for k, v in value.items()}
    if isinstance(value, list):
        return [_static(v, scope) for v in value]
    return value


def resource_changes(
    stack: Stack,
    template: Mapping[str, Any],
    new_scope: Scope,
    old_scope: Scope | None,
    providers: Providers,
) -> list[Change]:
    new_resources = template.get("Resources") or {}
    active = Deployment.active(template, new_scope)
    changes: list[Change] = []
    live = {
        name: record
        for name, record in stack.resources.items()
        if record.status not in ("DELETE_COMPLETE", "DELETE_SKIPPED", "CREATE_FAILED")
    }
    old_resources = stack.template.get("Resources") or {}
    for name in sorted(active):
        definition = new_resources[name]
        kind = str(definition["Type"])
        if name not in live:
            changes.append(Change("Add", name, kind))
            continue
        record = live[name]
        new = _static(definition.get("Properties") or {}, new_scope)
        old_definition = old_resources.get(name) or {}
        old = (
            _static(old_definition.get("Properties") or {}, old_scope)
            if old_scope is not None
            else old_definition.get("Properties") or {}
        )
        if (
            kind == record.type
            and new == old
            and definition.get("Metadata") == old_definition.get("Metadata")
        ):
            continue
        provider = providers.get(kind)
        changed = sorted({*new, *old} - {k for k in {*new, *old} if new.get(k) == old.get(k)})
        if kind != record.type or (provider is not None and provider.replaces(old, new)):
            replacement = "True"
        elif any(_unresolved(new.get(k)) for k in changed):
            replacement = (
                "Conditional"
                if provider is not None and provider.replacement & set(changed)
                else "False"
            )
        else:
            replacement = "False"
        details = [
            {
                "Target": {
                    "Attribute": "Properties",
                    "Name": key,
                    "RequiresRecreation": "Always"
                    if provider is not None and (provider.immutable or key in provider.replacement)
                    else "Never",
                },
                "Evaluation": "Dynamic" if _unresolved(new.get(key)) else "Static",
                "ChangeSource": "DirectModification",
            }
            for key in changed
        ]
        scope = ["Properties"] if changed else []
        if definition.get("Metadata") != old_definition.get("Metadata"):
            scope.append("Metadata")
        changes.append(
            Change("Modify", name, kind, record.physical_id, replacement, scope, details)
        )
    for name, record in sorted(live.items()):
        if name not in active:
            changes.append(Change("Remove", name, record.type, record.physical_id))
    return changes


def _unresolved(value: Any) -> bool:
    if value is NO_VALUE:
        return False
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)).startswith(("Ref", "Fn::")):
            return True
        return any(_unresolved(v) for v in value.values())
    if isinstance(value, list):
        return any(_unresolved(v) for v in value)
    return False
