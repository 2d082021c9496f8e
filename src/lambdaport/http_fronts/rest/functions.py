"""The function a Lambda integration or authorizer URI names, and the call to it."""

from __future__ import annotations

import re
from collections.abc import Mapping

_LAMBDA_URI = re.compile(
    r"arn:[\w-]+:apigateway:[\w-]+:lambda:path/2015-03-31/functions/(?P<function>.+?)/invocations"
)
_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")


def with_stage_variables(text: str, variables: Mapping[str, str]) -> str:
    """``${stageVariables.NAME}`` replaced by the stage's variable (empty when unset)."""
    return _STAGE_VARIABLE.sub(lambda m: variables.get(m.group(1), ""), text)


def function_of(uri: str, variables: Mapping[str, str]) -> str | None:
    """The function ARN (or name) in a Lambda URI, stage variables applied; None when the
    URI names no function."""
    match = _LAMBDA_URI.fullmatch(with_stage_variables(uri, variables))
    return None if match is None else match.group("function")
