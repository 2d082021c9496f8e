"""Subscription filter policies: SNS's use of the shared content-filter engine
(``events.patterns``) on message attributes or on the message body."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from lambdaport.errors import AwsError
from lambdaport.events.patterns import Pattern, PatternError, compile_pattern
from lambdaport.services.sns.messages import Published
from lambdaport.services.sns.models import Attribute, invalid_parameter

SCOPES = ("MessageAttributes", "MessageBody")
MAX_KEYS = 5
MAX_COMBINATIONS = 150


def compile_filter_policy(text: str, scope: str) -> Pattern:
    """Validate a FilterPolicy for its scope as SNS does; raise InvalidParameter."""
    try:
        pattern = compile_pattern(text)
    except PatternError as exc:
        raise _invalid(str(exc)) from None
    root = pattern.root
    if scope == "MessageAttributes" and root.depth() > 1:
        raise _invalid(
            "Filter policy scope MessageAttributes does not support nested filter policy"
        )
    if root.leaf_keys() > MAX_KEYS:
        raise _invalid(f"Filter policy can not have more than {MAX_KEYS} keys")
    if root.combinations() > MAX_COMBINATIONS:
        raise _invalid("Filter policy is too complex")
    return pattern


def _invalid(reason: str) -> AwsError:
    return invalid_parameter(f"FilterPolicy: {reason}")


def check_scope(scope: str) -> str:
    if scope not in SCOPES:
        raise invalid_parameter(
            f"Attributes Reason: FilterPolicyScope: Invalid value [{scope}]. "
            "Please use either MessageBody or MessageAttributes"
        )
    return scope


def accepts(pattern: Pattern, scope: str, published: Published, protocol: str) -> bool:
    """Whether a subscription with this policy receives the message."""
    if scope == "MessageBody":
        try:
            body = orjson.loads(published.text_for(protocol))
        except orjson.JSONDecodeError:
            return False
        return isinstance(body, dict) and pattern.matches(body)
    if not published.attributes:
        return False  # an empty set of attributes never matches, not even "exists": false
    return pattern.matches(attribute_event(published.attributes))


def attribute_event(attributes: Mapping[str, Attribute]) -> dict[str, Any]:
    """Message attributes as the values a policy tests: String as text, Number as a number,
    String.Array as its JSON array; Binary attributes are not matched."""
    event: dict[str, Any] = {}
    for name, attribute in attributes.items():
        base = attribute.base_type
        if base == "Binary" or attribute.string_value is None:
            continue
        if base == "Number":
            number = float(attribute.string_value)
            event[name] = int(number) if number.is_integer() else number
        elif base == "String.Array":
            event[name] = orjson.loads(attribute.string_value)
        else:
            event[name] = attribute.string_value
    return event
