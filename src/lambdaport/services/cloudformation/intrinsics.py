"""The intrinsic functions and pseudo parameters, evaluated over a template's values
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html):
``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::Join``, ``Fn::Select``, ``Fn::Split``, ``Fn::If``,
``Fn::Equals``, ``Fn::And``, ``Fn::Or``, ``Fn::Not``, ``Condition``, ``Fn::FindInMap``,
``Fn::Base64``, ``Fn::Cidr``, ``Fn::GetAZs``, ``Fn::Length``, ``Fn::ToJsonString``,
``Fn::ImportValue``; ``AWS::NoValue`` removes the member or item it is the value of.

:func:`references` finds the resources a value depends on (``Ref``, ``Fn::GetAtt``, the
``${Name}``/``${Name.Attribute}`` of ``Fn::Sub``) for the dependency graph.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from lambdaport.errors import AwsError

NO_VALUE: Final = object()  # what AWS::NoValue evaluates to; dropped by the containers
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
CONDITION_FUNCTIONS = ("Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not", "Condition")
_LIST_FUNCTIONS = frozenset({"Fn::GetAZs", "Fn::Split", "Fn::Cidr"})


class TemplateError(AwsError):
    """A template whose values cannot be evaluated (CloudFormation's ``Template error``)."""

    def __init__(self, message: str) -> None:
        super().__init__("ValidationError", f"Template error: {message}", 400)


class NotReady(Exception):
    """A value names a resource not provisioned yet (the graph orders this away)."""


@dataclass(frozen=True, slots=True)
class Provisioned:
    """What a provisioned resource gives the template: its ``Ref`` and its attributes."""

    ref: str
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Scope:
    """Everything a template's values may name."""

    parameters: Mapping[str, Any]
    pseudo: Mapping[str, Any]
    mappings: Mapping[str, Any]
    condition_definitions: Mapping[str, Any]
    resources: dict[str, Provisioned]  # provisioned so far
    declared: frozenset[str]  # resources the template declares (whatever their condition)
    region: str
    imports: Callable[[str], str] = lambda name: _no_export(name)
    _conditions: dict[str, bool] = field(default_factory=dict)
    _evaluating: set[str] = field(default_factory=set)

    def condition(self, name: str) -> bool:
        if name in self._conditions:
            return self._conditions[name]
        if name not in self.condition_definitions:
            raise TemplateError(f"unresolved condition dependency {name} in Fn::If")
        if name in self._evaluating:
            raise TemplateError(f"circular condition dependency {name}")
        self._evaluating.add(name)
        try:
            value = Evaluator(self).condition_value(self.condition_definitions[name])
        finally:
            self._evaluating.discard(name)
        self._conditions[name] = value
        return value


def _no_export(name: str) -> str:
    raise AwsError("ValidationError", f"No export named {name} found.", 400)


def pseudo_parameters(
    account: str, region: str, stack_id: str, stack_name: str, notification_arns: list[str]
) -> dict[str, Any]:
    return {
        "AWS::AccountId": account,
        "AWS::Region": region,
        "AWS::StackId": stack_id,
        "AWS::StackName": stack_name,
        "AWS::NotificationARNs": list(notification_arns),
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::NoValue": NO_VALUE,
    }


def _one_key(value: Any) -> tuple[str, Any] | None:
    if isinstance(value, dict) and len(value) == 1:
        ((key, argument),) = value.items()
        if key == "Ref" or key == "Condition" or str(key).startswith("Fn::"):
            return str(key), argument
    return None


def references(value: Any) -> set[str]:
    """Every logical name ``value`` refers to by Ref, Fn::GetAtt or Fn::Sub (parameters and
    pseudo parameters included: the caller keeps the resources)."""
    found: set[str] = set()
    _walk(value, found)
    return found


def _walk(item: Any, found: set[str]) -> None:
    call = _one_key(item)
    if call is not None and call[0] in ("Ref", "Fn::GetAtt", "Fn::Sub"):
        name, argument = call
        if name == "Ref":
            if isinstance(argument, str):
                found.add(argument)
        elif name == "Fn::GetAtt":
            _get_att_references(argument, found)
        else:
            _sub_references(argument, found)
        return
    members = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
    for member in members:
        _walk(member, found)


def _get_att_references(argument: Any, found: set[str]) -> None:
    if isinstance(argument, str):
        found.add(argument.split(".", 1)[0])
    elif isinstance(argument, list) and argument and isinstance(argument[0], str):
        found.add(argument[0])
        for part in argument[1:]:
            _walk(part, found)


def _sub_references(argument: Any, found: set[str]) -> None:
    if isinstance(argument, list) and argument:
        text, variables = argument[0], argument[1] if len(argument) > 1 else {}
    else:
        text, variables = argument, {}
    if isinstance(text, str):
        for match in _SUB_VARIABLE.finditer(text):
            variable = match.group(1)
            head = variable.split(".", 1)[0].strip()
            if not variable.startswith("!") and (
                not isinstance(variables, dict) or head not in variables
            ):
                found.add(head)
    _walk(variables, found)


class Evaluator:
    """Evaluates template values within one :class:`Scope`."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    # -- values ----------------------------------------------------------------------------

    def resolve(self, value: Any) -> Any:
        call = _one_key(value)
        if call is not None:
            name, argument = call
            if name == "Condition":
                return self.scope.condition(str(argument))
            handler = _FUNCTIONS.get(name)
            if handler is None:
                raise TemplateError(f"Unrecognized intrinsic function {name}")
            return handler(self, argument)
        if isinstance(value, dict):
            resolved = {key: self.resolve(member) for key, member in value.items()}
            return {key: member for key, member in resolved.items() if member is not NO_VALUE}
        if isinstance(value, list):
            items = [self.resolve(member) for member in value]
            return [item for item in items if item is not NO_VALUE]
        return value

    def text(self, value: Any, function: str) -> str:
        resolved = self.resolve(value)
        if isinstance(resolved, bool):
            return "true" if resolved else "false"
        if isinstance(resolved, int | float | str):
            return str(resolved)
        raise TemplateError(f"every {function} object requires string parameters")

    def items(self, value: Any, function: str) -> list[Any]:
        resolved = self.resolve(value)
        if isinstance(resolved, list):
            return resolved
        raise TemplateError(f"every {function} object requires a list")

    def condition_value(self, value: Any) -> bool:
        resolved = self.resolve(value)
        if isinstance(resolved, bool):
            return resolved
        if resolved in ("true", "false"):
            return bool(resolved == "true")
        raise TemplateError("every condition must evaluate to a boolean")

    # -- the functions ---------------------------------------------------------------------

    def ref(self, argument: Any) -> Any:
        if not isinstance(argument, str):
            raise TemplateError("every Ref object requires a single string value")
        scope = self.scope
        if argument in scope.parameters:
            return scope.parameters[argument]
        if argument in scope.pseudo:
            return scope.pseudo[argument]
        if argument in scope.resources:
            return scope.resources[argument].ref
        if argument in scope.declared:
            raise NotReady(argument)
        raise TemplateError(
            f"Unresolved resource dependencies [{argument}] in the Resources block of the template"
        )

    def get_att(self, argument: Any) -> Any:
        if isinstance(argument, str):
            resource, _, attribute = argument.partition(".")
            parts: list[Any] = [resource, attribute]
        elif isinstance(argument, list) and len(argument) == 2:
            parts = argument
        else:
            raise TemplateError("every Fn::GetAtt object requires two non-empty parameters")
        resource = parts[0]
        attribute = self.text(parts[1], "Fn::GetAtt")
        if not isinstance(resource, str):
            raise TemplateError("every Fn::GetAtt object requires two non-empty parameters")
        provisioned = self.scope.resources.get(resource)
        if provisioned is None:
            if resource in self.scope.declared:
                raise NotReady(resource)
            raise TemplateError(f"instance of Fn::GetAtt references undefined resource {resource}")
        if attribute in provisioned.attributes:
            return provisioned.attributes[attribute]
        raise AwsError(
            "ValidationError",
            f"Template error: resource {resource} does not support attribute type "
            f"{attribute} in Fn::GetAtt",
            400,
        )

    def sub(self, argument: Any) -> str:
        if isinstance(argument, str):
            text, variables = argument, {}
        elif isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str):
            text = argument[0]
            if not isinstance(argument[1], dict):
                raise TemplateError("the second parameter of Fn::Sub must be an object")
            variables = {key: self.resolve(member) for key, member in argument[1].items()}
        else:
            raise TemplateError(
                "every Fn::Sub object must contain a string or a list of a string and an object"
            )

        def replace(match: re.Match[str]) -> str:
            variable = match.group(1)
            if variable.startswith("!"):
                return "${" + variable[1:] + "}"
            name = variable.strip()
            if name in variables:
                return _as_text(variables[name])
            if "." in name and name.split(".", 1)[0] not in self.scope.parameters:
                return _as_text(self.get_att(name))
            return _as_text(self.ref(name))

        return _SUB_VARIABLE.sub(replace, text)

    def join(self, argument: Any) -> str:
        if not isinstance(argument, list) or len(argument) != 2:
            raise TemplateError(
                "every Fn::Join object requires two parameters, (1) a string delimiter and "
                "(2) a list of strings to be joined or a function that returns a list of "
                "strings (such as Fn::GetAZs) to be joined."
            )
        delimiter = self.text(argument[0], "Fn::Join")
        return delimiter.join(_as_text(item) for item in self.items(argument[1], "Fn::Join"))

    def select(self, argument: Any) -> Any:
        if not isinstance(argument, list) or len(argument) != 2:
            raise TemplateError(
                "Fn::Select requires a list argument with two elements: an integer index and a list"
            )
        index_text = self.text(argument[0], "Fn::Select")
        items = self.items(argument[1], "Fn::Select")
        try:
            index = int(index_text)
        except ValueError:
            raise TemplateError(
                "Fn::Select requires a list argument with two elements: an integer index and a list"
            ) from None
        if not 0 <= index < len(items):
            raise TemplateError("Fn::Select cannot select nonexistent value at index " + str(index))
        return items[index]

    def split(self, argument: Any) -> list[str]:
        if not isinstance(argument, list) or len(argument) != 2:
            raise TemplateError(
                "every Fn::Split object requires two parameters, (1) a string delimiter and "
                "(2) a string to be split or a function that returns a string to be split."
            )
        delimiter = self.text(argument[0], "Fn::Split")
        return self.text(argument[1], "Fn::Split").split(delimiter)

    def if_(self, argument: Any) -> Any:
        if not isinstance(argument, list) or len(argument) != 3 or not isinstance(argument[0], str):
            raise TemplateError("Fn::If requires a list argument with three elements")
        chosen = argument[1] if self.scope.condition(argument[0]) else argument[2]
        return self.resolve(chosen)

    def equals(self, argument: Any) -> bool:
        if not isinstance(argument, list) or len(argument) != 2:
            raise TemplateError("Fn::Equals requires a list argument with two elements")
        left, right = (self.resolve(item) for item in argument)
        return (
            _as_text(left) == _as_text(right) if _scalar(left) and _scalar(right) else left == right
        )

    def and_(self, argument: Any) -> bool:
        if not isinstance(argument, list) or not 2 <= len(argument) <= 10:
            raise TemplateError("Fn::And requires a list argument with between 2 and 10 elements")
        return all([self.condition_value(item) for item in argument])

    def or_(self, argument: Any) -> bool:
        if not isinstance(argument, list) or not 2 <= len(argument) <= 10:
            raise TemplateError("Fn::Or requires a list argument with between 2 and 10 elements")
        return any([self.condition_value(item) for item in argument])

    def not_(self, argument: Any) -> bool:
        if not isinstance(argument, list) or len(argument) != 1:
            raise TemplateError("Fn::Not requires a list argument with one element")
        return not self.condition_value(argument[0])

    def find_in_map(self, argument: Any) -> Any:
        if not isinstance(argument, list) or len(argument) not in (3, 4):
            raise TemplateError("Fn::FindInMap requires a list argument with three elements")
        names = [self.text(item, "Fn::FindInMap") for item in argument[:3]]
        mapping = self.scope.mappings.get(names[0])
        default = (
            argument[3].get("DefaultValue")
            if len(argument) == 4 and isinstance(argument[3], dict)
            else None
        )
        if mapping is None:
            if default is not None:
                return self.resolve(default)
            raise TemplateError(f"Unable to get mapping for {names[0]}::{names[1]}::{names[2]}")
        top = mapping.get(names[1]) if isinstance(mapping, dict) else None
        if not isinstance(top, dict) or names[2] not in top:
            if default is not None:
                return self.resolve(default)
            raise TemplateError(f"Unable to get mapping for {names[0]}::{names[1]}::{names[2]}")
        return top[names[2]]

    def base64(self, argument: Any) -> str:
        return base64.b64encode(self.text(argument, "Fn::Base64").encode()).decode()

    def cidr(self, argument: Any) -> list[str]:
        if not isinstance(argument, list) or len(argument) != 3:
            raise TemplateError(
                "Fn::Cidr requires a list argument with three elements: ipBlock, count and cidrBits"
            )
        block, count_text, bits_text = (self.text(item, "Fn::Cidr") for item in argument)
        try:
            network = ipaddress.ip_network(block, strict=False)
            count, bits = int(count_text), int(bits_text)
        except ValueError:
            raise TemplateError(f"Fn::Cidr: invalid arguments {argument!r}") from None
        prefix = network.max_prefixlen - bits
        if not 1 <= count <= 256 or prefix < network.prefixlen:
            raise TemplateError("Fn::Cidr: the count or cidrBits do not fit the ipBlock")
        subnets = []
        for subnet in network.subnets(new_prefix=prefix):
            subnets.append(str(subnet))
            if len(subnets) == count:
                return subnets
        raise TemplateError("Fn::Cidr: the ipBlock is too small for the count")

    def get_azs(self, argument: Any) -> list[str]:
        region = self.text(argument, "Fn::GetAZs") if argument not in ("", None) else ""
        region = region or self.scope.region
        return [f"{region}{zone}" for zone in "abc"]

    def length(self, argument: Any) -> int:
        return len(self.items(argument, "Fn::Length"))

    def to_json_string(self, argument: Any) -> str:
        resolved = self.resolve(argument)
        if not isinstance(resolved, dict | list):
            raise TemplateError("Fn::ToJsonString requires an object or a list")
        return json.dumps(resolved, separators=(",", ":"))

    def import_value(self, argument: Any) -> str:
        return self.scope.imports(self.text(argument, "Fn::ImportValue"))


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_as_text(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


_FUNCTIONS: dict[str, Callable[[Evaluator, Any], Any]] = {
    "Ref": Evaluator.ref,
    "Fn::GetAtt": Evaluator.get_att,
    "Fn::Sub": Evaluator.sub,
    "Fn::Join": Evaluator.join,
    "Fn::Select": Evaluator.select,
    "Fn::Split": Evaluator.split,
    "Fn::If": Evaluator.if_,
    "Fn::Equals": Evaluator.equals,
    "Fn::And": Evaluator.and_,
    "Fn::Or": Evaluator.or_,
    "Fn::Not": Evaluator.not_,
    "Fn::FindInMap": Evaluator.find_in_map,
    "Fn::Base64": Evaluator.base64,
    "Fn::Cidr": Evaluator.cidr,
    "Fn::GetAZs": Evaluator.get_azs,
    "Fn::Length": Evaluator.length,
    "Fn::ToJsonString": Evaluator.to_json_string,
    "Fn::ImportValue": Evaluator.import_value,
}
FUNCTION_NAMES = frozenset(_FUNCTIONS)
