"""Templates: JSON or YAML (with the short-form tags ``!Ref``, ``!GetAtt a.b``, ``!Sub`` ...)
read into one tree, and the structural checks CloudFormation makes before anything is
provisioned, worded as its ``ValidationError`` messages
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-anatomy.html).

YAML is read as CloudFormation reads it: a short-form tag is the long form
(``!Ref X`` is ``{"Ref": "X"}``, ``!GetAtt A.B`` is ``{"Fn::GetAtt": ["A", "B"]}``,
``!Condition C`` is ``{"Condition": "C"}``, any other ``!Name`` is ``{"Fn::Name": ...}``), and
dates stay strings (``AWSTemplateFormatVersion: 2010-09-09``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml

from lambdaport.errors import AwsError

SECTIONS = frozenset(
    {
        "AWSTemplateFormatVersion",
        "Description",
        "Metadata",
        "Parameters",
        "Rules",
        "Mappings",
        "Conditions",
        "Transform",
        "Resources",
        "Outputs",
        "Hooks",
    }
)
RESOURCE_KEYS = frozenset(
    {
        "Type",
        "Properties",
        "DependsOn",
        "Condition",
        "DeletionPolicy",
        "UpdateReplacePolicy",
        "Metadata",
        "CreationPolicy",
        "UpdatePolicy",
        "Version",
    }
)
# The transform SAM templates declare; aws-sam-translator is where it will be expanded
# (``transform.py``).
SAM_TRANSFORM = "AWS::Serverless-2016-10-31"


def validation_error(message: str) -> AwsError:
    return AwsError("ValidationError", message, 400)


def format_error(message: str) -> AwsError:
    return validation_error(f"Template format error: {message}")


class _Loader(yaml.SafeLoader):
    """SafeLoader with CloudFormation's short forms and without YAML's timestamps."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _node_value(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    raise yaml.constructor.ConstructorError(
        None, None, f"unexpected node {node!r}", node.start_mark
    )


def _short_form(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    value = _node_value(loader, node)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        resource, _, attribute = value.partition(".")
        return {"Fn::GetAtt": [resource, attribute]}
    return {f"Fn::{suffix}": value}


_Loader.add_multi_constructor("!", _short_form)


def _mapping_without_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Any:
    loader.flatten_mapping(node)
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"Duplicate key {key!r}", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def parse_template(body: str) -> dict[str, Any]:
    """The template's tree, or CloudFormation's format error."""
    text = body.strip()
    if not text:
        raise validation_error("Template format error: template body is empty")
    if text.startswith("{"):
        try:
            tree = json.loads(text)
        except json.JSONDecodeError as error:
            raise format_error(
                f"JSON not well-formed. (line {error.lineno}, column {error.colno})"
            ) from None
    else:
        try:
            tree = yaml.load(text, Loader=_Loader)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            raise format_error(f"YAML not well-formed.{where}") from None
        except yaml.YAMLError:
            raise format_error("YAML not well-formed.") from None
    if not isinstance(tree, dict):
        raise format_error("Template is not a JSON or YAML object")
    return tree


def check_template(template: Mapping[str, Any]) -> None:
    """The checks ValidateTemplate and every stack operation make on the template's shape."""
    unknown = sorted(str(key) for key in template if key not in SECTIONS)
    if unknown:
        raise format_error(f"Invalid template property or properties [{', '.join(unknown)}]")
    version = template.get("AWSTemplateFormatVersion")
    if version is not None and str(version) != "2010-09-09":
        raise format_error(f"'{version}' is not a valid template version")
    if "Description" in template and not isinstance(template["Description"], str):
        raise format_error("Every Description member must be a string.")
    resources = template.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise format_error("At least one Resources member must be defined.")
    for name, resource in resources.items():
        _check_resource(str(name), resource)
    for section in ("Parameters", "Mappings", "Conditions", "Outputs"):
        value = template.get(section)
        if value is not None and not isinstance(value, dict):
            raise format_error(f"Every {section} member must be an object")
    for name, parameter in (template.get("Parameters") or {}).items():
        if not isinstance(parameter, dict) or "Type" not in parameter:
            raise format_error(
                f"[/Parameters/{name}] Every Parameters object must contain a Type member."
            )
    for name, output in (template.get("Outputs") or {}).items():
        if not isinstance(output, dict) or "Value" not in output:
            raise format_error(
                f"[/Outputs/{name}] Every Outputs member must contain a Value object"
            )


_DELETION_POLICIES = ("Delete", "Retain", "RetainExceptOnCreate", "Snapshot")


def _check_resource(name: str, resource: Any) -> None:
    if not isinstance(resource, dict):
        raise format_error(f"[/Resources/{name}] resource definition is malformed")
    if "Type" not in resource:
        raise format_error(
            f"[/Resources/{name}] Every Resources object must contain a Type member."
        )
    if not isinstance(resource["Type"], str):
        raise format_error(f"[/Resources/{name}/Type] Type must be a string")
    bad = sorted(key for key in resource if key not in RESOURCE_KEYS)
    if bad:
        raise format_error(f"Invalid template resource property '{bad[0]}'")
    if "Properties" in resource and not isinstance(resource["Properties"], dict):
        raise format_error(f"[/Resources/{name}/Properties] Properties must be an object")
    for key in ("DeletionPolicy", "UpdateReplacePolicy"):
        policy = resource.get(key)
        if policy is not None and policy not in _DELETION_POLICIES:
            raise format_error(f"Unrecognized {key} {policy} for resource {name}")


def transforms(template: Mapping[str, Any]) -> list[str]:
    """The template's declared transforms (``Transform``: one name or a list)."""
    value = template.get("Transform")
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(item) for item in value if isinstance(item, str)]
    return []
