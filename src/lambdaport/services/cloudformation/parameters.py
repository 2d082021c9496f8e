"""Template parameters: values given, defaults, previous values, AWS's constraints, and the
SSM parameter types whose value is read from Systems Manager at each operation
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from lambdaport.services.cloudformation.models import Parameter
from lambdaport.services.cloudformation.templates import validation_error

SsmLookup = Callable[[str], Awaitable[str]]
_SSM_VALUE = re.compile(r"AWS::SSM::Parameter::Value<(.+)>")
_SIMPLE_TYPES = frozenset({"String", "Number", "List<Number>", "CommaDelimitedList"})


def is_list_type(kind: str) -> bool:
    inner = _SSM_VALUE.fullmatch(kind)
    kind = inner.group(1) if inner else kind
    return kind.startswith("List<") or kind == "CommaDelimitedList"


def check_type(name: str, kind: str) -> None:
    if kind in _SIMPLE_TYPES or kind.startswith("AWS::") or kind.startswith("List<AWS::"):
        return
    raise validation_error(f"Template format error: Unrecognized parameter type: {kind}")


def _check_value(name: str, declaration: Mapping[str, Any], value: str) -> None:
    kind = str(declaration.get("Type"))
    values = [part.strip() for part in value.split(",")] if is_list_type(kind) else [value]
    allowed = declaration.get("AllowedValues")
    description = declaration.get("ConstraintDescription")
    for item in values:
        if kind in ("Number", "List<Number>"):
            try:
                number = float(item)
            except ValueError:
                raise validation_error(f"Parameter '{name}' must be a number.") from None
            if "MinValue" in declaration and number < float(declaration["MinValue"]):
                least = declaration["MinValue"]
                raise validation_error(
                    description or f"Parameter '{name}' must be a number not less than {least}"
                )
            if "MaxValue" in declaration and number > float(declaration["MaxValue"]):
                most = declaration["MaxValue"]
                raise validation_error(
                    description or f"Parameter '{name}' must be a number not greater than {most}"
                )
        if allowed is not None and item not in [str(a) for a in allowed]:
            raise validation_error(
                description or f"Parameter '{name}' must be one of AllowedValues"
            )
        pattern = declaration.get("AllowedPattern")
        if pattern is not None and re.fullmatch(str(pattern), item) is None:
            raise validation_error(
                description or f"Parameter '{name}' must match pattern {pattern}"
            )
        if "MinLength" in declaration and len(item) < int(declaration["MinLength"]):
            raise validation_error(
                description
                or f"Parameter '{name}' must contain at least {declaration['MinLength']} characters"
            )
        if "MaxLength" in declaration and len(item) > int(declaration["MaxLength"]):
            raise validation_error(
                description
                or f"Parameter '{name}' must contain at most {declaration['MaxLength']} characters"
            )


async def resolve_parameters(
    declarations: Mapping[str, Any],
    given: Sequence[Mapping[str, Any]],
    previous: Sequence[Parameter],
    ssm: SsmLookup,
) -> list[Parameter]:
    """The stack's parameters from what the call gave (``ParameterKey``, ``ParameterValue``,
    ``UsePreviousValue``), the previous values and the defaults; AWS's messages when one is
    missing, unknown or breaks its constraints."""
    supplied: dict[str, str] = {}
    before = {p.key: p for p in previous}
    unknown = [
        str(p.get("ParameterKey")) for p in given if p.get("ParameterKey") not in declarations
    ]
    if unknown:
        raise validation_error(f"Parameters: [{', '.join(unknown)}] do not exist in the template")
    for item in given:
        key = str(item.get("ParameterKey"))
        if item.get("UsePreviousValue"):
            if key not in before:
                raise validation_error(
                    f"Invalid input for parameter key {key}. Cannot specify usePreviousValue as "
                    "true for a parameter key not in the previous template"
                )
            supplied[key] = before[key].value
        elif "ParameterValue" in item and item["ParameterValue"] is not None:
            supplied[key] = str(item["ParameterValue"])
    missing: list[str] = []
    result: list[Parameter] = []
    for name, declaration in declarations.items():
        kind = str(declaration.get("Type"))
        check_type(name, kind)
        if name in supplied:
            value = supplied[name]
        elif "Default" in declaration:
            default = declaration["Default"]
            value = ",".join(str(d) for d in default) if isinstance(default, list) else str(default)
        else:
            missing.append(name)
            continue
        resolved: str | None = None
        inner = _SSM_VALUE.fullmatch(kind)
        if inner is not None:
            resolved = await ssm(value)
        else:
            _check_value(name, declaration, value)
        no_echo = str(declaration.get("NoEcho", "false")).lower() == "true"
        result.append(Parameter(name, value, resolved, no_echo))
    if missing:
        raise validation_error(f"Parameters: [{', '.join(missing)}] must have values")
    return result


def parameter_values(
    declarations: Mapping[str, Any], parameters: Sequence[Parameter]
) -> dict[str, Any]:
    """What ``Ref`` of each parameter gives: a string, or a list of strings for list types."""
    values: dict[str, Any] = {}
    for parameter in parameters:
        kind = str((declarations.get(parameter.key) or {}).get("Type", "String"))
        value = parameter.resolved if parameter.resolved is not None else parameter.value
        values[parameter.key] = (
            [part.strip() for part in value.split(",")] if is_list_type(kind) else value
        )
    return values
